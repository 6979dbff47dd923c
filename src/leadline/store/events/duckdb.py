"""The embedded event store: one DuckDB file, hits ordered by (site, time)."""

from __future__ import annotations

import dataclasses
import functools
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from leadline.store.events.base import (
    HIT_ARROW_SCHEMA,
    HIT_COLUMNS,
    LASTING_BATCH_PREFIXES,
    EventStoreBusyError,
    Hit,
    HitKind,
    HitRow,
    Params,
    RollupState,
    Setup,
    hit_to_row,
    in_whole_seconds,
)
from leadline.store.events.duckdb_cold import (
    COLD_AFTER_DAYS,
    COLD_MIGRATION,
    cold_bytes,
    cold_directory,
    cold_rows_into,
    earliest_cold_hit,
    forget_site,
    freeze_settled_months,
    read_recent_only,
    string_literal,
    thaw_site_months,
    tidy_at_open,
)
from leadline.store.events.duckdb_compaction import (
    MARK_PENDING,
    PENDING_DAYS_MIGRATION,
    SETTLED_SESSIONS_MIGRATION,
    WHOLE_SECONDS_MIGRATION,
    CompactionRun,
    compact_closed_days,
    mark_parameters,
)
from leadline.store.events.duckdb_readers import ReadCursors
from leadline.store.events.duckdb_rollups import (
    EVENT_ROLLUPS_MIGRATION,
    EXIT_ROLLUPS_MIGRATION,
    QUARTER_HOURS_MIGRATION,
    ROLLUPS_MIGRATION,
    SESSION_DAY,
    SITE_ROLLUP_TABLES,
    VISITOR_HOURS_MIGRATION,
    Run,
    in_window,
    whole_second_bound,
)
from leadline.store.events.duckdb_spooled import SPOOLED_HITS, spooled_blob
from leadline.store.events.spooled_rows import SpooledBatch
from leadline.store.files import PRIVATE_FILE_MODE, ensure_private_directory

