"""The site dashboard in Chromium: every number equals `/v1/aggregations` for the same range and filters.

The pages and the API share one query layer; these tests hold the rendered page (its data-* attributes, the
contract of issue 11) against the API's answers through the owner's REST key, and the export against both.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page

from leadline.dashboard.panels import PANELS, TOP_ROWS
from leadline.dashboard.ranges import DateRange, preset_range
from tests.dashboard.conftest import VIEWPORTS, AxeCheck, DashboardServer, Screenshots

PAGEVIEW_METRICS = ("uniques", "visits", "pageviews", "avg_duration", "bounce_rate")


def local_range(server: DashboardServer, key: str) -> DateRange:
    today = datetime.now(UTC).astimezone(ZoneInfo(server.site.timezone)).date()
    return preset_range(key, today)


def api_params(server: DashboardServer, span: DateRange, filters: list[dict[str, str]] | None = None) -> dict[str, str]:
    params = {"entity": "pageview", "entity_id": server.site.id, **span.window()}
    if filters:
        params["filters"] = json.dumps(filters)
    return params


def api_cards(
    server: DashboardServer, span: DateRange, filters: list[dict[str, str]] | None = None
) -> dict[str, float]:
    """What the cards must show, from the API: the pageview totals and the sum of every event's completions."""
    base = api_params(server, span, filters)
    totals = server.aggregations(**base, aggregates=",".join(PAGEVIEW_METRICS))[0]
    cards = {name: float(totals[name]) for name in PAGEVIEW_METRICS}
    cards["completions"] = 0.0
    for event in server.live.metadata.events.list_all(server.site.id):
        event_params = {**base, "entity": "event", "site_id": server.site.id, "entity_name": event.name}
        del event_params["entity_id"]
        cards["completions"] += float(server.aggregations(**event_params, aggregates="conversions")[0]["conversions"])
    return cards


def page_cards(page: Page) -> dict[str, float]:
    values: dict[str, str] = page.eval_on_selector_all(
        ".cards [data-metric]", "cards => Object.fromEntries(cards.map(c => [c.dataset.metric, c.dataset.value]))"
    )
    return {name: float(value) for name, value in values.items()}


def page_rows(page: Page, panel: str) -> list[tuple[str, float]]:
    rows: list[list[str]] = page.eval_on_selector_all(
        f'[data-panel="{panel}"] [data-row]', "rows => rows.map(r => [r.dataset.label, r.dataset.value])"
    )
    return [(label, float(value)) for label, value in rows]


def api_rows(server: DashboardServer, params: dict[str, str], field: str, metric: str) -> list[tuple[str, float]]:
    answer = server.aggregations(
        **params, aggregates=metric, field_grouping=field, sort_by=f"{metric}:desc", limit=str(TOP_ROWS)
    )
    return [(row[field], float(row[metric])) for row in answer]


def open_dashboard(page: Page, server: DashboardServer, query: str = "?range=30d") -> None:
    page.goto(server.url(f"/sites/{server.site.id}{query}"))
    page.wait_for_load_state("networkidle")


def test_every_card_and_the_top_rows_of_every_panel_equal_the_api(
    signed_in: Page, dashboard_server: DashboardServer
) -> None:
    open_dashboard(signed_in, dashboard_server)
    span = local_range(dashboard_server, "30d")
    assert page_cards(signed_in) == pytest.approx(api_cards(dashboard_server, span))
    assert signed_in.locator(".cards [data-metric]").count() == 6
    params = api_params(dashboard_server, span)
    for panel in PANELS:
        assert signed_in.locator(f'[data-panel="{panel.name}"]').count() == 1, panel.name
        if panel.field is not None:
            assert page_rows(signed_in, panel.name) == api_rows(dashboard_server, params, panel.field, panel.metric)
    events = [
        (
            event.name,
            dashboard_server.aggregations(
                entity="event",
                site_id=dashboard_server.site.id,
                entity_name=event.name,
                aggregates="conversions",
                **span.window(),
            )[0]["conversions"],
        )
        for event in dashboard_server.live.metadata.events.list_all(dashboard_server.site.id)
    ]
    expected_events = sorted(
        ((name, float(count)) for name, count in events if float(count) > 0), key=lambda item: (-item[1], item[0])
    )
    assert page_rows(signed_in, "events") == expected_events[:TOP_ROWS]
    assert page_rows(signed_in, "pages"), "the test site has traffic in the last 30 days"


