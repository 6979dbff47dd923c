"""The site dashboard `/sites/{id}` (and its shared and embedded twins): page, panel fragments, live count, export.

The routes authorize the request and build the View; these handlers read the view state from the URL, ask
the query layer for every number (see site_reports) and render. Bad URLs answer `{"error": ...}` with 400.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from leadline.dashboard.charts import build_chart
from leadline.dashboard.context import DashboardContext
from leadline.dashboard.export import export_files, zip_bytes
from leadline.dashboard.panels import (
    CARDS,
    CHART_METRICS,
    FILTER_FIELDS,
    GROUPS,
    LOWER_IS_BETTER,
    PANELS,
    PANELS_BY_NAME,
    TOP_ROWS,
    Panel,
    row_label,
)
from leadline.dashboard.ranges import CUSTOM, PRESETS, allowed_intervals
from leadline.dashboard.site_format import cents, change, compact_count, metric_value
from leadline.dashboard.site_reports import SiteNumbers, SiteReports, event_table, site_first_day, site_today
from leadline.dashboard.site_state import SiteState, StateError, parse_state, row_limit
from leadline.dashboard.templating import render
from leadline.dashboard.view import View
from leadline.http_errors import error_response
from leadline.query.current import current_visitors as count_current_visitors
from leadline.query.errors import ReportTimeoutError
from leadline.query.parse import QueryError
from leadline.query.shape import DECIMALS

RETRY_LATER = {"Retry-After": "30"}  # as /v1/aggregations answers a report past its time limit

REFRESH_SECONDS = 10
PRIVATE_CACHE = {"Cache-Control": "private, no-store"}  # numbers change by the second; shared views are private


async def _state(request: Request, context: DashboardContext, view: View) -> SiteState:
    today = site_today(view.site)
    # The first day of data matters only to "all time"; skip its query otherwise.
    earliest: date | None = None
    if request.query_params.get("range") == "all":
        earliest = await run_in_threadpool(site_first_day, context, view.site)
    state = parse_state(request.query_params, today, earliest)
    return replace(state, embed=True) if view.mode == "embed" else state


async def site_page(request: Request, context: DashboardContext, view: View) -> Response:
    try:
        state = await _state(request, context, view)
        numbers = await SiteReports(context, view.site, state).everything()
        live = await run_in_threadpool(count_current_visitors, context.event_store, view.site.id, False)
    except (StateError, QueryError) as error:
        return error_response(400, str(error))
    except ReportTimeoutError as error:
        return error_response(503, str(error), RETRY_LATER)
    return render(
        request,
        "site_dashboard.html",
        page_values(view, state, numbers, int(str(live["total"]))),
        headers=PRIVATE_CACHE,
    )


async def panel_fragment(request: Request, context: DashboardContext, view: View, panel: str) -> Response:
    """One panel's HTML (the partial the page uses), e.g. with up to 100 rows when the URL says `more=PANEL`."""
    chosen = PANELS_BY_NAME.get(panel)
    if chosen is None:
        return error_response(404, f"no panel {panel!r}; panels: {', '.join(PANELS_BY_NAME)}")
    try:
        state = await _state(request, context, view)
        reports = SiteReports(context, view.site, state)
        limit = row_limit(state, panel)
        totals = await reports.totals(state.span)
        if chosen.name == "events":
            events = event_table(await reports.event_totals(reports.events(), state.span), totals["uniques"])
            values = {"events": events[:limit]}
            rows: list[tuple[str, float]] = []
        else:
            rows = await reports.panel_rows(chosen, limit)
            values = {"events": []}
    except (StateError, QueryError) as error:
        return error_response(400, str(error))
    except ReportTimeoutError as error:
        return error_response(503, str(error), RETRY_LATER)
    panel_view = panel_values(view, state, chosen, rows, totals, limit)
    return render(
        request, "site_panel.html", {"view": view, "state": state, "panel": panel_view, **values}, headers=PRIVATE_CACHE
    )


async def current_visitors(request: Request, context: DashboardContext, view: View) -> Response:
    """`{"total": N}`: visitors with a pageview in the last five minutes (what the page refreshes every 10 s)."""
    answer = await run_in_threadpool(count_current_visitors, context.event_store, view.site.id, False)
    return JSONResponse({"total": answer["total"]}, headers=PRIVATE_CACHE)


async def export_zip(request: Request, context: DashboardContext, view: View) -> Response:
    try:
        state = await _state(request, context, view)
        files = await export_files(SiteReports(context, view.site, state), context.settings.report_max_rows)
    except (StateError, QueryError) as error:
        return error_response(400, str(error))
    except ReportTimeoutError as error:
        return error_response(503, str(error), RETRY_LATER)
    name = f"leadline-{view.site.id}-{state.span.first.isoformat()}-{state.span.last.isoformat()}.zip"
    headers = {"Content-Disposition": f'attachment; filename="{name}"', **PRIVATE_CACHE}
    return Response(zip_bytes(files), media_type="application/zip", headers=headers)


