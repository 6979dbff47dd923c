"""Long windows summed from rollups: the settled middle from daily rows, only the edges from the hits.

A window [start, end) of a report the rollups can answer (see `summable`) splits at UTC midnights into
its left edge [start, middle start), its middle of whole settled days, and its right edge [middle end, end)
(the days not settled yet, and the part of a day the window ends in). Pageviews, visits, bounces and
durations of the middle are sums of the store's rollups (store/events/duckdb_rollups.py); the edges are
computed from the hits, as any report is, and added.

Unique visitors of the whole window, exactly: the middle's by inclusion-exclusion over its days (a visitor
id lives at most two consecutive UTC days, so each id counts once: its days' counts minus the count of ids
also seen the next day); then the edges' ids that the middle does not hold. No id is in both edges: they
are more than a day apart. An id of the left edge is in the middle only if it is seen on the middle's first
day, one of the right edge only if seen on its last day; and an id's sessions all begin on one UTC day (the
day of its salt: a session begun yesterday keeps yesterday's id, a new one gets today's). So an id of the
left edge can be on the middle's first day only in sessions begun before that day, and an id of the right
edge on the middle's last day only if its right-edge hits are of sessions begun before the right edge: the
statement reads the edges' hits and just those hits of the middle days beside them (a few sessions that
cross midnight), and counts an edge's (key, visitor) pair only if the middle has no hit of it. The store
checks both rules when it rolls a site up, and has its reports read the hits of a site that breaks them.

Which days are settled is read when the report runs (`rolled_middle`), so the statement then reads the
middle's rollups and the edges' hits in one snapshot; a day that turns pending meanwhile (a late hit) is
read as it was a moment before, and from the hits by the next report.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from leadline.query.dialects import DIALECTS, Dialect, Params
from leadline.query.model import EVENT_GROUPING, EXIT_DIMENSIONS, Entity, Filter, ReportQuery
from leadline.query.parts import (
    HITS,
    batch_member,
    date_bucket,
    field_keys,
    hit_part,
    session_part,
    timestamp_param,
)
from leadline.query.plan import DAY, QueryPlan
from leadline.store.events import EventStore, HitKind
from leadline.store.events.base import rollup_state
from leadline.store.events.duckdb_rollups import FIELD_NUMBERS, QUARTER_HOUR

# A middle shorter than this is not worth a second table: the report reads the hits alone.
MIN_ROLLED_DAYS = 1


@dataclass(frozen=True, slots=True)
class Middle:
    """The whole UTC days [start, end) (Unix seconds, midnights) a report sums from rollups."""

    start: int
    end: int


def summable(query: ReportQuery, plan: QueryPlan) -> bool:
    """Whether the rollups can answer `query`: pageview metrics without filters, grouped by a rolled-up field (the
    exit page for the session metrics only) or not at all, or by hour, day, month or year (in a time zone whose
    offsets are whole quarter hours, and change at them: every zone today) for the metrics that add up by the
    quarter hour (all but unique visitors, which query/bucketed.py counts by day, month or year); pageview
    totals with one "is" filter on a rolled-up field (`rolled_filter`); event metrics without filters, of one
    event or by event."""
    if query.filters:
        return rolled_filter(query) is not None
    if query.entity is Entity.EVENT:
        return query.date_grouping is None and query.field_grouping in (None, EVENT_GROUPING)
    if query.field_grouping is not None and query.field_grouping not in FIELD_NUMBERS:
        return False
    if query.field_grouping in EXIT_DIMENSIONS and query.hit_metrics:  # exit pages are rolled up for sessions only
        return False
    if query.date_grouping is None:
        return True
    if query.field_grouping is not None or "uniques" in query.metrics:
        return False
    return all(since % QUARTER_HOUR == 0 and offset % QUARTER_HOUR == 0 for since, offset in plan.offsets)


def rolled_filter(query: ReportQuery) -> Filter | None:
    """The filter of pageview totals filtered by one value of a rolled-up field (not the exit page), or None.

    Such totals are the row of that value in the same report grouped by the field: its pageviews and unique
    visitors are those of the hits with the value, its visits those of the sessions entered with it, as the
    filter counts them (query/parts.py). So the rollups answer them (`rolled_filtered_part`)."""
    if query.entity is not Entity.PAGEVIEW or query.field_grouping is not None or query.date_grouping is not None:
        return None
    if len(query.filters) != 1:
        return None
    (item,) = query.filters
    if item.operator != "is" or item.field not in FIELD_NUMBERS or item.field in EXIT_DIMENSIONS:
        return None
    return item


def rolled_middle(plans: list[QueryPlan], event_store: EventStore) -> Middle | None:
    """The middle of the plans' window (they share it) that the store's rollups hold now, or None when the
    reports read the hits alone: another engine, a report the rollups cannot answer, a short window, the
    window's first whole day not settled, or a site whose visitor ids break the two-day rule."""
    dialect = DIALECTS[event_store.dialect]
    plan = plans[0]
    if not dialect.rollups or not all(summable(each.query, each) for each in plans):
        return None
    first_day, end_day = math.ceil(plan.start / DAY), plan.end // DAY
    if end_day - first_day < MIN_ROLLED_DAYS:
        return None
    pending = pending_days(event_store, plan.query.site_id, first_day, end_day)
    if pending is None:
        return None
    return settled_middle(first_day, end_day, pending)


