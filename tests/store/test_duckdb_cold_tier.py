"""The cold tier of the DuckDB store: settled days older than COLD_AFTER_DAYS kept as Parquet files, one per UTC
month and table, and every report answering as before.

Rows only change tier (in one transaction with the view that unites both), so the oracle over the hits stored
agrees before and after; late hits and an event's wipe bring their months back to the tables, which freeze
again; a site's deletion drops its files; a process killed while freezing leaves every hit counted once and
no stray file; a report that began before a change of tier reads what it began with; a backup holds every hit
in one file.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import stat
import subprocess
import sys
import textwrap
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadline.config import Settings
from leadline.store.events import Hit, HitKind, duckdb_cold
from leadline.store.events.base import Params
from leadline.store.events.duckdb import DuckDBEventStore
from tests.query.strategies import EVENTS, query_params, traffic
from tests.store.test_duckdb_compaction import (
    EVERY_DAY_CLOSED,
    FIXED_REPORTS,
    Stores,
    assert_report_equals_oracle,
    fixed_report,
    late_hits,
    month_of_traffic,
    pending_days,
)

# Traffic from 2026-05-01 (month_of_traffic): days before June 10 freeze, May whole and June in part.
FROZEN_BEFORE = date(2026, 6, 10)


def cold_files(store: DuckDBEventStore) -> list[tuple[str, str, date, date]]:
    """(tier, name, month, until) of each listed file."""
    rows = store.fetch("SELECT tier, name, month, until FROM cold_files ORDER BY tier, month", Params("qmark"))
    return [(str(tier), str(name), month, until) for tier, name, month, until in rows]


def live_rows(store: DuckDBEventStore, table: str) -> int:
    return int(store.fetch(f"SELECT count(*) FROM {table}", Params("qmark"))[0][0])


def other_visitors(hits: list[Hit], later_by_days: int = 0) -> list[Hit]:
    """The same hits from other visitors, as many days later: late hits, as a spool replayed after an outage
    brings."""
    shift = timedelta(days=later_by_days)
    return [
        dataclasses.replace(
            hit,
            visitor_id=hit.visitor_id + 10**6,
            timestamp=hit.timestamp + shift,
            session_id=hit.session_id + int(shift.total_seconds()),
        )
        for hit in hits
    ]


def assert_reports_equal_oracle(stores: Stores, site_id: str, hits: list[Hit]) -> None:
    for params in FIXED_REPORTS:
        assert_report_equals_oracle(stores, fixed_report(site_id, params), hits)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_reports_equal_the_oracle_whichever_days_are_cold_through_late_hits_and_wipes(
    shared_stores: Stores, data: st.DataObject
) -> None:
    stores = shared_stores
    site_id = stores.new_site()
    generated = data.draw(traffic(site_id))
    stores.events.insert_hits(generated.hits)
    queries = [data.draw(query_params(site_id, generated.window_start)) for _ in range(3)]
    # The cutoff anywhere from before the traffic's first day to after its last (windows cross month ends).
    first_day = datetime.fromtimestamp(generated.window_start, UTC).date()
    frozen_before = first_day + timedelta(days=data.draw(st.integers(0, 7)))

    def all_equal_oracle(hits: list[Hit]) -> None:
        for params in queries:
            assert_report_equals_oracle(stores, params, hits)

    stores.events.compact_closed_days(EVERY_DAY_CLOSED, frozen_before=frozen_before)
    all_equal_oracle(generated.hits)

    # Late hits from other visitors, into the same days, cold or not: counted at once, and after compaction.
    late = late_hits(generated, data.draw(traffic(site_id)))
    stores.events.insert_hits(late)
    all_equal_oracle(generated.hits + late)
    stores.events.compact_closed_days(EVERY_DAY_CLOSED, frozen_before=frozen_before)
    all_equal_oracle(generated.hits + late)

    wiped = EVENTS[data.draw(st.sampled_from(sorted(EVENTS)))]
    stores.events.delete_event_data(site_id, wiped)
    remaining = [hit for hit in generated.hits + late if not (hit.kind is HitKind.EVENT and hit.event_id == wiped)]
    all_equal_oracle(remaining)
    stores.events.compact_closed_days(EVERY_DAY_CLOSED, frozen_before=frozen_before)
    all_equal_oracle(remaining)
    assert stores.events.count_hits(site_id) == len(remaining)


def test_settled_days_older_than_the_cutoff_go_to_one_parquet_file_per_month_and_table(stores: Stores) -> None:
    site_id = stores.new_site()
    hits = month_of_traffic(site_id, days=60)  # May and June
    stores.events.insert_hits(hits)
    assert_reports_equal_oracle(stores, site_id, hits)

    run = stores.events.compact_closed_days(EVERY_DAY_CLOSED, frozen_before=FROZEN_BEFORE)
    cold = [hit for hit in hits if hit.timestamp.date() < FROZEN_BEFORE]
    assert run.frozen_files == 4 and run.frozen_rows > 0
    files = cold_files(stores.events)
    assert [(tier, month, until) for tier, _, month, until in files] == [
        ("hits", date(2026, 5, 1), date(2026, 6, 1)),
        ("hits", date(2026, 6, 1), FROZEN_BEFORE),
        ("settled_sessions", date(2026, 5, 1), date(2026, 6, 1)),
        ("settled_sessions", date(2026, 6, 1), FROZEN_BEFORE),
    ]
    directory = stores.path.with_name("events.duckdb.cold")
    assert sorted(path.name for path in directory.iterdir()) == sorted(name for _, name, _, _ in files)
    assert all(stat.S_IMODE(path.stat().st_mode) == 0o600 for path in directory.iterdir())
    # The tables keep only the days after the cutoff; the views hold every hit once.
    assert live_rows(stores.events, "live_hits") == len(hits) - len(cold)
    assert stores.events.count_hits(site_id) == len(hits)
    assert stores.events.cold_bytes() == sum(path.stat().st_size for path in directory.iterdir())
    assert_reports_equal_oracle(stores, site_id, hits)

    # Later, more days are old enough: June's file is rewritten whole, with the days frozen before.
    stores.events.compact_closed_days(EVERY_DAY_CLOSED, frozen_before=date(2026, 6, 20))
    june = [until for tier, _, month, until in cold_files(stores.events) if month == date(2026, 6, 1)]
    assert june == [date(2026, 6, 20), date(2026, 6, 20)]
    assert len(cold_files(stores.events)) == 4
    assert_reports_equal_oracle(stores, site_id, hits)


def test_a_report_of_days_after_every_cold_one_reads_the_tables_alone(stores: Stores) -> None:
    site_id = stores.new_site()
    hits = month_of_traffic(site_id, days=60)
    stores.events.insert_hits(hits)
    stores.events.compact_closed_days(EVERY_DAY_CLOSED, frozen_before=FROZEN_BEFORE)
    live = live_rows(stores.events, "live_hits")
    bound = int(datetime(2026, 6, 10, tzinfo=UTC).timestamp())

    def count(reads_from: int | None) -> int:
        rows = stores.events.fetch("SELECT count(*) FROM hits", Params("qmark"), reads_from=reads_from)
        return int(rows[0][0])

    # A statement that says it reads nothing before the cold files' last day sees the tables alone (all of it,
    # here, as it claims more than it reads); one that may read earlier days sees every hit.
    assert count(bound) == live < len(hits)
    assert count(bound - 1) == count(None) == len(hits)
    # The cursor is left as it was: the next statement sees every hit.
    assert all(count(None) == len(hits) for _ in range(3))


def test_a_month_frozen_again_with_an_earlier_cutoff_keeps_every_row_its_file_held(stores: Stores) -> None:
    site_id = stores.new_site()
    hits = month_of_traffic(site_id, days=60)
    stores.events.insert_hits(hits)
    stores.events.compact_closed_days(EVERY_DAY_CLOSED, frozen_before=date(2026, 6, 20))
    # Hits that reached a frozen month unmarked (a batch stored while its day was being compacted), then a run
    # whose cutoff is earlier (a clock set back): June's file is rewritten with at least the days it held.
    late = other_visitors(month_of_traffic(site_id, days=4), later_by_days=31)
    stores.events.insert_hits(late)
    stores.events.fetch("DELETE FROM pending_days", Params("qmark"))
    stores.events.compact_closed_days(EVERY_DAY_CLOSED, frozen_before=FROZEN_BEFORE)

    june = [until for tier, _, month, until in cold_files(stores.events) if month == date(2026, 6, 1)]
    assert june == [date(2026, 6, 20), date(2026, 6, 20)]
    assert stores.events.count_hits(site_id) == len(hits) + len(late)


def test_late_hits_and_an_event_wipe_bring_their_month_back_and_it_freezes_again(stores: Stores) -> None:
    site_id = stores.new_site()
    hits = month_of_traffic(site_id, days=24)  # May
    stores.events.insert_hits(hits)
    stores.events.compact_closed_days(EVERY_DAY_CLOSED, frozen_before=FROZEN_BEFORE)
    assert live_rows(stores.events, "live_hits") == 0

    # Late hits (a spool replayed after an outage) from other visitors, in the frozen month: counted at once.
    late = other_visitors(month_of_traffic(site_id, days=4))
    stores.events.insert_hits(late)
    assert_reports_equal_oracle(stores, site_id, hits + late)
    # Compaction thaws the month to rewrite its days, then it freezes again, whole.
    run = stores.events.compact_closed_days(EVERY_DAY_CLOSED, frozen_before=FROZEN_BEFORE)
    assert run.hits >= len(late) and run.frozen_files == 2
    assert live_rows(stores.events, "live_hits") == 0 and len(cold_files(stores.events)) == 2
    assert_reports_equal_oracle(stores, site_id, hits + late)

    stores.events.delete_event_data(site_id, EVENTS["Purchase"])
    remaining = [hit for hit in hits + late if not (hit.kind is HitKind.EVENT and hit.event_id == EVENTS["Purchase"])]
    assert len(remaining) < len(hits + late)
    assert cold_files(stores.events) == []  # back in the tables, where the wipe deleted its hits
    assert_reports_equal_oracle(stores, site_id, remaining)
    stores.events.compact_closed_days(EVERY_DAY_CLOSED, frozen_before=FROZEN_BEFORE)
    assert pending_days(stores.events) == 0 and len(cold_files(stores.events)) == 2
    assert_reports_equal_oracle(stores, site_id, remaining)


def test_deleting_a_site_drops_its_files_and_keeps_the_others(stores: Stores) -> None:
    deleted, kept = stores.new_site(), stores.new_site()
    deleted_hits, kept_hits = month_of_traffic(deleted), month_of_traffic(kept)
    stores.events.insert_hits(deleted_hits + kept_hits)
    stores.events.compact_closed_days(EVERY_DAY_CLOSED, frozen_before=FROZEN_BEFORE)
    assert len(cold_files(stores.events)) == 4

    stores.events.delete_site_data(deleted)
    assert stores.events.count_hits(deleted) == 0 and len(cold_files(stores.events)) == 2
    assert_reports_equal_oracle(stores, deleted, [])
    assert_reports_equal_oracle(stores, kept, kept_hits)


def test_a_report_that_began_before_a_thaw_reads_the_files_it_began_with(
    stores: Stores, monkeypatch: pytest.MonkeyPatch
) -> None:
    site_id = stores.new_site()
    hits = month_of_traffic(site_id)
    stores.events.insert_hits(hits)
    stores.events.compact_closed_days(EVERY_DAY_CLOSED, frozen_before=FROZEN_BEFORE)
    reader = stores.events._second_connection()
    reader.execute("BEGIN")
    assert reader.execute("SELECT count(*) FROM hits").fetchone() == (len(hits),)

    stores.events.delete_event_data(site_id, EVENTS["Purchase"])  # thaws May: its files are unlisted
    stores.events.compact_closed_days(EVERY_DAY_CLOSED, frozen_before=FROZEN_BEFORE)  # and May freezes again
    # Still on disk for the report in flight, which reads the store as it was when it began.
    assert reader.execute("SELECT count(*) FROM hits").fetchone() == (len(hits),)
    reader.execute("COMMIT")
    reader.close()
    directory = stores.path.with_name("events.duckdb.cold")
    assert len(list(directory.iterdir())) == 4  # two listed, two retired

    monkeypatch.setattr(duckdb_cold, "RETIRED_FILE_SECONDS", 0.0)  # once no report can read them
    stores.events.compact_closed_days(EVERY_DAY_CLOSED, frozen_before=FROZEN_BEFORE)
    assert sorted(path.name for path in directory.iterdir()) == sorted(
        name for _, name, _, _ in cold_files(stores.events)
    )


# Freezes in a process of its own, killed with SIGKILL once the file of the month's hits is written and the live
# rows deleted, before the commit that would list the file.
FREEZING_PROCESS = textwrap.dedent(
    """
    import os, signal, sys
    from datetime import date
    from leadline.store.events import duckdb_cold
    from leadline.store.events.duckdb import DuckDBEventStore

    store = DuckDBEventStore(sys.argv[1])
    print("freezing", flush=True)

    def run(sql, params):
        if sql.startswith("INSERT INTO cold_files"):
            os.kill(os.getpid(), signal.SIGKILL)
        return store._run(sql, params)

    duckdb_cold.freeze_settled_months(lambda: True, run, store._cold, date(2026, 6, 10), Exception)
    print("finished", flush=True)
    """
)


def test_a_process_killed_while_freezing_leaves_every_hit_once_and_no_stray_file(
    stores: Stores, monkeypatch: pytest.MonkeyPatch
) -> None:
    site_id = stores.new_site()
    hits = month_of_traffic(site_id)
    stores.events.insert_hits(hits)
    stores.events.compact_closed_days(EVERY_DAY_CLOSED, frozen_before=date(2000, 1, 1))  # compacted, none cold
    stores.events.close()  # DuckDB lets one process at a time open the file: the freezing one now

    process = subprocess.Popen(
        [sys.executable, "-c", FREEZING_PROCESS, str(stores.path)], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "freezing"
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL, process.stdout.read()
    directory = stores.path.with_name("events.duckdb.cold")
    assert len(list(directory.iterdir())) == 1  # written, never listed

    stores.reopen_events()
    assert len(list(directory.iterdir())) == 1  # kept while young: another store of the file may be listing it
    stores.events.close()
    monkeypatch.setattr(duckdb_cold, "RETIRED_FILE_SECONDS", 0.0)
    stores.reopen_events()
    assert list(directory.iterdir()) == []  # removed at open once old enough
    assert cold_files(stores.events) == [] and live_rows(stores.events, "live_hits") == len(hits)
    assert_reports_equal_oracle(stores, site_id, hits)
    stores.events.compact_closed_days(EVERY_DAY_CLOSED, frozen_before=FROZEN_BEFORE)  # the next run freezes
    assert len(cold_files(stores.events)) == 2 and stores.events.count_hits(site_id) == len(hits)
    assert_reports_equal_oracle(stores, site_id, hits)


def test_a_backup_of_a_store_with_cold_days_is_one_file_holding_every_hit(stores: Stores, tmp_path: Path) -> None:
    site_id = stores.new_site()
    hits = month_of_traffic(site_id, days=60)
    stores.events.insert_hits(hits)
    stores.events.compact_closed_days(EVERY_DAY_CLOSED, frozen_before=FROZEN_BEFORE)
    assert cold_files(stores.events)
    restored_directory = tmp_path / "restored"
    restored_directory.mkdir()
    stores.events.copy_to(restored_directory / "events.duckdb")
    os.chmod(restored_directory / "events.duckdb", 0o600)

    stores.events.close()
    stores.path = restored_directory / "events.duckdb"
    stores.reopen_events()  # the backup, opened where the original's files are not
    assert cold_files(stores.events) == [] and stores.events.count_hits(site_id) == len(hits)
    assert_reports_equal_oracle(stores, site_id, hits)
    stores.events.compact_closed_days(EVERY_DAY_CLOSED, frozen_before=FROZEN_BEFORE)  # its days freeze again
    assert len(cold_files(stores.events)) == 4
    assert_reports_equal_oracle(stores, site_id, hits)


def test_the_default_cutoff_keeps_a_dashboards_last_month_in_the_tables() -> None:
    assert duckdb_cold.COLD_AFTER_DAYS > 31 + 1  # the 30-day view, a zone's day either side, and a margin
    assert timedelta(days=duckdb_cold.COLD_AFTER_DAYS) < timedelta(days=62)
    assert Settings.model_fields["cold_after_days"].default == duckdb_cold.COLD_AFTER_DAYS  # the job's, too
