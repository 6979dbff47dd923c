"""One rate limiter for every limit: moving windows per key, Retry-After from the window, storage by URI."""

from __future__ import annotations

import pytest

from leadline.rate_limiter import RateLimiter, RateLimitStorageError


def test_a_limit_allows_its_amount_per_key_then_says_when_to_retry() -> None:
    limit = RateLimiter("memory://").limit("2/minute", "test")
    first, second, third = (limit.hit("key-a") for _ in range(3))
    assert (first.allowed, first.remaining, first.retry_after) == (True, 1, None)
    assert (second.allowed, second.remaining) == (True, 0)
    assert not third.allowed
    assert third.retry_after is not None and 1 <= third.retry_after <= 60
    assert third.headers() == {
        "X-RateLimit-Limit": "2",
        "X-RateLimit-Remaining": "0",
        "Retry-After": str(third.retry_after),
    }


def test_keys_and_namespaces_are_counted_apart() -> None:
    limiter = RateLimiter()
    tokens, requests = limiter.limit("1/minute", "tokens"), limiter.limit("1/minute", "requests")
    assert tokens.hit("client").allowed
    assert not tokens.hit("client").allowed
    assert tokens.hit("other client").allowed
    assert requests.hit("client").allowed


def test_retry_after_is_none_while_requests_may_pass() -> None:
    limit = RateLimiter().limit("1/hour", "test")
    assert limit.retry_after("k") is None
    waited = limit.retry_after("k")
    assert waited is not None and 3500 < waited <= 3600
    assert limit.describe() == "at most 1 requests per 3600 seconds"


def test_an_unknown_storage_is_refused_with_its_uri_named() -> None:
    with pytest.raises(RateLimitStorageError, match="nowhere://"):
        RateLimiter("nowhere://")


def test_peeking_counts_nothing_and_says_when_a_request_would_pass() -> None:
    limit = RateLimiter().limit("1/minute", "test")
    assert limit.peek("k") is None
    assert limit.peek("k") is None
    assert limit.hit("k").allowed
    waited = limit.peek("k")
    assert waited is not None and 1 <= waited <= 60
    assert limit.peek("other") is None