def pending_days(event_store: EventStore, site_id: str, first_day: int, end_day: int) -> list[int] | None:
    """The site's pending days (numbered from 1970-01-01) in [first_day, end_day), or None when the site's
    visitor ids break the two-day rule (its reports read the hits alone) or the store keeps no rollups."""
    state = rollup_state(event_store, site_id)
    if state is None or state.unsummable:
        return None
    return sorted(day for day in state.pending if first_day <= day < end_day)


def settled_middle(first_day: int, end_day: int, pending: list[int]) -> Middle | None:
    """The whole days from `first_day` up to the first pending one (or `end_day`), if at least MIN_ROLLED_DAYS.

    Every day with hits is pending or settled (compaction settles each day it compacts): a day not pending is
    settled, or has no hits at all and sums to nothing."""
    last_day = min([day for day in pending if first_day <= day < end_day], default=end_day)
    return Middle(first_day * DAY, last_day * DAY) if last_day - first_day >= MIN_ROLLED_DAYS else None


def _quarter_hours_of(middle: Middle, params: Params) -> str:
    """The condition on `quarter_hour_rollups` rows that keeps those of the middle's days."""
    start, end = timestamp_param(params, middle.start), timestamp_param(params, middle.end)
    return f"quarter_hour >= {start} AND quarter_hour < {end}"


def _day(seconds: int, params: Params) -> str:
    return params.add(datetime.fromtimestamp(seconds, UTC).date(), "Date")


def _rollup_keys(fields: tuple[str, ...]) -> tuple[str, str]:
    """The select items naming a rollup row's keys like the hits parts' (field_key, or field_0.. and
    batch_member), and its WHERE condition on `field`."""
    numbers = [FIELD_NUMBERS[name] for name in fields] or [0]
    condition = f"field IN ({', '.join(str(number) for number in numbers)})"
    if len(fields) == 1:
        return "value AS field_key", condition
    if not fields:
        return "", condition
    items = [f"CASE WHEN field = {number} THEN value END AS field_{index}" for index, number in enumerate(numbers)]
    member = " ".join(f"WHEN {number} THEN {index}" for index, number in enumerate(numbers))
    items.append(f"CASE field {member} END AS batch_member")
    return ", ".join(items), condition


def _key_aliases(fields: tuple[str, ...], by_date: bool) -> list[str]:
    aliases = ["date_key"] if by_date else []
    if len(fields) == 1:
        return [*aliases, "field_key"]
    if fields:
        return [*aliases, *(f"field_{index}" for index in range(len(fields))), "batch_member"]
    return aliases


