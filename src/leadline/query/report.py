"""Running a report: plan, compile for the event store's engine, execute, shape. The one way to get numbers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, TypeVar

from leadline.query.bucketed import planned_buckets, without_uniques
from leadline.query.compile import CompiledQuery, compile_report
from leadline.query.dialects import DIALECTS
from leadline.query.errors import ReportTimeoutError, ReportTooLargeError
from leadline.query.limits import UNBOUNDED, ReportLimits
from leadline.query.model import EVENT_GROUPING, Entity, ReportQuery
from leadline.query.plan import DAY, plan_query
from leadline.query.rolled import rolled_middle
from leadline.query.shape import shape_rows
from leadline.store.events import EventStore
from leadline.store.events.base import EventStoreTimeoutError
from leadline.store.metadata.store import MetadataStore

Row = TypeVar("Row")


def run_report(
    query: ReportQuery,
    event_store: EventStore,
    metadata: MetadataStore,
    now: datetime | None = None,
    *,
    limits: ReportLimits = UNBOUNDED,
    rollups: bool = True,
) -> list[dict[str, str]]:
    """The shaped answer to `query`. Past `limits`: ReportTooLargeError (a 400) or ReportTimeoutError (a 503).

    `rollups=False` reads every hit of the window, as if the store kept no rollups (bench/query.py compares).
    """
    moment = now or datetime.now(UTC)
    event_id = None
    if query.entity is Entity.EVENT and query.event_name is not None:
        event = metadata.events.find_by_name(query.site_id, query.event_name)
        event_id = event.id if event is not None else ""
    earliest = first_countable_second(event_store, query, moment)
    plan = plan_query(query, moment, event_id=event_id, earliest=earliest, limits=limits)
    buckets = planned_buckets(plan, event_store) if rollups else None
    # Counted bucket by bucket, unique visitors leave the other metrics to sum by quarter hour from the rollups.
    summed = plan if buckets is None else without_uniques(plan)
    middle = rolled_middle([summed], event_store) if rollups and summed is not None else None
    compiled = compile_report(plan, DIALECTS[event_store.dialect], middle, buckets)
    rows = check_row_count(fetch_rows(compiled, event_store, limits), limits)
    shaped = shape_rows(query, compiled.columns, rows)
    if query.field_grouping == EVENT_GROUPING:
        names = {event.id: event.name for event in metadata.events.list_all(query.site_id)}
        # Hits of an event deleted meanwhile have no name to show: they are left out, as a named report would.
        shaped = [row | {EVENT_GROUPING: names[row[EVENT_GROUPING]]} for row in shaped if row[EVENT_GROUPING] in names]
    return shaped


def fetch_rows(compiled: CompiledQuery, event_store: EventStore, limits: ReportLimits) -> list[tuple[Any, ...]]:
    """The rows of a compiled report; past the time limit, ReportTimeoutError (a 503)."""
    try:
        return event_store.fetch(
            compiled.sql,
            compiled.params,
            timeout_seconds=limits.timeout_seconds,
            setup=compiled.setup,
            reads_from=compiled.reads_from,
        )
    except EventStoreTimeoutError as error:
        raise ReportTimeoutError(
            f"the report ran longer than {limits.timeout_seconds:g} s and was stopped: "
            "narrow date_from/date_to, the grouping or the filters, or retry later"
        ) from error


def check_row_count(rows: list[Row], limits: ReportLimits) -> list[Row]:
    """`rows`, unless there are more than one answer may hold: ReportTooLargeError (a 400)."""
    if limits.max_rows is not None and len(rows) > limits.max_rows:
        raise ReportTooLargeError(
            f"this report has more than {limits.max_rows} rows, the most one answer holds: "
            f"ask for the first ones with limit (at most {limits.max_rows}) or narrow the report"
        )
    return rows


def first_countable_second(event_store: EventStore, query: ReportQuery, now: datetime) -> int | None:
    """Where the site's data begins: the window is clamped to it, so `date_from=0` costs nothing.

    A day before the first stored hit, because a session counts at its start, and the hit that opened it may
    have been deleted since (with its event's data); the rest of a session lies within a day of its start.
    Without any hit, the window is empty.

    None (no clamp, and no lookup: a round trip to every shard on ClickHouse) where clamping cannot change the
    answer: a window with a start and no time buckets counts nothing before the site's data either way. Time
    buckets begin at the window's start, and their number is bounded (ReportLimits.max_time_buckets).
    """
    if query.date_from is not None and query.date_grouping is None:
        return None
    first_hit = event_store.earliest_hit(query.site_id)
    return int(now.timestamp()) + 1 if first_hit is None else first_hit - DAY
