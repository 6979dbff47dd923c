"""Planning: the concrete time window of a query, in whole UTC seconds, and the offsets to apply within it.

The window is clamped to what can hold data before anything is computed over it: a request for all time (or
from 1970) costs what the site's own history costs, and one reaching into the future stops at now.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

from leadline.query.errors import ReportTooLargeError
from leadline.query.limits import UNBOUNDED, ReportLimits
from leadline.query.model import ReportQuery
from leadline.query.timezones import local_naive, offset_steps

DAY = 86400
YEAR_ROUNDING = 366 * DAY


@dataclass(frozen=True, slots=True)
class QueryPlan:
    query: ReportQuery
    event_id: str | None  # for event reports: the id of entity_name's event ("" when it does not exist)
    start: int  # inclusive, Unix seconds
    end: int  # exclusive, Unix seconds (date_to is inclusive to the second)
    offsets: tuple[tuple[int, int], ...]  # (from this second, UTC offset in seconds) steps over the window
    row_limit: int | None = None  # the most rows the engine returns (the query's limit, or one past the cap)


def plan_query(
    query: ReportQuery,
    now: datetime,
    event_id: str | None = None,
    earliest: int | None = None,
    *,
    limits: ReportLimits = UNBOUNDED,
) -> QueryPlan:
    """`earliest` (Unix seconds) is the first second anything of the site can count at: the window starts no
    earlier. Raises ReportTooLargeError when the date grouping would exceed `limits.max_time_buckets`."""
    requested_start = math.floor(query.date_from.timestamp()) if query.date_from else None
    start = max((bound for bound in (requested_start, earliest) if bound is not None), default=0)
    # date_to after now is now: nothing has happened since (the oracle defines the window the same way).
    last = now.astimezone(UTC) if query.date_to is None else min(query.date_to, now.astimezone(UTC))
    end = max(math.floor(last.timestamp()) + 1, start)
    if query.date_grouping is not None and limits.max_time_buckets is not None:
        buckets = time_buckets(query.date_grouping, query.timezone, start, end)
        if buckets > limits.max_time_buckets:
            raise ReportTooLargeError(
                f"date_grouping={query.date_grouping} over this range makes {buckets} time buckets, more than the "
                f"{limits.max_time_buckets} a report may have: narrow date_from/date_to or group by a longer period"
            )
    # Round the offsets' window out to whole periods, so nearby queries share one cached computation.
    low = (start - DAY) // YEAR_ROUNDING * YEAR_ROUNDING
    high = (end + DAY) // YEAR_ROUNDING * YEAR_ROUNDING + YEAR_ROUNDING
    offsets = ((low, 0),) if query.timezone == "UTC" else offset_steps(query.timezone, low, high)
    row_limit = query.limit
    if limits.max_rows is not None:
        # One row past the cap tells an answer that was cut short from one that fits exactly.
        row_limit = min(limits.max_rows + 1, row_limit if row_limit is not None else limits.max_rows + 1)
    return QueryPlan(query=query, event_id=event_id, start=start, end=end, offsets=offsets, row_limit=row_limit)


def time_buckets(grouping: str, timezone: str, start: int, end: int) -> int:
    """How many date buckets [start, end) can fall into (at most one too many, around a spring-forward change)."""
    if end <= start:
        return 0
    first, last = local_naive(start, timezone), local_naive(end - 1, timezone)
    if grouping == "hour":
        first_hour = first.replace(minute=0, second=0, microsecond=0)
        last_hour = last.replace(minute=0, second=0, microsecond=0)
        return int((last_hour - first_hour).total_seconds()) // 3600 + 1
    if grouping == "day":
        return (last.date() - first.date()).days + 1
    if grouping == "month":
        return (last.year - first.year) * 12 + last.month - first.month + 1
    if grouping == "year":
        return last.year - first.year + 1
    raise ValueError(f"unknown date grouping {grouping!r}")
