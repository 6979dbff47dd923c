"""The store's notion of "now": naive UTC datetimes, as stored in every timestamp column."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    """The current time in UTC, without tzinfo (the columns are UTC by convention)."""
    return datetime.now(UTC).replace(tzinfo=None)
