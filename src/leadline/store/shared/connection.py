"""One Redis client per process, and the error every shared-state failure becomes."""

from __future__ import annotations

import redis

# Short timeouts: these calls sit on the hit path and in the jobs, and an unreachable Redis must become a
# 503 (the hit is not acknowledged) within a second or two, not after the operating system's TCP timeout.
SOCKET_TIMEOUT_SECONDS = 2.0


class SharedStateUnavailableError(OSError):
    """Redis did not answer. An OSError: the collector answers 503 to it, as to a spool it cannot write."""


def open_redis(url: str) -> redis.Redis:
    """A client for `url` (redis://, rediss:// or unix://); it connects on first use, one pooled connection
    per thread that needs one."""
    return redis.Redis.from_url(
        url,
        socket_timeout=SOCKET_TIMEOUT_SECONDS,
        socket_connect_timeout=SOCKET_TIMEOUT_SECONDS,
        health_check_interval=30,
    )


def check_redis(url: str) -> None:
    """Raise SharedStateUnavailableError unless the Redis at `url` answers (its message never holds the URL,
    which may hold a password)."""
    try:
        with open_redis(url) as client:
            client.ping()
    except redis.RedisError as error:
        raise SharedStateUnavailableError(f"the Redis of LEADLINE_REDIS_URL does not answer: {error}") from error
