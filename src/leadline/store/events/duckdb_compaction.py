"""Compaction of closed days in the DuckDB store: a site's days of hits rewritten in session order.

Hits arrive in time order, so a row group interleaves thousands of visitors: their 64-bit hashes are
random and stay uncompressed (8.6 bytes a hit), and every string column needs its full dictionary width.
Rewritten in (session start, visitor, time) order, a session's hits sit together: the visitor hash
becomes runs (RLE), session ids and timestamps grow slowly (bit-packed deltas). Measured on the
bench/query.py store (11.43 M hits): 23.7 → 20.4 bytes a hit in use. Strings cannot go below the bit width
of their dictionary in DuckDB, which has no RLE for them and whose ZSTD took 4-6 bytes a hit per column.

Safety: one site's run of days per transaction, so a crash leaves each day either as it was or rewritten,
never both (DuckDB rolls back an uncommitted transaction on reopen); rows are only moved, never re-derived, so
every report reads the same multiset of hits before and after (but for the names of visitors, renamed one for
one: duckdb_visitor_numbers, which takes the visitor ids to 2.1 bytes a hit). Days wait in `pending_days` from
the batch that brought their hits (late hits put a compacted day back), so finding work never scans the hits.

Compaction runs on a connection of its own (DuckDB's MVCC): batches go on being stored and reports
answered meanwhile, even while its commits write checkpoints. Appends never conflict with it; a delete of
the same rows (an event wipe) does, and one side retries (a conflicting day simply stays pending).
`pending_days` has no key, so that marking a day never conflicts with a compaction unmarking it: a batch
marks a day only if no mark is visible to it. (A batch stored during the very transaction that compacts
its day may so stay unmarked: its hits stay in arrival order, counted once all the same.)
"""

from __future__ import annotations

import itertools
import operator
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb

from leadline.store.events.base import LAST_PAGEVIEW_ORDER
from leadline.store.events.duckdb_cold import thaw
from leadline.store.events.duckdb_rollups import (
    DAY,
    MARK_EVERY_STORED_DAY,
    SESSION_DAY,
    Run,
    in_window,
    keeps_two_day_rule,
    midnight,
    rebuild_rollups,
    unix_seconds,
)
from leadline.store.events.duckdb_visitor_numbers import number_visitors, renumber_other_hits, renumbered_select

# Every (site, UTC day) stored before compaction existed waits for its first compaction.
PENDING_DAYS_MIGRATION = """
    CREATE TABLE pending_days (site_id VARCHAR NOT NULL, day DATE NOT NULL);
    INSERT INTO pending_days SELECT DISTINCT site_id, CAST(timestamp AS DATE) FROM hits;
"""

# Run inside the transaction that appends `incoming_hits`, with one parameter (`always_mark_before`, see
# mark_parameters): the days its hits fall on, and the days their sessions started on, wait for (re)compaction.
MARK_PENDING = f"""
    INSERT INTO pending_days
    SELECT DISTINCT site_id, day FROM (
        SELECT site_id, CAST(timestamp AS DATE) AS day FROM incoming_hits
        UNION ALL
        SELECT site_id, {SESSION_DAY} AS day FROM incoming_hits
    ) AS incoming
    WHERE incoming.day < ? OR NOT EXISTS (
        SELECT 1 FROM pending_days AS marked WHERE marked.site_id = incoming.site_id AND marked.day = incoming.day
    )
"""

# Sessions of closed days, settled: one row per session with what reports need of it (its pageviews, its
# first-to-last span, its exit page), so that visits, bounce rate, duration and exit pages of those days read
# rows instead of grouping every hit by session (the costly part of a dashboard: 70 % of its totals report).
# A day's sessions are settled by the compaction that rewrites it; `settled_days` says which (site, UTC day of
# the session's start) are; a day counts as settled only while no pending mark is visible for it (query/compile.py).
SETTLED_SESSIONS_MIGRATION = f"""
    CREATE TABLE settled_sessions (
        site_id VARCHAR NOT NULL,
        session_id UBIGINT NOT NULL,
        visitor_id UBIGINT NOT NULL,
        pageviews UINTEGER NOT NULL,
        duration_us BIGINT NOT NULL,
        exit_pathname VARCHAR
    );
    CREATE TABLE settled_days (site_id VARCHAR NOT NULL, day DATE NOT NULL);
    {MARK_EVERY_STORED_DAY}
"""

