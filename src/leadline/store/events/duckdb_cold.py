"""The cold tier: a site's settled days older than COLD_AFTER_DAYS kept as Parquet files, one per UTC month and
table, beside the DuckDB file.

Why: compacted, DuckDB's tables still hold ~18 bytes a hit, most of it strings: each string column costs its
dictionary's bit width on every row (DuckDB has no RLE for strings, and its ZSTD took 4-6 bytes a hit per
column). Parquet (version 2 encodings, ZSTD) keeps the same rows of the bench store's big site in 6.9 bytes a
hit, settled sessions in about two. Reports that read hits read Parquet 1.6-3.4x slower than tables (measured
by a bench since removed, whose layout this is), so only days a dashboard's everyday views do not reach go
cold: its 30-day view reads the tables, its long ranges sum the rollups (tables) and read hits only at their
edges.

How readers see one store: `hits` and `settled_sessions` are views, each the union of its live table
(`live_hits`, `live_settled_sessions`, where every write goes) and the cold files listed in `cold_files`. A
change of tier is one transaction that writes the rows one way, deletes them the other and replaces the view;
a report reads one snapshot (DuckDB's MVCC covers the catalog), so it sees each row exactly once, in a table
or in a file. Files are written and synced before the commit that lists them; a file left by a transaction
that did not commit is removed at once, or after a crash by a later run or open. A file a commit unlists may
still be read by a report that began before: it is deleted RETIRED_FILE_SECONDS later.

What writes rows of cold days moves them back first (`thaw`, in the writer's transaction): compaction of a day
that got late hits, and an event's wipe. Their month is frozen again, whole, once it is settled: `freeze`
rewrites a month's file with its live rows included, so a month is one file per table however often it froze.
A site's deletion unlists its files. A backup (DuckDBEventStore.copy_to) copies the cold rows into the backup's
live tables, so that the backup is one self-contained file; the restored store freezes them again.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb

from leadline.store.events.duckdb_rollups import SESSION_DAY, Run, in_window, midnight, unix_seconds
from leadline.store.files import PRIVATE_FILE_MODE, ensure_private_directory, fsync_path

# Days this old and older, once settled, go cold: the dashboard's 30-day view (and a zone's day either side of
# UTC) never reads them, so its reports read the tables only.
COLD_AFTER_DAYS = 35

# A file a commit unlisted is deleted this much later (a report that began before may still read it; reports
# and exports finish long before).
RETIRED_FILE_SECONDS = 3600.0

# Version 2 encodings (delta-packed integers and timestamps): 6.9 bytes a hit against 8.2 with version 1 on
# the bench store's big site; ZSTD's default level (9 gave 4 % less for 17 % more time).
PARQUET_OPTIONS = "FORMAT parquet, COMPRESSION zstd, PARQUET_VERSION v2"

COLD_MIGRATION = """
    ALTER TABLE hits RENAME TO live_hits;
    ALTER TABLE settled_sessions RENAME TO live_settled_sessions;
    CREATE TABLE cold_files (
        name VARCHAR PRIMARY KEY,
        tier VARCHAR NOT NULL,
        site_id VARCHAR NOT NULL,
        month DATE NOT NULL,
        until DATE NOT NULL,
        rows UBIGINT NOT NULL
    );
    CREATE TABLE retired_cold_files (name VARCHAR NOT NULL, retired_at TIMESTAMP NOT NULL);
    CREATE VIEW hits AS SELECT * FROM live_hits;
    CREATE VIEW settled_sessions AS SELECT * FROM live_settled_sessions;
    CREATE SCHEMA recent;
    CREATE VIEW recent.hits AS SELECT * FROM main.live_hits;
    CREATE VIEW recent.settled_sessions AS SELECT * FROM main.live_settled_sessions
