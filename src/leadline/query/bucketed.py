"""Unique visitors by month or year from the rollups: each bucket counted as a window of its own.

Unique visitors do not add up across hours or days, so a report of them by date cannot sum the hourly rollups
as the other metrics do (query/rolled.py), and read every hit of its window instead: 0.8-1.2 s for the last 12
months of a 10 M-hit site, the dashboard's default chart for that range. But a month (or a year) in any time
zone is a window of its own, from one local midnight to another, and a window's unique visitors are summed
exactly from the rollups of its whole UTC days plus the part days at its edges (`rolled_hit_part`). So the
report is one statement holding one such window per bucket: each reads the hits of its edges only.

A bucket is a contiguous range of instants only where the wall clock does not go back across its boundary: a
report whose zone turns its clocks back across a bucket's boundary is read from the hits, as before.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from datetime import UTC, datetime

from leadline.query.dialects import DIALECTS, Dialect, Params
from leadline.query.model import Entity, ReportQuery
from leadline.query.parts import hit_part
from leadline.query.plan import DAY, QueryPlan
from leadline.query.rolled import Middle, pending_days, rolled_hit_part, settled_middle
from leadline.store.events import EventStore

UNIQUES = "uniques"
BUCKETED_GROUPINGS = ("month", "year")


@dataclass(frozen=True, slots=True)
class Bucket:
    """One date bucket of a report: its key (the local start, as the engine's truncation names it), the
    instants of the report's window it holds [start, end), and the whole UTC days it sums from rollups."""

    key: datetime
    start: int
    end: int
    middle: Middle | None


def bucketable(query: ReportQuery) -> bool:
    """Unique visitors (with other metrics or not) of pageviews by month or year, without filters or fields."""
    return (
        query.entity is Entity.PAGEVIEW
        and query.date_grouping in BUCKETED_GROUPINGS
        and UNIQUES in query.metrics
        and not query.filters
        and query.field_grouping is None
    )


def without_uniques(plan: QueryPlan) -> QueryPlan | None:
    """The plan of the report's other metrics (which sum by hour), or None when it asks for unique visitors only."""
    others = tuple(metric for metric in plan.query.metrics if metric != UNIQUES)
    if not others:
        return None
    return dataclasses.replace(plan, query=dataclasses.replace(plan.query, metrics=others))


def _local_seconds(moment: datetime) -> int:
    """A naive wall-clock time as seconds on the local time line (Unix seconds as if the zone were UTC)."""
    return int(moment.replace(tzinfo=UTC).timestamp())


def _first_instant_at(plan: QueryPlan, local: int) -> int | None:
    """The first instant whose wall-clock time (by the plan's offset steps) is at or after `local`, or None
    when the clock goes back below `local` after it (the bucket boundary is then not one instant)."""
    steps = plan.offsets
    found: int | None = None
    for index, (since, offset) in enumerate(steps):
        until = steps[index + 1][0] if index + 1 < len(steps) else None
        if found is None:
            if until is None or until + offset > local:
                found = max(since, local - offset)
        elif since + offset < local:
            return None
    return found


def _next_bucket(key: datetime, grouping: str) -> datetime:
    if grouping == "year":
        return key.replace(year=key.year + 1)
    return key.replace(year=key.year + key.month // 12, month=key.month % 12 + 1)


def bucket_windows(plan: QueryPlan) -> list[tuple[datetime, int, int]] | None:
    """(key, start, end) of each bucket the plan's window touches, or None where a bucket boundary is not one
    instant (a wall clock going back across it)."""
    grouping = plan.query.date_grouping
    if grouping not in BUCKETED_GROUPINGS or plan.end <= plan.start:
        return None
    first_offset = next(offset for since, offset in reversed(plan.offsets) if since <= plan.start)
    first_local = datetime.fromtimestamp(plan.start + first_offset, UTC).replace(tzinfo=None)
    key = first_local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if grouping == "year":
        key = key.replace(month=1)
    if _first_instant_at(plan, _local_seconds(key)) is None:
        return None
    windows: list[tuple[datetime, int, int]] = []
    start = plan.start
    while start < plan.end:
        following = _next_bucket(key, str(grouping))
        boundary = _first_instant_at(plan, _local_seconds(following))
        if boundary is None:
            return None
        end = min(boundary, plan.end)
        if end > start:
            windows.append((key, start, end))
        start, key = max(start, end), following
    return windows


def planned_buckets(plan: QueryPlan, event_store: EventStore) -> list[Bucket] | None:
    """The buckets of a report whose unique visitors the rollups can count bucket by bucket, each with the
    middle its rollups hold now; None when the report reads the hits alone (see rolled_middle for why)."""
    if not DIALECTS[event_store.dialect].rollups or not bucketable(plan.query):
        return None
    windows = bucket_windows(plan)
    if not windows:
        return None
    pending = pending_days(event_store, plan.query.site_id, plan.start // DAY, plan.end // DAY + 1)
    if pending is None:
        return None
    return [
        Bucket(key, start, end, settled_middle(math.ceil(start / DAY), end // DAY, pending))
        for key, start, end in windows
    ]


def bucketed_hit_part(
    plan: QueryPlan, dialect: Dialect, params: Params, middle: Middle | None, buckets: list[Bucket]
) -> str:
    """The hit side of a bucketable report: its other hit metrics as any report counts them (from the rollups
    with `middle`), beside its unique visitors counted bucket by bucket."""
    # Placeholders are positional: every part's SQL is made in the order it appears in the statement's text.
    others = tuple(metric for metric in plan.query.hit_metrics if metric != UNIQUES)
    other_side = ""
    if others:
        other_plan = dataclasses.replace(plan, query=dataclasses.replace(plan.query, metrics=others))
        if middle is None:
            other_side = hit_part(other_plan, dialect, params, ())
        else:
            other_side = rolled_hit_part(other_plan, dialect, params, (), middle)
    counted = []
    for bucket in buckets:
        key = f"CAST({params.add(bucket.key, 'DateTime64(6)')} AS TIMESTAMP)"
        window = _window(plan, bucket)
        if bucket.middle is None:
            part = hit_part(window, dialect, params, ())
        else:
            part = rolled_hit_part(window, dialect, params, (), bucket.middle)
        counted.append(f"SELECT {key} AS date_key, uniques FROM ({part}) AS bucket")
    uniques = f"SELECT date_key, uniques FROM ({' UNION ALL '.join(counted)}) AS buckets WHERE uniques > 0"
    if not others:
        return uniques
    return (
        f"SELECT date_key, {', '.join(others)}, uniques FROM ({other_side}) AS other_metrics"
        f" FULL OUTER JOIN ({uniques}) AS bucketed USING (date_key)"
    )


def _window(plan: QueryPlan, bucket: Bucket) -> QueryPlan:
    """The plan of one bucket's unique visitors: an ungrouped report of its window."""
    query = dataclasses.replace(plan.query, metrics=(UNIQUES,), date_grouping=None, sort=(), limit=None)
    return dataclasses.replace(plan, query=query, start=bucket.start, end=bucket.end, row_limit=None)