def test_clicking_a_row_filters_the_whole_dashboard_as_the_api_filters(
    signed_in: Page, dashboard_server: DashboardServer
) -> None:
    open_dashboard(signed_in, dashboard_server)
    label, _ = page_rows(signed_in, "pages")[1]
    signed_in.locator(f'[data-panel="pages"] [data-row][data-label="{label}"] a').click()
    signed_in.wait_for_load_state("networkidle")
    assert parse_qs(urlsplit(signed_in.url).query)["filter"] == [f"pathname:{label}"]
    assert signed_in.locator(".chip").count() == 1
    span = local_range(dashboard_server, "30d")
    filters = [{"field": "pathname", "operator": "is", "value": label}]
    assert page_cards(signed_in) == pytest.approx(api_cards(dashboard_server, span, filters))
    params = api_params(dashboard_server, span, filters)
    assert page_rows(signed_in, "countries") == api_rows(dashboard_server, params, "country_code", "visits")

    # A second filter combines with the first; removing a chip drops only its filter.
    country, _ = page_rows(signed_in, "countries")[0]
    signed_in.locator(f'[data-panel="countries"] [data-row][data-label="{country}"] a').click()
    signed_in.wait_for_load_state("networkidle")
    both = [*filters, {"field": "country_code", "operator": "is", "value": country}]
    assert signed_in.locator(".chip").count() == 2
    assert page_cards(signed_in) == pytest.approx(api_cards(dashboard_server, span, both))
    signed_in.locator('.chip[data-filter="pathname"]').click()
    signed_in.wait_for_load_state("networkidle")
    only_country = [both[1]]
    assert page_cards(signed_in) == pytest.approx(api_cards(dashboard_server, span, only_country))


def test_each_range_link_shows_the_api_totals_of_its_days(signed_in: Page, dashboard_server: DashboardServer) -> None:
    open_dashboard(signed_in, dashboard_server)
    for key in ("7d", "last_month", "12mo"):
        signed_in.locator(f'.ranges a[data-range="{key}"]').click()
        signed_in.wait_for_load_state("networkidle")
        expected = api_cards(dashboard_server, local_range(dashboard_server, key))
        assert page_cards(signed_in) == pytest.approx(expected), key


def test_keyboard_shortcuts_switch_the_range(signed_in: Page, dashboard_server: DashboardServer) -> None:
    open_dashboard(signed_in, dashboard_server)
    for key, expected in (("w", "7d"), ("d", "today"), ("m", "month"), ("t", "30d")):
        with signed_in.expect_navigation():
            signed_in.keyboard.press(key)
        assert parse_qs(urlsplit(signed_in.url).query)["range"] == [expected]


def test_the_chart_has_a_point_per_day_with_the_api_values_and_switches_interval(
    signed_in: Page, dashboard_server: DashboardServer
) -> None:
    open_dashboard(signed_in, dashboard_server, "?range=7d&metric=pageviews")
    span = local_range(dashboard_server, "7d")
    answer = dashboard_server.aggregations(
        **api_params(dashboard_server, span), aggregates="pageviews", date_grouping="day"
    )
    expected = {row["date"]: float(row["pageviews"]) for row in answer}
    points: list[list[str]] = signed_in.eval_on_selector_all(
        "svg.chart rect[data-label]", "rects => rects.map(r => [r.dataset.label, r.dataset.value])"
    )
    assert [label for label, _ in points] == [(span.first + timedelta(days=offset)).isoformat() for offset in range(7)]
    assert {label: float(value) for label, value in points if float(value)} == expected
    signed_in.locator(".intervals a", has_text="Hour").click()
    signed_in.wait_for_load_state("networkidle")
    assert signed_in.locator("svg.chart rect[data-label]").count() in (7 * 24 - 1, 7 * 24, 7 * 24 + 1)


def test_the_live_count_refreshes_every_ten_seconds_from_the_current_endpoint(
    signed_in: Page, dashboard_server: DashboardServer
) -> None:
    signed_in.clock.install()
    open_dashboard(signed_in, dashboard_server)
    with dashboard_server.api() as api:
        expected = api.get("/v1/current_visitors", params={"site_id": dashboard_server.site.id}).json()["total"]
    live = signed_in.locator('[data-metric="current_visitors"]')
    assert live.get_attribute("data-value") == str(expected)
    with signed_in.expect_response(lambda response: response.url.endswith("/current")) as refreshed:
        signed_in.clock.fast_forward(10_000)
    assert refreshed.value.json() == {"total": expected}


