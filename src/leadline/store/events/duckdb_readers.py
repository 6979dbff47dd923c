"""Reports on the embedded store, side by side: a small pool of read cursors on the store's database.

One DuckDB connection runs one statement at a time, so the dashboard's twenty-odd reports waited for each other
behind the store's lock, and behind every flush. A cursor is a connection of its own to the same open database
(its own transaction, DuckDB's MVCC gives it a consistent snapshot of committed rows), so reports on different
cursors run in parallel with each other and with writes. Small reports leave cores idle in their single-threaded
phases (parse, plan, the final sort); running two at once fills them.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import duckdb

from leadline.store.events.base import EventStoreTimeoutError

# A statement run before a report's own, in its transaction: (SQL, positional parameters).
Statement = tuple[str, Sequence[object]]
# Run first in a report's transaction, on its cursor: it may change the cursor's settings for the report
# (duckdb_cold.read_recent_only), and returns the statements that undo them, run after the transaction.
Prepare = Callable[[duckdb.DuckDBPyConnection], Sequence[str]]

# How often a query past its deadline is interrupted again, until it stops.
INTERRUPT_REPEAT_SECONDS = 0.05
# Attempts at a statement that undoes a report's settings (each takes microseconds; an interrupt comes every
# INTERRUPT_REPEAT_SECONDS at most).
UNDO_ATTEMPTS = 5


class ReadCursors:
    """`size` cursors of `connection`, lent to one thread at a time."""

    def __init__(self, connection: duckdb.DuckDBPyConnection, size: int) -> None:
        self._all = [connection.cursor() for _ in range(size)]
        self._idle: queue.Queue[duckdb.DuckDBPyConnection] = queue.Queue()
        for cursor in self._all:
            self._idle.put(cursor)
        self._closed = False

    @contextmanager
    def lend(self, timeout_seconds: float | None) -> Iterator[duckdb.DuckDBPyConnection]:
        if self._closed:  # as the store's connection answers once closed (waiting would be forever)
            raise duckdb.ConnectionException("Connection already closed!")
        try:
            cursor = self._idle.get(timeout=timeout_seconds)
        except queue.Empty:
            raise EventStoreTimeoutError(f"the event store stayed busy for {timeout_seconds:g} s") from None
        try:
            yield cursor
        finally:
            self._idle.put(cursor)

    def fetch(
        self,
        sql: str,
        params: Sequence[object],
        timeout_seconds: float | None,
        setup: Sequence[Statement] = (),
        prepare: Prepare | None = None,
    ) -> list[tuple[Any, ...]]:
        """Rows of `sql` on an idle cursor, after `prepare` and the `setup` statements in the same transaction
        (one snapshot); with a timeout, waiting for the cursor counts against it too."""
        deadline = None if timeout_seconds is None else time.monotonic() + timeout_seconds
        with self.lend(timeout_seconds) as cursor:
            if deadline is None:
                return _drain(cursor, sql, params, setup, prepare)
            return _run_interruptible(cursor, sql, params, setup, prepare, deadline)

    def close(self) -> None:
        """Close every cursor, waiting for those lent out to come back; closing again does nothing (a store may
        be closed twice, like the DuckDB connection under it)."""
        if self._closed:
            return
        self._closed = True
        for _ in self._all:
            self._idle.get().close()


def _drain(
    cursor: duckdb.DuckDBPyConnection,
    sql: str,
    params: Sequence[object],
    setup: Sequence[Statement],
    prepare: Prepare | None = None,
) -> list[tuple[Any, ...]]:
    if not setup and prepare is None:
        rows: list[tuple[Any, ...]] = cursor.execute(sql, list(params)).fetchall()
        return rows
    cursor.execute("BEGIN TRANSACTION")
    undo: Sequence[str] = ()
    try:
        if prepare is not None:
            undo = prepare(cursor)
        for setup_sql, setup_params in setup:
            cursor.execute(setup_sql, list(setup_params))
        rows = cursor.execute(sql, list(params)).fetchall()
    finally:
        try:
            cursor.execute("ROLLBACK")  # it only read: nothing to keep
        finally:
            for statement in undo:
                _execute_despite_interrupts(cursor, statement)
    return rows


def _execute_despite_interrupts(cursor: duckdb.DuckDBPyConnection, statement: str) -> None:
    """Run `statement`, again if a timeout's interrupt (repeated until the report's end) lands on it: a cursor
    left with a report's settings would answer the next report wrongly."""
    for _ in range(UNDO_ATTEMPTS - 1):
        try:
            cursor.execute(statement)
            return
        except duckdb.InterruptException:
            continue
    cursor.execute(statement)


def _run_interruptible(
    cursor: duckdb.DuckDBPyConnection,
    sql: str,
    params: Sequence[object],
    setup: Sequence[Statement],
    prepare: Prepare | None,
    deadline: float,
) -> list[tuple[Any, ...]]:
    """Rows of `sql`, interrupted from `deadline` on."""
    finished = threading.Event()
    guard = threading.Lock()  # an interrupt never lands after the query ended (on the next one)

    def watchdog() -> None:
        if finished.wait(max(deadline - time.monotonic(), 0.0)):
            return
        # Again and again: an interrupt that arrives while DuckDB is still preparing the query is forgotten.
        while True:
            with guard:
                if finished.is_set():
                    return
                cursor.interrupt()
            if finished.wait(INTERRUPT_REPEAT_SECONDS):
                return

    threading.Thread(target=watchdog, name="report-watchdog", daemon=True).start()
    try:
        return _drain(cursor, sql, params, setup, prepare)
    except duckdb.InterruptException as error:
        raise EventStoreTimeoutError("the query ran past its time limit and was interrupted") from error
    finally:
        with guard:
            finished.set()
