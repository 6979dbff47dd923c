"""Crashes under load on the server stores: `leadline serve` with two workers on PostgreSQL + a 2-shard ClickHouse +
Redis keeps every hit it acknowledged, exactly once, through a kill -9 of the whole server and through a shard
stopped for 20 s.

Four senders POST hits with a pathname each (`/w<sender>/<n>`), so the store can be checked hit by hit against
the paths that got a 202: none missing, none stored twice. A path that got no answer (the kill came first) may
be stored or not, but at most once.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from leadline.store.events.clickhouse_connection import parse_clickhouse_url
from tests.hit_senders import Answer, HitSenders
from tests.live_server import LiveServer, start_server
from tests.servers.clickhouse import ClickHouseCluster
from tests.servers.postgres import PostgresCluster
from tests.servers.redis import RedisServer

# Each worker process imports the whole application: on a loaded 2-core machine that alone took 9 s.
WORKERS_START_SECONDS = 90
FLUSH_TIMEOUT_SECONDS = 60
LOAD_SECONDS = 4
# Segments that close and are stored within a fraction of a second: a kill finds some in every state (open,
# closed, being stored, stored but not yet removed).
SHORT_SEGMENT_SECONDS = 0.2
# The default: an outage's backlog is then a few dozen segments, each replayed in one batch, not hundreds.
OUTAGE_SEGMENT_SECONDS = 1.0
SHARD_DOWN_SECONDS = 20
# Fewer acknowledged hits than this before the crash would make a pass say little.
LEAST_ACKNOWLEDGED = 200


@dataclass
class ServerStores:
    """Fresh databases for one test's server: its metadata in PostgreSQL, its hits in the ClickHouse cluster."""

    database_url: str
    events_url: str
    redis_url: str

    def settings(self, segment_seconds: float) -> dict[str, str]:
        return {
            "LEADLINE_WORKERS": "2",
            "LEADLINE_DATABASE_URL": self.database_url,
            "LEADLINE_EVENTS_URL": self.events_url,
            "LEADLINE_REDIS_URL": self.redis_url,
            "LEADLINE_SPOOL_SEGMENT_SECONDS": str(segment_seconds),
            "LEADLINE_FLUSH_INTERVAL_SECONDS": "0.1",
        }


@pytest.fixture
def stores(
    postgres: PostgresCluster, clickhouse_cluster: ClickHouseCluster, redis_server: RedisServer
) -> Iterator[ServerStores]:
    database_url = postgres.new_database()
    redis_server.empty()
    yield ServerStores(database_url, clickhouse_cluster.new_url(), redis_server.url)
    postgres.drop_database(database_url)


@contextlib.contextmanager
def two_workers(data_dir: Path, stores: ServerStores, segment_seconds: float) -> Iterator[LiveServer]:
    """`leadline serve` with two workers in a process group of its own; whatever is left of it is killed after."""
    settings = stores.settings(segment_seconds)
    server = start_server(data_dir, settings, timeout=WORKERS_START_SECONDS, new_session=True)
    try:
        yield server
    finally:
        server.stop()
        with contextlib.suppress(ProcessLookupError):  # a worker the supervisor left behind, if any
            os.killpg(server.process.pid, signal.SIGKILL)


def kill_whole_server(server: LiveServer) -> None:
    """SIGKILL to the supervisor and both workers at once: no shutdown code runs anywhere, as in a power cut."""
    server.metadata.close()
    os.killpg(server.process.pid, signal.SIGKILL)
    server.process.wait()


def unstored_segments(data_dir: Path) -> list[Path]:
    """Spool segments (open or closed) not yet stored, in every worker's spool directory."""
    return [path for path in (data_dir / "spool").glob("*/*") if path.suffix in (".open", ".seg")]


def wait_for_a_spooled_segment(data_dir: Path, timeout: float = 10.0) -> None:
    """Return as soon as some spool holds a segment not yet stored (bounded: the caller's assert says if none came)."""
    deadline = time.monotonic() + timeout
    while not unstored_segments(data_dir) and time.monotonic() < deadline:
        time.sleep(0.001)