def test_the_export_zip_has_a_csv_per_panel_equal_to_the_api(
    signed_in: Page, dashboard_server: DashboardServer
) -> None:
    open_dashboard(signed_in, dashboard_server)
    with signed_in.expect_download() as download:
        signed_in.locator('[data-action="export"]').click()
    archive = zipfile.ZipFile(download.value.path())
    names = archive.namelist()
    assert names == ["visitors.csv", *(f"{panel.name}.csv" for panel in PANELS if panel.name != "events"), "events.csv"]
    span = local_range(dashboard_server, "30d")
    params = api_params(dashboard_server, span)

    def read(name: str) -> list[list[str]]:
        return list(csv.reader(io.StringIO(archive.read(name).decode("utf-8"))))

    for panel in PANELS:
        if panel.field is None or panel.name == "events":
            continue
        answer = dashboard_server.aggregations(
            **params, aggregates=panel.metric, field_grouping=panel.field, sort_by=f"{panel.metric}:desc", limit="10000"
        )
        assert read(f"{panel.name}.csv") == [[panel.field, panel.metric]] + [
            [row[panel.field], row[panel.metric]] for row in answer
        ]
    series = dashboard_server.aggregations(**params, aggregates=",".join(PAGEVIEW_METRICS), date_grouping="day")
    assert read("visitors.csv") == [["date", *PAGEVIEW_METRICS]] + [
        [row[name] for name in ("date", *PAGEVIEW_METRICS)] for row in series
    ]
    events = read("events.csv")
    assert events[0] == ["event", "conversions", "unique_conversions", "conversion_rate", "value"]
    assert sum(float(row[1]) for row in events[1:]) == page_cards(signed_in)["completions"]


def test_the_dashboard_works_without_javascript(
    browser: Browser, signed_in: Page, dashboard_server: DashboardServer
) -> None:
    context = browser.new_context(java_script_enabled=False, storage_state=signed_in.context.storage_state())
    try:
        page = context.new_page()
        open_dashboard(page, dashboard_server)
        span = local_range(dashboard_server, "30d")
        assert page_cards(page) == pytest.approx(api_cards(dashboard_server, span))
        label, _ = page_rows(page, "referrers")[0]
        page.locator(f'[data-panel="referrers"] [data-row][data-label="{label}"] a').click()
        page.wait_for_load_state()
        filters = [{"field": "referrer_hostname", "operator": "is", "value": label}]
        assert page_cards(page) == pytest.approx(api_cards(dashboard_server, span, filters))
        assert page.locator("svg.chart rect title").count() == 30  # tooltips without script
    finally:
        context.close()


def test_the_dashboard_has_no_serious_accessibility_violations(
    browser: Browser, signed_in: Page, dashboard_server: DashboardServer, axe: AxeCheck
) -> None:
    # axe-core is injected as an inline script, which the page's Content-Security-Policy rightly refuses.
    context = browser.new_context(bypass_csp=True, storage_state=signed_in.context.storage_state())
    try:
        for scheme in ("light", "dark"):
            page = context.new_page()
            page.emulate_media(color_scheme=scheme)
            open_dashboard(page, dashboard_server)
            axe(page)
    finally:
        context.close()


def test_screenshots_of_the_dashboard_in_both_sizes_and_schemes(
    signed_in: Page, dashboard_server: DashboardServer, screenshots: Screenshots
) -> None:
    open_dashboard(signed_in, dashboard_server)
    written = screenshots(signed_in, f"/sites/{dashboard_server.site.id}?range=30d", "site-dashboard")
    assert len(written) == 2 * len(VIEWPORTS) and all(path.stat().st_size > 10_000 for path in written)


def test_bad_view_parameters_answer_400_with_a_message(signed_in: Page, dashboard_server: DashboardServer) -> None:
    base = f"/sites/{dashboard_server.site.id}"
    for query, message in (
        ("?range=fortnight", "range must be one of"),
        ("?range=custom&from=2026-05-01&to=2026-04-01", "from must not be after to"),
        ("?metric=revenue", "metric must be one of"),
        ("?filter=password:x", "filter must be FIELD:VALUE"),
    ):
        response = signed_in.request.get(dashboard_server.url(base + query))
        body: Any = response.json()
        assert response.status == 400 and message in body["error"], query
    assert signed_in.request.get(dashboard_server.url(base + "/panels/nope")).status == 404
