"""Rewriting the embedded event store's file without its free space (`leadline vacuum`).

DuckDB reuses the blocks that deletions free but never gives them back to the file system: a store whose old
days moved to the cold tier (an upgrade from a version before it: 279 MiB of which 30 hold rows, on the
bench's 11.43 M hits) or that deleted a big site keeps its file's size until later hits fill it. The rewrite
copies every schema, table, view and row into a new file (`COPY FROM DATABASE`; 1 s there), checks that each
table holds as many rows as before, and puts the copy in the old file's place with one rename: a crash leaves
the old file whole, and at worst a draft that the next rewrite removes. Offline only: DuckDB lets one process
open the file, and a running server holds it.
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from leadline.store.events.duckdb import DuckDBEventStore, connect_exclusive
from leadline.store.events.duckdb_cold import string_literal
from leadline.store.files import PRIVATE_FILE_MODE, fsync_path


class RewriteError(RuntimeError):
    """The copy differed from the file or could not be put in its place; the file is left as it was."""


@dataclass(frozen=True)
class Rewrite:
    path: Path
    bytes_before: int
    bytes_after: int
    seconds: float


def rewrite_file(path: Path) -> Rewrite:
    """Rewrite the DuckDB event store at `path` without its free blocks; EventStoreBusyError while a process
    (a running server) holds it, FileNotFoundError when there is none."""
    started = time.perf_counter()
    path = path.resolve()
    if not path.is_file():
        raise FileNotFoundError(f"no event store at {path}")
    # Opened as the server opens it first: migrated to this version and tidied, its write-ahead log folded in.
    DuckDBEventStore(path).close()
    before = path.stat().st_size
    draft = path.with_name(f".{path.name}.rewrite")
    for leftover in (draft, _wal(draft)):  # from a rewrite that was interrupted
        leftover.unlink(missing_ok=True)
    # The old file stays open (and locked) until the copy has taken its place: a server started meanwhile
    # fails to open it, instead of writing into a file about to be replaced.
    with connect_exclusive(path) as connection:
        try:
            connection.execute("CHECKPOINT")
            _copy(connection, draft)
            for log in (_wal(path), _wal(draft)):
                if log.exists() and log.stat().st_size:  # replayed against the new file, it would corrupt it
                    raise RewriteError(f"{log} remained after the copy; the event store was left as it was")
            draft.chmod(PRIVATE_FILE_MODE)
            fsync_path(draft)
            os.replace(draft, path)
            fsync_path(path.parent)
        except BaseException:
            draft.unlink(missing_ok=True)
            raise
    DuckDBEventStore(path).close()  # opens as a server would, rebuilding the views over the cold files
    return Rewrite(path, before, path.stat().st_size, time.perf_counter() - started)


def _copy(connection: duckdb.DuckDBPyConnection, draft: Path) -> None:
    """Copy the connection's database into a new file `draft`, and check that every table has all its rows."""
    name = str(_one(connection, "SELECT current_database()"))
    source = '"' + name.replace('"', '""') + '"'
    connection.execute(f"ATTACH {string_literal(str(draft))} AS rewritten")
    try:
        connection.execute(f"COPY FROM DATABASE {source} TO rewritten")
        tables = connection.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = ? ORDER BY ALL", [name]
        ).fetchall()
        for schema, table in tables:
            relation = f'"{schema}"."{table}"'
            had = _one(connection, f"SELECT count(*) FROM {source}.{relation}")
            has = _one(connection, f"SELECT count(*) FROM rewritten.{relation}")
            if had != has:
                raise RewriteError(f"the copy of {schema}.{table} holds {has} rows, not {had}: nothing was changed")
    finally:
        with contextlib.suppress(duckdb.Error):  # already detached when ATTACH itself failed
            connection.execute("DETACH rewritten")


def _one(connection: duckdb.DuckDBPyConnection, sql: str) -> object:
    row = connection.execute(sql).fetchone()
    if row is None:
        raise RewriteError(f"no answer to {sql}")
    return row[0]


def _wal(database: Path) -> Path:
    return database.with_name(database.name + ".wal")