# Each entry upgrades the schema by one version; the file records the version it has reached.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE hits (
        site_id VARCHAR NOT NULL,
        timestamp TIMESTAMP NOT NULL,
        kind UTINYINT NOT NULL,
        visitor_id UBIGINT NOT NULL,
        session_id UBIGINT NOT NULL,
        hostname VARCHAR NOT NULL,
        pathname VARCHAR NOT NULL,
        event_id VARCHAR NOT NULL,
        value BIGINT NOT NULL,
        referrer_hostname VARCHAR NOT NULL,
        referrer_pathname VARCHAR NOT NULL,
        keyword VARCHAR NOT NULL,
        utm_source VARCHAR NOT NULL,
        utm_medium VARCHAR NOT NULL,
        utm_campaign VARCHAR NOT NULL,
        utm_content VARCHAR NOT NULL,
        utm_term VARCHAR NOT NULL,
        browser VARCHAR NOT NULL,
        operating_system VARCHAR NOT NULL,
        device_type VARCHAR NOT NULL,
        country_code VARCHAR NOT NULL,
        city VARCHAR NOT NULL
    );
    CREATE TABLE sessions (
        site_id VARCHAR NOT NULL,
        session_id UBIGINT NOT NULL,
        visitor_id UBIGINT NOT NULL,
        started_at TIMESTAMP NOT NULL,
        last_seen_at TIMESTAMP NOT NULL,
        pageviews UINTEGER NOT NULL,
        events UINTEGER NOT NULL
    );
    """,
    """
    CREATE TABLE stored_batches (
        batch_id VARCHAR PRIMARY KEY,
        stored_at TIMESTAMP NOT NULL
    );
    """,
    # Entry pageviews, flagged at ingest from now on; earlier hits get the flag from their sessions.
    """
    ALTER TABLE hits ADD COLUMN entry BOOLEAN NOT NULL DEFAULT false;
    UPDATE hits SET entry = true WHERE rowid IN (
        SELECT arg_min(rowid, timestamp) FROM hits WHERE kind = 1 GROUP BY site_id, visitor_id, session_id
    );
    """,
    # Sessions are read from hits (grouped by visitor and session id); the table for them was never written.
    """
    DROP TABLE IF EXISTS sessions;
    """,
    # Regions, located at ingest from now on; earlier hits keep "" (their addresses were never kept).
    """
    ALTER TABLE hits ADD COLUMN region VARCHAR NOT NULL DEFAULT '';
    """,
    # Closed days are rewritten in session order (duckdb_compaction); every stored day waits for it.
    PENDING_DAYS_MIGRATION,
    # Sessions of closed days are settled by compaction (duckdb_compaction); every stored day waits for it again.
    SETTLED_SESSIONS_MIGRATION,
    # Settled days are rolled up by compaction (duckdb_rollups); every stored day waits for it again.
    ROLLUPS_MIGRATION,
    # Settled days' events are rolled up too (duckdb_rollups); every stored day waits for compaction again.
    EVENT_ROLLUPS_MIGRATION,
    # And their sessions' exit pages (duckdb_rollups); every stored day waits for compaction again.
    EXIT_ROLLUPS_MIGRATION,
    # And their visitors' first and last hours (duckdb_rollups); every stored day waits for compaction again.
    VISITOR_HOURS_MIGRATION,
    # Rollups by the UTC quarter hour instead of the hour, so that every time zone's days are made of them
    # (duckdb_rollups); every stored day waits for compaction again.
    QUARTER_HOURS_MIGRATION,
    # Instants in whole seconds (base.Hit): every stored day waits for compaction again, which settles their
    # sessions anew (duckdb_compaction).
    WHOLE_SECONDS_MIGRATION,
    # Settled days older than a month go cold, as Parquet files (duckdb_cold): hits and settled sessions become
    # views over the live tables and the files.
    COLD_MIGRATION,
)

# Reports run side by side on this many cursors (see duckdb_readers): two filled both cores of the bench machine.
READ_CURSORS = 2

# A delete that meets a compaction of the same rows is retried until the compaction's transaction ends: a
# week of a 10 M-hit site took up to 17 s on a loaded 2-core machine, usually 1-3 s.
DELETE_PATIENCE_SECONDS = 120.0
DELETE_RETRY_SECONDS = 0.1

# How long a spool segment's batch id is remembered: far longer than a segment can wait to be replayed (lasting
# batches, base.is_lasting_batch, are remembered for good).
BATCH_MEMORY = timedelta(days=7)


class WriteCounts:
    """Committed writes to each database file this process has open, counted: a value read from the file after
    the n-th write holds until the next. By path, as DuckDB hands every connection to one file in a process the
    same database (two stores of one file count together); no other process can write to an open file."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}

    def count(self, path: str) -> int:
        with self._lock:
            return self._counts.get(path, 0)

    def add(self, path: str) -> None:
        with self._lock:
            self._counts[path] = self._counts.get(path, 0) + 1


WRITES = WriteCounts()


def connect_exclusive(path: Path) -> duckdb.DuckDBPyConnection:
    """A connection to the DuckDB file at `path`; EventStoreBusyError while another process holds it (DuckDB
    lets one process open a file)."""
    try:
        return duckdb.connect(str(path))
    except duckdb.IOException as error:
        if "lock" not in str(error).lower():
            raise
        raise EventStoreBusyError(
            f"the event store {path} is in use by another process (a running server?): stop it and retry"
        ) from error