def _edges(plan: QueryPlan, middle: Middle) -> list[QueryPlan]:
    """The plans of the window's left and right edges (either may be empty)."""
    return [
        dataclasses.replace(plan, end=middle.start),
        dataclasses.replace(plan, start=middle.end, end=plan.end),
    ]


def _summed(aliases: list[str], inner: list[str], totals: list[str]) -> str:
    """The parts `inner` (alike in columns) added up by key: `totals` are the select items over them."""
    group = f" GROUP BY {', '.join(aliases)}" if aliases else ""
    union = " UNION ALL ".join(f"({part})" for part in inner)
    return f"SELECT {', '.join([*aliases, *totals])} FROM ({union}) AS parts{group}"


def rolled_hit_part(plan: QueryPlan, dialect: Dialect, params: Params, fields: tuple[str, ...], middle: Middle) -> str:
    """Pageviews and unique visitors (or an event's metrics): the middle's rollups plus the edges' hits."""
    query = plan.query
    if query.entity is Entity.EVENT:
        return _rolled_event_part(plan, params, middle)
    aliases = _key_aliases(fields, query.date_grouping is not None)
    if query.date_grouping is not None:  # pageviews only (summable): quarter hours of the middle, then the edges
        quarter_hours = (
            f"SELECT {date_bucket(plan, dialect, params, 'quarter_hour', as_seconds=False)} AS date_key,"
            " sum(pageviews) AS pageviews FROM quarter_hour_rollups"
            f" WHERE site_id = {params.add(query.site_id, 'String')} AND {_quarter_hours_of(middle, params)}"
            " AND pageviews > 0 GROUP BY date_key"
        )
        edges = [hit_part(edge, dialect, params, fields) for edge in _edges(plan, middle)]
        return _summed(aliases, [quarter_hours, *edges], ["sum(pageviews) AS pageviews"])
    keys, condition = _rollup_keys(fields)
    last_day = _day(middle.end - DAY, params)
    rolled = (
        f"SELECT {keys + ', ' if keys else ''}sum(pageviews) AS pageviews,"
        f" sum(visitors) - coalesce(sum(visitors_next_day) FILTER (WHERE day < {last_day}), 0) AS uniques"
        f" FROM daily_rollups WHERE site_id = {params.add(query.site_id, 'String')} AND {condition}"
        f" AND day >= {_day(middle.start, params)} AND day < {_day(middle.end, params)}"
        " AND pageviews > 0 GROUP BY field, value"  # rows of a value's visits alone are the session side's
    )
    pairs = field_keys(fields, "", "''")
    pair_aliases = [item.rsplit(" AS ", 1)[1] for item in pairs]
    visitor_keys = ", ".join([*pair_aliases, "visitor_id"])
    if len(fields) > 1:
        grouping = "GROUPING SETS (" + ", ".join(f"({alias}, visitor_id)" for alias in pair_aliases) + ")"
    else:
        grouping = visitor_keys
    rows = _edge_rows(plan, params, middle, HitKind.PAGEVIEW, ", ".join([*pairs, "visitor_id"]), lambda: "")
    edge_aliases = [*pair_aliases, *(["batch_member"] if len(fields) > 1 else [])]
    keys_of_pairs = [*pair_aliases, *batch_member(fields)]
    edge_counts = _edge_counts(rows, keys_of_pairs, grouping, edge_aliases, ("pageviews", "uniques"), value=False)
    wanted = [f"sum({metric}) AS {metric}" for metric in query.hit_metrics]
    return _summed(aliases, [rolled, edge_counts], wanted)


