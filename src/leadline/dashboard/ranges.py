"""Date ranges of the site dashboard, in whole days of the site's timezone, and the periods they compare with.

Pure functions: `today` is given, never read from a clock, so every preset is tested against hand-computed
days. A range becomes the `/v1/aggregations` window `date_from` 00:00:00 .. `date_to` 23:59:59 in local wall
time, which the query layer turns into instants (23 or 25 hours long on the days clocks change).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# (key in the URL, label, keyboard shortcut) in the order the picker shows them. Shortcuts follow Plausible's
# (d today, e yesterday, w last 7 days, t last 30 days, m this month, y last 12 months, a all time), plus p for
# the previous month and c for a custom range.
PRESETS: tuple[tuple[str, str, str], ...] = (
    ("today", "Today", "d"),
    ("yesterday", "Yesterday", "e"),
    ("7d", "Last 7 days", "w"),
    ("30d", "Last 30 days", "t"),
    ("month", "This month", "m"),
    ("last_month", "Last month", "p"),
    ("12mo", "Last 12 months", "y"),
    ("all", "All time", "a"),
)
CUSTOM = "custom"
DEFAULT_RANGE = "30d"
INTERVALS: tuple[str, ...] = ("hour", "day", "month")
MAX_HOUR_DAYS = 7  # hourly charts up to a week (168 points), daily ones up to about three years
MAX_DAY_DAYS = 1100
EARLIEST_DAY = date(2000, 1, 1)  # custom ranges before this are certainly typos (and cost a long plan)


class RangeError(ValueError):
    """A range the URL asked for that cannot be shown; the message says what to fix."""


@dataclass(frozen=True, slots=True)
class DateRange:
    key: str  # a preset key or "custom"
    first: date  # inclusive, local
    last: date  # inclusive, local
    open_start: bool = False  # "all time": no date_from, the query layer starts at the site's first hit

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def label(self) -> str:
        for key, label, _ in PRESETS:
            if key == self.key:
                return label
        return f"{self.first.isoformat()} to {self.last.isoformat()}"

    def window(self) -> dict[str, str]:
        """The range as `/v1/aggregations` parameters (local wall time, the site's timezone applies)."""
        params = {"date_to": f"{self.last.isoformat()} 23:59:59"}
        if not self.open_start:
            params["date_from"] = f"{self.first.isoformat()} 00:00:00"
        return params

    def previous(self) -> DateRange | None:
        """The period of the same number of days just before this one; none before "all time"."""
        if self.open_start:
            return None
        last = self.first - timedelta(days=1)
        return DateRange(key="previous", first=last - timedelta(days=self.days - 1), last=last)


def _month_start(day: date, months_back: int = 0) -> date:
    index = day.year * 12 + day.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


def preset_range(key: str, today: date, earliest: date | None = None) -> DateRange:
    """The preset `key` as seen on `today` (the site's local date); `earliest` is the site's first day of data."""
    if key == "today":
        return DateRange(key, today, today)
    if key == "yesterday":
        yesterday = today - timedelta(days=1)
        return DateRange(key, yesterday, yesterday)
    if key == "7d":
        return DateRange(key, today - timedelta(days=6), today)
    if key == "30d":
        return DateRange(key, today - timedelta(days=29), today)
    if key == "month":
        return DateRange(key, _month_start(today), today)
    if key == "last_month":
        first = _month_start(today, 1)
        return DateRange(key, first, _month_start(today) - timedelta(days=1))
    if key == "12mo":
        return DateRange(key, _month_start(today, 11), today)
    if key == "all":
        return DateRange(key, min(earliest or today, today), today, open_start=True)
    raise RangeError(f"range must be one of: {', '.join(k for k, _, _ in PRESETS)}, {CUSTOM}")


def custom_range(raw_from: str | None, raw_to: str | None) -> DateRange:
    """A range of whole days from the URL's `from` and `to` (YYYY-MM-DD, both inclusive)."""
    try:
        first = date.fromisoformat(raw_from or "")
        last = date.fromisoformat(raw_to or "")
    except ValueError as error:
        raise RangeError("a custom range needs from and to as dates: YYYY-MM-DD") from error
    if first > last:
        raise RangeError("from must not be after to")
    if first < EARLIEST_DAY or last.year > 9998:
        raise RangeError(f"custom ranges start on {EARLIEST_DAY.isoformat()} or later")
    return DateRange(CUSTOM, first, last)


def resolve_range(
    key: str | None, raw_from: str | None, raw_to: str | None, today: date, earliest: date | None
) -> DateRange:
    """The URL's range: a preset, a custom one (from/to given), or the default (last 30 days)."""
    if key == CUSTOM or (not key and (raw_from or raw_to)):
        return custom_range(raw_from, raw_to)
    return preset_range(key or DEFAULT_RANGE, today, earliest)


def allowed_intervals(span: DateRange) -> tuple[str, ...]:
    """Chart intervals that keep the number of points readable for this range."""
    allowed = []
    if span.days <= MAX_HOUR_DAYS:
        allowed.append("hour")
    if span.days <= MAX_DAY_DAYS:
        allowed.append("day")
    allowed.append("month")
    return tuple(allowed)


def default_interval(span: DateRange) -> str:
    """Hours for a day or two, days up to about three months, months beyond."""
    if span.days <= 2:
        return "hour"
    if span.days <= 92:
        return "day"
    return "month"


def choose_interval(span: DateRange, requested: str | None) -> str:
    """The URL's interval when it fits the range, else the default one for the range."""
    if requested in allowed_intervals(span):
        return str(requested)
    return default_interval(span)


def bucket_labels(span: DateRange, interval: str, timezone: str) -> list[str]:
    """Every chart point of the range, labelled as `/v1/aggregations` labels its date buckets.

    Hours are the local hours that exist: the hour skipped when clocks go forward has no point, and the
    hour lived twice when they go back is one point (as the query layer truncates wall-clock times).
    """
    if interval == "day":
        return [(span.first + timedelta(days=offset)).isoformat() for offset in range(span.days)]
    if interval == "month":
        labels, month = [], _month_start(span.first)
        while month <= span.last:
            labels.append(month.strftime("%Y-%m"))
            month = _month_start(month + timedelta(days=31))
        return labels
    if interval != "hour":
        raise RangeError(f"interval must be one of: {', '.join(INTERVALS)}")
    zone = ZoneInfo(timezone)
    moment = datetime.combine(span.first, time(), zone).astimezone(UTC)
    end = datetime.combine(span.last + timedelta(days=1), time(), zone).astimezone(UTC)
    hours: dict[str, None] = {}
    while moment < end:
        hours[moment.astimezone(zone).strftime("%Y-%m-%d %H:00:00")] = None
        moment += timedelta(hours=1)
    return list(hours)
