"""Lists in (created_at, id) order: whole, or a page at a time in both directions as Fathom's list endpoints do."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy import ColumnElement, Connection, Table, and_, or_, select

from leadline.store.metadata.rows import RowReader

T = TypeVar("T")


class UnknownCursorError(ValueError):
    """A `starting_after` / `ending_before` id that is not in the list being paged."""


@dataclass(frozen=True, slots=True)
class PageRequest:
    limit: int
    starting_after: str | None = None
    ending_before: str | None = None


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    # More objects lie beyond this page in the direction of travel (after it going forward,
    # before it going backward), as in Stripe-style lists.
    has_more: bool


def fetch_all(connection: Connection, table: Table, to_record: RowReader[T], *scope: ColumnElement[bool]) -> list[T]:
    """Every row of `table` matching `scope` (every row without one), in the order pages list them."""
    query = select(table).where(*scope).order_by(table.c.created_at, table.c.id)
    return [to_record(row) for row in connection.execute(query)]


def fetch_page(
    connection: Connection,
    table: Table,
    scope: ColumnElement[bool],
    request: PageRequest,
    to_record: RowReader[T],
) -> Page[T]:
    """One page of `table` rows matching `scope`, ordered by (created_at, id) ascending."""
    created_at, object_id = table.c.created_at, table.c.id
    query = select(table).where(scope)
    cursor_id = request.starting_after or request.ending_before
    backwards = request.ending_before is not None and request.starting_after is None
    if cursor_id is not None:
        cursor = connection.execute(select(created_at, object_id).where(scope, object_id == cursor_id)).first()
        if cursor is None:
            name = "ending_before" if backwards else "starting_after"
            raise UnknownCursorError(f"{name}: no object with id {cursor_id!r} in this list")
        if backwards:
            query = query.where(
                or_(
                    created_at < cursor.created_at,
                    and_(created_at == cursor.created_at, object_id < cursor.id),
                )
            )
        else:
            query = query.where(
                or_(
                    created_at > cursor.created_at,
                    and_(created_at == cursor.created_at, object_id > cursor.id),
                )
            )
    if backwards:
        query = query.order_by(created_at.desc(), object_id.desc())
    else:
        query = query.order_by(created_at.asc(), object_id.asc())
    rows = list(connection.execute(query.limit(request.limit + 1)).all())
    has_more = len(rows) > request.limit
    rows = rows[: request.limit]
    if backwards:
        rows.reverse()
    return Page(items=[to_record(row) for row in rows], has_more=has_more)
