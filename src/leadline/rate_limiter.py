"""Moving-window rate limits over the `limits` library, counted wherever a storage URI says.

Every limit of Leadline (per API key, per integration client) is one `RateLimit` from one `RateLimiter`,
so the Retry-After arithmetic lives here once. `memory://` keeps counters in this process; a shared
storage (`redis://…`) lets several workers count together without any other change. A shared storage
that does not answer refuses the request with an OSError (the app answers 503) rather than guess.
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.errors import ConfigurationError, StorageError
from limits.storage import Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

# A shared storage that stops answering must fail a request within seconds, not hold it until TCP gives up.
STORAGE_TIMEOUT_SECONDS = 2.0


class RateLimitStorageError(ValueError):
    """The storage URI names no storage the `limits` library can open here."""


class RateLimitUnavailableError(OSError):
    """The counters' storage did not answer (a shared Redis down, say): the request can be neither counted nor let
    through unchecked, since some limits guard against password guessing."""


@dataclass(frozen=True)
class Verdict:
    """One counted request: allowed or not, and what a client should be told."""

    allowed: bool
    limit: int
    remaining: int
    retry_after: int | None  # whole seconds until the next request may pass; None when allowed

    def headers(self) -> dict[str, str]:
        """X-RateLimit-* headers, plus Retry-After when the request was refused."""
        headers = {"X-RateLimit-Limit": str(self.limit), "X-RateLimit-Remaining": str(self.remaining)}
        if self.retry_after is not None:
            headers["Retry-After"] = str(self.retry_after)
        return headers


class Rejections:
    """Requests refused, counted by limit namespace (never by key: keys name clients, sites and addresses)."""

    def __init__(self) -> None:
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()  # limits are checked from the event loop and from worker threads

    def declare(self, namespace: str) -> None:
        """Make `namespace` known, so that it is reported (at zero) before its first refusal."""
        with self._lock:
            self._counts[namespace] += 0

    def add(self, namespace: str) -> None:
        with self._lock:
            self._counts[namespace] += 1

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)


class RateLimit:
    """One limit (such as '10/minute') in one namespace, counted separately for each key."""

    def __init__(
        self,
        limiter: MovingWindowRateLimiter,
        limit: str,
        namespace: str,
        clock: Callable[[], float],
        rejections: Rejections | None = None,
    ) -> None:
        self.item: RateLimitItem = parse(limit)
        self._limiter = limiter
        self._namespace = namespace
        self._clock = clock
        self._rejections = rejections or Rejections()
        self._rejections.declare(namespace)

    def hit(self, key: str) -> Verdict:
        """Count one request of `key`."""
        try:
            allowed = self._limiter.hit(self.item, self._namespace, key)
            stats = self._limiter.get_window_stats(self.item, self._namespace, key)
        except StorageError as error:
            raise RateLimitUnavailableError(f"rate-limit counters unavailable: {error.storage_error}") from error
        retry_after = None if allowed else self._seconds_until(stats.reset_time)
        if not allowed:
            self._rejections.add(self._namespace)
        return Verdict(allowed, self.item.amount, max(stats.remaining, 0), retry_after)

    def retry_after(self, key: str) -> int | None:
        """Count one request of `key`: None if it may pass, else the seconds until it may try again."""
        return self.hit(key).retry_after

    def peek(self, key: str) -> int | None:
        """Without counting: None if a request of `key` would pass now, else the seconds until one would."""
        try:
            if self._limiter.test(self.item, self._namespace, key):
                return None
            reset_time = self._limiter.get_window_stats(self.item, self._namespace, key).reset_time
        except StorageError as error:
            raise RateLimitUnavailableError(f"rate-limit counters unavailable: {error.storage_error}") from error
        self._rejections.add(self._namespace)  # callers refuse the request when a peek says no
        return self._seconds_until(reset_time)

    def _seconds_until(self, reset_time: float) -> int:
        """Whole seconds until the window frees a slot, at least 1 (Retry-After takes whole seconds)."""
        return max(1, math.ceil(reset_time - self._clock()))

    def describe(self) -> str:
        """The limit in words, for error messages."""
        return f"at most {self.item.amount} requests per {self.item.get_expiry()} seconds"


class RateLimiter:
    """Makes rate limits that share one counter storage."""

    def __init__(self, storage_uri: str = "memory://", clock: Callable[[], float] = time.time) -> None:
        self._limiter = MovingWindowRateLimiter(open_storage(storage_uri))
        self._clock = clock
        self.rejections = Rejections()  # read by /metrics

    def limit(self, limit: str, namespace: str) -> RateLimit:
        """A limit counted under `namespace`, so that two limits never share counters.

        `namespace` is a fixed name, never built from a key: it labels the rejections on /metrics.
        """
        return RateLimit(self._limiter, limit, namespace, self._clock, self.rejections)


def open_storage(storage_uri: str) -> Storage:
    """The `limits` storage a URI names, or a RateLimitStorageError that says what is wrong."""
    options: dict[str, float] = {}
    if storage_uri.startswith(("redis://", "rediss://", "redis+unix://")):
        options = {"socket_timeout": STORAGE_TIMEOUT_SECONDS, "socket_connect_timeout": STORAGE_TIMEOUT_SECONDS}
    try:
        storage = storage_from_string(storage_uri, wrap_exceptions=True, **options)
    except (ConfigurationError, ValueError) as error:
        raise RateLimitStorageError(f"cannot use rate-limit storage {storage_uri!r}: {error}") from error
    if not isinstance(storage, Storage):  # an async storage (async+redis://…): our callers are synchronous
        raise RateLimitStorageError(f"cannot use rate-limit storage {storage_uri!r}: it is asynchronous")
    return storage
