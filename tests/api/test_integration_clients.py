"""`/v1/integration_clients`: a `*` key creates, lists, rotates and revokes the Integration API's OAuth2 clients."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from leadline.publishing.datasets import DATASETS
from leadline.store.metadata.records import Site
from tests.conftest import Tenant
from tests.integrations.conftest import Credentials, get_token, scope_of
from tests.live_server import LiveServer

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
CLIENT_FIELDS = {"id", "object", "client_id", "name", "site_id", "datasets", "created_at", "revoked_at"}
METADATA_QUERY = {"query": "{ listSubscribedDatasetMetadata { datasetName } }"}


@pytest.fixture
def site(server: LiveServer, tenant: Tenant) -> Site:
    return tenant.site(server)


def create(tenant: Tenant, **fields: Any) -> dict[str, Any]:
    response = tenant.http.post("/v1/integration_clients", json=fields)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def credentials(client: dict[str, Any], site: Site) -> Credentials:
    return Credentials(client["client_id"], client["client_secret"], site)


def token_response(server: LiveServer, client_id: str, client_secret: str) -> httpx.Response:
    form = {
        "grant_type": "client_credentials",
        "client_id": client_id,
        "client_secret": client_secret,
        "scope": scope_of(server),
    }
    return httpx.post(server.url("/oauth2/token"), data=form)


def graphql(server: LiveServer, token: str) -> httpx.Response:
    return httpx.post(
        server.url("/api/integrations"), json=[METADATA_QUERY], headers={"Authorization": f"Bearer {token}"}
    )


def subscribed_datasets(server: LiveServer, token: str) -> list[str]:
    response = graphql(server, token)
    assert response.status_code == 200, response.text
    return [dataset["datasetName"] for dataset in response.json()[0]["data"]["listSubscribedDatasetMetadata"]]


# Creating


def test_a_new_client_has_every_field_and_its_secret_shown_once(tenant: Tenant, site: Site) -> None:
    client = create(tenant, site_id=site.id)
    assert set(client) == CLIENT_FIELDS | {"client_secret"}
    assert client["object"] == "integration_client" and client["client_id"] == client["id"]
    assert (client["site_id"], client["name"], client["revoked_at"]) == (site.id, "", None)
    assert client["datasets"] == list(DATASETS)
    assert TIMESTAMP.fullmatch(client["created_at"])
    assert isinstance(client["client_secret"], str) and len(client["client_secret"]) >= 32
    shown = tenant.http.get(f"/v1/integration_clients/{client['id']}").json()
    assert shown == {name: value for name, value in client.items() if name != "client_secret"}


def test_the_returned_credentials_obtain_a_token_for_the_integration_api(
    server: LiveServer, tenant: Tenant, site: Site
) -> None:
    client = create(tenant, site_id=site.id, name="Warehouse", datasets=["daily_events", "daily_pages"])
    assert (client["name"], client["datasets"]) == ("Warehouse", ["daily_events", "daily_pages"])
    token = get_token(server, credentials(client, site))
    assert sorted(subscribed_datasets(server, token)) == ["daily_events", "daily_pages"]


def test_a_form_body_names_datasets_comma_separated(tenant: Tenant, site: Site) -> None:
    response = tenant.http.post(
        "/v1/integration_clients", data={"site_id": site.id, "name": "BI", "datasets": "daily_pages, daily_sources"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["datasets"] == ["daily_pages", "daily_sources"]


def test_a_dataset_named_twice_is_subscribed_once(tenant: Tenant, site: Site) -> None:
    assert create(tenant, site_id=site.id, datasets=["daily_pages", "daily_pages"])["datasets"] == ["daily_pages"]


@pytest.mark.parametrize("as_form", [False, True], ids=["json", "form"])
def test_an_unknown_dataset_is_a_bad_request_naming_it(tenant: Tenant, site: Site, as_form: bool) -> None:
    if as_form:
        response = tenant.http.post(
            "/v1/integration_clients", data={"site_id": site.id, "datasets": "daily_pages,daily_weather"}
        )
    else:
        response = tenant.http.post(
            "/v1/integration_clients", json={"site_id": site.id, "datasets": ["daily_pages", "daily_weather"]}
        )
    assert response.status_code == 400
    assert "daily_weather" in response.json()["error"] and "daily_pages" in response.json()["error"]


@pytest.mark.parametrize(
    ("fields", "mentioned"),
    [
        ({"name": "No site"}, "site_id is required"),
        ({"site_id": "SITE", "datasets": []}, "datasets"),
        ({"site_id": "SITE", "datasets": "daily_pages"}, "datasets"),
        ({"site_id": "SITE", "name": "x" * 256}, "name"),
        ({"site_id": "SITE", "client_secret": "chosen-by-me"}, "client_secret"),
    ],
    ids=["no-site", "no-datasets", "datasets-not-a-list", "long-name", "chosen-secret"],
)
def test_a_malformed_body_is_a_bad_request_saying_what_is_wrong(
    tenant: Tenant, site: Site, fields: dict[str, Any], mentioned: str
) -> None:
    body = {name: site.id if value == "SITE" else value for name, value in fields.items()}
    response = tenant.http.post("/v1/integration_clients", json=body)
    assert response.status_code == 400
    assert mentioned in response.json()["error"]


def test_another_accounts_site_is_not_found_exactly_like_a_missing_one(server: LiveServer, tenant: Tenant) -> None:
    theirs = server.new_site(server.new_account("Them"))
    hidden = tenant.http.post("/v1/integration_clients", json={"site_id": theirs.id})
    missing = tenant.http.post("/v1/integration_clients", json={"site_id": "NOSUCHSITE"})
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["error"].replace(theirs.id, "X") == missing.json()["error"].replace("NOSUCHSITE", "X")


# Listing and reading


def test_the_list_pages_like_the_sites_list_and_never_shows_secrets(
    server: LiveServer, tenant: Tenant, site: Site
) -> None:
    created = [create(tenant, site_id=site.id, name=f"Client {number}")["id"] for number in range(5)]

    def page(**params: Any) -> dict[str, Any]:
        response = tenant.http.get("/v1/integration_clients", params=params)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        assert body["object"] == "list" and body["url"] == "/v1/integration_clients"
        assert all(set(item) == CLIENT_FIELDS for item in body["data"])
        return body

    def ids(body: dict[str, Any]) -> list[str]:
        return [item["id"] for item in body["data"]]

    first = page(limit=2)
    assert (ids(first), first["has_more"]) == (created[:2], True)
    rest = page(limit=10, starting_after=created[1])
    assert (ids(rest), rest["has_more"]) == (created[2:], False)
    before = page(limit=2, ending_before=created[4])
    assert (ids(before), before["has_more"]) == (created[2:4], True)
    assert ids(page()) == created


def test_the_list_holds_only_the_accounts_own_clients(server: LiveServer, tenant: Tenant, site: Site) -> None:
    ours = create(tenant, site_id=site.id)
    other = server.new_account("Other")
    with server.client(server.new_key(other)) as http:
        theirs = http.post("/v1/integration_clients", json={"site_id": server.new_site(other).id}).json()
        assert [item["id"] for item in http.get("/v1/integration_clients").json()["data"]] == [theirs["id"]]
        assert http.get("/v1/integration_clients", params={"starting_after": ours["id"]}).status_code == 400
    assert [item["id"] for item in tenant.http.get("/v1/integration_clients").json()["data"]] == [ours["id"]]


@pytest.mark.parametrize("params", [{"limit": "0"}, {"limit": "101"}, {"starting_after": "NOSUCHCLNT"}])
def test_a_bad_page_request_is_a_bad_request(tenant: Tenant, params: dict[str, str]) -> None:
    response = tenant.http.get("/v1/integration_clients", params=params)
    assert response.status_code == 400
    assert next(iter(params)) in response.json()["error"]


@pytest.mark.parametrize(
    ("method", "suffix"), [("GET", ""), ("POST", "/rotate"), ("DELETE", "")], ids=["get", "rotate", "revoke"]
)
def test_another_accounts_client_is_not_found_exactly_like_a_missing_one(
    server: LiveServer, tenant: Tenant, method: str, suffix: str
) -> None:
    other = server.new_account("Other")
    with server.client(server.new_key(other)) as http:
        theirs = http.post("/v1/integration_clients", json={"site_id": server.new_site(other).id}).json()
    hidden = tenant.http.request(method, f"/v1/integration_clients/{theirs['id']}{suffix}")
    missing = tenant.http.request(method, f"/v1/integration_clients/NOSUCHCLNT{suffix}")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["error"].replace(theirs["id"], "X") == missing.json()["error"].replace("NOSUCHCLNT", "X")
    with server.client(server.new_key(other)) as http:
        assert http.get(f"/v1/integration_clients/{theirs['id']}").json()["revoked_at"] is None


# Rotating and revoking


def test_rotating_retires_the_old_secret_and_its_tokens_and_the_new_secret_works(
    server: LiveServer, tenant: Tenant, site: Site
) -> None:
    client = create(tenant, site_id=site.id)
    old_token = get_token(server, credentials(client, site))

    rotated = tenant.http.post(f"/v1/integration_clients/{client['id']}/rotate")

    assert rotated.status_code == 200, rotated.text
    assert set(rotated.json()) == CLIENT_FIELDS | {"client_secret"}
    assert rotated.json()["client_secret"] != client["client_secret"]
    refused = token_response(server, client["id"], client["client_secret"])
    assert (refused.status_code, refused.json()["error"]) == (401, "invalid_client")
    assert graphql(server, old_token).status_code == 401
    new_token = get_token(server, credentials(rotated.json(), site))
    assert subscribed_datasets(server, new_token) == list(DATASETS)
    assert "client_secret" not in tenant.http.get(f"/v1/integration_clients/{client['id']}").json()


def test_revoking_ends_the_clients_tokens_and_secret_at_once(server: LiveServer, tenant: Tenant, site: Site) -> None:
    client = create(tenant, site_id=site.id)
    token = get_token(server, credentials(client, site))
    assert graphql(server, token).status_code == 200

    revoked = tenant.http.delete(f"/v1/integration_clients/{client['id']}")

    assert revoked.status_code == 200, revoked.text
    assert revoked.json() == {"id": client["id"], "object": "integration_client", "deleted": True}
    assert graphql(server, token).status_code == 401
    refused = token_response(server, client["id"], client["client_secret"])
    assert (refused.status_code, refused.json()["error"]) == (401, "invalid_client")


def test_a_revoked_client_stays_listed_with_its_revocation_time(tenant: Tenant, site: Site) -> None:
    client_id = create(tenant, site_id=site.id)["id"]
    tenant.http.delete(f"/v1/integration_clients/{client_id}")
    shown = tenant.http.get(f"/v1/integration_clients/{client_id}").json()
    assert TIMESTAMP.fullmatch(shown["revoked_at"])
    assert tenant.http.get("/v1/integration_clients").json()["data"] == [shown]


def test_revoking_again_changes_nothing(tenant: Tenant, site: Site) -> None:
    client_id = create(tenant, site_id=site.id)["id"]
    first = tenant.http.delete(f"/v1/integration_clients/{client_id}")
    revoked_at = tenant.http.get(f"/v1/integration_clients/{client_id}").json()["revoked_at"]
    again = tenant.http.delete(f"/v1/integration_clients/{client_id}")
    assert again.status_code == 200 and again.json() == first.json()
    assert tenant.http.get(f"/v1/integration_clients/{client_id}").json()["revoked_at"] == revoked_at


def test_a_revoked_client_cannot_be_rotated_back_to_life(server: LiveServer, tenant: Tenant, site: Site) -> None:
    client = create(tenant, site_id=site.id)
    tenant.http.delete(f"/v1/integration_clients/{client['id']}")
    response = tenant.http.post(f"/v1/integration_clients/{client['id']}/rotate")
    assert response.status_code == 400
    assert "revoked" in response.json()["error"]
    assert token_response(server, client["id"], client["client_secret"]).status_code == 401


# Permissions (the full matrix is in test_permission_matrix.py)


@pytest.mark.parametrize("permission", ["all-sites-readonly", "read:SITE", "manage:SITE"])
def test_only_a_full_access_key_manages_integration_clients(
    server: LiveServer, tenant: Tenant, site: Site, permission: str
) -> None:
    key = server.new_key(tenant.account, permission.replace("SITE", site.id))
    with server.client(key) as http:
        created = http.post("/v1/integration_clients", json={"site_id": site.id})
        listed = http.get("/v1/integration_clients")
    assert created.status_code == listed.status_code == 403
    assert "full account access" in created.json()["error"]
    assert tenant.http.get("/v1/integration_clients").json()["data"] == []
