"""Row cursors are opaque, round-trip an offset, and refuse anything they did not make."""

from __future__ import annotations

import base64

import pytest
from graphql import GraphQLError

from leadline.integrations.graphql.cursors import row_cursor, row_offset


@pytest.mark.parametrize("offset", [0, 1, 500, 123_456])
def test_a_cursor_gives_back_its_offset(offset: int) -> None:
    assert row_offset(row_cursor(offset)) == offset


def test_no_cursor_starts_at_the_first_row() -> None:
    assert row_offset(None) == 0


@pytest.mark.parametrize(
    "cursor",
    ["", "not base64!", base64.urlsafe_b64encode(b"pages:10").decode(), base64.urlsafe_b64encode(b"rows:-1").decode()],
)
def test_a_cursor_not_made_here_is_a_graphql_error(cursor: str) -> None:
    with pytest.raises(GraphQLError, match=r"not a cursor from publicationRows\.endCursor"):
        row_offset(cursor)
