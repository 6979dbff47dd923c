"""When to retry a request and how long to wait first: exponential backoff with jitter, or the server's Retry-After."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import httpx

from leadline.client.errors import retry_after_seconds


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int
    random: Callable[[], float]  # uniform in [0, 1); injectable so tests can pin the jitter
    base_delay: float = 0.5
    max_delay: float = 30.0

    def delay(
        self, attempt: int, response: httpx.Response | None, method: str, error: Exception | None = None
    ) -> float | None:
        """Seconds to wait before retry number `attempt + 1`, or None to stop: the answer is final.

        `response` is None when the request failed in transport (`error`: connection refused, timeout...).
        A POST is repeated only when the server surely did not act on it (429, or no connection made), so a
        lost answer to a create never creates twice.
        """
        if response is not None and not retryable(response.status_code):
            return None
        if method == "POST":
            never_reached = isinstance(error, httpx.ConnectError | httpx.ConnectTimeout)
            if not (never_reached or (response is not None and response.status_code == 429)):
                return None
        if attempt >= self.max_retries:
            return None
        advised = None if response is None else retry_after_seconds(response)
        if advised is not None:
            return advised
        return self.backoff(attempt)

    def backoff(self, attempt: int) -> float:
        """Between half and all of base * 2**attempt (capped): jitter spreads out clients that failed together."""
        ceiling = min(self.max_delay, self.base_delay * 2.0**attempt)
        return ceiling / 2 + self.random() * ceiling / 2


def retryable(status: int) -> bool:
    # Other 4xx answers would only repeat: the request itself is wrong.
    return status == 429 or status >= 500
