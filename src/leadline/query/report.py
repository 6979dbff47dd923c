"""Running a report: plan, compile for the event store's engine, execute, shape. The one way to get numbers."""

from __future__ import annotations

from datetime import UTC, datetime

from leadline.query.compile import compile_report
from leadline.query.dialects import DIALECTS
from leadline.query.model import Entity, ReportQuery
from leadline.query.plan import plan_query
from leadline.query.shape import shape_rows
from leadline.store.events import EventStore
from leadline.store.metadata.store import MetadataStore


def run_report(
    query: ReportQuery, event_store: EventStore, metadata: MetadataStore, now: datetime | None = None
) -> list[dict[str, str]]:
    event_id = None
    if query.entity is Entity.EVENT:
        event = metadata.events.find_by_name(query.site_id, query.event_name or "")
        event_id = event.id if event is not None else ""
    earliest = event_store.earliest_hit(query.site_id) if query.date_from is None else None
    plan = plan_query(query, now or datetime.now(UTC), event_id=event_id, earliest=earliest)
    compiled = compile_report(plan, DIALECTS[event_store.dialect])
    rows = event_store.fetch(compiled.sql, compiled.params)
    return shape_rows(query, compiled.columns, rows)
