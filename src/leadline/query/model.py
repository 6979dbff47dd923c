"""The typed report query and the allow-lists it is checked against (the one source of truth)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum


class Entity(Enum):
    PAGEVIEW = "pageview"
    EVENT = "event"


METRICS: dict[Entity, tuple[str, ...]] = {
    # visits: sessions starting in the range; uniques: distinct visitor ids; pageviews: pageview hits;
    # avg_duration: mean seconds from a session's first to last hit; bounce_rate: share of one-pageview sessions.
    Entity.PAGEVIEW: ("visits", "uniques", "pageviews", "avg_duration", "bounce_rate"),
    # conversions: completions; unique_conversions: distinct visitors completing; value: sum of cents.
    Entity.EVENT: ("conversions", "unique_conversions", "value"),
}

# Metrics counted over hits, and metrics over sessions (a session counts in the range it starts in, and
# is grouped and filtered by its entry pageview's attributes, but for EXIT_DIMENSIONS: see there).
HIT_METRICS: tuple[str, ...] = ("pageviews", "uniques", "conversions", "unique_conversions", "value")
SESSION_METRICS: tuple[str, ...] = ("visits", "avg_duration", "bounce_rate")

DIMENSIONS: tuple[str, ...] = (
    "hostname",
    "pathname",
    "referrer_hostname",
    "referrer",
    "browser",
    "country_code",
    "region",
    "city",
    "device_type",
    "operating_system",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_content",
    "utm_term",
    "keyword",
    "exit_pathname",
)

# Dimensions that are not a stored column but computed from stored columns.
# referrer: the full referrer as stored, hostname then path ("news.ycombinator.com/item"); "" for direct visits.
# exit_pathname: the pathname of the session's LAST pageview (its exit page), whichever hit is counted:
#   - session metrics (visits, avg_duration, bounce_rate) are grouped and filtered by it the way they are by the
#     entry pageview's attributes for every other dimension: visits grouped by exit_pathname are the sessions
#     whose last pageview is that page (and other filters still apply to the entry pageview);
#   - hit metrics (pageviews, uniques, conversions, ...) count each hit under its session's exit page, so that
#     filtering by an exit page narrows every report to the sessions that left there; a session without any
#     pageview has the exit page "". Sessions last at most a day, so a session's exit lies within a day of the
#     window.
# region: stored at ingest (ISO 3166-2 subdivision code such as "US-CA"; "" when unknown).
EXIT_DIMENSIONS: tuple[str, ...] = ("exit_pathname",)

# Event reports may also group by the event itself (then entity_name may be left out): one row per event
# of the site, named by the event's current name.
EVENT_GROUPING = "event"

DATE_GROUPINGS: tuple[str, ...] = ("hour", "day", "month", "year")

# How a date bucket is written in answers, per grouping.
DATE_FORMATS: dict[str, str] = {
    "hour": "%Y-%m-%d %H:00:00",
    "day": "%Y-%m-%d",
    "month": "%Y-%m",
    "year": "%Y",
}

FILTER_OPERATORS: tuple[str, ...] = ("is", "is not", "is like", "is not like", "matching", "not matching")
REGEX_OPERATORS: tuple[str, ...] = ("matching", "not matching")

# Every query parameter /v1/aggregations reads.
PARAMETERS: tuple[str, ...] = (
    "entity",
    "entity_id",
    "site_id",
    "entity_name",
    "aggregates",
    "date_grouping",
    "field_grouping",
    "sort_by",
    "timezone",
    "date_from",
    "date_to",
    "limit",
    "filters",
)

MAX_FILTERS = 20
MAX_FILTER_VALUE_LENGTH = 1000
MAX_REGEX_LENGTH = 256
MAX_LIMIT = 10_000


@dataclass(frozen=True, slots=True)
class Filter:
    field: str
    operator: str
    value: str


@dataclass(frozen=True, slots=True)
class SortKey:
    key: str  # a requested metric, "date" or the field grouping
    descending: bool


@dataclass(frozen=True, slots=True)
class ReportQuery:
    entity: Entity
    site_id: str
    event_name: str | None
    metrics: tuple[str, ...]
    timezone: str
    date_from: datetime | None = None  # aware, inclusive
    date_to: datetime | None = None  # aware, inclusive
    date_grouping: str | None = None
    field_grouping: str | None = None
    filters: tuple[Filter, ...] = ()
    sort: tuple[SortKey, ...] = ()
    limit: int | None = None

    @property
    def grouped(self) -> bool:
        return self.date_grouping is not None or self.field_grouping is not None

    @property
    def hit_metrics(self) -> tuple[str, ...]:
        return tuple(metric for metric in self.metrics if metric in HIT_METRICS)

    @property
    def session_metrics(self) -> tuple[str, ...]:
        return tuple(metric for metric in self.metrics if metric in SESSION_METRICS)

    @property
    def group_keys(self) -> tuple[str, ...]:
        """Names of the answer's grouping keys, in order: "date" and/or the field."""
        return (*(["date"] if self.date_grouping else []), *([self.field_grouping] if self.field_grouping else []))
