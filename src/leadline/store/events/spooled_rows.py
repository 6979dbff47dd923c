"""How a hit row is written in the collector's spool, and read back: one JSON array per record.

The spool (collect/spool.py) frames these records; the flusher hands them to an event store as they are
(`EventStore.insert_spooled`), so a store that parses JSON itself (DuckDB) takes a segment without Python
touching its rows; any other takes the rows, as the spool kept them or decoded here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import orjson

from leadline.store.events.base import HIT_COLUMNS, HitRow


def encode_row(row: HitRow) -> bytes:
    """A row (HIT_COLUMNS order) as a spool record: compact JSON with no raw newline (JSON escapes them)."""
    return orjson.dumps(row)


# Columns added since the first spool format, in order, with the value a row spooled before them gets.
# Each was appended to the end of HIT_COLUMNS, so an older row is a prefix of today's.
ADDED_COLUMNS: tuple[tuple[str, bool | str], ...] = (
    ("entry", False),  # the store's migration flags the entries of hits spooled without it
    ("region", ""),  # not known for hits located before regions were recorded
)
_FIRST_FORMAT_LENGTH = len(HIT_COLUMNS) - len(ADDED_COLUMNS)


def decode_row(record: bytes) -> list[object]:
    row: list[object] = orjson.loads(record)
    if _FIRST_FORMAT_LENGTH <= len(row) < len(HIT_COLUMNS):
        row.extend(default for _, default in ADDED_COLUMNS[len(row) - _FIRST_FORMAT_LENGTH :])
    return row


def decode_rows(records: Sequence[bytes]) -> list[list[object]]:
    return [decode_row(record) for record in records]


@dataclass(frozen=True)
class SpooledBatch:
    """A spool segment's hits on their way to an event store: its records as written and, when the spool kept
    them, the rows they encode (decoding 5,000 records took a flush about as long as storing them on ClickHouse,
    holding the GIL)."""

    records: Sequence[bytes]
    kept_rows: Sequence[HitRow] | None = None  # None: not kept (read from the file, or past the spool's limit)

    def __len__(self) -> int:
        return len(self.records)

    def rows(self) -> Sequence[HitRow]:
        return self.kept_rows if self.kept_rows is not None else decode_rows(self.records)
