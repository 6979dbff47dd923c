"""The ClickHouse event store on a 2-shard ClickHouse 18.16 cluster: the same behaviour as the embedded store,
hits spread over both shards (a visitor's on one), and spool segments stored exactly once through crashes and
shard outages."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime, timedelta
from typing import cast

import pytest

from leadline.store.events import EventStoreUnavailableError, Hit, HitKind, open_event_store
from leadline.store.events.base import HIT_ARROW_SCHEMA, EventStoreTimeoutError, HitRow, Params, hit_to_row
from leadline.store.events.clickhouse import STORED, ClickHouseEventStore
from leadline.store.events.clickhouse_connection import parse_clickhouse_url
from leadline.store.events.clickhouse_schema import MIGRATIONS
from leadline.store.events.spooled_rows import SpooledBatch, encode_row
from tests.servers.clickhouse import ClickHouseCluster


def pageview(site_id: str, minute: int, visitor_id: int | None = None) -> Hit:
    return Hit(
        site_id=site_id,
        timestamp=datetime(2025, 5, 1, 10, minute % 60, 0, minute),
        kind=HitKind.PAGEVIEW,
        visitor_id=2**64 - 1 - minute if visitor_id is None else visitor_id,
        session_id=minute,
        hostname="example.com",
        pathname=f"/page/{minute}",
        entry=True,
    )


def completion(site_id: str, event_id: str) -> Hit:
    return Hit(
        site_id=site_id,
        timestamp=datetime(2025, 5, 1, 11, 0),
        kind=HitKind.EVENT,
        visitor_id=7,
        session_id=7,
        hostname="example.com",
        pathname="/checkout",
        event_id=event_id,
        value=1999,
    )


@pytest.fixture
def store(clickhouse_url: str) -> Iterator[ClickHouseEventStore]:
    opened = ClickHouseEventStore.from_url(clickhouse_url)
    yield opened
    opened.close()


def hits_per_shard(cluster: ClickHouseCluster, store: ClickHouseEventStore, condition: str = "1") -> list[int]:
    counts = []
    for shard in (1, 2):
        client = cluster.client(shard, store.layout.database)
        counts.append(int(client.execute(f"SELECT count() FROM hits_local WHERE {condition}")[0][0]))
        client.disconnect()
    return counts


def test_hits_round_trip_and_survive_reopening(clickhouse_url: str) -> None:
    store = open_event_store(clickhouse_url)
    store.insert_hits([pageview("A", minute) for minute in range(50)])
    store.close()
    reopened = open_event_store(clickhouse_url)
    assert reopened.count_hits("A") == 50
    assert reopened.count_hits("B") == 0
    reopened.close()


def test_hits_are_spread_over_both_shards_and_a_visitor_stays_on_one(
    store: ClickHouseEventStore, clickhouse_cluster: ClickHouseCluster
) -> None:
    store.insert_hits([pageview("A", minute, visitor_id=minute % 40) for minute in range(400)])
    per_shard = hits_per_shard(clickhouse_cluster, store)
    assert sum(per_shard) == 400 and min(per_shard) > 0, per_shard
    for visitor in range(40):
        assert sorted(hits_per_shard(clickhouse_cluster, store, f"visitor_id = {visitor}")) == [0, 10]


def test_deletes_touch_only_what_they_name_on_every_shard(
    store: ClickHouseEventStore, clickhouse_cluster: ClickHouseCluster
) -> None:
    store.insert_hits([pageview("A", minute) for minute in range(30)] + [pageview("B", 2)])
    store.insert_hits([completion("A", "BUY"), completion("A", "SIGNUP")])
    store.delete_event_data("A", "BUY")
    assert (store.count_hits("A", "BUY"), store.count_hits("A", "SIGNUP"), store.count_hits("A")) == (0, 1, 31)
    store.delete_site_data("A")
    assert (store.count_hits("A"), store.count_hits("B")) == (0, 1)
    assert sum(hits_per_shard(clickhouse_cluster, store, "site_id = 'A'")) == 0
    assert store.earliest_hit("A") is None and store.earliest_hit("B") is not None


def test_a_new_database_is_at_the_newest_schema_version_on_every_shard(store: ClickHouseEventStore) -> None:
    assert store.schema_versions() == [len(MIGRATIONS)] * 2
    assert store.features.version[:2] == (18, 16)  # Debian's package: plain columns, no codecs


def test_opening_again_migrates_nothing_and_keeps_the_hits(clickhouse_url: str) -> None:
    first = ClickHouseEventStore.from_url(clickhouse_url)
    first.insert_hits([pageview("A", 1)])
    first.close()
    second = ClickHouseEventStore.from_url(clickhouse_url)
    assert second.schema_versions() == [len(MIGRATIONS)] * 2 and second.count_hits("A") == 1
    second.close()


def test_a_sites_history_comes_out_by_time_window_with_every_column(store: ClickHouseEventStore) -> None:
    store.insert_hits([pageview("A", minute) for minute in range(10)] + [pageview("B", 3), completion("A", "E1")])
    window = store.read_hits("A", datetime(2025, 5, 1, 10, 2), datetime(2025, 5, 1, 11, 0, 1))
    assert window.schema == HIT_ARROW_SCHEMA
    rows = window.to_pylist()
    assert [row["pathname"] for row in rows] == [f"/page/{minute}" for minute in range(2, 10)] + ["/checkout"]
    assert rows[0]["visitor_id"] == 2**64 - 1 - 2 and rows[-1]["value"] == 1999 and rows[-1]["event_id"] == "E1"
    # pageview() stamps minute m at m microseconds past it: kept to the whole second, as every store keeps instants
    assert rows[0]["timestamp"] == datetime(2025, 5, 1, 10, 2) and rows[0]["entry"] is True
    assert store.read_hits("C", datetime(2025, 1, 1), datetime(2026, 1, 1)).num_rows == 0


def test_daily_counts_are_per_utc_day(store: ClickHouseEventStore) -> None:
    late = Hit("A", datetime(2025, 5, 2, 23, 59, 59, 999999), HitKind.PAGEVIEW, 1, 1, "example.com", "/")
    store.insert_hits([pageview("A", 1), pageview("A", 2), late, pageview("B", 1)])
    assert store.daily_counts("A") == {date(2025, 5, 1): 2, date(2025, 5, 2): 1}
    assert store.daily_counts("C") == {}


def test_earliest_hit_and_recent_sessions(store: ClickHouseEventStore) -> None:
    assert store.earliest_hit("A") is None
    store.insert_hits([pageview("A", 5), pageview("A", 3), completion("A", "E1")])
    assert store.earliest_hit("A") == int(datetime(2025, 5, 1, 10, 3).timestamp() - datetime(1970, 1, 1).timestamp())
    sessions = {row[:3]: row[3:] for row in store.recent_sessions(datetime(2025, 5, 1, 10, 4))}
    assert set(sessions) == {("A", 2**64 - 1 - 5, 5), ("A", 7, 7)}
    first, last, has_pageview = sessions[("A", 2**64 - 1 - 5, 5)]
    assert first == last == datetime(2025, 5, 1, 10, 5).timestamp() - datetime(1970, 1, 1).timestamp()
    assert has_pageview and not sessions[("A", 7, 7)][2]


def test_a_batch_is_stored_once_however_often_it_is_offered(store: ClickHouseEventStore) -> None:
    rows = [hit_to_row(pageview("A", minute)) for minute in range(20)]
    assert store.insert_batch("segment-1", rows) is True
    assert store.insert_batch("segment-1", rows) is False
    assert store.insert_batch("segment-2", rows[:5]) is True
    assert store.insert_batch("empty", []) is True and store.insert_batch("empty", []) is False
    assert store.count_hits("A") == 25


def test_spooled_records_are_stored_as_the_rows_they_encode(store: ClickHouseEventStore) -> None:
    hits = [pageview("S", minute) for minute in range(4)]
    rows = [hit_to_row(hit) for hit in hits]
    decoded = SpooledBatch([encode_row(row) for row in rows[:2]])  # rows not kept: decoded from the records
    kept = SpooledBatch([encode_row(row) for row in rows[2:]], rows[2:])
    assert store.insert_spooled("segment-s1", decoded) is True and store.insert_spooled("segment-s2", kept) is True
    assert store.insert_spooled("segment-s1", decoded) is False
    table = store.read_hits("S", datetime(2025, 5, 1), datetime(2025, 5, 2))
    assert table.column("visitor_id").to_pylist() == [hit.visitor_id for hit in hits]


class DiesAfterInsert(ClickHouseEventStore):
    """A store whose process dies right after the rows are in, before its bookkeeping records them."""

    def _mark(self, batch_id: str, batch: int, state: int) -> None:
        if state == STORED:
            raise SystemExit("killed between the insert and its bookkeeping")
        super()._mark(batch_id, batch, state)


class DiesMidInsert(ClickHouseEventStore):
    """A store whose process dies after inserting the first half of a batch's rows."""

    def _append(self, rows: Sequence[HitRow], batch: int) -> None:
        super()._append(rows[: len(rows) // 2], batch)
        raise SystemExit("killed in the middle of the insert")


@pytest.mark.parametrize("crashing_store", [DiesAfterInsert, DiesMidInsert])
def test_a_batch_replayed_after_a_crash_is_stored_exactly_once(
    clickhouse_url: str, crashing_store: type[ClickHouseEventStore]
) -> None:
    rows = [hit_to_row(pageview(site, minute, visitor_id=minute)) for site in "AB" for minute in range(30)]
    dying = crashing_store.from_url(clickhouse_url)
    with pytest.raises(SystemExit):
        dying.insert_batch("segment-1", rows)
    dying.close()
    restarted = ClickHouseEventStore.from_url(clickhouse_url)
    restarted.insert_batch("segment-1", rows)  # the spool replays the segment it could not mark as stored
    assert restarted.insert_batch("segment-1", rows) is False
    assert (restarted.count_hits("A"), restarted.count_hits("B")) == (30, 30)
    assert sorted(restarted.read_hits("A", datetime(2025, 1, 1), datetime(2026, 1, 1))["pathname"].to_pylist()) == (
        sorted(f"/page/{minute}" for minute in range(30))
    )
    restarted.close()


def test_a_stopped_shard_makes_inserts_fail_retryably_and_nothing_is_lost_or_doubled(
    store: ClickHouseEventStore, clickhouse_cluster: ClickHouseCluster
) -> None:
    rows = [hit_to_row(pageview("A", minute, visitor_id=minute)) for minute in range(60)]
    second_shard = clickhouse_cluster.servers[1]
    second_shard.stop()
    try:
        with pytest.raises(EventStoreUnavailableError):
            store.insert_batch("segment-1", rows)
        with pytest.raises(EventStoreUnavailableError):
            store.count_hits("A")
    finally:
        second_shard.start()
        second_shard.wait_until_ready()
    for _ in range(2):  # the flusher retries until it succeeds; a retry after that is a no-op
        store.insert_batch("segment-1", rows)
    assert store.count_hits("A") == 60
    assert min(hits_per_shard(clickhouse_cluster, store, "site_id = 'A'")) > 0


def test_a_report_past_its_time_limit_is_stopped(store: ClickHouseEventStore) -> None:
    endless = "SELECT count() FROM system.numbers WHERE number % 7 = 3"  # reads numbers until stopped
    with pytest.raises(EventStoreTimeoutError):
        store.fetch(endless.replace("%", "%%"), Params("pyformat"), timeout_seconds=1)
    assert store.count_hits("A") == 0  # the store stays usable


def test_a_single_server_without_a_cluster_holds_every_hit_itself(clickhouse_cluster: ClickHouseCluster) -> None:
    store = open_event_store(clickhouse_cluster.new_url(cluster=False))
    store.insert_batch("segment-1", [hit_to_row(pageview("A", minute)) for minute in range(10)])
    assert store.count_hits("A") == 10 and store.insert_batch("segment-1", []) is False
    store.delete_site_data("A")
    assert store.count_hits("A") == 0
    store.close()


def test_events_urls_name_the_server_database_and_cluster() -> None:
    address = parse_clickhouse_url("clickhouse://leadline:s%40cret@ch1.internal:9440/analytics?cluster=leadline")
    assert (address.host, address.port, address.database, address.cluster) == (
        "ch1.internal",
        9440,
        "analytics",
        "leadline",
    )
    assert (address.user, address.password) == ("leadline", "s@cret") and "s@cret" not in repr(address)
    assert parse_clickhouse_url("clickhouse://localhost").port == 9000
    with pytest.raises(ValueError, match="letters, digits and underscores"):
        parse_clickhouse_url("clickhouse://localhost:9000/events;DROP")


def test_bookkeeping_of_segments_stored_months_ago_is_forgotten_at_start(clickhouse_url: str) -> None:
    store = ClickHouseEventStore.from_url(clickhouse_url)
    store.insert_batch("recent", [])
    with store._pool.client() as client:  # a mark as a store running in spring would have left it
        client.execute(
            "INSERT INTO stored_batches (batch_id, batch, state, recorded_at) VALUES",
            [("from-spring", 1, STORED, datetime.now() - timedelta(days=200))],
        )
    store.close()
    reopened = ClickHouseEventStore.from_url(clickhouse_url)
    remembered = reopened.fetch("SELECT DISTINCT batch_id FROM stored_batches", Params("pyformat"))
    assert remembered == [("recent",)]
    reopened.close()


def test_an_imported_days_batch_is_remembered_for_good(clickhouse_url: str) -> None:
    store = ClickHouseEventStore.from_url(clickhouse_url)
    rows = [hit_to_row(pageview("A", minute)) for minute in range(3)]
    assert store.insert_batch("import:A:0123abcd", rows) is True
    store.close()
    reopened = ClickHouseEventStore.from_url(clickhouse_url)  # the start that forgets months-old segments
    assert reopened.insert_batch("import:A:0123abcd", rows) is False
    assert reopened.count_hits("A") == 3
    reopened.close()


def test_a_batch_spooled_with_microseconds_is_stored_to_the_second(store: ClickHouseEventStore) -> None:
    row = hit_to_row(pageview("A", 1))
    row[1] = cast(int, row[1]) + 999_999  # as an earlier version spooled it: a fraction of a second past 10:01
    assert store.insert_batch("segment-with-microseconds", [row])
    window = store.read_hits("A", datetime(2025, 5, 1), datetime(2025, 5, 2)).to_pylist()
    assert [hit["timestamp"] for hit in window] == [datetime(2025, 5, 1, 10, 1)]
