"""Compaction of closed days in the DuckDB store: smaller, and every report answers exactly as before.

Rows are only moved (a day's hits rewritten in session order, its visitors renamed one for one), so the oracle
over the hits stored must agree before and after; late hits put a compacted day back in line; wipes and
deletions still apply; and a process killed in the middle of a compaction leaves every hit counted exactly
once.
"""

from __future__ import annotations

import dataclasses
import itertools
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadline.query.model import EVENT_GROUPING
from leadline.query.oracle import expected_rows
from leadline.query.parse import parse_report_query
from leadline.query.report import run_report
from leadline.store.events import Hit, HitKind
from leadline.store.events.base import Params
from leadline.store.events.duckdb import MIGRATIONS, DuckDBEventStore
from leadline.store.events.duckdb_compaction import PENDING_DAYS_MIGRATION, WHOLE_SECONDS_MIGRATION, day_runs
from leadline.store.events.duckdb_rollups import QUARTER_HOURS_MIGRATION
from leadline.store.metadata.records import Account
from leadline.store.metadata.store import MetadataStore, open_metadata_store
from leadline.store.metadata.tables import events
from tests.query.agreement import assert_same_answer
from tests.query.strategies import EVENTS, Traffic, query_params, seeded_traffic, traffic

NOW = datetime(2026, 12, 1, tzinfo=UTC)
EVERY_DAY_CLOSED = date(2026, 12, 1)  # after every generated window: all their days are closed

# A few dashboard reports over a whole generated month, for the fixed-traffic tests.
FIXED_REPORTS: list[dict[str, str]] = [
    {"aggregates": "visits,uniques,pageviews,avg_duration,bounce_rate"},
    {"aggregates": "pageviews,visits,uniques", "date_grouping": "day", "timezone": "Europe/Berlin"},
    {"aggregates": "pageviews,visits,uniques", "field_grouping": "pathname", "sort_by": "pageviews:desc"},
    {"aggregates": "visits,uniques", "field_grouping": "exit_pathname", "timezone": "America/New_York"},
    {"aggregates": "visits,pageviews", "field_grouping": "referrer_hostname", "sort_by": "visits:desc"},
    {"entity": "event", "entity_name": "Purchase", "aggregates": "conversions,unique_conversions,value"},
]


class Stores:
    """A DuckDB event store and the metadata store reports need (sites and their events, with fixed ids)."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / "events.duckdb"
        self.metadata: MetadataStore = open_metadata_store(f"sqlite:///{directory / 'meta.sqlite3'}")
        self.events = DuckDBEventStore(self.path)
        self.account: Account = self.metadata.accounts.create("Compaction", "compaction@example.com")
        self._names = itertools.count()

    def new_site(self) -> str:
        site = self.metadata.sites.create(self.account.id, {"name": f"site {next(self._names)}"})
        with self.metadata.engine.begin() as connection:
            for name, event_id in EVENTS.items():
                connection.execute(
                    events.insert().values(site_id=site.id, id=event_id, name=name, created_at=NOW, updated_at=NOW)
                )
        return site.id

    def reopen_events(self) -> None:
        self.events = DuckDBEventStore(self.path)

    def close(self) -> None:
        self.events.close()
        self.metadata.close()


def assert_report_equals_oracle(stores: Stores, params: dict[str, str], hits: Sequence[Hit]) -> None:
    query = parse_report_query(params, site_timezone="UTC")
    event_id = EVENTS.get(query.event_name or "", "") if query.event_name else None
    expected = expected_rows(query, hits, NOW, event_id=event_id)
    if query.field_grouping == EVENT_GROUPING:  # the oracle keys events by id, a report names them
        names = {event_id: name for name, event_id in EVENTS.items()}
        expected = [row | {EVENT_GROUPING: names[row[EVENT_GROUPING]]} for row in expected]
    assert_same_answer(run_report(query, stores.events, stores.metadata, now=NOW), expected)


def late_hits(generated: Traffic, more: Traffic) -> list[Hit]:
    """`more`'s hits moved into the days of `generated`, from other visitors: late hits, as a spool replayed after
    an outage brings."""
    shift = generated.window_start - more.window_start
    return [
        dataclasses.replace(
            hit,
            visitor_id=hit.visitor_id + 100,
            timestamp=hit.timestamp + timedelta(seconds=shift),
            session_id=hit.session_id + shift,
        )
        for hit in more.hits
    ]


def month_of_traffic(site_id: str, days: int = 24) -> list[Hit]:
    """Fixed traffic over `days` days: overlapping windows of sessions, each window's visitors its own."""
    start = int(datetime(2026, 5, 1, tzinfo=UTC).timestamp())
    hits: list[Hit] = []
    for window in range(0, days, 4):
        for hit in seeded_traffic(site_id, seed=window, window_start=start + window * 86400, sessions=90):
            hits.append(dataclasses.replace(hit, visitor_id=hit.visitor_id + 1000 * window))
    return hits