def wait_until_flushed(data_dir: Path) -> list[Path]:
    """Wait (bounded) until every spool is empty; what is left unstored at the end."""
    deadline = time.monotonic() + FLUSH_TIMEOUT_SECONDS
    while (left := unstored_segments(data_dir)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


def stored_per_path(cluster: ClickHouseCluster, events_url: str, site_id: str) -> Counter[str]:
    """How many rows the cluster holds for each pathname of a site (read through shard 1's Distributed table)."""
    client = cluster.client(1, database=parse_clickhouse_url(events_url).database)
    try:
        rows = client.execute(
            "SELECT pathname, count() FROM hits WHERE site_id = %(site)s GROUP BY pathname", {"site": site_id}
        )
    finally:
        client.disconnect()
    return Counter({str(path): int(count) for path, count in rows})


def exactly_once_report(acknowledged: set[str], stored: Counter[str]) -> tuple[bool, str]:
    """Whether every acknowledged hit is stored once and no hit twice, and the figures that say so."""
    missing = sorted(acknowledged - stored.keys())
    doubled = sorted(path for path, count in stored.items() if count > 1)
    unacknowledged = stored.keys() - acknowledged
    summary = (
        f"{len(acknowledged)} acknowledged; {stored.total()} rows stored for {len(stored)} paths; "
        f"{len(missing)} missing {missing[:5]}; {len(doubled)} doubled {[(p, stored[p]) for p in doubled[:5]]}; "
        f"{len(unacknowledged)} stored without an acknowledgement (allowed once each)"
    )
    return not missing and not doubled, summary


def failed_answers(answers: list[Answer]) -> list[Answer]:
    """Answers that were not a hit taken: a 5xx, or none at all (the connection failed or timed out)."""
    return [answer for answer in answers if answer.status is None or answer.status >= 500]


def test_every_acknowledged_hit_survives_kill_9_of_the_whole_server_exactly_once(
    tmp_path: Path, stores: ServerStores, clickhouse_cluster: ClickHouseCluster
) -> None:
    data_dir = tmp_path / "data"
    with two_workers(data_dir, stores, SHORT_SEGMENT_SECONDS) as server:
        site = server.new_site(server.new_account("Crashed"))
        with HitSenders(server.url("/api/event"), site.id) as senders:
            time.sleep(LOAD_SECONDS)
            # A machine busy with other work may acknowledge fewer in that time (195 once): load goes on until
            # enough are in for the test to say something, then the server is killed in full flow.
            enough = senders.wait_for_acknowledged(LEAST_ACKNOWLEDGED, timeout=30)
            # In the moment a spool holds a segment: with segments stored a fraction of a second after they
            # close, a loaded machine's senders had once left every spool empty at the kill (nothing to replay).
            wait_for_a_spooled_segment(data_dir)
            kill_whole_server(server)
            senders.join()  # each sender stops at its first request without an answer
    acknowledged = senders.acknowledged
    print(f"sent {len(senders.sent())}, acknowledged {len(acknowledged)} before kill -9")
    assert enough, f"only {len(acknowledged)} hits acknowledged in {LOAD_SECONDS + 30} s"
    assert unstored_segments(data_dir), "the kill found every spool empty: nothing was left to replay"

    # The same data directory and stores: each worker claims a spool directory and replays what it holds.
    with two_workers(data_dir, stores, SHORT_SEGMENT_SECONDS) as restarted:
        restarted_at = time.monotonic()
        left = wait_until_flushed(data_dir)
        assert not left, f"{len(left)} segments still unstored after {FLUSH_TIMEOUT_SECONDS} s:\n{restarted.log()}"
        print(f"the spools were empty {time.monotonic() - restarted_at:.1f} s after the restart answered")
    exactly_once, summary = exactly_once_report(
        acknowledged, stored_per_path(clickhouse_cluster, stores.events_url, site.id)
    )
    print(summary)
    assert exactly_once, summary


def test_a_shard_stopped_for_20_s_under_load_loses_and_doubles_nothing(
    tmp_path: Path, stores: ServerStores, clickhouse_cluster: ClickHouseCluster
) -> None:
    data_dir = tmp_path / "data"
    shard = clickhouse_cluster.servers[1]  # the second shard: the first also takes the cluster's queries
    with two_workers(data_dir, stores, OUTAGE_SEGMENT_SECONDS) as server:
        site = server.new_site(server.new_account("Outage"))
        with HitSenders(server.url("/api/event"), site.id) as senders:
            assert senders.wait_for_acknowledged(LEAST_ACKNOWLEDGED, timeout=30), server.log()
            stopped_at = time.monotonic()
            shard.stop()
            try:
                time.sleep(SHARD_DOWN_SECONDS)
                backlog = len(unstored_segments(data_dir))
            finally:
                started_at = time.monotonic()
                shard.start()
                shard.wait_until_ready()
            time.sleep(1)  # hits keep coming while the flusher catches up
        answers = senders.answers
        while_down = [answer for answer in answers if answer.answered_at >= stopped_at and answer.sent_at <= started_at]
        slowest = max((answer.answered_at - answer.sent_at for answer in while_down), default=0.0)
        print(
            f"{len(answers)} hits sent, {len(while_down)} while the shard was down (slowest answer {slowest:.3f} s); "
            f"{backlog} segments waited"
        )
        assert len(while_down) >= LEAST_ACKNOWLEDGED, f"only {len(while_down)} hits sent while the shard was down"
        failed = failed_answers(while_down)
        assert not failed, f"{len(failed)} of {len(while_down)} hits refused while the shard was down: {failed[:5]}"
        not_taken = [answer for answer in answers if answer.status != 202]
        assert not not_taken, f"{len(not_taken)} of {len(answers)} hits not taken: {not_taken[:5]}"
        # The outage was one: hits waited in the spools, and the flusher saw the store refuse them.
        assert backlog > 0, "no segment waited in the spools while the shard was down"
        assert "the event store refused spooled hits" in server.log()
        left = wait_until_flushed(data_dir)
        assert not left, f"{len(left)} segments still unstored {FLUSH_TIMEOUT_SECONDS} s after the shard came back"
        print(f"the spools were empty {time.monotonic() - started_at:.1f} s after the shard came back")
    exactly_once, summary = exactly_once_report(
        senders.acknowledged, stored_per_path(clickhouse_cluster, stores.events_url, site.id)
    )
    print(summary)
    assert exactly_once, summary