"""

# Reports that read no day the cold files hold read the live tables alone: the views `hits` and
# `settled_sessions` of this schema, found first on the search path (read_recent_only).
RECENT_SCHEMA = "recent"


@dataclass(frozen=True)
class Tier:
    """A table kept in two tiers: the view readers name, the live table writes go to, which rows of a site fall
    in a span of UTC days, and the order its files keep (compaction's)."""

    view: str
    live: str
    days: str  # a site's rows in [start, end): three parameters, made by `parameters`
    order: str
    bounds_in_seconds: bool  # whether `days` bounds Unix seconds (else instants)

    def parameters(self, site_id: str, start: datetime, end: datetime) -> list[object]:
        if self.bounds_in_seconds:
            return [site_id, unix_seconds(start), unix_seconds(end)]
        return [site_id, start, end]


HITS = Tier(
    "hits",
    "live_hits",
    f"site_id = ? AND {in_window()}",
    "CAST(timestamp AS DATE), session_id, visitor_id, timestamp",
    bounds_in_seconds=False,
)
# A settled session belongs to the day it began (its id is its first second).
SESSIONS = Tier(
    "settled_sessions",
    "live_settled_sessions",
    "site_id = ? AND session_id >= ? AND session_id < ?",
    "session_id, visitor_id",
    bounds_in_seconds=True,
)
TIERS = (HITS, SESSIONS)


@dataclass(frozen=True)
class FreezeRun:
    """What one run froze: (site, month, table) files written, rows moved out of the tables, and the longest
    one transaction took."""

    files: int
    rows: int
    longest_transaction_seconds: float


def cold_directory(database: Path) -> Path:
    """Where a database file's cold files live: beside it, named after it."""
    return database.with_name(database.name + ".cold")


def string_literal(text: str) -> str:
    """`text` as an SQL string literal, for the statements that take no bound parameters (views, COPY, ATTACH)."""
    return "'" + text.replace("'", "''") + "'"


def _read_files(directory: Path, names: Sequence[str]) -> str:
    """SQL: a scan of the Parquet files `names` of `directory`."""
    return f"read_parquet([{', '.join(string_literal(str(directory / name)) for name in names)}])"


def _month_end(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def replace_views(run: Run, directory: Path) -> None:
    """Make each tier's view the union of its live table and its listed files (inside the caller's transaction).

    The files' columns are cast to the live table's types, so that the view's types are the table's: DuckDB
    writes TIMESTAMP_S to Parquet as microseconds, and a view of TIMESTAMP would bind every bound parameter so.
    """
    for tier in TIERS:
        listed = run("SELECT name, until FROM cold_files WHERE tier = ? ORDER BY name", [tier.view])
        if not listed:
            run(f"CREATE OR REPLACE VIEW {tier.view} AS SELECT * FROM {tier.live}", [])
            continue
        columns = run(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = current_database()"
            " AND schema_name = 'main' AND table_name = ? ORDER BY column_index",
            [tier.live],
        )
        casts = ", ".join(f'CAST("{name}" AS {kind}) AS "{name}"' for name, kind in columns)
        # Every cold row lies before the latest `until`: said in the view, a report of later days (the
        # dashboard's last 30) contradicts it, and DuckDB drops the files' side unread (each scan of it cost
        # 8-15 ms on the bench store, pruning all of its 55 files' row groups, for no row).
        bound = _before(tier, max(until for _, until in listed))
        run(
            f"CREATE OR REPLACE VIEW {tier.view} AS SELECT * FROM {tier.live}"
            f" UNION ALL SELECT * FROM (SELECT {casts} FROM {_read_files(directory, [name for name, _ in listed])})"
            f" AS cold WHERE {bound}",
            [],
        )


def _before(tier: Tier, day: date) -> str:
    """SQL: a row of `tier` lies before UTC day `day` (a literal: views take no parameters)."""
    if tier.bounds_in_seconds:
        return f"session_id < {unix_seconds(midnight(day))}"
    return f"timestamp < CAST('{day.isoformat()}' AS TIMESTAMP_S)"


def _retire(run: Run, names: Sequence[str]) -> None:
    """Unlist files; they are deleted once no report can be reading them (delete_unlisted_files)."""
    now = datetime.now(UTC).replace(tzinfo=None)
    for name in names:
        run("DELETE FROM cold_files WHERE name = ?", [name])
        run("INSERT INTO retired_cold_files VALUES (?, ?)", [name, now])


def read_recent_only(cursor: duckdb.DuckDBPyConnection, reads_from: int) -> list[str]:
    """Inside a report's transaction, before its statements: if no cold row lies at or after `reads_from` (Unix
    seconds) in the transaction's snapshot, make `hits` and `settled_sessions` name the live tables alone for the
    report; the statements that undo it, to run after the transaction.

    Why: binding a view of the cold files (reading their schema, listing them) cost ~0.9 ms per mention of
    `hits` in a statement, and a dashboard report mentions it up to ten times: its 30-day reports took 12-17 ms
    more on the bench store. Exact: the snapshot that lists the files is the one the report reads.
    """
    row = cursor.execute("SELECT max(until) FROM cold_files").fetchone()
    if row is None or row[0] is None or unix_seconds(midnight(row[0])) > reads_from:
        cursor.execute("RESET search_path")  # whatever an earlier report may have left
        return []
    cursor.execute(f"SET search_path = '{RECENT_SCHEMA},main'")
    return ["RESET search_path"]


def thaw(run: Run, directory: Path, site_id: str, first: date, last: date) -> bool:
    """Move the site's cold files holding any of UTC days `first` to `last` back into the live tables, whole
    months (inside the caller's transaction, which must then write those rows only in the live tables); whether
    any was."""
    files = run(
        "SELECT name, tier FROM cold_files WHERE site_id = ? AND month <= ? AND until > ?", [site_id, last, first]
    )
    return _thaw_files(run, directory, [(str(name), str(tier)) for name, tier in files])


def thaw_site_months(run: Run, directory: Path, site_id: str, where: str, parameters: Sequence[object]) -> None:
    """Thaw the site's cold months holding hits that match `where` (SQL over hits, with `parameters`)."""
    files = run(
        "SELECT name, tier FROM cold_files WHERE site_id = ? AND month IN"
        f" (SELECT DISTINCT CAST(date_trunc('month', timestamp) AS DATE) FROM hits WHERE {where})",
        [site_id, *parameters],
    )
    _thaw_files(run, directory, [(str(name), str(tier)) for name, tier in files])


def _thaw_files(run: Run, directory: Path, files: Sequence[tuple[str, str]]) -> bool:
    """Move the rows of `files` ((name, tier) pairs) into their live tables and unlist them, with one
    replacement of the views; whether there were any."""
    if not files:
        return False
    for tier in TIERS:
        names = [name for name, of_tier in files if of_tier == tier.view]
        if names:
            run(f"INSERT INTO {tier.live} BY NAME SELECT * FROM {_read_files(directory, names)}", [])
    _retire(run, [name for name, _ in files])
    replace_views(run, directory)
    return True


def forget_site(run: Run, directory: Path, site_id: str) -> None:
    """Unlist every cold file of a site (inside the caller's transaction, which deletes its live rows)."""
    names = [str(name) for (name,) in run("SELECT name FROM cold_files WHERE site_id = ?", [site_id])]
    if names:
        _retire(run, names)
        replace_views(run, directory)


def due_months(run: Run, frozen_before: date) -> list[tuple[str, date]]:
    """(site, month) pairs whose live tables hold rows of days before `frozen_before`."""
    cutoff = midnight(frozen_before)
    rows = run(
        "SELECT DISTINCT site_id, CAST(date_trunc('month', timestamp) AS DATE) AS month FROM live_hits"
        " WHERE timestamp < CAST(? AS TIMESTAMP_S)"
        f" UNION SELECT DISTINCT site_id, CAST(date_trunc('month', {SESSION_DAY}) AS DATE) AS month"
        " FROM live_settled_sessions WHERE session_id < ? ORDER BY site_id, month",
        [cutoff, unix_seconds(cutoff)],
    )
    return [(str(site_id), month) for site_id, month in rows]


def freeze_month(run: Run, directory: Path, site_id: str, month: date, frozen_before: date) -> int:
    """Write the site's rows of `month` before `frozen_before` (cold ones included) to new files, one per table,
    delete them from the live tables and list the files instead of the month's old ones, in one transaction;
    how many live rows moved, or 0 when a day of the span is still pending (not compacted nor settled)."""
    written: list[Path] = []
    run("BEGIN", [])
    try:
        listed = run("SELECT name, until FROM cold_files WHERE site_id = ? AND month = ?", [site_id, month])
        old = [str(name) for name, _ in listed]
        # Never less than the month's files hold (an earlier cutoff asked, a clock set back): their rows must all
        # be in the new ones.
        until = max([min(_month_end(month), frozen_before), *(until for _, until in listed)])
        start, end = midnight(month), midnight(until)
        pending = "SELECT 1 FROM pending_days WHERE site_id = ? AND day >= ? AND day < ? LIMIT 1"
        if run(pending, [site_id, month, until]):
            run("ROLLBACK", [])
            return 0
        moved = 0
        for tier in TIERS:
            parameters = tier.parameters(site_id, start, end)
            moved += int(run(f"SELECT count(*) FROM {tier.live} WHERE {tier.days}", parameters)[0][0])
            name = f"{tier.view}-{month:%Y-%m}-{secrets.token_hex(8)}.parquet"
            path = directory / name
            written.append(path)
            # The cold rows of the month too: a month stays one file per table however often it froze.
            run(
                f"COPY (SELECT * FROM {tier.view} WHERE {tier.days} ORDER BY {tier.order})"
                f" TO {string_literal(str(path))} ({PARQUET_OPTIONS})",
                parameters,
            )
            _make_durable(path)
            rows = int(run(f"SELECT count(*) FROM {_read_files(directory, [name])}", [])[0][0])
            run(f"DELETE FROM {tier.live} WHERE {tier.days}", parameters)
            run("INSERT INTO cold_files VALUES (?, ?, ?, ?, ?, ?)", [name, tier.view, site_id, month, until, rows])
        _retire(run, old)
        replace_views(run, directory)
        run("COMMIT", [])
    except BaseException:
        run("ROLLBACK", [])
        for path in written:  # never listed
            path.unlink(missing_ok=True)
        raise
    return moved


def _make_durable(path: Path) -> None:
    """Owner-only, and on disk before the commit that lists it."""
    os.chmod(path, PRIVATE_FILE_MODE)
    fsync_path(path)
    fsync_path(path.parent)


def freeze_settled_months(
    is_open: Callable[[], bool], run: Run, directory: Path, frozen_before: date, conflict: type[Exception]
) -> FreezeRun:
    """Freeze every site's settled days before `frozen_before`, a month a transaction; a month whose rows a
    concurrent writer holds (`conflict`) or that has a pending day stays live until a later run."""
    ensure_private_directory(directory)
    files = rows = 0
    longest = 0.0
    for site_id, month in due_months(run, frozen_before) if is_open() else []:
        if not is_open():
            break
        started = time.perf_counter()
        try:
            moved = freeze_month(run, directory, site_id, month, frozen_before)
        except conflict:
            continue
        longest = max(longest, time.perf_counter() - started)
        if moved:
            files += len(TIERS)
            rows += moved
    delete_unlisted_files(run, directory, time.time() - RETIRED_FILE_SECONDS)
    return FreezeRun(files, rows, longest)


def tidy_at_open(run: Run, directory: Path) -> None:
    """At open: delete what delete_unlisted_files deletes, and make the views name the listed files where
    they are now (the data directory may have moved)."""
    delete_unlisted_files(run, directory, time.time() - RETIRED_FILE_SECONDS)
    replace_views(run, directory)


def delete_unlisted_files(run: Run, directory: Path, before: float) -> None:
    """Delete the files unlisted before `before` (Unix seconds), and forget them; and files never listed (a
    crash between writing a file and the commit that would list it) last changed before it. Not younger ones:
    another store of the same database in this process may be about to list one, or a report to read one."""
    cutoff = datetime.fromtimestamp(before, UTC).replace(tzinfo=None)
    retired = {str(name) for (name,) in run("SELECT name FROM retired_cold_files WHERE retired_at < ?", [cutoff])}
    if directory.exists():
        known = {
            str(name) for (name,) in run("SELECT name FROM cold_files UNION SELECT name FROM retired_cold_files", [])
        }
        for path in directory.iterdir():
            if path.name in retired or (path.name not in known and path.stat().st_mtime < before):
                path.unlink(missing_ok=True)
    if retired:
        run("DELETE FROM retired_cold_files WHERE retired_at < ?", [cutoff])


def cold_rows_into(run: Run, directory: Path, target: str) -> None:
    """Insert the rows of every listed file into the live tables of the attached database `target` (a backup
    being written, inside its transaction), and list no file there."""
    for tier in TIERS:
        names = [str(name) for (name,) in run("SELECT name FROM cold_files WHERE tier = ?", [tier.view])]
        if names:
            run(f"INSERT INTO {target}.main.{tier.live} BY NAME SELECT * FROM {_read_files(directory, names)}", [])
    run(f"DELETE FROM {target}.main.cold_files", [])
    run(f"DELETE FROM {target}.main.retired_cold_files", [])


def earliest_cold_hit(run: Run, directory: Path, site_id: str) -> int | None:
    """The Unix second of the site's earliest hit in a cold file, if any: in its earliest month's file (a top-N
    over the view would read every cold timestamp of the site, 70 ms on the bench's 10 M-hit site)."""
    rows = run(
        "SELECT name FROM cold_files WHERE site_id = ? AND tier = ? AND rows > 0 ORDER BY month LIMIT 1",
        [site_id, HITS.view],
    )
    if not rows:
        return None
    ((first,),) = run(f"SELECT epoch(min(timestamp)) FROM {_read_files(directory, [str(rows[0][0])])}", [])
    return None if first is None else int(first)


def cold_bytes(run: Run, directory: Path) -> int:
    """Bytes of the listed files."""
    names = [str(name) for (name,) in run("SELECT name FROM cold_files", [])]
    return sum((directory / name).stat().st_size for name in names)