def fixed_report(site_id: str, params: dict[str, str]) -> dict[str, str]:
    entity = params.get("entity", "pageview")
    site = {"entity_id": site_id} if entity == "pageview" else {"site_id": site_id}
    return {"entity": entity, "date_from": "1777000000", "date_to": "1796000000", **site, **params}


def pending_days(store: DuckDBEventStore) -> int:
    return int(store.fetch("SELECT count(*) FROM pending_days", Params("qmark"))[0][0])


def settled_days(store: DuckDBEventStore) -> int:
    return int(store.fetch("SELECT count(DISTINCT (site_id, day)) FROM settled_days", Params("qmark"))[0][0])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_reports_equal_the_oracle_before_and_after_compaction_and_late_hits(
    shared_stores: Stores, data: st.DataObject
) -> None:
    stores = shared_stores
    site_id = stores.new_site()
    generated = data.draw(traffic(site_id))
    stores.events.insert_hits(generated.hits)
    queries = [data.draw(query_params(site_id, generated.window_start)) for _ in range(3)]
    for params in queries:
        assert_report_equals_oracle(stores, params, generated.hits)

    stores.events.compact_closed_days(EVERY_DAY_CLOSED)
    for params in queries:
        assert_report_equals_oracle(stores, params, generated.hits)

    # Late hits (a spool replayed after an outage) land in the days already compacted, from other visitors.
    late = late_hits(generated, data.draw(traffic(site_id)))
    stores.events.insert_hits(late)
    for params in queries:
        assert_report_equals_oracle(stores, params, generated.hits + late)
    assert stores.events.compact_closed_days(EVERY_DAY_CLOSED).hits >= len(late)
    for params in queries:
        assert_report_equals_oracle(stores, params, generated.hits + late)
    assert stores.events.count_hits(site_id) == len(generated.hits) + len(late)


def test_compaction_rewrites_closed_days_once_in_session_order(stores: Stores) -> None:
    site_id = stores.new_site()
    hits = month_of_traffic(site_id)
    stores.events.insert_hits(hits)
    days = {hit.timestamp.date() for hit in hits}
    last_day = max(days)

    run = stores.events.compact_closed_days(last_day)  # the last day is still open
    assert (run.days, run.hits) == (len(days) - 1, sum(hit.timestamp.date() < last_day for hit in hits))
    assert pending_days(stores.events) == 1
    stored = stores.events.fetch(
        "SELECT session_id, visitor_id, timestamp FROM hits WHERE timestamp < ?",
        Params("qmark", [datetime(last_day.year, last_day.month, last_day.day)]),
    )
    by_day: dict[date, list[tuple[int, int, datetime]]] = {}
    for row in stored:
        by_day.setdefault(row[2].date(), []).append(row)
    assert all(rows == sorted(rows) for rows in by_day.values())
    assert stores.events.compact_closed_days(last_day).days == 0  # nothing new: nothing rewritten
    assert stores.events.daily_counts(site_id) == {day: sum(h.timestamp.date() == day for h in hits) for day in days}


