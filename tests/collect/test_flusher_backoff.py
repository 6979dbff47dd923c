"""A failing event store: the flusher backs off (capped), logs once per streak, keeps the hits, recovers alone."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

import pytest

from leadline.collect.flusher import Flusher
from leadline.collect.spool import Spool
from leadline.store.events import EventStore, open_event_store
from leadline.store.events.base import hit_to_row
from leadline.store.events.spooled_rows import encode_row
from tests.collect.test_spool import make_hit
from tests.servers.clickhouse import ClickHouseCluster


class Clock:
    """Monotonic time that moves only when told: retries become due exactly when the test says."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def spool_hits(directory: Path, first: int, count: int) -> Spool:
    """A spool holding `count` hits numbered from `first`, in closed segments of 10 (as a run leaves them)."""

    async def write() -> Spool:
        spool = Spool(directory, max_records=10, max_age=30, fsync_interval=0.001)
        spool.start()
        for number in range(first, first + count):
            spool.append(encode_row(hit_to_row(make_hit(number))))
        await spool.close()
        return spool

    return asyncio.run(write())


def failure_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == "leadline.flusher"]


def test_a_failing_store_is_retried_with_capped_exponential_backoff_and_logged_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    spool = spool_hits(tmp_path / "spool", 0, 30)
    store = open_event_store(f"duckdb:///{tmp_path / 'events.duckdb'}")
    store.close()  # a real store whose every insert now fails
    clock = Clock()
    flusher = Flusher(spool, store, first_retry_seconds=0.5, max_retry_seconds=30.0, clock=clock)
    delays = []
    with caplog.at_level(logging.WARNING, logger="leadline.flusher"):
        for _ in range(9):
            assert flusher.flush_ready() == 0  # no exception reaches the scheduler
            delays.append(flusher.retry_delay)
            clock.now += flusher.retry_delay - 0.01
            attempts = flusher.failed_attempts
            assert flusher.flush_ready() == 0 and flusher.failed_attempts == attempts  # not due yet: not tried
            clock.now += 0.01
    assert delays == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]
    failures = [
        sample.value for sample in next(iter(flusher.failures.collect())).samples if sample.name.endswith("_total")
    ]
    assert failures == [9]  # leadline_spool_flush_failures_total
    assert len(spool.closed_segments()) == 3  # every hit still in the spool
    lines = failure_lines(caplog)
    assert len(lines) == 1 and "retrying with backoff" in lines[0]


def test_the_shutdown_flush_tries_even_while_backing_off(tmp_path: Path) -> None:
    spool = spool_hits(tmp_path / "spool", 0, 10)
    store = open_event_store(f"duckdb:///{tmp_path / 'events.duckdb'}")
    store.close()
    flusher = Flusher(spool, store, clock=Clock())
    flusher.flush_ready()
    flusher.flush_ready(force=True)
    assert flusher.failed_attempts == 2


def flush_until_stored(flusher: Flusher, store: EventStore, expected: int, timeout: float = 60.0) -> None:
    """Call the flusher as the scheduler does (every 50 ms) until the store holds `expected` hits."""
    deadline = time.monotonic() + timeout
    while store.count_hits("SITE") < expected:
        assert time.monotonic() < deadline, f"only {store.count_hits('SITE')} of {expected} hits stored"
        flusher.flush_ready()
        time.sleep(0.05)


def test_a_stopped_clickhouse_shard_is_waited_out_and_every_hit_stored_once(
    tmp_path: Path, clickhouse_url: str, clickhouse_cluster: ClickHouseCluster, caplog: pytest.LogCaptureFixture
) -> None:
    store = open_event_store(clickhouse_url)
    spool_directory = tmp_path / "spool"
    try:
        flusher = Flusher(spool_hits(spool_directory, 0, 20), store, first_retry_seconds=0.05, max_retry_seconds=0.2)
        second_shard = clickhouse_cluster.servers[1]
        with caplog.at_level(logging.WARNING, logger="leadline.flusher"):
            second_shard.stop()
            try:
                for _ in range(5):
                    flusher.flush_ready()
                    time.sleep(0.06)
                assert flusher.failed_attempts >= 2
                # Meanwhile the collector goes on spooling: a later run's segments join the backlog.
                spool = spool_hits(spool_directory, 20, 20)
                assert len(spool.closed_segments()) == 4
            finally:
                second_shard.start()
                second_shard.wait_until_ready()
            flush_until_stored(flusher, store, 40)
        assert flusher.failed_attempts == 0 and spool.closed_segments() == []
        flusher.flush_ready()
        assert store.count_hits("SITE") == 40  # nothing doubled by the retries
        lines = failure_lines(caplog)
        assert len(lines) == 2 and "takes spooled hits again" in lines[1]
    finally:
        store.close()
