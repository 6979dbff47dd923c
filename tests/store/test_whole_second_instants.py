"""Instants are kept to the whole second: a hit's, however it arrives (the collector, a Hit built in code, a row
spooled by an earlier version that stamped microseconds), on every store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

from leadline.collect.payload import parse_payload
from leadline.collect.pending_hit import PendingHit
from leadline.store.events import Hit, HitKind
from leadline.store.events.base import hit_to_row, in_whole_seconds
from leadline.store.events.duckdb import DuckDBEventStore

MOMENT = datetime(2026, 5, 4, 10, 30, 15)


def visit(timestamp: datetime, path: str = "/") -> Hit:
    return Hit("A", timestamp, HitKind.PAGEVIEW, 7, 60, "example.com", path)


def test_a_hit_keeps_its_instant_to_the_second_it_fell_in() -> None:
    assert visit(MOMENT.replace(microsecond=999_999)).timestamp == MOMENT  # cut, never rounded up
    assert visit(MOMENT).timestamp == MOMENT
    assert (
        hit_to_row(visit(MOMENT.replace(microsecond=500_000)))[1] == int(MOMENT.replace(tzinfo=UTC).timestamp()) * 10**6
    )


def test_the_collector_stamps_the_second_a_hit_arrived_in() -> None:
    arrived = MOMENT.replace(microsecond=987_654, tzinfo=UTC).timestamp()
    hit = PendingHit(parse_payload(b'{"site": "S", "url": "https://shop.example/"}'), arrived, "203.0.113.5", "")
    assert hit.timestamp == int(MOMENT.replace(tzinfo=UTC).timestamp()) * 10**6
    assert hit.to_hit().timestamp == MOMENT


def test_rows_spooled_with_microseconds_are_cut_and_whole_ones_pass_untouched() -> None:
    whole = [hit_to_row(visit(MOMENT)), hit_to_row(visit(MOMENT, "/b"))]
    assert in_whole_seconds(whole) is whole  # the collector's rows: no copy on the flusher's path
    second = cast(int, whole[0][1])
    spooled_before = [[*whole[0][:1], second + 999_999, *whole[0][2:]], whole[1]]
    assert [row[1] for row in in_whole_seconds(spooled_before)] == [second, second]
    assert spooled_before[0][1] == second + 999_999  # the caller's rows are left as they were


def test_the_embedded_store_keeps_a_batch_spooled_with_microseconds_to_the_second(tmp_path: Path) -> None:
    store = DuckDBEventStore(tmp_path / "events.duckdb")
    row = hit_to_row(visit(MOMENT))
    row[1] = cast(int, row[1]) + 999_999  # as an earlier version spooled it: 15.999999 s past the minute
    assert store.insert_batch("segment-1", [row])
    window = store.read_hits("A", datetime(2026, 5, 4), datetime(2026, 5, 5)).to_pylist()
    assert [hit["timestamp"] for hit in window] == [MOMENT]
    store.close()


def test_a_window_with_fractional_ends_holds_the_whole_seconds_inside_it(tmp_path: Path) -> None:
    store = DuckDBEventStore(tmp_path / "events.duckdb")
    store.insert_hits([visit(MOMENT, "/a"), visit(MOMENT + timedelta(seconds=1), "/b")])
    half = timedelta(milliseconds=500)
    inside = store.read_hits("A", MOMENT + half, MOMENT + timedelta(seconds=1) + half).to_pylist()
    assert [hit["pathname"] for hit in inside] == ["/b"]  # 10:30:15 is before the start, 10:30:16 within
    assert store.read_hits("A", MOMENT - half, MOMENT + half).to_pylist()[0]["pathname"] == "/a"
    store.close()
