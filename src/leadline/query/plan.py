"""Planning: the concrete time window of a query, in whole UTC seconds, and the offsets to apply within it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

from leadline.query.model import ReportQuery
from leadline.query.timezones import offset_steps

DAY = 86400
YEAR_ROUNDING = 366 * DAY


@dataclass(frozen=True, slots=True)
class QueryPlan:
    query: ReportQuery
    event_id: str | None  # for event reports: the id of entity_name's event ("" when it does not exist)
    start: int  # inclusive, Unix seconds
    end: int  # exclusive, Unix seconds (date_to is inclusive to the second)
    offsets: tuple[tuple[int, int], ...]  # (from this second, UTC offset in seconds) steps over the window


def plan_query(
    query: ReportQuery, now: datetime, event_id: str | None = None, earliest: int | None = None
) -> QueryPlan:
    """`earliest` (the site's first hit, Unix seconds) bounds an open start so offsets stay a short list."""
    start = math.floor(query.date_from.timestamp()) if query.date_from else (earliest if earliest is not None else 0)
    end = math.floor((query.date_to or now.astimezone(UTC)).timestamp()) + 1
    end = max(end, start)
    # Round the offsets' window out to whole periods, so nearby queries share one cached computation.
    low = (start - DAY) // YEAR_ROUNDING * YEAR_ROUNDING
    high = (end + DAY) // YEAR_ROUNDING * YEAR_ROUNDING + YEAR_ROUNDING
    offsets = ((low, 0),) if query.timezone == "UTC" else offset_steps(query.timezone, low, high)
    return QueryPlan(query=query, event_id=event_id, start=start, end=end, offsets=offsets)
