"""Data written before hits carried a region still loads: an old DuckDB file upgrades, old spool segments replay."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import orjson

from leadline.collect.flusher import Flusher
from leadline.collect.spool import Spool, frame
from leadline.store.events import Hit, HitKind, open_event_store
from leadline.store.events.base import HIT_COLUMNS, hit_to_row
from leadline.store.events.duckdb import MIGRATIONS
from leadline.store.events.spooled_rows import decode_row

REGION_MIGRATION = 5  # the schema version that added hits.region


def visit(minute: int, region: str = "") -> Hit:
    return Hit(
        site_id="A",
        timestamp=datetime(2025, 5, 1, 10, minute),
        kind=HitKind.PAGEVIEW,
        visitor_id=7,
        session_id=60,
        hostname="example.com",
        pathname=f"/{minute}",
        country_code="DE",
        city="Berlin",
        entry=minute == 1,
        region=region,
    )


def stored_rows(path: Path) -> list[tuple[object, ...]]:
    with duckdb.connect(str(path)) as connection:
        return connection.execute("SELECT pathname, city, region, entry FROM hits ORDER BY timestamp").fetchall()


def test_the_fifth_migration_adds_the_region_column() -> None:
    assert len(MIGRATIONS) >= REGION_MIGRATION  # later ones (pending_days, for compaction) came after
    assert "ADD COLUMN region" in MIGRATIONS[REGION_MIGRATION - 1]


def test_a_file_from_before_regions_upgrades_with_empty_regions_and_takes_new_ones(tmp_path: Path) -> None:
    path = tmp_path / "events.duckdb"
    with duckdb.connect(str(path)) as connection:  # a file as version 4 left it, with a stored hit
        connection.execute("CREATE TABLE leadline_schema (version INTEGER NOT NULL)")
        for number, statement in enumerate(MIGRATIONS[: REGION_MIGRATION - 1], start=1):
            for part in filter(str.strip, statement.split(";")):
                connection.execute(part)
            connection.execute("INSERT INTO leadline_schema VALUES (?)", [number])
        old_columns = [name for name in HIT_COLUMNS if name != "region"]
        connection.execute(
            f"INSERT INTO hits ({', '.join(old_columns)}) VALUES ('A', ?, 1, 7, 60, 'example.com', '/1', '', 0, "
            "'', '', '', '', '', '', '', '', '', '', '', 'DE', 'Berlin', true)",
            [datetime(2025, 5, 1, 10, 1)],
        )
    store = open_event_store(f"duckdb:///{path}")
    store.insert_hits([visit(2, "DE-BE")])
    store.close()
    assert stored_rows(path) == [("/1", "Berlin", "", True), ("/2", "Berlin", "DE-BE", False)]
    with duckdb.connect(str(path)) as connection:
        assert connection.execute("SELECT max(version) FROM leadline_schema").fetchall() == [(len(MIGRATIONS),)]


def test_spooled_rows_gain_every_column_added_since_they_were_written() -> None:
    current = hit_to_row(visit(1, "DE-BE"))
    assert decode_row(orjson.dumps(current)) == current
    before_regions = current[:-1]
    assert decode_row(orjson.dumps(before_regions)) == [*before_regions, ""]
    before_entries = current[:-2]
    assert decode_row(orjson.dumps(before_entries)) == [*before_entries, False, ""]
    assert HIT_COLUMNS[-2:] == ("entry", "region")  # the columns decode_row fills in, in that order


def test_segments_spooled_before_regions_replay_into_the_store(tmp_path: Path) -> None:
    spool_dir = tmp_path / "spool"
    spool_dir.mkdir()
    # One segment from before regions (rows one column short), one from before entry flags (two short).
    (spool_dir / "00000000000000000001-1.seg").write_bytes(frame(orjson.dumps(hit_to_row(visit(1))[:-1])))
    (spool_dir / "00000000000000000002-1.seg").write_bytes(frame(orjson.dumps(hit_to_row(visit(2))[:-2])))
    store = open_event_store(f"duckdb:///{tmp_path / 'events.duckdb'}")
    assert Flusher(Spool(spool_dir), store).flush_ready() == 2
    store.close()
    assert stored_rows(tmp_path / "events.duckdb") == [("/1", "Berlin", "", True), ("/2", "Berlin", "", False)]