def test_visitor_ids_of_closed_days_become_runs_of_numbers_and_every_answer_stays(stores: Stores) -> None:
    site_id = stores.new_site()
    hits = month_of_traffic(site_id)
    stores.events.insert_hits(hits)
    last_session_day = max(datetime.fromtimestamp(hit.session_id, UTC).date() for hit in hits)
    # The last session day is the last closed day: its sessions may still get hits, so they keep their ids.
    stores.events.compact_closed_days(last_session_day + timedelta(days=1))
    stored = stores.events.fetch(
        "SELECT visitor_id, session_id FROM hits WHERE site_id = ?", Params("qmark", [site_id])
    )

    def of_last_day(session_id: int) -> bool:
        return datetime.fromtimestamp(session_id, UTC).date() == last_session_day

    last_days = {hit.visitor_id for hit in hits if of_last_day(hit.session_id)}
    assert {visitor for visitor, session in stored if of_last_day(session)} == last_days
    renumbered = {visitor for visitor, _ in stored} - last_days
    assert renumbered and not renumbered & {hit.visitor_id for hit in hits}
    # The visitors one transaction renumbered are consecutive numbers (the month is compacted in one).
    ordered = sorted(renumbered)
    assert ordered == list(range(ordered[0], ordered[0] + len(ordered)))
    # The same visitors, each with the same hits: every report answers as over the hits as they came.
    hits_per_visitor = sorted(Counter(visitor for visitor, _ in stored).values())
    assert hits_per_visitor == sorted(Counter(hit.visitor_id for hit in hits).values())
    for params in FIXED_REPORTS:
        assert_report_equals_oracle(stores, fixed_report(site_id, params), hits)

    # Every closed day compacted again (a migration marks them all pending): renumbered again, answers unchanged.
    stores.events.fetch(
        "INSERT INTO pending_days SELECT DISTINCT site_id, CAST(timestamp AS DATE) FROM hits", Params("qmark")
    )
    stores.events.compact_closed_days(EVERY_DAY_CLOSED)
    again = {visitor for (visitor,) in stores.events.fetch("SELECT DISTINCT visitor_id FROM hits", Params("qmark"))}
    assert len(again) == len(renumbered | last_days) and not again & (renumbered | last_days)
    for params in FIXED_REPORTS:
        assert_report_equals_oracle(stores, fixed_report(site_id, params), hits)


def test_a_sites_pending_days_are_compacted_in_runs_bounded_in_days_and_hits() -> None:
    first = date(2026, 5, 1)
    days = [first + timedelta(days=offset) for offset in (0, 1, 2, 5, 6, 40, 41)]
    hits = {first + timedelta(days=offset): 100 for offset in range(60)}  # days 3 and 4 are not pending
    assert list(day_runs(days, hits, max_days=31, max_hits=10_000)) == [days[:5], days[5:]]
    # Days between pending ones count too: they are rewritten with them.
    assert list(day_runs(days, hits, max_days=31, max_hits=500)) == [days[:3], days[3:5], days[5:]]
    # A day with more hits than a run may hold makes a run of its own.
    assert list(day_runs(days, {**hits, days[1]: 5_000}, max_days=31, max_hits=1_000)) == [
        days[:1],
        days[1:2],
        days[2:5],
        days[5:],
    ]
    assert list(day_runs(days, hits, max_days=2, max_hits=10_000)) == [days[:2], days[2:3], days[3:5], days[5:]]


def test_event_wipe_and_site_deletion_apply_to_compacted_days(stores: Stores) -> None:
    wiped, kept = stores.new_site(), stores.new_site()
    wiped_hits, kept_hits = month_of_traffic(wiped), month_of_traffic(kept)
    stores.events.insert_hits(wiped_hits + kept_hits)
    stores.events.compact_closed_days(EVERY_DAY_CLOSED)

    stores.events.delete_event_data(wiped, EVENTS["Purchase"])
    remaining = [hit for hit in wiped_hits if not (hit.kind is HitKind.EVENT and hit.event_id == EVENTS["Purchase"])]
    assert len(remaining) < len(wiped_hits)
    for params in FIXED_REPORTS:
        assert_report_equals_oracle(stores, fixed_report(wiped, params), remaining)
    # The wiped sessions' days wait to be settled again; once they are, the answers stay the same.
    assert stores.events.compact_closed_days(EVERY_DAY_CLOSED).days > 0
    for params in FIXED_REPORTS:
        assert_report_equals_oracle(stores, fixed_report(wiped, params), remaining)

    stores.events.delete_site_data(wiped)
    assert stores.events.count_hits(wiped) == 0
    for params in FIXED_REPORTS:
        assert_report_equals_oracle(stores, fixed_report(wiped, params), [])
        assert_report_equals_oracle(stores, fixed_report(kept, params), kept_hits)
    assert stores.events.compact_closed_days(EVERY_DAY_CLOSED).days == 0