# Instants in whole seconds (base.Hit): the hits' timestamps become TIMESTAMP_S (8 bytes a second each, which
# compaction's order packs into 1.5 bytes a hit where microseconds took 4.3), and settled sessions keep their
# span in seconds. Every stored day waits for compaction again, which settles its sessions anew from the cut
# timestamps (spans and exit pages may change where two hits fell in one second). The cut is an UPDATE before a
# plain ALTER, not ALTER ... USING date_trunc(...): DuckDB logs an ALTER's expression, and replaying one that
# names date_trunc from the WAL (a kill before the next checkpoint) needs an extension it would download.
WHOLE_SECONDS_MIGRATION = f"""
    UPDATE hits SET timestamp = date_trunc('second', timestamp) WHERE microsecond(timestamp) <> 0;
    ALTER TABLE hits ALTER COLUMN timestamp SET DATA TYPE TIMESTAMP_S;
    DROP TABLE settled_sessions;
    CREATE TABLE settled_sessions (
        site_id VARCHAR NOT NULL,
        session_id UBIGINT NOT NULL,
        visitor_id UBIGINT NOT NULL,
        pageviews UINTEGER NOT NULL,
        duration_s UINTEGER NOT NULL,
        exit_pathname VARCHAR
    );
    DELETE FROM settled_days;
    {MARK_EVERY_STORED_DAY}
"""

# A session's hits lie within a day of its start (collect/sessions.py): a day's sessions end before this many
# days after its midnight (one more for the margin).
SESSION_SPAN_DAYS = 3
# Days older than today minus this are marked pending by every batch that touches them, even if a mark is
# visible already. A compaction settles only days at least SETTLE_AFTER_DAYS old, whose sessions end in such
# days, so that no batch of theirs can hide behind a mark that a compaction running meanwhile is removing: the
# compaction cannot see a batch committed after it began, and cannot delete its mark either (snapshots).
ALWAYS_MARK_DAYS = 1
SETTLE_AFTER_DAYS = 4


def mark_parameters(today: date) -> list[object]:
    """The parameters of MARK_PENDING for a batch stored `today` (UTC)."""
    return [today - timedelta(days=ALWAYS_MARK_DAYS)]


# The order of compacted days: day by day, a session's hits together, sessions by start second.
COMPACTED_ORDER = "CAST(timestamp AS DATE), session_id, visitor_id, timestamp"

# A site's pending days are rewritten in runs of up to a month and about a million hits, one transaction each.
# Few large commits: each commit's checkpoint writes its rows' column segments into blocks of their own, and the
# part-filled last block of each stays so. On the bench store (11.43 M hits, five sites) week-long runs left
# 24.0 bytes a hit in use, month-long ones 22.1 (a fresh copy of the same rows: 21.3), and took 56 s instead
# of 91. The hit bound keeps a busy site's transaction to a few seconds (a week of a 100 M-hit site took 20 s).
CHUNK_DAYS = 31
CHUNK_HITS = 1_000_000


@dataclass(frozen=True)
class CompactionRun:
    """What one run did: pending days rewritten, hits moved, the cold tier's files written and rows moved to them
    (duckdb_cold), and the longest one transaction took (of either)."""

    days: int
    hits: int
    longest_transaction_seconds: float
    frozen_files: int = 0
    frozen_rows: int = 0


