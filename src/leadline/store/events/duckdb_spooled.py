"""The collector spool's records as rows, parsed by DuckDB itself.

Building Arrow columns from Python rows held the GIL for 6-10 ms per 5,000-row segment in one stretch, and
the event loop, which needs it for every request, stalled that long at each flush. Here the flusher hands
DuckDB the segment's records as one blob; splitting it into lines and reading each JSON array is DuckDB's work,
done without the GIL. Measured with a thread spinning in Python beside 5,000-row flushes (as the event loop
does under load): its longest wait 8-12 ms with Arrow, 2-4 ms with this; sampled with `py-spy --gil`, the
flush's thread holds the GIL ~4 ms per segment with Arrow, ~1 ms with this. The CPU a flush takes is about the
same (~36 ms per 5,000 rows, most of it DuckDB's), only now off the GIL.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa

from leadline.store.events.base import HIT_ARROW_SCHEMA
from leadline.store.events.duckdb_cold import string_literal
from leadline.store.events.spooled_rows import ADDED_COLUMNS

_DUCKDB_TYPES = {
    pa.timestamp("us"): "TIMESTAMP",
    pa.uint8(): "UTINYINT",
    pa.uint64(): "UBIGINT",
    pa.int64(): "BIGINT",
    pa.bool_(): "BOOLEAN",
    pa.string(): "VARCHAR",
}
# What a row spooled before a column existed gets for it (its array is shorter: the element reads NULL).
_DEFAULTS = {
    name: ("true" if default else "false") if isinstance(default, bool) else string_literal(default)
    for name, default in ADDED_COLUMNS
}


def _column(position: int, field: pa.Field) -> str:
    value = f"CAST(item[{position + 1}] AS {_DUCKDB_TYPES[field.type]})"
    if field.name == "timestamp":  # Unix microseconds, cut to the whole second as stores keep them (see Hit)
        value = f"date_trunc('second', make_timestamp(CAST(item[{position + 1}] AS BIGINT)))"
    if field.name in _DEFAULTS:
        value = f"coalesce({value}, {_DEFAULTS[field.name]})"
    return f"{value} AS {field.name}"


# The records, joined by newlines (JSON escapes every newline inside a value), as one BLOB parameter.
SPOOLED_HITS = f"""
    SELECT {", ".join(_column(position, field) for position, field in enumerate(HIT_ARROW_SCHEMA))}
    FROM (
        SELECT from_json(record, '["VARCHAR"]') AS item
        FROM (SELECT unnest(string_split(decode(CAST(? AS BLOB)), chr(10))) AS record)
    )
"""


def spooled_blob(records: Sequence[bytes]) -> bytes:
    """SPOOLED_HITS' parameter: one copy, made in a single C call (no GIL released and taken back per record)."""
    return b"\n".join(records)
