"""Passwords of privately shared dashboards: chosen by people, so hashed with Argon2id.

What is hashed is the SHA-256 hex digest of the password, not the password itself: a share link may carry
`?password=<sha256 hex>` (Fathom's semantics), and this way the prompt (which hashes what the viewer typed)
and the link check the same Argon2id hash, without keeping any faster digest of the password at rest.
Hashes stored before this scheme (Argon2id of the password itself) still admit through the prompt.
"""

from __future__ import annotations

import hashlib
import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


def share_password_digest(password: str) -> str:
    """The SHA-256 hex digest a share link carries for `password`."""
    return hashlib.sha256(password.encode("utf-8")).hexdigest()


def hash_share_password(password: str) -> str:
    return _hasher.hash(share_password_digest(password))


def verify_share_password(password_hash: str, password: str) -> bool:
    return verify_share_password_digest(password_hash, share_password_digest(password)) or _verify(
        password_hash, password
    )


def verify_share_password_digest(password_hash: str, digest: str) -> bool:
    """Whether `digest` (a share link's `?password=`, SHA-256 hex) is the digest of the site's password."""
    digest = digest.strip().lower()
    return bool(_SHA256_HEX.fullmatch(digest)) and _verify(password_hash, digest)


def _verify(password_hash: str, secret: str) -> bool:
    try:
        return _hasher.verify(password_hash, secret)
    except (VerificationError, InvalidHashError):
        return False
