"""The spool refuses what it cannot keep: past its size, or on a nearly full disk, hits get 503 and Retry-After."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import httpx

from leadline.collect.flusher import Flusher
from leadline.collect.spool import DISK_FULL, SPOOL_FULL, Spool, frame, free_disk_bytes
from leadline.store.events import open_event_store
from leadline.store.events.base import hit_to_row
from leadline.store.events.spooled_rows import encode_row
from tests.collect.test_collector_over_http import BROWSER, stored_hits
from tests.collect.test_spool import make_hit
from tests.live_server import LiveServer, start_server

METRICS_TOKEN = "spool-limits-metrics-token"


def dropped(server: LiveServer, reason: str) -> float:
    metrics = httpx.get(server.url("/metrics"), headers={"Authorization": f"Bearer {METRICS_TOKEN}"}).text
    match = re.search(rf'^leadline_hits_dropped_total\{{reason="{reason}"\}} (\S+)$', metrics, re.MULTILINE)
    assert match is not None, metrics
    return float(match.group(1))


def test_the_spool_is_full_at_its_size_and_has_room_again_once_its_hits_are_stored(tmp_path: Path) -> None:
    async def scenario() -> None:
        spool = Spool(tmp_path / "spool", max_records=5, max_age=30, fsync_interval=0.001, max_bytes=4000)
        spool.start()
        appended, last = 0, b""
        while spool.full_reason() is None:
            last = encode_row(hit_to_row(make_hit(appended)))
            spool.append(last)
            appended += 1
        assert spool.full_reason() == SPOOL_FULL and spool.size_bytes >= 4000
        # Refused from the first record past the size, not later: the size is counted as records are written.
        assert spool.size_bytes - len(frame(last)) < 4000
        await spool.close()  # every segment closed, as the flusher finds them after a while
        store = open_event_store(f"duckdb:///{tmp_path / 'events.duckdb'}")
        try:
            assert Flusher(spool, store).flush_ready() == appended
            assert spool.full_reason() is None and spool.size_bytes == 0  # what is stored no longer counts
            assert store.count_hits("SITE") == appended
        finally:
            store.close()

    asyncio.run(scenario())


def test_a_spool_found_over_its_size_at_start_refuses_at_once(tmp_path: Path) -> None:
    directory = tmp_path / "spool"
    directory.mkdir()
    (directory / "00000000000000000001-1.seg").write_bytes(b"\0" * 3000)  # left by a run whose store was down
    spool = Spool(directory, max_bytes=2000)
    spool.recover()
    assert spool.full_reason() == SPOOL_FULL and spool.backlog().size_bytes == 3000


def test_less_free_disk_than_the_spool_must_leave_refuses(tmp_path: Path) -> None:
    roomy = Spool(tmp_path / "roomy", min_free_bytes=1)
    roomy.recover()
    assert roomy.full_reason() is None
    cramped = Spool(tmp_path / "cramped", min_free_bytes=free_disk_bytes(tmp_path) + 2**40)
    cramped.recover()
    assert cramped.full_reason() == DISK_FULL


def big_pageview(site_id: str, number: int) -> dict[str, str]:
    """A hit whose spooled row takes about 3 KB (long path and referrer), so a few hundred fill a megabyte."""
    return {
        "site": site_id,
        "url": f"https://shop.example/{number}/" + "p" * 1000,
        "referrer": "https://news.example/" + "r" * 2000,
    }


def test_a_full_spool_answers_503_with_retry_after_and_stores_nothing_more(data_dir: Path) -> None:
    # No flush for a minute after start: the spool only grows, as it does while the event store is down.
    server = start_server(
        data_dir,
        {
            "LEADLINE_SPOOL_MAX_BYTES": str(1 << 20),
            "LEADLINE_FLUSH_INTERVAL_SECONDS": "60",
            "LEADLINE_METRICS_TOKEN": METRICS_TOKEN,
        },
    )
    try:
        site = server.new_site(server.new_account())
        accepted = 0
        with httpx.Client(base_url=server.base_url, headers={"User-Agent": BROWSER}) as client:
            for number in range(2000):
                response = client.post("/api/event", json=big_pageview(site.id, number))
                if response.status_code != 202:
                    break
                accepted += 1
            assert response.status_code == 503, response.text
            assert response.headers["Retry-After"].isdigit()
            assert "spool is full" in response.json()["error"]
            assert 250 < accepted < 500  # about a megabyte of 3 KB rows
            assert client.post("/api/event", json=big_pageview(site.id, 0)).status_code == 503
        assert dropped(server, "spool_full") == 2
    finally:
        server.stop()  # a graceful stop stores what was accepted
    assert len(stored_hits(data_dir, site.id)) == accepted


def test_a_nearly_full_disk_answers_503_with_retry_after(data_dir: Path) -> None:
    server = start_server(
        data_dir, {"LEADLINE_SPOOL_MIN_FREE_BYTES": str(1 << 60), "LEADLINE_METRICS_TOKEN": METRICS_TOKEN}
    )
    try:
        site = server.new_site(server.new_account())
        response = httpx.post(server.url("/api/event"), json=big_pageview(site.id, 1), headers={"User-Agent": BROWSER})
        assert response.status_code == 503 and response.headers["Retry-After"].isdigit()
        assert response.json() == {"error": "the server's disk is nearly full; retry later"}
        assert dropped(server, "disk_full") == 1 and dropped(server, "spool_full") == 0
    finally:
        server.stop()
    assert stored_hits(data_dir, site.id) == []