def rolled_session_part(
    plan: QueryPlan, dialect: Dialect, params: Params, fields: tuple[str, ...], middle: Middle
) -> str:
    """Visits, bounce rate and duration: sums of the middle's rollups and of the edges' sessions, then divided."""
    query = plan.query
    aliases = _key_aliases(fields, query.date_grouping is not None)
    # The edges' parts give sums in the columns of the means (session_part's `sums`), visits always first.
    summed_metrics = ("visits", *(metric for metric in ("avg_duration", "bounce_rate") if metric in query.metrics))
    columns = {"visits": "sum(visits)", "avg_duration": "sum(duration_us) / 1000000.0", "bounce_rate": "sum(bounces)"}
    sums = ", ".join(f"{columns[metric]} AS {metric}" for metric in summed_metrics)
    if query.date_grouping is not None:
        rolled = (
            f"SELECT {date_bucket(plan, dialect, params, 'quarter_hour', as_seconds=False)} AS date_key, {sums}"
            f" FROM quarter_hour_rollups WHERE site_id = {params.add(query.site_id, 'String')}"
            f" AND {_quarter_hours_of(middle, params)} AND visits > 0 GROUP BY date_key"
        )
    else:
        keys, condition = _rollup_keys(fields)
        rolled = (
            f"SELECT {keys + ', ' if keys else ''}{sums} FROM daily_rollups"
            f" WHERE site_id = {params.add(query.site_id, 'String')} AND {condition}"
            f" AND day >= {_day(middle.start, params)} AND day < {_day(middle.end, params)}"
            " AND visits > 0 GROUP BY field, value"  # rows of a value's pageviews alone are the hit side's
        )
    summed_query = dataclasses.replace(query, metrics=summed_metrics)
    edges = [
        session_part(dataclasses.replace(edge, query=summed_query), dialect, params, fields, sums=True)
        for edge in _edges(plan, middle)
    ]
    means = {
        "visits": "sum(visits) AS visits",
        "avg_duration": "sum(avg_duration) / greatest(sum(visits), 1) AS avg_duration",
        "bounce_rate": "sum(bounce_rate) / greatest(sum(visits), 1) AS bounce_rate",
    }
    return _summed(aliases, [rolled, *edges], [means[metric] for metric in query.session_metrics])


class RolledPart(Protocol):
    """rolled_hit_part or rolled_session_part: one side of a report, its middle summed from the rollups."""

    def __call__(
        self, plan: QueryPlan, dialect: Dialect, params: Params, fields: tuple[str, ...], middle: Middle
    ) -> str: ...


def rolled_filtered_part(
    part: RolledPart, plan: QueryPlan, dialect: Dialect, params: Params, middle: Middle, metrics: tuple[str, ...]
) -> str:
    """`metrics` of filtered totals (see rolled_filter) from `part` (rolled_hit_part or rolled_session_part):
    the row of the filter's value in the report grouped by its field, or NULLs (counted as 0) without one."""
    item = rolled_filter(plan.query)
    if item is None:
        raise ValueError("not totals with one rolled-up filter")
    grouped = dataclasses.replace(plan, query=dataclasses.replace(plan.query, field_grouping=item.field))
    rows = part(grouped, dialect, params, (item.field,), middle)
    # After the rows' SQL: placeholders are positional, in the order they appear in the statement's text.
    value = params.add(item.value, "String")
    selected = ", ".join(f"max({metric}) AS {metric}" for metric in metrics)
    return f"SELECT {selected} FROM ({rows}) AS by_value WHERE field_key = {value}"


