"""`/sites`: the account's sites with their unique visitors of the last 30 days and a trend line; add a site.

Numbers come from the query layer with the very parameters `/v1/aggregations` takes, so the page and the
API cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from markupsafe import Markup
from starlette.responses import RedirectResponse, Response

from leadline.api.bodies import validate
from leadline.api.errors import ApiError
from leadline.api.models import SiteCreate
from leadline.dashboard.calls import DashboardCall
from leadline.dashboard.context import DashboardContext
from leadline.dashboard.cookies import set_flash
from leadline.dashboard.layout import render_page
from leadline.dashboard.ranges import bucket_labels, preset_range
from leadline.dashboard.sparkline import sparkline
from leadline.query.parse import parse_report_query
from leadline.query.report import run_report
from leadline.store.metadata.records import Site
from leadline.store.metadata.sites import InvalidSiteSettingsError


@dataclass(frozen=True)
class SiteSummary:
    site: Site
    uniques: int
    trend: Markup


def visitor_params(site: Site, today_in_site: datetime | None = None) -> dict[str, str]:
    """The `/v1/aggregations` parameters of a site's unique visitors over the last 30 days (its timezone)."""
    today = (today_in_site or datetime.now(UTC)).astimezone(ZoneInfo(site.timezone)).date()
    span = preset_range("30d", today)
    return {"entity": "pageview", "entity_id": site.id, "aggregates": "uniques", **span.window()}


def summarize(context: DashboardContext, site: Site) -> SiteSummary:
    params, limits = visitor_params(site), context.report_limits

    def report(params: dict[str, str]) -> list[dict[str, str]]:
        query = parse_report_query(params, site.timezone, limits=limits)
        return run_report(query, context.event_store, context.metadata, limits=limits)

    [total] = report(params) or [{}]
    daily_rows = report({**params, "date_grouping": "day"})
    by_day = {row["date"]: float(row["uniques"]) for row in daily_rows}
    today = datetime.now(UTC).astimezone(ZoneInfo(site.timezone)).date()
    days = bucket_labels(preset_range("30d", today), "day", site.timezone)
    uniques = int(float(total.get("uniques", 0) or 0))
    label = f"Unique visitors per day over the last 30 days of {site.name}"
    return SiteSummary(site, uniques, sparkline([by_day.get(day, 0.0) for day in days], label))


def _sites_page(call: DashboardCall, new_name: str = "", error: str = "", status: int = 200) -> Response:
    sites = call.context.metadata.sites.list_all(call.owner.id)
    summaries = [summarize(call.context, site) for site in sites]
    return render_page(call, "sites.html", {"summaries": summaries, "new_name": new_name, "error": error}, status)


def sites_page(call: DashboardCall) -> Response:
    return _sites_page(call)


def add_site(call: DashboardCall) -> Response:
    name = call.form.get("name", "")
    try:
        body = validate(SiteCreate, {"name": name})
        site = call.context.metadata.sites.create(call.owner.id, body.changes(), default_timezone=call.owner.timezone)
    except ApiError as error:
        return _sites_page(call, name, error.message, error.status)
    except InvalidSiteSettingsError as error:
        return _sites_page(call, name, str(error), 400)
    response = RedirectResponse(f"/sites/{site.id}/settings", status_code=303)
    set_flash(call.signer, call.request, response, f"Added {site.name}. Put the tracking snippet on its pages.")
    return response