def test_an_event_wipe_during_a_compaction_applies_once(stores: Stores) -> None:
    site_id = stores.new_site()
    hits = month_of_traffic(site_id, days=120)
    stores.events.insert_hits(hits)
    compaction = threading.Thread(target=stores.events.compact_closed_days, args=(EVERY_DAY_CLOSED,))
    compaction.start()
    time.sleep(0.05)  # the compaction is rewriting some run of days now: the wipe meets it (or waits for it)
    stores.events.delete_event_data(site_id, EVENTS["Purchase"])
    compaction.join()
    stores.events.compact_closed_days(EVERY_DAY_CLOSED)  # whatever a conflict left pending

    remaining = [hit for hit in hits if not (hit.kind is HitKind.EVENT and hit.event_id == EVENTS["Purchase"])]
    assert stores.events.count_hits(site_id) == len(remaining)
    assert pending_days(stores.events) == 0
    for params in FIXED_REPORTS:
        assert_report_equals_oracle(stores, fixed_report(site_id, params), remaining)


# Runs a compaction in a process of its own, which is killed with SIGKILL: as an out-of-memory kill would.
COMPACTING_PROCESS = textwrap.dedent(
    """
    import os, signal, sys
    from datetime import date
    from leadline.store.events import duckdb_compaction
    from leadline.store.events.duckdb import DuckDBEventStore

    store = DuckDBEventStore(sys.argv[1])
    kill_in_transaction = int(sys.argv[2])
    duckdb_compaction.CHUNK_DAYS = 7  # runs of a week: the month of traffic takes several transactions
    print("compacting", flush=True)
    if kill_in_transaction < 0:  # killed from outside, whenever the parent decides
        store.compact_closed_days(date(2100, 1, 1))
    else:
        committed = 0

        def run(sql, params):  # the store's own statements; the process dies inside one transaction
            global committed
            if committed == kill_in_transaction and sql.startswith("INSERT INTO live_hits"):
                os.kill(os.getpid(), signal.SIGKILL)  # old rows deleted, their rewrite not yet in, not committed
            committed += sql == "COMMIT"
            return store._run(sql, params)

        duckdb_compaction.compact_closed_days(lambda: True, run, store._cold, date(2100, 1, 1))
    print("finished", flush=True)
    """
)


def compact_and_kill(path: Path, kill_in_transaction: int, kill_after_seconds: float = 0.0) -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", COMPACTING_PROCESS, str(path), str(kill_in_transaction)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "compacting"
    if kill_in_transaction < 0:
        time.sleep(kill_after_seconds)
        process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL, process.stdout.read()


@pytest.mark.parametrize("kill", ["inside the third transaction", "from outside, mid-run"])
def test_a_compaction_killed_midway_loses_and_doubles_nothing(stores: Stores, kill: str) -> None:
    site_id = stores.new_site()
    hits = month_of_traffic(site_id, days=24 if kill.startswith("inside") else 120)  # outside: a longer run
    stores.events.insert_hits(hits)
    days = pending_days(stores.events)
    counts = stores.events.daily_counts(site_id)
    stores.events.close()  # DuckDB lets one process at a time open the file: the compacting one now

    if kill.startswith("inside"):
        compact_and_kill(stores.path, kill_in_transaction=2)
    else:
        compact_and_kill(stores.path, kill_in_transaction=-1, kill_after_seconds=0.05)

    stores.reopen_events()
    if kill.startswith("inside"):
        # Two runs of days done and kept, the third rolled back.
        assert pending_days(stores.events) == days - 2 * 7
    assert stores.events.daily_counts(site_id) == counts
    for params in FIXED_REPORTS:
        assert_report_equals_oracle(stores, fixed_report(site_id, params), hits)

    stores.events.compact_closed_days(EVERY_DAY_CLOSED)  # the next run finishes the job
    assert pending_days(stores.events) == 0
    assert stores.events.daily_counts(site_id) == counts
    for params in FIXED_REPORTS:
        assert_report_equals_oracle(stores, fixed_report(site_id, params), hits)


