"""Every number of the site dashboard, asked of the query layer with the parameters `/v1/aggregations` takes.

No SQL here: each figure is `run_report(parse_report_query(params))` on the same params an API client would
send, so the API's oracle tests cover the pages too. Reports run off the event loop, side by side; the panels
that differ only in their field share one statement where the engine allows (query/batch.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from starlette.concurrency import run_in_threadpool

from leadline.dashboard.context import DashboardContext
from leadline.dashboard.panels import EVENT_METRICS, PAGEVIEW_CARDS, PANELS, Panel, panel_params
from leadline.dashboard.ranges import DateRange, bucket_labels
from leadline.dashboard.site_state import SiteState, row_limit
from leadline.query.batch import run_reports, statements
from leadline.query.model import EVENT_GROUPING, ReportQuery
from leadline.query.parse import parse_report_query
from leadline.query.report import run_report
from leadline.store.metadata.pagination import PageRequest
from leadline.store.metadata.records import Event, Milestone, Site

Row = dict[str, str]
MAX_MILESTONES = 500


@dataclass(frozen=True, slots=True)
class EventRow:
    name: str
    conversions: float
    unique_conversions: float
    value: float  # cents
    conversion_rate: float  # percent of unique visitors who completed it


@dataclass(slots=True)
class SiteNumbers:
    totals: dict[str, float]
    previous_totals: dict[str, float] | None
    labels: list[str]
    series: list[float]
    previous_series: list[float] | None
    panels: dict[str, list[tuple[str, float]]]  # panel name -> (stored value, count) rows
    events: list[EventRow]
    milestones: list[Milestone] = field(default_factory=list)


def site_today(site: Site, now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(ZoneInfo(site.timezone)).date()


def site_first_day(context: DashboardContext, site: Site) -> date | None:
    earliest = context.event_store.earliest_hit(site.id)
    if earliest is None:
        return None
    return datetime.fromtimestamp(earliest, UTC).astimezone(ZoneInfo(site.timezone)).date()


class SiteReports:
    """The reports of one dashboard view of one site."""

    def __init__(self, context: DashboardContext, site: Site, state: SiteState) -> None:
        self.context, self.site, self.state = context, site, state

    def params(self, span: DateRange, extra: Mapping[str, str], *, events: bool = False) -> dict[str, str]:
        """What a client would send to `/v1/aggregations` for `extra` over `span` with this view's filters
        (about the site's events with `events`, else its pageviews)."""
        if events:
            params = {"entity": "event", "site_id": self.site.id}
        else:
            params = {"entity": "pageview", "entity_id": self.site.id}
        params.update(span.window())
        if self.state.filters:
            params["filters"] = self.state.filters_json()
        params.update(extra)
        return params

    def parse(self, params: Mapping[str, str]) -> ReportQuery:
        """The report `params` ask for (QueryError for parameters the query layer refuses)."""
        return parse_report_query(params, self.site.timezone, limits=self.context.report_limits)

    def run_now(self, params: Mapping[str, str]) -> list[Row]:
        """One report, on this thread (QueryError for parameters the query layer refuses)."""
        limits = self.context.report_limits
        return run_report(self.parse(params), self.context.event_store, self.context.metadata, limits=limits)

    async def run(self, params: Mapping[str, str]) -> list[Row]:
        return await run_in_threadpool(self.run_now, params)

    async def run_together(self, queries: Sequence[ReportQuery]) -> list[list[Row]]:
        """Answers to `queries`, in order: those that can share one statement share it (query/batch.py), the
        statements run side by side."""
        store, metadata, limits = self.context.event_store, self.context.metadata, self.context.report_limits

        def answer(group: list[ReportQuery]) -> list[list[Row]]:
            return run_reports(group, store, metadata, limits=limits)

        groups = statements(queries, store.dialect)
        grouped = await asyncio.gather(*(run_in_threadpool(answer, [queries[i] for i in group]) for group in groups))
        answers: dict[int, list[Row]] = {}
        for group, group_answers in zip(groups, grouped, strict=True):
            answers.update(zip(group, group_answers, strict=True))
        return [answers[index] for index in range(len(queries))]

    async def panels_rows(self, span: DateRange, limits: Mapping[str, int]) -> dict[str, list[tuple[str, float]]]:
        """(stored value, count) rows of every dimension panel over `span`, at most `limits[panel]` each."""
        panels = [panel for panel in PANELS if panel.field is not None]
        queries = [self.parse(self.params(span, panel_params(panel, limits[panel.name]))) for panel in panels]
        answers = await self.run_together(queries)
        return {
            panel.name: [(row[str(panel.field)], float(row[panel.metric])) for row in rows]
            for panel, rows in zip(panels, answers, strict=True)
        }

    async def totals(self, span: DateRange) -> dict[str, float]:
        rows = await self.run(self.params(span, {"aggregates": ",".join(PAGEVIEW_CARDS)}))
        return {name: float(rows[0][name]) if rows else 0.0 for name in PAGEVIEW_CARDS}

    async def series(self, span: DateRange) -> list[float]:
        params = self.params(span, {"aggregates": self.state.metric, "date_grouping": self.state.interval})
        rows = await self.run(params)
        by_label = {row["date"]: float(row[self.state.metric]) for row in rows}
        return [by_label.get(label, 0.0) for label in bucket_labels(span, self.state.interval, self.site.timezone)]

    async def panel_rows(self, panel: Panel, limit: int) -> list[tuple[str, float]]:
        if panel.field is None:
            return []
        rows = await self.run(self.params(self.state.span, panel_params(panel, limit)))
        return [(row[panel.field], float(row[panel.metric])) for row in rows]

    async def event_totals(self, events: list[Event], span: DateRange) -> list[tuple[str, Row]]:
        """(event name, its totals) of the events completed in `span`: one report grouped by event, however many
        events the site has (as `/v1/aggregations?entity=event&field_grouping=event` answers it)."""
        if not events:
            return []
        params = self.params(span, {"aggregates": EVENT_METRICS, "field_grouping": EVENT_GROUPING}, events=True)
        return [(row[EVENT_GROUPING], row) for row in await self.run(params)]

    def events(self) -> list[Event]:
        return self.context.metadata.events.list_all(self.site.id)

    def milestones(self) -> list[Milestone]:
        page = self.context.metadata.milestones.list_page(self.site.id, PageRequest(limit=MAX_MILESTONES))
        span = self.state.span
        return [item for item in page.items if span.first <= item.milestone_date <= span.last]

    async def _previous_period(
        self, previous: DateRange | None, events: list[Event]
    ) -> tuple[dict[str, float], list[float]] | None:
        """Totals (with completions) and the chart series of the period before, for the changes and second line."""
        if previous is None:
            return None
        totals, series, event_answers = await asyncio.gather(
            self.totals(previous), self.series(previous), self.event_totals(events, previous)
        )
        totals["completions"] = sum(float(row["conversions"]) for _, row in event_answers)
        return totals, series

    async def everything(self) -> SiteNumbers:
        """Cards, chart and every panel's top rows: one page's worth, gathered concurrently."""
        span, previous = self.state.span, self.state.span.previous()
        events = await run_in_threadpool(self.events)
        limits = {panel.name: row_limit(self.state, panel.name) for panel in PANELS}
        totals, series, event_answers, earlier, panel_answers = await asyncio.gather(
            self.totals(span),
            self.series(span),
            self.event_totals(events, span),
            self._previous_period(previous, events),
            self.panels_rows(span, limits),
        )
        totals["completions"] = sum(float(row["conversions"]) for _, row in event_answers)
        previous_totals, previous_series = earlier if earlier is not None else (None, None)
        event_rows = event_table(event_answers, totals["uniques"])
        return SiteNumbers(
            totals=totals,
            previous_totals=previous_totals,
            labels=bucket_labels(span, self.state.interval, self.site.timezone),
            series=series,
            previous_series=previous_series,
            panels={panel.name: panel_answers.get(panel.name, []) for panel in PANELS},
            events=event_rows[: limits["events"]],
            milestones=await run_in_threadpool(self.milestones),
        )


def event_table(answers: list[tuple[str, Row]], uniques: float) -> list[EventRow]:
    """Completed events, most completions first (then by name), with the share of unique visitors completing."""
    rows = [
        EventRow(
            name=name,
            conversions=float(row["conversions"]),
            unique_conversions=float(row["unique_conversions"]),
            value=float(row["value"]),
            conversion_rate=round(100 * float(row["unique_conversions"]) / uniques, 2) if uniques else 0.0,
        )
        for name, row in answers
        if float(row["conversions"]) > 0  # events nobody completed in the range are not rows
    ]
    rows.sort(key=lambda row: (-row.conversions, row.name))
    return rows
