"""Per-key rate limits of the REST API, by bucket, answering 429 with Retry-After."""

from __future__ import annotations

from enum import Enum

from leadline.api.errors import ApiError
from leadline.rate_limiter import RateLimit, RateLimiter


class Bucket(Enum):
    MANAGEMENT = "management"
    REPORTS = "reports"


class RateLimits:
    """One moving window per (bucket, key id), counted by the deployment's rate limiter."""

    def __init__(self, limiter: RateLimiter, management: str, reports: str) -> None:
        self._limits: dict[Bucket, RateLimit] = {
            Bucket.MANAGEMENT: limiter.limit(management, Bucket.MANAGEMENT.value),
            Bucket.REPORTS: limiter.limit(reports, Bucket.REPORTS.value),
        }

    def check(self, bucket: Bucket, key_id: str) -> dict[str, str]:
        """Count one request; returns the rate-limit headers, or raises a 429 ApiError."""
        limit = self._limits[bucket]
        verdict = limit.hit(key_id)
        if verdict.allowed:
            return verdict.headers()
        raise ApiError(
            429,
            f"rate limit exceeded: at most {limit.item.amount} {bucket.value} requests per "
            f"{limit.item.get_expiry()} seconds for this key; retry after {verdict.retry_after} seconds",
            verdict.headers(),
        )