# The tables as they were before COLD_MIGRATION (a store with no cold file), for files of earlier versions.
BEFORE_THE_COLD_TIER = """
    DROP SCHEMA recent CASCADE;
    DROP VIEW hits;
    DROP VIEW settled_sessions;
    ALTER TABLE live_hits RENAME TO hits;
    ALTER TABLE live_settled_sessions RENAME TO settled_sessions;
    DROP TABLE cold_files;
    DROP TABLE retired_cold_files
"""


def turn_back_to_version_before(store: DuckDBEventStore, migration: str) -> None:
    """Make the store's file one of the schema version before `migration`, as far as the cold tier goes (the
    caller turns back the rest)."""
    assert store.fetch("SELECT count(*) FROM cold_files", Params("qmark"))[0][0] == 0
    for statement in BEFORE_THE_COLD_TIER.split(";"):
        store.fetch(statement, Params("qmark"))
    before = MIGRATIONS.index(migration)
    store.fetch("DELETE FROM leadline_schema WHERE version > ?", Params("qmark", [before]))


def test_hits_stored_before_compaction_existed_wait_for_it(tmp_path: Path) -> None:
    store = DuckDBEventStore(tmp_path / "events.duckdb")
    hits = month_of_traffic("A", days=8)
    store.insert_hits(hits)
    # As a file from before the migrations of compaction, settled sessions and rollups.
    turn_back_to_version_before(store, PENDING_DAYS_MIGRATION)
    tables = ["pending_days", "settled_sessions", "settled_days", "daily_rollups", "quarter_hour_rollups"]
    tables += ["event_rollups", "unsummable_sites", "visitor_quarter_hours", "visitor_crossings"]
    for table in tables:
        store.fetch(f"DROP TABLE {table}", Params("qmark"))
    store.close()

    upgraded = DuckDBEventStore(tmp_path / "events.duckdb")
    assert pending_days(upgraded) == len({hit.timestamp.date() for hit in hits})
    assert upgraded.compact_closed_days(EVERY_DAY_CLOSED).hits == len(hits)
    assert settled_days(upgraded) == len({hit.timestamp.date() for hit in hits})
    rolled_days = upgraded.fetch("SELECT count(DISTINCT day) FROM daily_rollups", Params("qmark"))[0][0]
    assert rolled_days == len({hit.timestamp.date() for hit in hits})
    event_days = upgraded.fetch("SELECT count(DISTINCT day) FROM event_rollups", Params("qmark"))[0][0]
    assert event_days == len({hit.timestamp.date() for hit in hits if hit.kind is HitKind.EVENT})
    visitor_days = "SELECT count(DISTINCT CAST(quarter_hour AS DATE)) FROM visitor_quarter_hours"
    assert upgraded.fetch(visitor_days, Params("qmark"))[0][0] == len(
        {hit.timestamp.date() for hit in hits if hit.kind is HitKind.PAGEVIEW}
    )
    upgraded.close()


# Settled sessions as a file from before WHOLE_SECONDS_MIGRATION kept them: spans in microseconds.
MICROSECOND_SETTLED_SESSIONS = """
    DROP TABLE settled_sessions;
    CREATE TABLE settled_sessions (site_id VARCHAR NOT NULL, session_id UBIGINT NOT NULL,
        visitor_id UBIGINT NOT NULL, pageviews UINTEGER NOT NULL, duration_us BIGINT NOT NULL, exit_pathname VARCHAR);
    INSERT INTO settled_sessions VALUES ('A', 1, 1, 1, 1500000, '/stale')
"""


