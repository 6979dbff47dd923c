"""List endpoints page with `limit`, `starting_after` and `ending_before`, in a stable order, both ways."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Tenant
from tests.live_server import LiveServer


@pytest.fixture
def site_ids(server: LiveServer, tenant: Tenant) -> list[str]:
    return [tenant.site(server, f"Site {number:02}").id for number in range(25)]


def page(tenant: Tenant, **params: Any) -> dict[str, Any]:
    response = tenant.http.get("/v1/sites", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def ids(body: dict[str, Any]) -> list[str]:
    return [item["id"] for item in body["data"]]


def test_lists_are_sorted_by_creation_then_id(tenant: Tenant, site_ids: list[str]) -> None:
    body = page(tenant, limit=100)
    assert ids(body) == site_ids
    assert body["has_more"] is False
    assert body["object"] == "list" and body["url"] == "/v1/sites"


def test_forward_paging_visits_every_site_once_in_order(tenant: Tenant, site_ids: list[str]) -> None:
    first = page(tenant, limit=10)
    second = page(tenant, limit=10, starting_after=ids(first)[-1])
    third = page(tenant, limit=10, starting_after=ids(second)[-1])
    assert [first["has_more"], second["has_more"], third["has_more"]] == [True, True, False]
    assert ids(first) + ids(second) + ids(third) == site_ids
    assert len(ids(third)) == 5


def test_backward_paging_visits_every_site_once_in_order(tenant: Tenant, site_ids: list[str]) -> None:
    last = page(tenant, limit=10, ending_before=site_ids[-1])
    assert ids(last) == site_ids[14:24] and last["has_more"] is True
    middle = page(tenant, limit=10, ending_before=ids(last)[0])
    assert ids(middle) == site_ids[4:14] and middle["has_more"] is True
    first = page(tenant, limit=10, ending_before=ids(middle)[0])
    assert ids(first) == site_ids[0:4] and first["has_more"] is False


def test_paging_past_either_end_is_empty(tenant: Tenant, site_ids: list[str]) -> None:
    after_last = page(tenant, limit=10, starting_after=site_ids[-1])
    before_first = page(tenant, limit=10, ending_before=site_ids[0])
    assert ids(after_last) == [] and after_last["has_more"] is False
    assert ids(before_first) == [] and before_first["has_more"] is False


def test_default_page_size_is_ten(tenant: Tenant, site_ids: list[str]) -> None:
    body = page(tenant)
    assert ids(body) == site_ids[:10] and body["has_more"] is True


@pytest.mark.parametrize("cursor", ["starting_after", "ending_before"])
def test_an_unknown_cursor_is_a_bad_request(tenant: Tenant, site_ids: list[str], cursor: str) -> None:
    response = tenant.http.get("/v1/sites", params={cursor: "NOSUCHSITE"})
    assert response.status_code == 400
    assert cursor in response.json()["error"]


def test_another_accounts_site_is_an_unknown_cursor(server: LiveServer, tenant: Tenant, site_ids: list[str]) -> None:
    foreign = server.new_site(server.new_account("Other"))
    assert tenant.http.get("/v1/sites", params={"starting_after": foreign.id}).status_code == 400


@pytest.mark.parametrize("limit", ["0", "101", "-1", "ten", "1.5", ""])
def test_limit_must_be_between_1_and_100(tenant: Tenant, limit: str) -> None:
    response = tenant.http.get("/v1/sites", params={"limit": limit})
    assert response.status_code == 400
    assert response.json() == {"error": "limit must be an integer between 1 and 100"}


def test_both_cursors_at_once_are_a_bad_request(tenant: Tenant, site_ids: list[str]) -> None:
    response = tenant.http.get("/v1/sites", params={"starting_after": site_ids[1], "ending_before": site_ids[5]})
    assert response.status_code == 400


def test_events_and_milestones_page_the_same_way(server: LiveServer, tenant: Tenant) -> None:
    site = tenant.site(server)
    made = [tenant.http.post(f"/v1/sites/{site.id}/events", json={"name": f"E{n}"}).json()["id"] for n in range(12)]
    first = tenant.http.get(f"/v1/sites/{site.id}/events", params={"limit": 5}).json()
    rest = tenant.http.get(f"/v1/sites/{site.id}/events", params={"limit": 10, "starting_after": made[4]}).json()
    assert ids(first) + ids(rest) == made
    assert first["url"] == f"/v1/sites/{site.id}/events"
    milestones = tenant.http.get(f"/v1/sites/{site.id}/milestones", params={"limit": 1}).json()
    assert milestones == {"object": "list", "url": f"/v1/sites/{site.id}/milestones", "has_more": False, "data": []}
