"""Secrets the server issues (API keys, client secrets, tokens): 256-bit random, kept only as SHA-256.

A fast hash is enough for secrets this long (nothing to brute-force); comparisons are constant-time, and
an unknown id is compared against a stand-in hash so it costs the same time as a wrong secret.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

_STAND_IN = hashlib.sha256(b"leadline-unknown-secret").hexdigest()


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def secret_matches(stored_hash: str | None, secret: str) -> bool:
    """Whether `secret` hashes to `stored_hash` (None: no such holder, always False, same cost)."""
    matches = hmac.compare_digest(_STAND_IN if stored_hash is None else stored_hash, hash_secret(secret))
    return matches and stored_hash is not None
