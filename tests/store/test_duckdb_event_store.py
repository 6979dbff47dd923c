"""The embedded event store: batches in, counts out, deletes by site and by event."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from leadline.store.events import Hit, HitKind, open_event_store
from leadline.store.events.base import HIT_ARROW_SCHEMA, Params, hit_to_row
from leadline.store.events.duckdb import MIGRATIONS


def pageview(site_id: str, minute: int) -> Hit:
    return Hit(
        site_id=site_id,
        timestamp=datetime(2025, 5, 1, 10, minute),
        kind=HitKind.PAGEVIEW,
        visitor_id=2**64 - 1 - minute,
        session_id=minute,
        hostname="example.com",
        pathname=f"/page/{minute}",
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


def test_hits_round_trip_and_survive_reopening(tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path / 'events.duckdb'}"
    store = open_event_store(url)
    store.insert_hits([pageview("A", minute) for minute in range(50)])
    store.close()
    reopened = open_event_store(url)
    assert reopened.count_hits("A") == 50
    assert reopened.count_hits("B") == 0
    reopened.close()


def test_deletes_touch_only_what_they_name(tmp_path: Path) -> None:
    store = open_event_store(f"duckdb:///{tmp_path / 'events.duckdb'}")
    store.insert_hits([pageview("A", 1), pageview("B", 2), completion("A", "BUY"), completion("A", "SIGNUP")])
    store.delete_event_data("A", "BUY")
    assert (store.count_hits("A", "BUY"), store.count_hits("A", "SIGNUP"), store.count_hits("A")) == (0, 1, 2)
    store.delete_site_data("A")
    assert (store.count_hits("A"), store.count_hits("B")) == (0, 1)
    store.close()


def test_a_new_file_is_at_the_newest_schema_version(tmp_path: Path) -> None:
    import duckdb

    open_event_store(f"duckdb:///{tmp_path / 'events.duckdb'}").close()
    with duckdb.connect(str(tmp_path / "events.duckdb")) as connection:
        assert connection.execute("SELECT max(version) FROM leadline_schema").fetchall() == [(len(MIGRATIONS),)]


def test_upgrading_flags_the_entry_pageview_of_stored_sessions(tmp_path: Path) -> None:
    import duckdb

    path = tmp_path / "events.duckdb"
    with duckdb.connect(str(path)) as connection:  # a file as version 2 left it
        connection.execute("CREATE TABLE leadline_schema (version INTEGER NOT NULL)")
        for number, statement in enumerate(MIGRATIONS[:2], start=1):
            for part in filter(str.strip, statement.split(";")):
                connection.execute(part)
            connection.execute("INSERT INTO leadline_schema VALUES (?)", [number])
        for minute, kind in ((1, 2), (2, 1), (3, 1)):  # an event, then the entry pageview, then another
            connection.execute(
                "INSERT INTO hits VALUES ('A', ?, ?, 7, 60, 'h', ?, '', 0, '', '', '', '', '', '', '', '', '', '', '',"
                " '', '')",
                [datetime(2025, 5, 1, 10, minute), kind, f"/{minute}"],
            )
    store = open_event_store(f"duckdb:///{path}")
    store.close()
    with duckdb.connect(str(path)) as connection:
        assert connection.execute("SELECT pathname FROM hits WHERE entry").fetchall() == [("/2",)]


def table_names(path: Path) -> set[str]:
    import duckdb

    with duckdb.connect(str(path)) as connection:
        return {name for (name,) in connection.execute("SELECT table_name FROM information_schema.tables").fetchall()}


def test_upgrading_drops_the_sessions_table_nothing_wrote(tmp_path: Path) -> None:
    import duckdb

    path = tmp_path / "events.duckdb"
    with duckdb.connect(str(path)) as connection:  # a file as version 3 left it
        connection.execute("CREATE TABLE leadline_schema (version INTEGER NOT NULL)")
        for number, statement in enumerate(MIGRATIONS[:3], start=1):
            for part in filter(str.strip, statement.split(";")):
                connection.execute(part)
            connection.execute("INSERT INTO leadline_schema VALUES (?)", [number])
    assert "sessions" in table_names(path)
    open_event_store(f"duckdb:///{path}").close()
    tables = {"hits", "stored_batches", "leadline_schema", "pending_days", "settled_sessions", "settled_days"}
    tables |= {"live_hits", "live_settled_sessions", "cold_files", "retired_cold_files"}  # hits: a view now
    rollups = {"daily_rollups", "quarter_hour_rollups", "event_rollups", "visitor_quarter_hours", "visitor_crossings"}
    assert table_names(path) == tables | rollups | {"unsummable_sites"}


def test_a_sites_history_comes_out_by_time_window_with_every_column(tmp_path: Path) -> None:
    store = open_event_store(f"duckdb:///{tmp_path / 'events.duckdb'}")
    store.insert_hits([pageview("A", minute) for minute in range(10)] + [pageview("B", 3), completion("A", "E1")])
    window = store.read_hits("A", datetime(2025, 5, 1, 10, 2), datetime(2025, 5, 1, 11, 0, 1))
    assert window.schema == HIT_ARROW_SCHEMA
    rows = window.to_pylist()
    assert [row["pathname"] for row in rows] == [f"/page/{minute}" for minute in range(2, 10)] + ["/checkout"]
    assert rows[0]["visitor_id"] == 2**64 - 1 - 2 and rows[-1]["value"] == 1999 and rows[-1]["event_id"] == "E1"
    store.close()


def test_daily_counts_are_per_utc_day(tmp_path: Path) -> None:
    store = open_event_store(f"duckdb:///{tmp_path / 'events.duckdb'}")
    late = Hit("A", datetime(2025, 5, 2, 23, 59), HitKind.PAGEVIEW, 1, 1, "example.com", "/")
    store.insert_hits([pageview("A", 1), pageview("A", 2), late, pageview("B", 1)])
    assert store.daily_counts("A") == {date(2025, 5, 1): 2, date(2025, 5, 2): 1}
    assert store.daily_counts("C") == {}
    store.close()


def test_a_segments_batch_id_is_forgotten_after_a_week_and_an_imported_days_never(tmp_path: Path) -> None:
    store = open_event_store(f"duckdb:///{tmp_path / 'events.duckdb'}")
    rows = [hit_to_row(pageview("A", minute)) for minute in range(3)]
    assert store.insert_batch("segment-1", rows) and store.insert_batch("import:A:0123abcd", rows)
    store.fetch("UPDATE stored_batches SET stored_at = stored_at - INTERVAL 8 DAY", Params("qmark"))
    assert store.insert_batch("segment-2", [])  # a batch stored now forgets those older than a week
    remembered = store.fetch("SELECT batch_id FROM stored_batches ORDER BY batch_id", Params("qmark"))
    assert remembered == [("import:A:0123abcd",), ("segment-2",)]
    assert store.insert_batch("import:A:0123abcd", rows) is False
    assert store.count_hits("A") == 6
    store.close()


def test_a_store_closed_twice_closes_once_and_then_refuses_reports(tmp_path: Path) -> None:
    store = open_event_store(f"duckdb:///{tmp_path / 'events.duckdb'}")
    store.close()
    store.close()  # a deployment closing a store its user closed already: no wait for cursors that are gone
    with pytest.raises(duckdb.ConnectionException):
        store.fetch("SELECT 1", Params("qmark"))
