"""Every key kind by every operation answers exactly the status RECONCILE.md's permission table implies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from leadline.publishing.datasets import DATASETS
from tests.live_server import LiveServer


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    json: dict[str, Any] | None = None
    params: dict[str, str] | None = None


S, E, M, C = "{site}", "{event}", "{milestone}", "{client}"
AGGREGATION = {"entity": "pageview", "entity_id": S, "aggregates": "visits,pageviews"}

REQUESTS: dict[str, Request] = {
    "getAccount": Request("GET", "/v1/account"),
    "listSites": Request("GET", "/v1/sites"),
    "createSite": Request("POST", "/v1/sites", {"name": "New"}),
    "getSite": Request("GET", f"/v1/sites/{S}"),
    "updateSite": Request("POST", f"/v1/sites/{S}", {"name": "Renamed"}),
    "deleteSite": Request("DELETE", f"/v1/sites/{S}"),
    "wipeSiteData": Request("DELETE", f"/v1/sites/{S}/data"),
    "listEvents": Request("GET", f"/v1/sites/{S}/events"),
    "createEvent": Request("POST", f"/v1/sites/{S}/events", {"name": "Purchase"}),
    "getEvent": Request("GET", f"/v1/sites/{S}/events/{E}"),
    "updateEvent": Request("POST", f"/v1/sites/{S}/events/{E}", {"name": "Renamed"}),
    "deleteEvent": Request("DELETE", f"/v1/sites/{S}/events/{E}"),
    "wipeEventData": Request("DELETE", f"/v1/sites/{S}/events/{E}/data"),
    "listMilestones": Request("GET", f"/v1/sites/{S}/milestones"),
    "createMilestone": Request("POST", f"/v1/sites/{S}/milestones", {"name": "Launch", "milestone_date": "2025-01-02"}),
    "getMilestone": Request("GET", f"/v1/sites/{S}/milestones/{M}"),
    "updateMilestone": Request("POST", f"/v1/sites/{S}/milestones/{M}", {"name": "Relaunch"}),
    "deleteMilestone": Request("DELETE", f"/v1/sites/{S}/milestones/{M}"),
    "getAggregations": Request("GET", "/v1/aggregations", params=AGGREGATION),
    "getCurrentVisitors": Request("GET", "/v1/current_visitors", params={"site_id": S, "detailed": "true"}),
    "listIntegrationClients": Request("GET", "/v1/integration_clients"),
    "createIntegrationClient": Request("POST", "/v1/integration_clients", {"site_id": S}),
    "getIntegrationClient": Request("GET", f"/v1/integration_clients/{C}"),
    "rotateIntegrationClientSecret": Request("POST", f"/v1/integration_clients/{C}/rotate"),
    "revokeIntegrationClient": Request("DELETE", f"/v1/integration_clients/{C}"),
}

KEY_KINDS = ("*", "all-sites-readonly", "read:SITE", "manage:SITE", "other-account", "no-key", "revoked")

# Expected status per operation for: *, all-sites-readonly, read:SITE, manage:SITE (written out, not derived).
GRANTED = 200
EXPECTED: dict[str, tuple[int, int, int, int]] = {
    "getAccount": (200, 200, 200, 200),
    "listSites": (200, 200, 403, 403),
    "createSite": (200, 403, 403, 403),
    "getSite": (200, 200, 200, 200),
    "updateSite": (200, 403, 403, 200),
    "deleteSite": (200, 403, 403, 403),
    "wipeSiteData": (410, 410, 410, 410),
    "listEvents": (200, 200, 200, 200),
    "createEvent": (200, 403, 403, 200),
    "getEvent": (200, 200, 200, 200),
    "updateEvent": (200, 403, 403, 200),
    "deleteEvent": (200, 403, 403, 200),
    "wipeEventData": (200, 403, 403, 200),
    "listMilestones": (200, 200, 200, 200),
    "createMilestone": (200, 403, 403, 200),
    "getMilestone": (200, 200, 200, 200),
    "updateMilestone": (200, 403, 403, 200),
    "deleteMilestone": (200, 403, 403, 200),
    "getAggregations": (200, 200, 200, 200),
    "getCurrentVisitors": (200, 200, 200, 200),
    "listIntegrationClients": (200, 403, 403, 403),
    "createIntegrationClient": (200, 403, 403, 403),
    "getIntegrationClient": (200, 403, 403, 403),
    "rotateIntegrationClientSecret": (200, 403, 403, 403),
    "revokeIntegrationClient": (200, 403, 403, 403),
}
# A key of another account sees its own account and lists, may create its own sites, and finds nothing of ours.
OTHER_ACCOUNT_OK = {"getAccount", "listSites", "createSite", "listIntegrationClients"}


def expected_status(operation: str, kind: str) -> int:
    if kind in ("no-key", "revoked"):
        return 401
    if kind == "other-account":
        return 200 if operation in OTHER_ACCOUNT_OK else 404
    return EXPECTED[operation][KEY_KINDS.index(kind)]


def test_the_matrix_covers_every_operation_of_the_api() -> None:
    from leadline.api.routes import OPERATIONS

    assert set(REQUESTS) == set(EXPECTED) == {operation.operation_id for operation in OPERATIONS}


@pytest.mark.parametrize("kind", KEY_KINDS)
@pytest.mark.parametrize("operation", sorted(REQUESTS))
def test_key_kind_gets_exactly_the_documented_status(server: LiveServer, operation: str, kind: str) -> None:
    owner = server.new_account("Owner")
    site = server.new_site(owner)
    event = server.metadata.events.create(site.id, "Signup")
    milestone = server.metadata.milestones.create(site.id, "Launch", date(2025, 1, 1))
    client = server.metadata.integration_clients.create(owner.id, site.id, tuple(DATASETS)).client
    key: str | None
    if kind == "other-account":
        key = server.new_key(server.new_account("Other"), "*")
    elif kind == "no-key":
        key = None
    elif kind == "revoked":
        key = server.new_key(owner, "*")
        server.metadata.api_keys.revoke(key.split("_")[1])
    else:
        key = server.new_key(owner, kind.replace("SITE", site.id))

    def fill(text: str) -> str:
        return text.replace(S, site.id).replace(E, event.id).replace(M, milestone.id).replace(C, client.id)

    request = REQUESTS[operation]
    with server.client(key) as http:
        response = http.request(
            request.method,
            fill(request.path),
            json=None if request.json is None else {name: fill(value) for name, value in request.json.items()},
            params={name: fill(value) for name, value in (request.params or {}).items()},
        )
    assert response.status_code == expected_status(operation, kind), response.text
    if response.status_code != GRANTED:
        assert set(response.json()) == {"error"}


def test_a_per_site_key_is_forbidden_on_another_site_of_the_same_account(server: LiveServer) -> None:
    owner = server.new_account()
    granted, other = server.new_site(owner, "Granted"), server.new_site(owner, "Other")
    with server.client(server.new_key(owner, f"manage:{granted.id}")) as http:
        assert http.get(f"/v1/sites/{granted.id}").status_code == 200
        assert http.get(f"/v1/sites/{other.id}").status_code == 403
        assert http.post(f"/v1/sites/{other.id}/events", json={"name": "X"}).status_code == 403


def test_another_accounts_site_is_indistinguishable_from_a_missing_one(server: LiveServer) -> None:
    theirs = server.new_site(server.new_account("Them"))
    with server.client(server.new_key(server.new_account("Us"), "*")) as http:
        hidden = http.get(f"/v1/sites/{theirs.id}")
        missing = http.get("/v1/sites/NOSUCHSITE")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["error"].replace(theirs.id, "X") == missing.json()["error"].replace("NOSUCHSITE", "X")


def test_a_key_with_several_site_grants_reaches_each_of_them(server: LiveServer) -> None:
    owner = server.new_account()
    first, second = server.new_site(owner, "First"), server.new_site(owner, "Second")
    with server.client(server.new_key(owner, f"read:{first.id}", f"manage:{second.id}")) as http:
        assert http.get(f"/v1/sites/{first.id}").status_code == 200
        assert http.post(f"/v1/sites/{first.id}", json={"name": "No"}).status_code == 403
        assert http.post(f"/v1/sites/{second.id}", json={"name": "Yes"}).status_code == 200
