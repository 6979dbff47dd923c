"""The visitor id: a keyed 64-bit hash of (site, IP, user agent) under the day's salt."""

from __future__ import annotations

import hashlib


def visitor_hash(salt: bytes, site_id: str, ip: str, user_agent: str) -> int:
    """A 64-bit id that is stable for one day and cannot be reversed without the (destroyed) salt."""
    message = "\x1f".join((site_id, ip, user_agent)).encode("utf-8", "surrogatepass")
    return int.from_bytes(hashlib.blake2b(message, key=salt, digest_size=8).digest(), "big")
