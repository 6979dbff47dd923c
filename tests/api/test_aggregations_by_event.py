"""`/v1/aggregations` with `field_grouping=event`: every event of a site in one report, equal to one report per name.

The publisher's daily_events dataset is computed this way (one query per day instead of one per event).
"""

from __future__ import annotations

import time

import httpx

from tests.conftest import Tenant
from tests.live_server import LiveServer

BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0"
METRICS = "conversions,unique_conversions,value"


def complete(server: LiveServer, site_id: str, name: str, value: int, ip: str) -> None:
    body = {"site": site_id, "url": "https://shop.example/buy", "name": name, "value": value}
    answer = httpx.post(server.url("/api/event"), json=body, headers={"User-Agent": BROWSER, "X-Forwarded-For": ip})
    assert answer.status_code == 202


def by_event(tenant: Tenant, site_id: str) -> list[dict[str, str]]:
    params = {"entity": "event", "site_id": site_id, "aggregates": METRICS, "field_grouping": "event"}
    answer = tenant.http.get("/v1/aggregations", params=params)
    assert answer.status_code == 200, answer.text
    rows: list[dict[str, str]] = answer.json()["data"]
    return rows


def test_grouping_by_event_answers_one_row_per_event_with_completions(server: LiveServer, tenant: Tenant) -> None:
    site_id = tenant.http.post("/v1/sites", json={"name": "Shop"}).json()["id"]
    tenant.http.post(f"/v1/sites/{site_id}/events", json={"name": "Never completed"})
    for name, value in (("Purchase", 4200), ("Purchase", 100), ("Signed up", 0)):
        complete(server, site_id, name, value, ip="81.2.69.142")
    deadline = time.monotonic() + 20  # the flusher stores spooled hits within a couple of seconds
    rows = by_event(tenant, site_id)
    while sum(int(row["conversions"]) for row in rows) < 3 and time.monotonic() < deadline:
        time.sleep(0.2)
        rows = by_event(tenant, site_id)
    assert sorted(rows, key=lambda row: row["event"]) == [
        {"event": "Purchase", "conversions": "2", "unique_conversions": "1", "value": "4300"},
        {"event": "Signed up", "conversions": "1", "unique_conversions": "1", "value": "0"},
    ]
    for row in rows:
        params = {"entity": "event", "site_id": site_id, "entity_name": row["event"], "aggregates": METRICS}
        [named] = tenant.http.get("/v1/aggregations", params=params).json()["data"]
        assert named == {key: value for key, value in row.items() if key != "event"}


def test_an_event_report_without_a_name_must_group_by_event(tenant: Tenant) -> None:
    site_id = tenant.http.post("/v1/sites", json={"name": "Shop"}).json()["id"]
    params = {"entity": "event", "site_id": site_id, "aggregates": METRICS}
    answer = tenant.http.get("/v1/aggregations", params=params)
    assert answer.status_code == 400
    assert answer.json() == {"error": "entity_name (the event name) is required when entity is event"}
    pageviews = {"entity": "pageview", "entity_id": site_id, "aggregates": "pageviews", "field_grouping": "event"}
    assert tenant.http.get("/v1/aggregations", params=pageviews).status_code == 400
