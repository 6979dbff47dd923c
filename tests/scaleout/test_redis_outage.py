"""A worker whose Redis stops answering refuses what it cannot check or record (503), never a 500."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.live_server import LiveServer, start_server
from tests.servers.redis import REDIS_SERVER, RedisServer

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A Redis of this test's own, since the test stops it."""
    if not REDIS_SERVER.exists():
        pytest.skip(f"Redis is not installed ({REDIS_SERVER})")
    directory = tmp_path / "redis"
    directory.mkdir()
    server = RedisServer(directory)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def server(tmp_path: Path, own_redis: RedisServer) -> Iterator[LiveServer]:
    live = start_server(tmp_path / "data", {"LEADLINE_REDIS_URL": own_redis.url})
    yield live
    live.stop()


def test_hits_and_rate_limited_calls_are_refused_with_503_while_redis_is_away(
    server: LiveServer, own_redis: RedisServer
) -> None:
    account = server.new_account()
    site = server.new_site(account)
    headers = {"Authorization": f"Bearer {server.new_key(account)}"}

    def send_hit() -> int:
        body = {"site": site.id, "url": "https://shop.example/"}
        return httpx.post(server.url("/api/event"), json=body, headers={"User-Agent": BROWSER}).status_code

    assert httpx.get(server.url("/v1/sites"), headers=headers).status_code == 200
    assert send_hit() == 202

    own_redis.stop()

    refused = httpx.get(server.url("/v1/sites"), headers=headers)
    assert refused.status_code == 503
    assert refused.json() == {"error": "rate limits cannot be checked right now; retry later"}
    assert refused.headers["Retry-After"] == "5"
    assert send_hit() == 503
    assert httpx.get(server.url("/health/live")).status_code == 200