def _rolled_event_part(plan: QueryPlan, params: Params, middle: Middle) -> str:
    """Completions, visitors completing and value, of one event or by event: as `rolled_hit_part` counts
    pageviews and unique visitors, from `event_rollups` and the edges' event hits."""
    query = plan.query
    by_event = query.field_grouping == EVENT_GROUPING
    key = "event_id AS field_key, " if by_event else ""
    group = " GROUP BY field_key" if by_event else ""

    def of_the_event() -> str:  # a new placeholder each time: they are positional, in the statement's order
        return "" if by_event else f" AND event_id = {params.add(plan.event_id or '', 'String')}"

    last_day = _day(middle.end - DAY, params)
    rolled = (
        f"SELECT {key}sum(completions) AS conversions,"
        f" sum(visitors) - coalesce(sum(visitors_next_day) FILTER (WHERE day < {last_day}), 0) AS unique_conversions,"
        f" sum(value) AS value FROM event_rollups WHERE site_id = {params.add(query.site_id, 'String')}{of_the_event()}"
        f" AND day >= {_day(middle.start, params)} AND day < {_day(middle.end, params)}{group}"
    )
    rows = _edge_rows(plan, params, middle, HitKind.EVENT, f"{key}visitor_id, value", of_the_event)
    keys = ["field_key"] if by_event else []
    grouping = ", ".join([*keys, "visitor_id"])
    edge_counts = _edge_counts(rows, keys, grouping, keys, ("conversions", "unique_conversions"), value=True)
    wanted = [f"sum({metric}) AS {metric}" for metric in query.hit_metrics]
    return _summed(keys, [rolled, edge_counts], wanted)


def _edge_counts(
    rows: str, keys: list[str], grouping: str, group_keys: list[str], names: tuple[str, str], *, value: bool
) -> str:
    """Per key (`group_keys`) of the edges' rows (`_edge_rows`, with `keys` selected per visitor and grouped by
    `grouping`): the edges' hits, and the (key, visitor) pairs the middle does not hold, named `names`; with
    `value`, the edges' summed value too."""
    # Per (key, visitor): its hits in the edges, and whether the middle holds the pair already.
    per_visitor = (
        f"SELECT {''.join(f'{key}, ' for key in keys)}count(*) FILTER (WHERE edge) AS edge_hits,"
        f"{' sum(value) FILTER (WHERE edge) AS edge_value,' if value else ''} bool_or(NOT edge) AS in_middle"
        f" FROM ({rows}) AS edge_rows GROUP BY {grouping}"
    )
    counted, unique = names
    group = f" GROUP BY {', '.join(group_keys)}" if group_keys else ""
    return (
        f"SELECT {''.join(f'{key}, ' for key in group_keys)}sum(edge_hits) AS {counted},"
        f" count(*) FILTER (WHERE edge_hits > 0 AND NOT in_middle) AS {unique}"
        f"{', sum(edge_value) AS value' if value else ''} FROM ({per_visitor}) AS visitors{group}"
    )


def _edge_rows(
    plan: QueryPlan, params: Params, middle: Middle, kind: HitKind, selected: str, condition: Callable[[], str]
) -> str:
    """The hits of kind `kind` (and `condition`, a function making its placeholders) in the window's edges
    (`edge` true), and those of the middle's days beside them that may be an edge visitor's (`edge` false): on
    the middle's first day, hits of sessions begun before it; on its last day, hits of the visitors whose
    sessions begun that day go on into the right edge (see the module's docstring)."""

    def rows(edge: bool, start: int, end: int, more: Callable[[], str] = lambda: "") -> str:
        # Placeholders are positional: each is made in the order it appears in the statement's text.
        return (
            f"SELECT {selected}, {str(edge).lower()} AS edge FROM {HITS}"
            f" WHERE site_id = {params.add(plan.query.site_id, 'String')} AND kind = {kind:d}{condition()}"
            f" AND timestamp >= {timestamp_param(params, start)} AND timestamp < {timestamp_param(params, end)}"
            f"{more()}"
        )

    def begun_before_the_middle() -> str:
        return f" AND session_id < {params.add(middle.start, 'UInt64')}"

    def going_on_into_the_right_edge() -> str:
        visitors = rows(False, middle.end, plan.end, lambda: f" AND session_id < {params.add(middle.end, 'UInt64')}")
        return f" AND visitor_id IN (SELECT visitor_id FROM ({visitors}) AS going_on)"

    parts = [
        rows(True, plan.start, middle.start),
        rows(True, middle.end, plan.end),
        rows(False, middle.start, middle.start + DAY, begun_before_the_middle),
        rows(False, middle.end - DAY, middle.end, going_on_into_the_right_edge),
    ]
    return " UNION ALL ".join(parts)
