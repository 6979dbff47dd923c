"""Bad input gets a clear 4xx `{"error": ...}` answer, never a 500, and leaves the stores exactly as they were."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from leadline.privacy.salts import SALT_BYTES
from leadline.store.metadata.tables import metadata as metadata_tables
from tests.conftest import Tenant
from tests.live_server import LiveServer


def snapshot(server: LiveServer) -> dict[str, list[tuple[Any, ...]]]:
    with server.metadata.engine.connect() as connection:
        return {
            name: sorted(tuple(row) for row in connection.execute(select(table)).all())
            for name, table in metadata_tables.tables.items()
        }


@pytest.fixture
def site_id(server: LiveServer, tenant: Tenant) -> str:
    site = tenant.site(server)
    server.metadata.events.create(site.id, "Signup")
    return site.id


@pytest.fixture
def unchanged(server: LiveServer, site_id: str) -> Iterator[None]:
    # The server makes today's salt on its own schedule (the rotate_salts job, a minute after it starts), which
    # may fall inside a test: the salts it would make are made first, so that only what a request did differs.
    today = datetime.now(UTC).date()
    for day in (today, today + timedelta(days=1)):  # tomorrow's too, for a test that runs across midnight
        server.metadata.salts.get_or_create(day, secrets.token_bytes(SALT_BYTES))
    before = snapshot(server)
    yield
    assert snapshot(server) == before


def assert_error(response: httpx.Response, status: int, mentions: str = "") -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and isinstance(body["error"], str) and body["error"]
    assert mentions.lower() in body["error"].lower()
    assert "Traceback" not in response.text


MALFORMED_BODIES = [
    (b"{", "not valid JSON"),
    (b'{"name": "x",}', "not valid JSON"),
    (b"\xff\xfe{}", "not valid JSON"),
    (b'{"name": NaN}', "not valid JSON"),
    (b"[1, 2]", "JSON object"),
    (b'"just a string"', "JSON object"),
    (b"[" * 10_000 + b"]" * 10_000, ""),
]


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize(("body", "mentions"), MALFORMED_BODIES)
def test_malformed_json_is_rejected(tenant: Tenant, body: bytes, mentions: str) -> None:
    response = tenant.http.post("/v1/sites", content=body, headers={"Content-Type": "application/json"})
    assert_error(response, 400, mentions)


WRONG_SITE_FIELDS = [
    ({"name": 42}, "name"),
    ({"name": None}, "name"),
    ({"name": ["a"]}, "name"),
    ({"name": ""}, "name"),
    ({"name": "   "}, "name"),
    ({"name": "x" * 256}, "name"),
    ({"name": "bad\u0000byte"}, "NUL"),
    ({"name": "ok", "sharing": "friends"}, "sharing"),
    ({"name": "ok", "sharing": "private"}, "share_password"),
    ({"name": "ok", "sharing": "private", "share_password": ""}, "share_password"),
    ({"name": "ok", "sharing": "private", "share_password": "p" * 256}, "share_password"),
    ({"name": "ok", "share_password": "secret"}, "private"),
    ({"name": "ok", "timezone": "Mars/Olympus"}, "timezone"),
    ({"name": "ok", "timezone": 5}, "timezone"),
    ({"name": "ok", "multi_domain": "yes"}, "multi_domain"),
    ({"name": "ok", "multi_domain": True}, "multi_domain_option"),
    ({"name": "ok", "multi_domain": True, "multi_domain_option": "merged"}, "multi_domain_option"),
    ({"name": "ok", "multi_domain_option": "combined"}, "multi_domain"),
    ({"name": "ok", "colour": "blue"}, "unknown field 'colour'"),
    ({}, "name is required"),
]


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize(("fields", "mentions"), WRONG_SITE_FIELDS)
def test_invalid_site_fields_are_rejected_on_create(tenant: Tenant, fields: dict[str, Any], mentions: str) -> None:
    assert_error(tenant.http.post("/v1/sites", json=fields), 400, mentions)


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize(("fields", "mentions"), [(f, m) for f, m in WRONG_SITE_FIELDS if f])
def test_invalid_site_fields_are_rejected_on_update(
    tenant: Tenant, site_id: str, fields: dict[str, Any], mentions: str
) -> None:
    assert_error(tenant.http.post(f"/v1/sites/{site_id}", json=fields), 400, mentions)


def test_a_lone_surrogate_is_rejected(tenant: Tenant, server: LiveServer, site_id: str) -> None:
    before = snapshot(server)
    body = b'{"name": "half \\ud800 a character"}'
    response = tenant.http.post("/v1/sites", content=body, headers={"Content-Type": "application/json"})
    assert_error(response, 400, "unicode")
    assert snapshot(server) == before


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize(
    ("path_suffix", "fields", "mentions"),
    [
        ("events", {"name": 1}, "name"),
        ("events", {"name": "Signup"}, "already exists"),
        ("events", {"name": "x", "value": 3}, "unknown field"),
        ("milestones", {"name": "Launch"}, "milestone_date is required"),
        ("milestones", {"name": "Launch", "milestone_date": "2024-02-30"}, "calendar date"),
        ("milestones", {"name": "Launch", "milestone_date": "02/03/2024"}, "YYYY-MM-DD"),
        ("milestones", {"name": "Launch", "milestone_date": 20240203}, "YYYY-MM-DD"),
    ],
)
def test_invalid_event_and_milestone_fields_are_rejected(
    tenant: Tenant, site_id: str, path_suffix: str, fields: dict[str, Any], mentions: str
) -> None:
    assert_error(tenant.http.post(f"/v1/sites/{site_id}/{path_suffix}", json=fields), 400, mentions)


@pytest.mark.usefixtures("unchanged")
def test_oversize_bodies_are_rejected_with_or_without_a_declared_length(tenant: Tenant) -> None:
    huge = b'{"name": "' + b"x" * 70_000 + b'"}'
    assert_error(tenant.http.post("/v1/sites", content=huge), 413, "too large")

    def chunks() -> Iterator[bytes]:
        yield huge[:40_000]
        yield huge[40_000:]

    assert_error(tenant.http.post("/v1/sites", content=chunks()), 413, "too large")


@pytest.mark.usefixtures("unchanged")
def test_bodies_of_another_media_type_are_rejected(tenant: Tenant) -> None:
    response = tenant.http.post("/v1/sites", content=b"<site/>", headers={"Content-Type": "application/xml"})
    assert_error(response, 415, "Content-Type")


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/v1/nothing-here", 404),
        ("GET", "/v2/sites", 404),
        ("PUT", "/v1/sites", 405),
        ("PATCH", "/v1/sites/ABC", 405),
        ("DELETE", "/v1/account", 405),
        ("GET", "/v1/sites/%00%27%3B--", 404),
        ("GET", "/v1/sites/" + "A" * 5000, 404),
        ("GET", "/v1/sites/ABC/events/' OR 1=1 --", 404),
    ],
)
def test_unknown_routes_methods_and_ids_are_clean_errors(tenant: Tenant, method: str, path: str, status: int) -> None:
    assert_error(tenant.http.request(method, path), status)


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize(
    ("params", "mentions"),
    [
        ({}, "entity"),
        ({"entity": "visitor"}, "entity"),
        ({"entity": "pageview", "aggregates": "visits"}, "entity_id"),
        ({"entity": "event", "site_id": "{site}", "aggregates": "conversions"}, "entity_name"),
        ({"entity": "pageview", "entity_id": "{site}"}, "aggregates"),
        ({"entity": "pageview", "entity_id": "{site}", "aggregates": "conversions"}, "conversions"),
        (
            {"entity": "pageview", "entity_id": "{site}", "aggregates": "visits", "date_grouping": "week"},
            "date_grouping",
        ),
        (
            {"entity": "pageview", "entity_id": "{site}", "aggregates": "visits", "field_grouping": "ip"},
            "field_grouping",
        ),
        ({"entity": "pageview", "entity_id": "{site}", "aggregates": "visits", "timezone": "Nowhere/City"}, "timezone"),
        ({"entity": "pageview", "entity_id": "{site}", "aggregates": "visits", "date_from": "yesterday"}, "date_from"),
        (
            {"entity": "pageview", "entity_id": "{site}", "aggregates": "visits", "date_from": "2024-02-30 00:00:00"},
            "date",
        ),
        (
            {"entity": "pageview", "entity_id": "{site}", "aggregates": "visits", "date_from": "20", "date_to": "10"},
            "after",
        ),
        ({"entity": "pageview", "entity_id": "{site}", "aggregates": "visits", "sort_by": "ip:asc"}, "sort_by"),
        ({"entity": "pageview", "entity_id": "{site}", "aggregates": "visits", "sort_by": "visits:up"}, "sort_by"),
        ({"entity": "pageview", "entity_id": "{site}", "aggregates": "visits", "limit": "0"}, "limit"),
        ({"entity": "pageview", "entity_id": "{site}", "aggregates": "visits", "filters": "{"}, "filters"),
        ({"entity": "pageview", "entity_id": "{site}", "aggregates": "visits", "filters": '{"a": 1}'}, "filters"),
        (
            {
                "entity": "pageview",
                "entity_id": "{site}",
                "aggregates": "visits",
                "filters": '[{"field": "pathname", "operator": "sounds like", "value": "/"}]',
            },
            "operator",
        ),
        (
            {
                "entity": "pageview",
                "entity_id": "{site}",
                "aggregates": "visits",
                "filters": '[{"field": "ip", "operator": "is", "value": "1.2.3.4"}]',
            },
            "field",
        ),
        (
            {
                "entity": "pageview",
                "entity_id": "{site}",
                "aggregates": "visits",
                "filters": '[{"field": "pathname", "operator": "matching", "value": "(unclosed"}]',
            },
            "regular expression",
        ),
        (
            {
                "entity": "pageview",
                "entity_id": "{site}",
                "aggregates": "visits",
                "filters": '[{"field": "pathname", "operator": "matching", "value": "' + "a" * 300 + '"}]',
            },
            "256",
        ),
        (
            {
                "entity": "pageview",
                "entity_id": "{site}",
                "aggregates": "visits",
                "filters": "[" + ",".join(['{"field": "pathname", "operator": "is", "value": "/"}'] * 21) + "]",
            },
            "at most 20",
        ),
    ],
)
def test_invalid_aggregation_parameters_are_rejected(
    tenant: Tenant, site_id: str, params: dict[str, str], mentions: str
) -> None:
    filled = {name: value.replace("{site}", site_id) for name, value in params.items()}
    assert_error(tenant.http.get("/v1/aggregations", params=filled), 400, mentions)


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize(
    ("params", "status"),
    [({}, 400), ({"site_id": "{site}", "detailed": "maybe"}, 400), ({"site_id": "NOSUCHSITE"}, 404)],
)
def test_invalid_current_visitor_parameters_are_rejected(
    tenant: Tenant, site_id: str, params: dict[str, str], status: int
) -> None:
    filled = {name: value.replace("{site}", site_id) for name, value in params.items()}
    assert_error(tenant.http.get("/v1/current_visitors", params=filled), status)


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize(
    "authorization",
    ["", "Bearer", "Basic dXNlcjpwYXNz", "Bearer ll_short", "Bearer ll_AAAAAAAAAA_wrong", "Bearer \u00e9t\u00e9"],
)
def test_bad_credentials_are_401(server: LiveServer, authorization: str) -> None:
    headers = {b"Authorization": authorization.encode("utf-8")} if authorization else {}
    response = httpx.get(server.url("/v1/sites"), headers=headers)
    assert_error(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_form_encoded_bodies_are_accepted_like_json(tenant: Tenant) -> None:
    response = tenant.http.post(
        "/v1/sites",
        content=b"name=Form+Site&multi_domain=true&multi_domain_option=separate",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "Form Site"
    assert response.json()["multi_domain_option"] == "separate"