def panel_values(
    view: View, state: SiteState, panel: Panel, rows: list[tuple[str, float]], totals: dict[str, float], limit: int
) -> dict[str, Any]:
    """A panel as the templates draw it: rows with labels, counts, shares (0-100) and filter links."""
    total = totals.get(panel.metric, 0.0) or sum(value for _, value in rows)
    drawn = []
    for value, count in rows:
        share = round(100 * count / total) if total else 0
        drawn.append(
            {
                "value": value,
                "label": row_label(panel, value),
                "count": count,
                "count_text": compact_count(count),
                "share": max(0, min(100, share)),
                "link": view.base_path + state.with_filter(panel.field, value)
                if panel.filterable and panel.field
                else "",
            }
        )
    more_link = ""
    if len(rows) >= TOP_ROWS and limit <= TOP_ROWS:
        more_link = view.base_path + state.query(more=panel.name) + f"#panel-{panel.name}"
    return {
        "name": panel.name,
        "title": panel.title,
        "metric_label": panel.metric_label,
        "rows": drawn,
        "more_link": more_link,
        "fragment": f"{view.base_path}/panels/{panel.name}{state.query(more=panel.name)}",
    }


def page_values(view: View, state: SiteState, numbers: SiteNumbers, live: int) -> dict[str, Any]:
    """Everything the page template needs, already formatted (the template only lays it out)."""
    cards = []
    for name, label in CARDS:
        value = numbers.totals.get(name, 0.0)
        previous = numbers.previous_totals.get(name) if numbers.previous_totals else None
        change_text, direction = change(name, value, previous)
        if name in LOWER_IS_BETTER and direction in ("up", "down"):
            mood = "worse" if direction == "up" else "better"
        else:
            mood = {"up": "better", "down": "worse"}.get(direction, "neutral")
        cards.append(
            {
                "name": name,
                "label": label,
                "value": value,
                "raw": f"{value:.4f}".rstrip("0").rstrip(".") if name in DECIMALS else f"{value:.0f}",
                "text": metric_value(name, value),
                "change": change_text,
                "direction": direction,
                "mood": mood,
                "selected": name == state.metric,
                "link": view.base_path + state.query(metric=name) if name in CHART_METRICS else "",
            }
        )
    chart = build_chart(
        state.metric,
        state.interval,
        numbers.labels,
        numbers.series,
        numbers.previous_series,
        [(item.milestone_date, item.name) for item in numbers.milestones],
    )
    groups = []
    for group, title in GROUPS:
        members = [panel for panel in PANELS if panel.group == group]
        groups.append(
            {
                "name": group,
                "title": title,
                "panels": [
                    panel_values(
                        view, state, panel, numbers.panels[panel.name], numbers.totals, row_limit(state, panel.name)
                    )
                    for panel in members
                ],
            }
        )
    ranges = [
        {
            "key": key,
            "label": label,
            "shortcut": shortcut,
            "link": view.base_path + state.query(span=_preset(state, key), interval=""),
            "selected": state.span.key == key,
        }
        for key, label, shortcut in PRESETS
    ]
    return {
        "view": view,
        "site": view.site,
        "state": state,
        "cards": cards,
        "chart": chart,
        "chart_metric_label": dict(CARDS)[state.metric],
        "groups": groups,
        "events": numbers.events,
        "cents": cents,
        "compact_count": compact_count,
        "ranges": ranges,
        "custom": state.span.key == CUSTOM,
        "intervals": [
            {"name": name, "link": view.base_path + state.query(interval=name), "selected": name == state.interval}
            for name in allowed_intervals(state.span)
        ],
        "chips": [
            {
                "field": field,
                "value": value,
                "label": _filter_label(field, value),
                "link": view.base_path + state.without_filter(field, value),
            }
            for field, value in state.filters
        ],
        "live": live,
        "live_link": f"{view.base_path}/current" + ("?embed=true" if state.embed else ""),
        "refresh_seconds": REFRESH_SECONDS,
        "export_link": f"{view.base_path}/export{state.query()}",
    }


def _preset(state: SiteState, key: str) -> Any:
    """A stand-in range with only the key: the URL carries the key, and the next request resolves its days."""
    return replace(state.span, key=key)


def _filter_label(field: str, value: str) -> str:
    return f"{FILTER_FIELDS[field]} is {value or '(none)'}"