def compacted_site_before(stores: Stores, migration: str) -> tuple[str, list[Hit]]:
    """A site with eight days of traffic, compacted, in a file whose schema version is the one before
    `migration` (the caller turns the tables back as that version had them)."""
    site_id = stores.new_site()
    hits = month_of_traffic(site_id, days=8)
    stores.events.insert_hits(hits)
    stores.events.compact_closed_days(EVERY_DAY_CLOSED, frozen_before=date(2000, 1, 1))  # no day cold
    turn_back_to_version_before(stores.events, migration)
    return site_id, hits


def test_a_store_of_microsecond_instants_is_cut_to_whole_seconds_and_settled_again(stores: Stores) -> None:
    # As a file of the version before: instants in microseconds, each hit a fraction of a second past its second
    # (up to 0.999999 s: a cut gives back the hits as they came, rounding would not), and settled sessions with
    # microsecond spans.
    site_id, hits = compacted_site_before(stores, WHOLE_SECONDS_MIGRATION)
    stores.events.fetch("ALTER TABLE hits ALTER COLUMN timestamp SET DATA TYPE TIMESTAMP", Params("qmark"))
    fraction = "to_microseconds(CAST(hash(visitor_id, pathname, kind) % 1000000 AS BIGINT))"
    stores.events.fetch(f"UPDATE hits SET timestamp = timestamp + {fraction}", Params("qmark"))
    for statement in MICROSECOND_SETTLED_SESSIONS.split(";"):
        stores.events.fetch(statement, Params("qmark"))
    stores.events.close()
    stores.reopen_events()

    def one(sql: str) -> object:
        return stores.events.fetch(sql, Params("qmark"))[0][0]

    timestamp_type = (
        "SELECT data_type FROM duckdb_columns() WHERE table_name = 'live_hits' AND column_name = 'timestamp'"
    )
    assert one(timestamp_type) == "TIMESTAMP_S"
    assert one("SELECT count(*) FROM settled_sessions") == 0 and settled_days(stores.events) == 0
    assert pending_days(stores.events) == len({hit.timestamp.date() for hit in hits})
    stored = stores.events.read_hits(site_id, datetime(2026, 5, 1), datetime(2026, 6, 1)).to_pylist()
    assert sorted(hit["timestamp"] for hit in stored) == sorted(hit.timestamp for hit in hits)

    stores.events.compact_closed_days(EVERY_DAY_CLOSED)
    assert settled_days(stores.events) == len({hit.timestamp.date() for hit in hits})
    for params in FIXED_REPORTS:
        assert_report_equals_oracle(stores, fixed_report(site_id, params), hits)


# The rollups by the hour of a file from before QUARTER_HOURS_MIGRATION.
HOURLY_ROLLUP_TABLES = """
    CREATE TABLE hourly_rollups (site_id VARCHAR NOT NULL, hour TIMESTAMP NOT NULL, pageviews UBIGINT NOT NULL,
        visits UBIGINT NOT NULL, bounces UBIGINT NOT NULL, duration_us BIGINT NOT NULL);
    CREATE TABLE visitor_hours (site_id VARCHAR NOT NULL, hour TIMESTAMP NOT NULL, firsts UBIGINT NOT NULL,
        lasts UBIGINT NOT NULL);
    CREATE TABLE visitor_crossings (site_id VARCHAR NOT NULL, last_hour TIMESTAMP NOT NULL,
        next_first_hour TIMESTAMP NOT NULL, visitors UBIGINT NOT NULL)
"""


