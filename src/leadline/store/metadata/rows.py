"""Records to rows and back, stated once: a column per field of the same name; one row or NotFoundError."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Connection, Row, RowMapping, Select

from leadline.store.metadata.records import NotFoundError

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

R = TypeVar("R")
D = TypeVar("D", bound="DataclassInstance")

RowReader = Callable[[Row[Any]], R]


def reader(record_type: type[D], **computed: Callable[[RowMapping], object]) -> RowReader[D]:
    """How a row becomes a `record_type`: fields named in `computed` are derived from the row, the rest copied.

    Columns no field names (secret hashes, private keys) are left behind, so they never reach a record.
    """
    copied = [field.name for field in fields(record_type) if field.name not in computed]

    def read(row: Row[Any]) -> D:
        values = row._mapping
        return record_type(
            **{name: values[name] for name in copied}, **{name: derive(values) for name, derive in computed.items()}
        )

    return read


def find_one(connection: Connection, read: RowReader[R], query: Select[Any]) -> R | None:
    """The first row of `query` as a record, or None."""
    row = connection.execute(query).first()
    return None if row is None else read(row)


def get_one(connection: Connection, read: RowReader[R], query: Select[Any], object_type: str, object_id: str) -> R:
    """The first row of `query` as a record; NotFoundError(object_type, object_id) without one."""
    found = find_one(connection, read, query)
    if found is None:
        raise NotFoundError(object_type, object_id)
    return found


def read_all(connection: Connection, read: RowReader[R], query: Select[Any]) -> list[R]:
    """Every row of `query` as records, in the query's order."""
    return [read(row) for row in connection.execute(query)]


def row_values(record: DataclassInstance, **columns: object) -> dict[str, object]:
    """The column values that store `record`: one per field, with `columns` adding or replacing some."""
    return {field.name: getattr(record, field.name) for field in fields(record)} | columns
