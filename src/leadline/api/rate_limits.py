"""Per-key rate limits (moving windows from the `limits` library), answering 429 with Retry-After."""

from __future__ import annotations

import math
import time
from enum import Enum

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, Storage
from limits.strategies import MovingWindowRateLimiter

from leadline.api.errors import ApiError


class Bucket(Enum):
    MANAGEMENT = "management"
    REPORTS = "reports"


class RateLimits:
    """One moving window per (bucket, key id); counters are in process memory."""

    def __init__(self, management: str, reports: str, storage: Storage | None = None) -> None:
        self._items: dict[Bucket, RateLimitItem] = {
            Bucket.MANAGEMENT: parse(management),
            Bucket.REPORTS: parse(reports),
        }
        self._limiter = MovingWindowRateLimiter(storage or MemoryStorage())

    def check(self, bucket: Bucket, key_id: str) -> dict[str, str]:
        """Count one request; returns the rate-limit headers, or raises a 429 ApiError."""
        item = self._items[bucket]
        allowed = self._limiter.hit(item, bucket.value, key_id)
        stats = self._limiter.get_window_stats(item, bucket.value, key_id)
        headers = {
            "X-RateLimit-Limit": str(item.amount),
            "X-RateLimit-Remaining": str(max(stats.remaining, 0)),
        }
        if allowed:
            return headers
        retry_after = max(1, math.ceil(stats.reset_time - time.time()))
        raise ApiError(
            429,
            f"rate limit exceeded: at most {item.amount} {bucket.value} requests per "
            f"{item.get_expiry()} seconds for this key; retry after {retry_after} seconds",
            {**headers, "Retry-After": str(retry_after)},
        )
