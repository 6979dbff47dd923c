"""Per-key rate limits answer 429 with Retry-After, and let the key through again once the window passes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.live_server import LiveServer, start_server


@pytest.fixture(scope="module")
def limited_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = start_server(
        tmp_path_factory.mktemp("limited"),
        {"LEADLINE_MANAGEMENT_RATE_LIMIT": "3 per 2 seconds", "LEADLINE_REPORTS_RATE_LIMIT": "2 per 2 seconds"},
    )
    yield live
    live.stop()


def test_management_calls_beyond_the_limit_get_429_with_retry_after(limited_server: LiveServer) -> None:
    key = limited_server.new_key(limited_server.new_account())
    with limited_server.client(key) as http:
        answers = [http.get("/v1/account") for _ in range(4)]
        assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
        refused = answers[-1]
        assert "rate limit" in refused.json()["error"]
        retry_after = int(refused.headers["Retry-After"])
        assert 1 <= retry_after <= 2
        assert refused.headers["X-RateLimit-Remaining"] == "0"
        time.sleep(retry_after + 0.2)
        assert http.get("/v1/account").status_code == 200


def test_limits_are_per_key(limited_server: LiveServer) -> None:
    account = limited_server.new_account()
    first, second = limited_server.new_key(account), limited_server.new_key(account)
    with limited_server.client(first) as http:
        for _ in range(3):
            http.get("/v1/account")
        assert http.get("/v1/account").status_code == 429
    with limited_server.client(second) as http:
        assert http.get("/v1/account").status_code == 200


def test_reports_have_their_own_tighter_limit(limited_server: LiveServer) -> None:
    account = limited_server.new_account()
    site = limited_server.new_site(account)
    with limited_server.client(limited_server.new_key(account)) as http:
        statuses = [http.get("/v1/current_visitors", params={"site_id": site.id}).status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
        # The management bucket is untouched by report calls.
        assert http.get("/v1/account").status_code == 200


def test_unauthenticated_calls_are_refused_before_counting(limited_server: LiveServer, tmp_path: Path) -> None:
    with limited_server.client("ll_NOTAKEY000_secret") as http:
        assert [http.get("/v1/account").status_code for _ in range(5)] == [401] * 5
