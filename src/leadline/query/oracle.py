"""The reference: every metric computed from raw hits in plain Python, obviously and slowly.

Tests hold every engine's answers against this module, so these definitions are the specification:

- The window is [date_from, date_to] to the second (date_to inclusive; no date_from: all time; no
  date_to, or one after now: now). Dates group by wall-clock time in the query's timezone (hour, day, month, year).
- pageviews: pageview hits in the window. uniques: distinct visitor ids among them.
- conversions: completions of the event in the window; unique_conversions: distinct visitors completing;
  value: the sum of their values in cents. Grouped by event (no event named), every event's, keyed by its id
  (the report names it).
- A session is the hits sharing (visitor id, session id); its session id is the second it started.
  visits: sessions that start in the window and have at least one pageview. A session is grouped and
  filtered by its entry pageview (its first pageview) and dated by its start.
- avg_duration: mean over those sessions of seconds from their first to their last hit.
- bounce_rate: share of those sessions with exactly one pageview.
- Hit metrics are grouped and filtered by each hit's own attributes.
- Two dimensions are computed: referrer is referrer_hostname followed by referrer_pathname ("" when there is no
  referrer hostname); exit_pathname is the pathname of the session's last pageview ("" for a session without a
  pageview). Sessions are grouped and filtered by their own exit page; a hit by its session's exit page.
- Filters: is / is not (equality), is like / is not like (case-insensitive substring), matching / not
  matching (a regular expression found anywhere in the value). Several filters must all hold.
- Rows: the union of the groups either kind of metric has; a missing metric is 0. Without grouping,
  exactly one row. Order: the requested sort keys, else date ascending (with a date grouping) or the
  first metric descending; ties by the grouping keys ascending; then the limit.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from leadline.query.model import EVENT_GROUPING, Entity, Filter, ReportQuery
from leadline.query.timezones import local_naive
from leadline.store.events import Hit, HitKind

TRUNCATE = {
    "hour": lambda moment: moment.replace(minute=0, second=0, microsecond=0),
    "day": lambda moment: moment.replace(hour=0, minute=0, second=0, microsecond=0),
    "month": lambda moment: moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0),
    "year": lambda moment: moment.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0),
}
FORMAT = {"hour": "%Y-%m-%d %H:00:00", "day": "%Y-%m-%d", "month": "%Y-%m", "year": "%Y"}


def _unix(hit: Hit) -> float:
    return hit.timestamp.replace(tzinfo=UTC).timestamp()


def _holds(item: Filter, value: str) -> bool:
    if item.operator == "is":
        return value == item.value
    if item.operator == "is not":
        return value != item.value
    if item.operator == "is like":
        return item.value.lower() in value.lower()
    if item.operator == "is not like":
        return item.value.lower() not in value.lower()
    found = re.search(item.value, value) is not None
    return found if item.operator == "matching" else not found


def _value(hit: Hit, field: str, exits: dict[tuple[int, int], str]) -> str:
    """A dimension's value for a hit; `exits` holds each session's exit page."""
    if field == "exit_pathname":
        return exits.get((hit.visitor_id, hit.session_id), "")
    if field == "referrer":
        return hit.referrer_hostname + hit.referrer_pathname if hit.referrer_hostname else ""
    if field == EVENT_GROUPING:
        return hit.event_id
    value: str = getattr(hit, field)
    return value


def _exits(hits: Iterable[Hit]) -> dict[tuple[int, int], str]:
    """Each session's exit page: the pathname of its last pageview (of two in one second, the greater pathname,
    as the engines order them: base.LAST_PAGEVIEW_ORDER)."""
    last: dict[tuple[int, int], Hit] = {}
    for hit in hits:
        session = (hit.visitor_id, hit.session_id)
        if hit.kind is HitKind.PAGEVIEW and (
            session not in last or (hit.timestamp, hit.pathname) > (last[session].timestamp, last[session].pathname)
        ):
            last[session] = hit
    return {session: hit.pathname for session, hit in last.items()}


def _key(query: ReportQuery, moment: float, source: Hit, exits: dict[tuple[int, int], str]) -> tuple[str, ...]:
    key: list[str] = []
    if query.date_grouping:
        key.append(
            TRUNCATE[query.date_grouping](local_naive(moment, query.timezone)).strftime(FORMAT[query.date_grouping])
        )
    if query.field_grouping:
        key.append(_value(source, query.field_grouping, exits))
    return tuple(key)


def expected_rows(
    query: ReportQuery, hits: Iterable[Hit], now: datetime, event_id: str | None = None
) -> list[dict[str, Any]]:
    """The answer to `query` over `hits` (of any sites): key columns as strings, metrics as numbers."""
    site_hits = [hit for hit in hits if hit.site_id == query.site_id]
    start = math.floor(query.date_from.timestamp()) if query.date_from else -math.inf
    end = math.floor((now if query.date_to is None else min(query.date_to, now)).timestamp()) + 1
    groups: dict[tuple[str, ...], dict[str, Any]] = defaultdict(dict)
    exits = _exits(site_hits)

    if query.hit_metrics:
        wanted_kind = HitKind.PAGEVIEW if query.entity is Entity.PAGEVIEW else HitKind.EVENT
        counted: dict[tuple[str, ...], list[Hit]] = defaultdict(list)
        for hit in site_hits:
            if hit.kind is not wanted_kind or not start <= _unix(hit) < end:
                continue
            if wanted_kind is HitKind.EVENT and query.event_name is not None and hit.event_id != (event_id or ""):
                continue
            if all(_holds(item, _value(hit, item.field, exits)) for item in query.filters):
                counted[_key(query, _unix(hit), hit, exits)].append(hit)
        for key, members in counted.items():
            measures = {
                "pageviews": len(members),
                "uniques": len({hit.visitor_id for hit in members}),
                "conversions": len(members),
                "unique_conversions": len({hit.visitor_id for hit in members}),
                "value": sum(hit.value for hit in members),
            }
            groups[key].update({metric: measures[metric] for metric in query.hit_metrics})

    if query.session_metrics:
        sessions: dict[tuple[int, int], list[Hit]] = defaultdict(list)
        for hit in site_hits:
            sessions[(hit.visitor_id, hit.session_id)].append(hit)
        by_key: dict[tuple[str, ...], list[tuple[float, bool]]] = defaultdict(list)
        for (_, session_start), members in sessions.items():
            pageviews = [hit for hit in members if hit.kind is HitKind.PAGEVIEW]
            if not pageviews or not start <= session_start < end:
                continue
            entry = min(pageviews, key=_unix)
            # The entry stands for its session: its own attributes, and (as any hit) its session's exit page.
            if not all(_holds(item, _value(entry, item.field, exits)) for item in query.filters):
                continue
            moments = [_unix(hit) for hit in members]
            by_key[_key(query, session_start, entry, exits)].append((max(moments) - min(moments), len(pageviews) == 1))
        for key, sessions_here in by_key.items():
            session_measures: dict[str, float] = {
                "visits": len(sessions_here),
                "avg_duration": sum(duration for duration, _ in sessions_here) / len(sessions_here),
                "bounce_rate": sum(bounced for _, bounced in sessions_here) / len(sessions_here),
            }
            groups[key].update({metric: session_measures[metric] for metric in query.session_metrics})

    if not query.grouped:
        groups.setdefault((), {})
    key_names = [*(["date"] if query.date_grouping else []), *([query.field_grouping] if query.field_grouping else [])]
    rows = []
    for key, measures in groups.items():
        row: dict[str, Any] = dict(zip(key_names, key, strict=True))
        row.update({metric: measures.get(metric, 0) for metric in query.metrics})
        rows.append(row)
    return _sorted(query, key_names, rows)


def _sorted(query: ReportQuery, key_names: list[str], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    order = [
        (item.key if item.key in query.metrics or item.key == "date" else str(query.field_grouping), item.descending)
        for item in query.sort
    ]
    if not order:
        order = [("date", False)] if query.date_grouping else [(query.metrics[0], True)]
    order += [(name, False) for name in key_names]
    # Stable sorts from the last key to the first give the combined order.
    for name, descending in reversed(order):
        rows.sort(key=lambda row: row[name], reverse=descending)
    return rows[: query.limit] if query.limit is not None else rows
