"""Copying the metadata tables from one database to another, row by row id, inserting only what is absent.

Rows keep their ids, hashes and sealed blobs, so API keys, client secrets and signing keys work unchanged in
the target. A row whose key the target has already is left as the target has it: a second copy adds nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, Table, insert, select, true

from leadline.store.metadata import tables

_CHUNK = 500

# Every table a migration copies, parents before children (foreign keys), with the rows it leaves behind.
COPIED_TABLES: tuple[Table, ...] = (
    tables.accounts,
    tables.api_keys,
    tables.sites,
    tables.events,
    tables.milestones,
    tables.salts,
    tables.integration_clients,
    tables.integration_tokens,
    tables.signing_keys,
    tables.publications,
    tables.publication_rows,
)

# Called with (table, rows done, rows in all).
RowProgress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class TableCopy:
    table: str
    source: int  # rows the source has (that are still alive)
    copied: int  # rows inserted now
    target: int  # rows the target has afterwards

    def as_json(self) -> dict[str, Any]:
        return {"table": self.table, "source": self.source, "copied": self.copied, "target": self.target}


def alive_rows(table: Table, now: datetime, salts_since: date) -> ColumnElement[bool]:
    """Which rows are worth moving: salts of days whose hashes can still be made, tokens not expired."""
    if table is tables.salts:
        return table.c.day >= salts_since
    if table is tables.integration_tokens:
        return table.c.expires_at > now
    return true()


def copy_metadata(
    source: Engine, target: Engine, now: datetime, salts_since: date, on_progress: RowProgress
) -> list[TableCopy]:
    """Copy every table of COPIED_TABLES; one transaction per table on the target."""
    with source.connect() as reading:
        return [
            copy_table(reading, target, table, alive_rows(table, now, salts_since), on_progress)
            for table in COPIED_TABLES
        ]


def copy_table(
    reading: Connection, target: Engine, table: Table, alive: ColumnElement[bool], on_progress: RowProgress
) -> TableCopy:
    key = list(table.primary_key.columns)
    rows = reading.execute(select(table).where(alive).order_by(*key)).mappings().all()
    copied = 0
    with target.begin() as writing:
        present = {tuple(row) for row in writing.execute(select(*key))}
        missing = [dict(row) for row in rows if tuple(row[column.name] for column in key) not in present]
        for done, chunk in enumerate(chunks(missing), start=1):
            writing.execute(insert(table), chunk)
            copied += len(chunk)
            on_progress(table.name, min(done * _CHUNK, len(missing)), len(missing))
        on_progress(table.name, len(missing), len(missing))
        total = len(present) + copied
    return TableCopy(table.name, len(rows), copied, total)


def chunks(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), _CHUNK):
        yield rows[start : start + _CHUNK]