def test_a_store_rolled_up_by_the_hour_is_rolled_up_again_by_the_quarter_hour(stores: Stores) -> None:
    # As a file of the version before: every day settled, and rolled up by the hour.
    site_id, hits = compacted_site_before(stores, QUARTER_HOURS_MIGRATION)
    for table in ("quarter_hour_rollups", "visitor_quarter_hours", "visitor_crossings"):
        stores.events.fetch(f"DROP TABLE {table}", Params("qmark"))
    for statement in HOURLY_ROLLUP_TABLES.split(";"):
        stores.events.fetch(statement, Params("qmark"))
    stores.events.close()
    stores.reopen_events()

    tables = {row[0] for row in stores.events.fetch("SELECT table_name FROM duckdb_tables()", Params("qmark"))}
    assert {"quarter_hour_rollups", "visitor_quarter_hours", "visitor_crossings"} <= tables
    assert not {"hourly_rollups", "visitor_hours"} & tables
    # Until compaction rolls them up again, every day is read from its hits.
    days = len({hit.timestamp.date() for hit in hits})
    assert pending_days(stores.events) == days
    in_kolkata = {"aggregates": "uniques,pageviews,visits", "date_grouping": "day", "timezone": "Asia/Kolkata"}
    assert_report_equals_oracle(stores, fixed_report(site_id, in_kolkata), hits)
    stores.events.compact_closed_days(EVERY_DAY_CLOSED)
    assert pending_days(stores.events) == 0
    for table in ("quarter_hour_rollups", "visitor_quarter_hours"):
        rolled = f"SELECT count(DISTINCT CAST(quarter_hour AS DATE)) FROM {table}"
        assert stores.events.fetch(rolled, Params("qmark"))[0][0] == days, table
    assert_report_equals_oracle(stores, fixed_report(site_id, in_kolkata), hits)


def test_the_rollup_state_a_report_reads_first_follows_every_write(tmp_path: Path) -> None:
    store = DuckDBEventStore(tmp_path / "events.duckdb")
    # A second store of the same file in this process: DuckDB hands both the same database.
    twin = DuckDBEventStore(tmp_path / "events.duckdb")
    hits = month_of_traffic("A", days=8)
    days = {(hit.timestamp - datetime(1970, 1, 1)).days for hit in hits}
    store.insert_hits(hits)
    assert store.rollup_state("A").pending >= days and not store.rollup_state("A").unsummable
    store.compact_closed_days(EVERY_DAY_CLOSED)
    assert store.rollup_state("A").pending == frozenset()
    # A late hit, stored through the other store of the file: its day is pending at once for both.
    late = dataclasses.replace(hits[0], visitor_id=10**9, timestamp=hits[0].timestamp + timedelta(minutes=1))
    twin.insert_hits([late])
    late_day = (late.timestamp - datetime(1970, 1, 1)).days
    assert late_day in store.rollup_state("A").pending and late_day in twin.rollup_state("A").pending
    store.compact_closed_days(EVERY_DAY_CLOSED)
    assert store.rollup_state("A").pending == frozenset()
    # An event wipe reopens the days of its completions.
    wiped = [hit for hit in hits if hit.kind is HitKind.EVENT and hit.event_id == EVENTS["Purchase"]]
    assert wiped
    store.delete_event_data("A", EVENTS["Purchase"])
    assert {(hit.timestamp - datetime(1970, 1, 1)).days for hit in wiped} <= twin.rollup_state("A").pending
    twin.close()
    store.close()


def test_sessions_of_closed_days_are_settled_and_a_late_hit_reopens_its_sessions_day(stores: Stores) -> None:
    site_id = stores.new_site()
    hits = month_of_traffic(site_id)
    stores.events.insert_hits(hits)
    last = max(hits, key=lambda hit: (hit.session_id, hit.timestamp))
    # The last session's day is the last closed one: its sessions may still get hits (and keep their visitor ids).
    closed_before = datetime.fromtimestamp(last.session_id, UTC).date() + timedelta(days=1)
    stores.events.compact_closed_days(closed_before)
    sessions = {(hit.visitor_id, hit.session_id) for hit in hits}
    settled = stores.events.fetch(
        "SELECT count(*) FROM settled_sessions WHERE site_id = ?", Params("qmark", [site_id])
    )[0][0]
    assert settled == len(sessions)

    # A hit replayed late into a settled session: its span (and maybe its bounce) changes, and so do the answers.
    late = dataclasses.replace(last, kind=HitKind.PAGEVIEW, entry=False, timestamp=last.timestamp + timedelta(hours=3))
    stores.events.insert_hits([late])
    for params in FIXED_REPORTS:
        assert_report_equals_oracle(stores, fixed_report(site_id, params), [*hits, late])
    stores.events.compact_closed_days(closed_before)
    for params in FIXED_REPORTS:
        assert_report_equals_oracle(stores, fixed_report(site_id, params), [*hits, late])