class DuckDBEventStore:
    dialect = "duckdb"

    def __init__(self, path: str | Path) -> None:
        path = Path(path)
        ensure_private_directory(path.parent)
        new_file = not path.exists()
        self._connection = connect_exclusive(path)
        if new_file and path.exists():  # DuckDB refuses an empty file made beforehand: narrow the new one now
            path.chmod(PRIVATE_FILE_MODE)
        # One connection, used by one thread at a time: DuckDB connections are not thread-safe.
        self._lock = threading.Lock()
        # A cursor (a connection of its own to the same database) for figures read at any time, such as a
        # /metrics scrape, which must not wait behind a long report on the main connection.
        self._figures = self._connection.cursor()
        self._figures_lock = threading.Lock()
        self._readers = ReadCursors(self._connection, READ_CURSORS)
        self._closed = False
        self._path = str(path.resolve())
        self._cold = cold_directory(path.resolve())
        # Each site's rollup state, with the count of writes it was read after (see rollup_state).
        self._rollup_states: dict[str, tuple[int, RollupState]] = {}
        # Reports read the cold files' footers again and again: kept, as long as a file is unchanged.
        self._run("SET GLOBAL parquet_metadata_cache = true")
        self._migrate()
        with self._lock:
            tidy_at_open(self._run, self._cold)

    def _run(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:  # a duckdb_rollups.Run
        # Always drain the result: DuckDB refuses new work on a connection with an unfinished one.
        rows: list[tuple[Any, ...]] = self._connection.execute(sql, list(params)).fetchall()
        return rows

    def _commit(self) -> None:
        """COMMIT the open transaction, and count the write (WRITES: cached reads of the file are then stale)."""
        self._run("COMMIT")
        WRITES.add(self._path)

    def _migrate(self) -> None:
        with self._lock:
            self._run("CREATE TABLE IF NOT EXISTS leadline_schema (version INTEGER NOT NULL)")
            version = self._run("SELECT coalesce(max(version), 0) FROM leadline_schema")[0][0]
            for number, statement in enumerate(MIGRATIONS[version:], start=version + 1):
                self._run("BEGIN")
                for part in filter(str.strip, statement.split(";")):
                    self._run(part)
                self._run("INSERT INTO leadline_schema VALUES (?)", [number])
                self._commit()  # most mark every stored day pending

    def insert_hits(self, hits: Sequence[Hit]) -> None:
        if not hits:
            return
        with self._lock:
            self._run("BEGIN")
            try:
                self._append([hit_to_row(hit) for hit in hits])
                self._commit()
            except BaseException:
                self._run("ROLLBACK")
                raise

    def insert_batch(self, batch_id: str, rows: Sequence[HitRow]) -> bool:
        return self._store_once(batch_id, lambda: self._append(in_whole_seconds(rows)) if rows else None)

    def insert_spooled(self, batch_id: str, batch: SpooledBatch) -> bool:
        return self._store_once(batch_id, lambda: self._append_spooled(batch.records) if batch.records else None)

    def _store_once(self, batch_id: str, append: Callable[[], None]) -> bool:
        """Run `append` and remember `batch_id` in one transaction, unless the batch was stored before."""
        now = datetime.now(UTC).replace(tzinfo=None)
        with self._lock:
            self._run("BEGIN")
            try:
                if self._run("SELECT 1 FROM stored_batches WHERE batch_id = ?", [batch_id]):
                    self._run("ROLLBACK")
                    return False
                append()
                self._run("INSERT INTO stored_batches VALUES (?, ?)", [batch_id, now])
                lasting = " AND ".join("NOT starts_with(batch_id, ?)" for _ in LASTING_BATCH_PREFIXES)
                self._run(
                    f"DELETE FROM stored_batches WHERE stored_at < ? AND {lasting}",
                    [now - BATCH_MEMORY, *LASTING_BATCH_PREFIXES],
                )
                self._commit()
            except BaseException:
                self._run("ROLLBACK")
                raise
        return True

    def recent_sessions(self, since: datetime) -> list[tuple[str, int, int, float, float, bool]]:
        with self._lock:
            rows = self._run(
                "SELECT site_id, visitor_id, session_id, epoch(min(timestamp)), epoch(max(timestamp)), "
                "bool_or(kind = 1) FROM hits "
                "WHERE timestamp >= CAST(? AS TIMESTAMP_S) GROUP BY site_id, visitor_id, session_id",
                [whole_second_bound(since)],
            )
        return [
            (site, int(visitor), int(session), float(first), float(last), bool(entered))
            for site, visitor, session, first, last, entered in rows
        ]

    def _append(self, rows: Sequence[HitRow]) -> None:
        # Arrow batches: DuckDB takes hundreds of thousands of rows a second this way (~2.5k row by row).
        # Column by column in Python, not zip(*rows): that transposes a whole segment in one C call, holding the
        # GIL the event loop waits for as long as it runs (4 ms for 5,000 rows, 77 ms when a collection fell in it).
        width = len(HIT_ARROW_SCHEMA)
        if any(len(row) != width for row in rows):
            raise ValueError(f"a hit row has other than {width} columns")
        columns = [
            pa.array([row[index] for row in rows], type=field.type) for index, field in enumerate(HIT_ARROW_SCHEMA)
        ]
        batch = pa.Table.from_arrays(columns, schema=HIT_ARROW_SCHEMA)
        self._connection.register("incoming_hits", batch)
        try:
            self._take_incoming_hits()
        finally:
            self._connection.unregister("incoming_hits")

    def _append_spooled(self, records: Sequence[bytes]) -> None:
        # Inside the caller's transaction: a failure rolls the temporary table back with the rest.
        self._run(f"CREATE TEMP TABLE incoming_hits AS {SPOOLED_HITS}", [spooled_blob(records)])
        self._take_incoming_hits()
        self._run("DROP TABLE incoming_hits")

    def _take_incoming_hits(self) -> None:
        """Append the rows of `incoming_hits` (a registered Arrow table or a temporary table), marking their days
        pending for the compaction job."""
        self._run(
            f"INSERT INTO live_hits ({', '.join(HIT_COLUMNS)}) SELECT {', '.join(HIT_COLUMNS)} FROM incoming_hits"
        )
        self._run(MARK_PENDING, mark_parameters(datetime.now(UTC).date()))

    def fetch(
        self,
        sql: str,
        params: Params,
        timeout_seconds: float | None = None,
        setup: Sequence[Setup] = (),
        reads_from: int | None = None,
    ) -> list[tuple[Any, ...]]:
        if any(given.style != "qmark" for given in (params, *(setup_params for _, setup_params in setup))):
            raise ValueError("DuckDB takes positional parameters")
        statements = [(setup_sql, setup_params.positional) for setup_sql, setup_params in setup]
        prepare = None if reads_from is None else functools.partial(read_recent_only, reads_from=reads_from)
        return self._readers.fetch(sql, params.positional, timeout_seconds, statements, prepare)

    def rollup_state(self, site_id: str) -> RollupState:
        """The site's rollup state as of the last write (query/rolled.py asks it before each report that may sum
        rollups): read again only after a write, as a dashboard asks it for a dozen reports at a time."""
        writes = WRITES.count(self._path)
        cached = self._rollup_states.get(site_id)
        if cached is not None and cached[0] == writes:
            return cached[1]
        # Read after counting: a write meanwhile makes this state newer than `writes` says, so it is read again.
        ((unsummable, pending),) = self._readers.fetch(
            "SELECT EXISTS (SELECT 1 FROM unsummable_sites WHERE site_id = ?),"
            " (SELECT list(DISTINCT day - DATE '1970-01-01') FROM pending_days WHERE site_id = ?)",
            [site_id, site_id],
            None,
            [],
        )
        state = RollupState(bool(unsummable), frozenset(int(day) for day in pending or []))
        self._rollup_states[site_id] = (writes, state)
        return state

    def earliest_hit(self, site_id: str) -> int | None:
        # ORDER BY … LIMIT 1 rather than min(): DuckDB skips row groups whose zone map cannot beat the best so
        # far, while min() reads every row group of the site (30 ms on a compacted 10 M-hit site, vs 3 ms).
        with self._lock:
            self._run("BEGIN")  # one snapshot: no freeze or thaw between the two reads
            try:
                live = self._run(
                    "SELECT epoch(timestamp) FROM live_hits WHERE site_id = ? ORDER BY timestamp LIMIT 1", [site_id]
                )
                cold = earliest_cold_hit(self._run, self._cold, site_id)
            finally:
                self._run("ROLLBACK")  # nothing written
        found = [int(live[0][0])] if live else []
        return min(found + ([] if cold is None else [cold]), default=None)

    def count_hits(self, site_id: str, event_id: str | None = None) -> int:
        query, params = "SELECT count(*) FROM hits WHERE site_id = ?", [site_id]
        if event_id is not None:
            query, params = query + " AND event_id = ?", [site_id, event_id]
        with self._lock:
            return int(self._run(query, params)[0][0])

    def daily_counts(self, site_id: str) -> dict[date, int]:
        with self._lock:
            rows = self._run(
                "SELECT CAST(timestamp AS DATE) AS day, count(*) FROM hits WHERE site_id = ? GROUP BY day ORDER BY day",
                [site_id],
            )
        return {day: int(count) for day, count in rows}

    def read_hits(self, site_id: str, start: datetime, end: datetime) -> pa.Table:
        columns = ", ".join(HIT_COLUMNS)
        with self._lock:
            table = self._connection.sql(
                f"SELECT {columns} FROM hits WHERE site_id = ? AND {in_window()} ORDER BY timestamp",
                params=[site_id, whole_second_bound(start), whole_second_bound(end)],
            ).to_arrow_table()
        return table.cast(HIT_ARROW_SCHEMA)

    def delete_site_data(self, site_id: str) -> None:
        # Its days stay marked pending: compacting a day without hits only removes the mark.
        def delete(run: Run) -> None:
            forget_site(run, self._cold, site_id)
            for table in ("live_hits", "live_settled_sessions", "settled_days", *SITE_ROLLUP_TABLES):
                run(f"DELETE FROM {table} WHERE site_id = ?", [site_id])

        self._delete(delete)

    def delete_event_data(self, site_id: str, event_id: str) -> None:
        of_event = "site_id = ? AND kind = ? AND event_id = ?"
        params = [site_id, int(HitKind.EVENT), event_id]
        # The sessions these hits belonged to change (their span): their days wait to be settled again. Marked
        # unconditionally, so that a compaction settling one of them meanwhile cannot remove the mark.
        sessions_days = (
            "INSERT INTO pending_days SELECT DISTINCT site_id, day FROM ("
            f" SELECT site_id, CAST(timestamp AS DATE) AS day FROM hits WHERE {of_event} UNION ALL"
            f" SELECT site_id, {SESSION_DAY} AS day FROM hits"
            f" WHERE {of_event})"
        )

        def delete(run: Run) -> None:
            # Cold months holding the event's hits come back to the tables, where its hits can be deleted; they
            # freeze again once compaction has settled their days anew.
            thaw_site_months(run, self._cold, site_id, of_event, params)
            run(sessions_days, [*params, *params])
            run(f"DELETE FROM live_hits WHERE {of_event}", params)

        self._delete(delete)

    def _delete(self, delete: Callable[[Run], None]) -> None:
        """Run `delete` in one transaction.

        A compaction rewriting one of the days (on its own connection) holds its rows for a moment: wait it out.
        """
        deadline = time.monotonic() + DELETE_PATIENCE_SECONDS
        while True:
            with self._lock:
                try:
                    self._run("BEGIN")
                    try:
                        delete(self._run)
                        self._commit()
                    except BaseException:
                        self._run("ROLLBACK")
                        raise
                    return
                except duckdb.TransactionException:
                    if time.monotonic() > deadline:
                        raise
            time.sleep(DELETE_RETRY_SECONDS)

    def copy_to(self, target: Path) -> None:
        """Write a consistent copy of the whole database to a new DuckDB file at `target` (a backup while serving).

        One COPY FROM DATABASE statement reads one snapshot (DuckDB's MVCC), on a connection of its own to the
        same open database: the store goes on taking batches and answering reports meanwhile, and `close()`
        neither waits for nor breaks a copy in progress (a cursor of the store's connection would make it
        refuse to close). ATTACH + COPY rather than copying the file: the copy is a complete database,
        whatever the write-ahead log holds.
        """
        with self._lock:
            source, path = self._run(
                "SELECT database_name, path FROM duckdb_databases() WHERE database_name = current_database()"
            )[0]
        # Quoted by hand: ATTACH and COPY take no bound parameters (the names are ours, quoted all the same).
        target_literal = string_literal(str(target))
        source_name = '"' + str(source).replace('"', '""') + '"'
        alias = f"leadline_backup_{secrets.token_hex(8)}"  # attached databases are seen by every connection
        copier = duckdb.connect(str(path))  # DuckDB hands out the database this process has open, not a second one

        def run(sql: str, params: Sequence[object]) -> list[tuple[Any, ...]]:
            rows: list[tuple[Any, ...]] = copier.execute(sql, list(params)).fetchall()
            return rows

        try:
            copier.execute("SET enable_progress_bar = false")  # it would draw on the server's stderr
            copier.execute(f"ATTACH {target_literal} AS {alias}")
            try:
                # One transaction, one snapshot: the cold files it lists stay on disk while it reads them.
                copier.execute("BEGIN")
                try:
                    copier.execute(f"COPY FROM DATABASE {source_name} TO {alias}")
                    cold_rows_into(run, self._cold, alias)
                    copier.execute("COMMIT")
                except BaseException:
                    copier.execute("ROLLBACK")
                    raise
            finally:
                copier.execute(f"DETACH {alias}")
        finally:
            copier.close()

    def compact_closed_days(self, closed_before: date, frozen_before: date | None = None) -> CompactionRun:
        """Rewrite each site's days before `closed_before` (UTC) that got hits since their last compaction in
        session order (fewer bytes a hit), then move settled days before `frozen_before` (by default
        COLD_AFTER_DAYS ago) to the cold tier (duckdb_cold), on a connection of its own: the store goes on
        meanwhile."""
        compactor = self._second_connection()
        try:

            def run(sql: str, params: Sequence[object]) -> list[tuple[Any, ...]]:
                rows: list[tuple[Any, ...]] = compactor.execute(sql, list(params)).fetchall()
                if sql == "COMMIT":  # a run of days settled (or a site found unsummable, or a month frozen)
                    WRITES.add(self._path)
                return rows

            def is_open() -> bool:
                return not self._closed

            compaction = compact_closed_days(is_open, run, self._cold, closed_before)
            cutoff = frozen_before or datetime.now(UTC).date() - timedelta(days=COLD_AFTER_DAYS)
            frozen = freeze_settled_months(is_open, run, self._cold, cutoff, duckdb.TransactionException)
            return dataclasses.replace(
                compaction,
                frozen_files=frozen.files,
                frozen_rows=frozen.rows,
                longest_transaction_seconds=max(
                    compaction.longest_transaction_seconds, frozen.longest_transaction_seconds
                ),
            )
        finally:
            compactor.close()

    def cold_bytes(self) -> int:
        """Bytes of the cold tier's files in use (the database file's blocks are counted by DuckDB)."""
        with self._lock:
            return cold_bytes(self._run, self._cold)

    def _second_connection(self) -> duckdb.DuckDBPyConnection:
        """Another connection to the database this store has open (DuckDB hands out the same one in a process)."""
        with self._lock:
            path = self._run("SELECT path FROM duckdb_databases() WHERE database_name = current_database()")[0][0]
        connection = duckdb.connect(str(path))
        connection.execute("SET enable_progress_bar = false")  # it would draw on the server's stderr
        return connection

    def memory_bytes(self) -> int:
        """Memory DuckDB holds now (its buffer manager: cached blocks of the file, working memory of queries)."""
        with self._figures_lock:
            total = self._figures.execute("SELECT coalesce(sum(memory_usage_bytes), 0) FROM duckdb_memory()").fetchone()
        return int(total[0]) if total else 0

    def close(self) -> None:
        with self._lock:
            self._closed = True
            with self._figures_lock:
                self._figures.close()
            self._readers.close()
            self._connection.close()
