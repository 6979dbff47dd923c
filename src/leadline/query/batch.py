"""Several reports at once: the dashboard's panels ask the same window and filters by a dozen fields.

Reports that differ only in their field grouping and limit run as one statement where the engine has grouping
sets (compile.compile_batch): one scan of the window's hits instead of one per report. Each answer is exactly
what run_report gives for that report alone (tests/query/test_batch.py holds them to it); reports that cannot
share a statement, and every report on an engine without grouping sets, run one by one through run_report.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import UTC, datetime

from leadline.query.compile import compile_batch
from leadline.query.dialects import DIALECTS
from leadline.query.limits import UNBOUNDED, ReportLimits
from leadline.query.model import EVENT_GROUPING, EXIT_DIMENSIONS, Entity, ReportQuery, SortKey
from leadline.query.plan import plan_query
from leadline.query.report import check_row_count, fetch_rows, first_countable_second, run_report
from leadline.query.rolled import rolled_middle
from leadline.query.shape import shape_rows
from leadline.store.events import EventStore
from leadline.store.metadata.store import MetadataStore

Answer = list[dict[str, str]]


def batch_key(query: ReportQuery) -> ReportQuery | None:
    """What `query` shares with the reports it can run with (itself without field grouping, limit and a sort
    that is the default order anyway), or None when it runs alone: no field grouping (or by event or exit
    page), a date grouping, another sort, or metrics over both hits and sessions."""
    if query.entity is not Entity.PAGEVIEW or query.field_grouping in (None, EVENT_GROUPING, *EXIT_DIMENSIONS):
        return None
    if query.date_grouping is not None or (query.hit_metrics and query.session_metrics):
        return None
    if query.sort and query.sort != default_sort(query):
        return None
    return dataclasses.replace(query, field_grouping=None, limit=None, sort=())


def default_sort(query: ReportQuery) -> tuple[SortKey, ...]:
    """A field grouping's default order as a sort: its first metric, largest first (ties by key either way).

    The dashboard's panels ask for it by name (`sort_by=visits:desc`), as an API client would."""
    return (SortKey(query.metrics[0], descending=True),)


def statements(queries: Sequence[ReportQuery], engine: str) -> list[list[int]]:
    """`queries` (by index) grouped by the statement that answers them on `engine` (an event store's dialect
    name): reports that can share one together, every other one alone. Callers that run statements side by
    side run one group each."""
    dialect = DIALECTS[engine]
    groups: dict[ReportQuery | int, list[int]] = {}
    for index, query in enumerate(queries):
        key = batch_key(query) if dialect.grouping_sets else None
        groups.setdefault(index if key is None else key, []).append(index)
    return list(groups.values())


def run_reports(
    queries: Sequence[ReportQuery],
    event_store: EventStore,
    metadata: MetadataStore,
    now: datetime | None = None,
    *,
    limits: ReportLimits = UNBOUNDED,
) -> list[Answer]:
    """The answers to `queries`, in order, each as run_report would give it (and raising as it would)."""
    moment = now or datetime.now(UTC)
    answers: dict[int, Answer] = {}
    for members in statements(queries, event_store.dialect):
        if len(members) == 1:
            answers[members[0]] = run_report(queries[members[0]], event_store, metadata, moment, limits=limits)
        else:
            batch = _run_batch([queries[index] for index in members], event_store, moment, limits)
            answers.update(zip(members, batch, strict=True))
    return [answers[index] for index in range(len(queries))]


def _run_batch(
    queries: list[ReportQuery], event_store: EventStore, now: datetime, limits: ReportLimits
) -> list[Answer]:
    earliest = first_countable_second(event_store, queries[0], now)
    # Without their sort, which batch_key let through only where it is the default order a batch is cut in.
    unsorted = [dataclasses.replace(query, sort=()) for query in queries]
    plans = [plan_query(query, now, earliest=earliest, limits=limits) for query in unsorted]
    compiled = compile_batch(plans, DIALECTS[event_store.dialect], rolled_middle(plans, event_store))
    rows = fetch_rows(compiled, event_store, limits)
    by_member: list[list[Sequence[object]]] = [[] for _ in queries]
    for member, *rest in rows:
        by_member[int(member)].append(tuple(rest))
    return [
        shape_rows(query, compiled.columns[1:], check_row_count(member_rows, limits))
        for query, member_rows in zip(queries, by_member, strict=True)
    ]
