"""Opaque cursors for paging a publication's rows: `endCursor` out, `after` back in."""

from __future__ import annotations

import base64

from graphql import GraphQLError

# Cursors are opaque to clients so that paging can later move from offsets to keys without a contract change.
ROW_CURSOR_LABEL = "rows"


def row_cursor(offset: int) -> str:
    """The cursor that resumes after the first `offset` rows."""
    return base64.urlsafe_b64encode(f"{ROW_CURSOR_LABEL}:{offset}".encode()).decode("ascii")


def row_offset(cursor: str | None) -> int:
    """How many rows a cursor skips (0 without one); a GraphQLError for anything `row_cursor` did not make."""
    if cursor is None:
        return 0
    try:
        label, _, number = base64.urlsafe_b64decode(cursor.encode("ascii")).decode("ascii").partition(":")
        if label == ROW_CURSOR_LABEL and number.isdigit():
            return int(number)
    except (ValueError, UnicodeError):
        pass
    raise GraphQLError("after: not a cursor from publicationRows.endCursor")