def due_days(run: Run, closed_before: date) -> list[tuple[str, date]]:
    """Pending (site, day) pairs of days before `closed_before`, site by site (their rewrites then fill row
    groups of one site, which reports skip by site), oldest first."""
    rows = run("SELECT DISTINCT site_id, day FROM pending_days WHERE day < ? ORDER BY site_id, day", [closed_before])
    return [(str(site_id), day) for site_id, day in rows]


def compact_days(
    run: Run, cold: Path, site_id: str, first: date, last: date, settle_before: date, renumber_before: date
) -> int:
    """Rewrite one site's hits of UTC days `first` to `last` in compacted order, settle the sessions of those
    before `settle_before` and renumber the visitors of those settled before `renumber_before`
    (duckdb_visitor_numbers), atomically; how many hits moved. Cold months (in the directory `cold`) whose rows
    this writes are thawed first (duckdb_cold), in the same transaction.

    duckdb.TransactionException when a concurrent delete touched the same rows (nothing changed then).
    """
    start = midnight(first)
    window = [site_id, start, midnight(last) + DAY]
    in_day = f"site_id = ? AND {in_window()}"
    settled_last = min(last, settle_before - DAY)
    renumbered_last = min(settled_last, renumber_before - DAY)
    run("BEGIN", [])
    try:
        # The sessions begun on these days end within SESSION_SPAN_DAYS: renumbering rewrites their later hits.
        thaw(run, cold, site_id, first, last + timedelta(days=SESSION_SPAN_DAYS))
        # From the day before: its visitors also seen the next day depend on the first day's hits.
        summable = settled_last >= first and keeps_two_day_rule(run, site_id, first - DAY, settled_last)
        renumbering = (
            number_visitors(run, site_id, first, renumbered_last) if summable and renumbered_last >= first else None
        )
        # Copied aside first: the old rows and their rewritten twins must never be visible together.
        run(f"CREATE TEMP TABLE compacting AS SELECT * FROM live_hits WHERE {in_day}", window)
        moved = int(run("SELECT count(*) FROM compacting", [])[0][0])
        run(f"DELETE FROM live_hits WHERE {in_day}", window)
        rows, parameters = renumbered_select(renumbering, "compacting")
        run(f"INSERT INTO live_hits SELECT * FROM ({rows}) AS compacted ORDER BY {COMPACTED_ORDER}", parameters)
        run("DROP TABLE compacting", [])
        if renumbering is not None:
            renumber_other_hits(run, renumbering, (start, midnight(last) + DAY))
        if settled_last >= first:
            settle_sessions(run, site_id, first, settled_last)
            rebuild_rollups(run, site_id, first - DAY, settled_last, summable)
        run("DELETE FROM pending_days WHERE site_id = ? AND day >= ? AND day <= ?", [site_id, first, last])
        run("COMMIT", [])
    except BaseException:
        run("ROLLBACK", [])
        raise
    return moved


def settle_sessions(run: Run, site_id: str, first: date, last: date) -> None:
    """Replace the settled sessions of one site's sessions started on UTC days `first` to `last` (inside the
    caller's transaction)."""
    start, end = midnight(first), midnight(last) + DAY
    first_second, end_second = unix_seconds(start), unix_seconds(end)
    started = "site_id = ? AND session_id >= ? AND session_id < ?"
    run(f"DELETE FROM live_settled_sessions WHERE {started}", [site_id, first_second, end_second])
    run("DELETE FROM settled_days WHERE site_id = ? AND day >= ? AND day <= ?", [site_id, first, last])
    # The same figures, by the same expressions, as query/compile.py's per-session pass over the hits. In start
    # order: session ids then grow in small steps, and visitor numbers (duckdb_visitor_numbers) mostly by one
    # (4.8 -> 4.35 bytes a hit on the bench store).
    run(
        "INSERT INTO live_settled_sessions SELECT site_id, session_id, visitor_id,"
        " count(*) FILTER (WHERE kind = 1), epoch(max(timestamp)) - epoch(min(timestamp)),"
        f" arg_max(pathname, {LAST_PAGEVIEW_ORDER}) FILTER (WHERE kind = 1)"
        f" FROM hits WHERE {started} AND {in_window()}"
        " GROUP BY site_id, visitor_id, session_id ORDER BY session_id, visitor_id",
        [site_id, first_second, end_second, start, end + timedelta(days=SESSION_SPAN_DAYS)],
    )
    run(
        "INSERT INTO settled_days SELECT ?, CAST(day AS DATE) FROM range(?::TIMESTAMP, ?::TIMESTAMP, INTERVAL 1 DAY)"
        " AS days(day)",
        [site_id, start, end],
    )


