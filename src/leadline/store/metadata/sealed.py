"""Secrets sealed at rest: AES-256-GCM under a key derived (HKDF-SHA256) from the deployment's secret key.

A sealed blob is `SEALED_PREFIX + nonce + ciphertext-and-tag`. The prefix names the format, so a later format
can sit beside this one; the caller's associated data (a signing key's id) binds a blob to its row, so a blob
copied onto another row does not open.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SEALED_PREFIX = b"LLs1"  # "Leadline sealed, format 1"
NONCE_BYTES = 12  # AES-GCM's standard nonce; random nonces are safe for far more keys than a deployment holds
_DERIVATION_INFO = b"leadline: sealing secrets at rest, v1"


class WrongSecretKeyError(Exception):
    """A sealed blob does not open with this secret key: the key changed, or the blob was altered."""


class SealingKey:
    """Seals and opens blobs; the secret is asked for once, on first use (so a key file is made only when needed)."""

    def __init__(self, secret: Callable[[], bytes]) -> None:
        self._secret = secret
        self._cipher: AESGCM | None = None
        self._lock = threading.Lock()

    @classmethod
    def of(cls, secret: bytes) -> SealingKey:
        """A sealing key from a secret already in hand."""
        return cls(lambda: secret)

    def seal(self, plaintext: bytes, associated_data: bytes) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return SEALED_PREFIX + nonce + self._aead().encrypt(nonce, plaintext, associated_data)

    def unseal(self, blob: bytes, associated_data: bytes) -> bytes:
        """The plaintext of `blob`; WrongSecretKeyError when this key did not seal it (never garbage)."""
        if not is_sealed(blob):
            raise ValueError("not a sealed blob")
        nonce = blob[len(SEALED_PREFIX) : len(SEALED_PREFIX) + NONCE_BYTES]
        try:
            return self._aead().decrypt(nonce, blob[len(SEALED_PREFIX) + NONCE_BYTES :], associated_data)
        except InvalidTag as error:
            raise WrongSecretKeyError("the secret key is not the one this secret was sealed with") from error

    def _aead(self) -> AESGCM:
        with self._lock:
            if self._cipher is None:
                derive = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_DERIVATION_INFO)
                self._cipher = AESGCM(derive.derive(self._secret()))
            return self._cipher


def is_sealed(blob: bytes) -> bool:
    """Whether `blob` is in the sealed format (rather than a secret stored in plain before sealing existed)."""
    return blob.startswith(SEALED_PREFIX) and len(blob) > len(SEALED_PREFIX) + NONCE_BYTES
