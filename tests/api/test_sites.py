"""Sites: fields, defaults and rules of seed 001 and RECONCILE.md."""

from __future__ import annotations

import re

from sqlalchemy import select

from leadline.store.metadata.tables import sites
from tests.conftest import Tenant
from tests.live_server import LiveServer

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")


def test_a_new_site_has_every_field_with_defaults(tenant: Tenant) -> None:
    site = tenant.http.post("/v1/sites", json={"name": "Bugs Bunny Portfolio"}).json()
    assert set(site) == {
        "id",
        "object",
        "name",
        "sharing",
        "timezone",
        "multi_domain",
        "multi_domain_option",
        "domains",
        "created_at",
    }
    assert site["object"] == "site" and site["sharing"] == "none" and site["timezone"] == "UTC"
    assert site["multi_domain"] is False and site["multi_domain_option"] is None and site["domains"] == []
    assert TIMESTAMP.fullmatch(site["created_at"])
    assert re.fullmatch(r"[A-Z0-9]{10}", site["id"])
    assert tenant.http.get(f"/v1/sites/{site['id']}").json() == site


def test_a_site_inherits_the_accounts_timezone(server: LiveServer) -> None:
    account = server.new_account("NewYorker", timezone="America/New_York")
    with server.client(server.new_key(account)) as http:
        assert http.post("/v1/sites", json={"name": "East"}).json()["timezone"] == "America/New_York"
        assert http.post("/v1/sites", json={"name": "West", "timezone": "America/Los_Angeles"}).json()["timezone"] == (
            "America/Los_Angeles"
        )


def test_private_sharing_requires_a_password_that_is_stored_hashed(server: LiveServer, tenant: Tenant) -> None:
    site = tenant.http.post("/v1/sites", json={"name": "Secret", "sharing": "private", "share_password": "hunter22"})
    assert site.status_code == 200 and "share_password" not in site.json()
    with server.metadata.engine.connect() as connection:
        stored = connection.execute(select(sites.c.share_password_hash).where(sites.c.id == site.json()["id"])).scalar()
    assert stored is not None and "hunter22" not in stored and stored.startswith("$argon2id$")
    assert server.metadata.sites.check_share_password(site.json()["id"], "hunter22")
    assert not server.metadata.sites.check_share_password(site.json()["id"], "hunter23")


def test_a_private_site_keeps_its_password_across_other_updates(tenant: Tenant) -> None:
    site_id = tenant.http.post("/v1/sites", json={"name": "S", "sharing": "private", "share_password": "pw"}).json()[
        "id"
    ]
    renamed = tenant.http.post(f"/v1/sites/{site_id}", json={"name": "Renamed"})
    assert renamed.status_code == 200 and renamed.json()["sharing"] == "private"


def test_leaving_private_sharing_forgets_the_password(tenant: Tenant) -> None:
    site_id = tenant.http.post("/v1/sites", json={"name": "S", "sharing": "private", "share_password": "pw"}).json()[
        "id"
    ]
    assert tenant.http.post(f"/v1/sites/{site_id}", json={"sharing": "public"}).status_code == 200
    back = tenant.http.post(f"/v1/sites/{site_id}", json={"sharing": "private"})
    assert back.status_code == 400 and "share_password" in back.json()["error"]


def test_update_changes_only_the_fields_sent(tenant: Tenant) -> None:
    site = tenant.http.post("/v1/sites", json={"name": "Before", "timezone": "Europe/Berlin"}).json()
    updated = tenant.http.post(f"/v1/sites/{site['id']}", json={"name": "After"}).json()
    assert updated == {**site, "name": "After"}
    assert tenant.http.post(f"/v1/sites/{site['id']}").json() == updated


def test_multi_domain_needs_an_option_and_clears_it_when_turned_off(tenant: Tenant) -> None:
    site_id = tenant.http.post("/v1/sites", json={"name": "Multi"}).json()["id"]
    on = tenant.http.post(f"/v1/sites/{site_id}", json={"multi_domain": True, "multi_domain_option": "separate"})
    assert on.json()["multi_domain"] is True and on.json()["multi_domain_option"] == "separate"
    off = tenant.http.post(f"/v1/sites/{site_id}", json={"multi_domain": False})
    assert off.json()["multi_domain"] is False and off.json()["multi_domain_option"] is None


def test_deleting_a_site_answers_the_deleted_object_and_removes_its_children(
    server: LiveServer, tenant: Tenant
) -> None:
    site_id = tenant.http.post("/v1/sites", json={"name": "Doomed"}).json()["id"]
    tenant.http.post(f"/v1/sites/{site_id}/events", json={"name": "Signup"})
    tenant.http.post(f"/v1/sites/{site_id}/milestones", json={"name": "Launch", "milestone_date": "2025-03-01"})
    assert tenant.http.delete(f"/v1/sites/{site_id}").json() == {"id": site_id, "object": "site", "deleted": True}
    assert tenant.http.get(f"/v1/sites/{site_id}").status_code == 404
    assert tenant.http.get(f"/v1/sites/{site_id}/events").status_code == 404
    assert server.metadata.sites.find(site_id) is None


def test_the_site_wipe_endpoint_is_retired(tenant: Tenant, server: LiveServer) -> None:
    site = tenant.site(server)
    response = tenant.http.delete(f"/v1/sites/{site.id}/data")
    assert response.status_code == 410 and "retired" in response.json()["error"]
    assert tenant.http.delete("/v1/sites/NOSUCHSITE/data").status_code == 404


def test_the_account_is_the_keys_owner(tenant: Tenant) -> None:
    assert tenant.http.get("/v1/account").json() == {
        "id": tenant.account.id,
        "object": "account",
        "name": tenant.account.name,
        "email": tenant.account.email,
        "timezone": "UTC",
    }
