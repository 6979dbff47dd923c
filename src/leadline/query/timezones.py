"""Time zones: the allow-list of names, and UTC offsets over a range as a short list of (instant, offset) steps.

Shifting each timestamp by a piecewise-constant offset is exact across DST changes and costs SQL engines
one comparison chain per row, instead of a time zone conversion per row.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache, lru_cache
from zoneinfo import ZoneInfo, available_timezones


@cache
def known_timezones() -> frozenset[str]:
    """Every TZ database name this machine knows: the one allow-list for sites, accounts and reports."""
    return frozenset(available_timezones())


def _offset(zone: ZoneInfo, unix_seconds: int) -> int:
    moment = datetime.fromtimestamp(unix_seconds, UTC).astimezone(zone)
    offset = moment.utcoffset()
    return 0 if offset is None else int(offset.total_seconds())


@lru_cache(maxsize=1024)
def offset_steps(timezone: str, start: int, end: int) -> tuple[tuple[int, int], ...]:
    """((from_unix_second, offset_seconds), ...) covering [start, end]; the first step starts at `start`."""
    zone = ZoneInfo(timezone)
    steps = [(start, _offset(zone, start))]
    week = 7 * 86400  # no zone changes its offset twice within a week
    cursor = start
    while cursor < end:
        following = min(cursor + week, end)
        if _offset(zone, following) != steps[-1][1]:
            low, high = cursor, following  # the change happens in (low, high]: find its first second
            while high - low > 1:
                middle = (low + high) // 2
                if _offset(zone, middle) == steps[-1][1]:
                    low = middle
                else:
                    high = middle
            steps.append((high, _offset(zone, high)))
            cursor = high
        else:
            cursor = following
    return tuple(steps)


def local_naive(unix_seconds: float, timezone: str) -> datetime:
    """The wall-clock time in `timezone` of an instant, as a naive datetime (for the oracle and tests)."""
    return datetime.fromtimestamp(unix_seconds, UTC).astimezone(ZoneInfo(timezone)).replace(tzinfo=None)


def day_bounds(day_start_local: datetime, timezone: str) -> tuple[datetime, datetime]:
    """UTC instants of a local day's start and of the next day's start (23 or 25 hours apart around DST)."""
    zone = ZoneInfo(timezone)
    start = day_start_local.replace(tzinfo=zone).astimezone(UTC)
    end = (day_start_local + timedelta(days=1)).replace(tzinfo=zone).astimezone(UTC)
    return start, end
