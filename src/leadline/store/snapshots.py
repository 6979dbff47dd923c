"""Consistent copies of the embedded metadata store (SQLite) for backups, taken while a server writes to it."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from sqlalchemy.engine import make_url


def sqlite_file(metadata_url: str) -> Path | None:
    """The SQLite file behind a metadata store URL; None for a server database (PostgreSQL) or an in-memory one."""
    url = make_url(metadata_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def copy_sqlite_database(source: Path, target: Path) -> None:
    """Copy the SQLite database at `source` to a new file at `target` with SQLite's online backup API.

    All pages are copied in one step, inside one read transaction: the copy is the database as of one
    moment, whatever another process commits meanwhile (the file is in WAL mode, so writers are not blocked).
    """
    if not source.is_file():
        raise FileNotFoundError(f"no metadata database at {source}")
    with (
        closing(sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)) as reading,
        closing(sqlite3.connect(target)) as writing,
    ):
        reading.backup(writing, pages=-1)