def compact_closed_days(
    is_open: Callable[[], bool], run: Run, cold: Path, closed_before: date, today: date | None = None
) -> CompactionRun:
    """Compact every pending day before `closed_before` and SETTLE_AFTER_DAYS or more before `today` (UTC), a
    site's run of days per transaction, on the connection of `run`, settling their sessions and rollups, and
    renumbering the visitors of sessions that began before the day before `closed_before`.

    `closed_before`: no hit of an earlier day can still arrive (none waits in a spool): the renumbering relies on
    it (duckdb_visitor_numbers).

    A day that gets new hits later is pending again and is rewritten on a later run; one whose rows a
    concurrent delete holds is left pending. A store closed meanwhile (shutdown) ends the run.
    """
    settle_before = (today or datetime.now(UTC).date()) - timedelta(days=SETTLE_AFTER_DAYS - 1)
    # Only days old enough to settle: a day compacted sooner would lose its pending mark unsettled, and keep
    # being read from its hits (and never rolled up). Its hits wait three more days in arrival order.
    due = due_days(run, min(closed_before, settle_before)) if is_open() else []
    days = hits = 0
    longest = 0.0
    for site_id, chunk in chunks(run, due):
        if not is_open():
            break
        started = time.perf_counter()
        try:
            # A session's hits lie within a day of its start: those begun before the last closed day are whole.
            hits += compact_days(run, cold, site_id, chunk[0], chunk[-1], settle_before, closed_before - DAY)
        except duckdb.TransactionException:
            continue
        longest = max(longest, time.perf_counter() - started)
        days += len(chunk)
    return CompactionRun(days, hits, longest)


def chunks(run: Run, due: list[tuple[str, date]]) -> Iterator[tuple[str, list[date]]]:
    """A site's pending days in runs spanning at most CHUNK_DAYS and, beyond their first day, CHUNK_HITS hits
    (days between them, compacted already, are rewritten again: harmless, as a compacted day is already in
    compacted order)."""
    for site_id, pending in itertools.groupby(due, key=operator.itemgetter(0)):
        days = [day for _, day in pending]
        rows = run(
            "SELECT CAST(timestamp AS DATE) AS day, count(*) FROM hits"
            f" WHERE site_id = ? AND {in_window()} GROUP BY day",
            [site_id, midnight(days[0]), midnight(days[-1]) + DAY],
        )
        for chunk in day_runs(days, {day: int(count) for day, count in rows}, CHUNK_DAYS, CHUNK_HITS):
            yield site_id, chunk


def day_runs(days: list[date], hits: dict[date, int], max_days: int, max_hits: int) -> Iterator[list[date]]:
    """`days` (ascending) in runs spanning at most `max_days` whose days, and those between them (`hits` per day),
    hold at most `max_hits` hits, unless the run is one day."""
    run: list[date] = []
    held = 0  # the hits of the run's days and of the days between them
    for day in days:
        # What the day would add to the run: its hits and those of the days since the run's last.
        added = (
            sum(hits.get(run[-1] + timedelta(days=step), 0) for step in range(1, (day - run[-1]).days + 1))
            if run
            else 0
        )
        if run and ((day - run[0]).days >= max_days or held + added > max_hits):
            yield run
            run = []
        if run:
            run.append(day)
            held += added
        else:
            run, held = [day], hits.get(day, 0)
    if run:
        yield run
