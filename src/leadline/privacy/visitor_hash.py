"""The visitor id: a keyed 64-bit hash of (site, IP, user agent) under the day's salt."""

from __future__ import annotations

import hashlib
from functools import lru_cache


def visitor_hash(salt: bytes, site_id: str, ip: str, user_agent: str) -> int:
    """A 64-bit id that is stable for one day and cannot be reversed without the (destroyed) salt."""
    digest = _keyed(salt).copy()
    digest.update("\x1f".join((site_id, ip, user_agent)).encode("utf-8", "surrogatepass"))
    return int.from_bytes(digest.digest(), "big")


def forget_salts() -> None:
    """Drop every salt kept here: the salt store calls it as it moves to a new day and destroys the old salts."""
    _keyed.cache_clear()


# The hash keyed with a salt, copied for each id, so the salt's block is not hashed again per hit (a third of the
# cost). Two at most, today's and yesterday's, and forgotten when the salt store moves on (`forget_salts`): a salt
# it destroys must not live on here.
@lru_cache(maxsize=2)
def _keyed(salt: bytes) -> hashlib.blake2b:
    return hashlib.blake2b(key=salt, digest_size=8)
