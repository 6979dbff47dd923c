"""A spool segment's records go into the event store as the rows they encode, whichever way the store reads them.

DuckDB parses the records itself (SQL over the JSON, outside the GIL); every other store decodes them in
Python. Both must store exactly what `decode_row` reads: any text, 64-bit ids, instants cut to the second,
and rows spooled before a column existed.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadline.store.events import open_event_store
from leadline.store.events.base import HIT_COLUMNS, Params
from leadline.store.events.duckdb import DuckDBEventStore
from leadline.store.events.spooled_rows import ADDED_COLUMNS, SpooledBatch, decode_rows, encode_row

# JSON-encodable text of every kind: quotes, backslashes, control characters, newlines, astral planes.
TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=12)
TEXT_COLUMNS = [
    name for name in HIT_COLUMNS if name not in ("timestamp", "kind", "visitor_id", "session_id", "value", "entry")
]
FIRST = datetime(2020, 1, 1).timestamp()
BATCHES = itertools.count()  # each example stores its own batch (Hypothesis repeats drawn values)


@st.composite
def spooled_row(draw: st.DrawFn) -> list[object]:
    values: dict[str, object] = {name: draw(TEXT) for name in TEXT_COLUMNS}
    values |= {
        "site_id": draw(st.sampled_from(["A", "B"])),
        # Unix microseconds, not always whole seconds (rows spooled before instants were cut to the second).
        "timestamp": draw(st.integers(int(FIRST) * 1_000_000, int(FIRST + 3 * 365 * 86400) * 1_000_000)),
        "kind": draw(st.sampled_from([1, 2])),
        "visitor_id": draw(st.integers(0, 2**64 - 1)),
        "session_id": draw(st.integers(int(FIRST), int(FIRST) + 3 * 365 * 86400)),  # the second it began
        "value": draw(st.integers(-(2**63), 2**63 - 1)),
        "entry": draw(st.booleans()),
    }
    row = [values[name] for name in HIT_COLUMNS]
    # Rows from earlier spool formats end before the columns added since.
    return row[: len(row) - draw(st.integers(0, len(ADDED_COLUMNS)))]


def stored(store: DuckDBEventStore) -> list[tuple[object, ...]]:
    columns = ", ".join(HIT_COLUMNS)
    return sorted(store.fetch(f"SELECT {columns} FROM hits", Params("qmark")), key=repr)


@pytest.fixture(scope="module")
def parsed_and_decoded(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[DuckDBEventStore, DuckDBEventStore]]:
    directory = tmp_path_factory.mktemp("spooled")
    parsed = DuckDBEventStore(directory / "parsed.duckdb")
    decoded = DuckDBEventStore(directory / "decoded.duckdb")
    yield parsed, decoded
    parsed.close()
    decoded.close()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(spooled_row(), min_size=1, max_size=20))
def test_duckdb_stores_spooled_records_as_the_rows_they_decode_to(
    parsed_and_decoded: tuple[DuckDBEventStore, DuckDBEventStore], rows: list[list[object]]
) -> None:
    parsed, decoded = parsed_and_decoded
    records, batch = [encode_row(row) for row in rows], f"segment-{next(BATCHES)}"
    assert parsed.insert_spooled(batch, SpooledBatch(records))
    assert decoded.insert_batch(batch, decode_rows(records))
    assert stored(parsed) == stored(decoded)


def test_a_spooled_segment_is_stored_once(tmp_path: Path) -> None:
    store = open_event_store(f"duckdb:///{tmp_path / 'events.duckdb'}")
    row = ["A", 1_700_000_000_500_000, 1, 2**64 - 1, 1, "example.com", "/", "", 0, *[""] * 13, True, "DE-BE"]
    assert store.insert_spooled("segment-1", SpooledBatch([encode_row(row)])) is True
    assert store.insert_spooled("segment-1", SpooledBatch([encode_row(row)])) is False
    assert store.insert_spooled("segment-2", SpooledBatch([])) is True  # an empty segment is remembered too
    assert store.count_hits("A") == 1
    (timestamp,) = store.fetch("SELECT timestamp FROM hits", Params("qmark"))[0]
    assert timestamp == datetime(2023, 11, 14, 22, 13, 20)  # cut to its second
    store.close()


def test_a_record_that_is_not_a_row_fails_the_batch_and_stores_nothing_of_it(tmp_path: Path) -> None:
    store = open_event_store(f"duckdb:///{tmp_path / 'events.duckdb'}")
    good = encode_row(["A", 1_700_000_000_000_000, 1, 1, 1, "example.com", "/", "", 0, *[""] * 13, True, ""])
    with pytest.raises(duckdb.Error):  # the flusher retries such a batch with backoff
        store.insert_spooled("segment-1", SpooledBatch([good, b'{"not": "a row"']))
    assert store.count_hits("A") == 0
    # The id was not remembered: a retry stores it.
    assert store.insert_spooled("segment-1", SpooledBatch([good])) is True
    assert store.count_hits("A") == 1
    store.close()
