"""Events and milestones of a site: create, read, update, delete, as seed 002 and RECONCILE.md say."""

from __future__ import annotations

from tests.conftest import Tenant
from tests.live_server import LiveServer


def test_an_event_has_the_seed_fields(server: LiveServer, tenant: Tenant) -> None:
    site = tenant.site(server)
    event = tenant.http.post(f"/v1/sites/{site.id}/events", json={"name": "Signed up"}).json()
    assert set(event) == {"id", "object", "name", "site_id", "created_at"}
    assert event["object"] == "event" and event["site_id"] == site.id
    assert tenant.http.get(f"/v1/sites/{site.id}/events/{event['id']}").json() == event


def test_renaming_an_event_keeps_its_id(server: LiveServer, tenant: Tenant) -> None:
    site = tenant.site(server)
    event = tenant.http.post(f"/v1/sites/{site.id}/events", json={"name": "Old"}).json()
    renamed = tenant.http.post(f"/v1/sites/{site.id}/events/{event['id']}", json={"name": "New"}).json()
    assert renamed == {**event, "name": "New"}


def test_event_names_are_unique_per_site(server: LiveServer, tenant: Tenant) -> None:
    first, second = tenant.site(server, "One"), tenant.site(server, "Two")
    assert tenant.http.post(f"/v1/sites/{first.id}/events", json={"name": "Buy"}).status_code == 200
    assert tenant.http.post(f"/v1/sites/{second.id}/events", json={"name": "Buy"}).status_code == 200
    duplicate = tenant.http.post(f"/v1/sites/{first.id}/events", json={"name": "Buy"})
    assert duplicate.status_code == 400 and "already exists" in duplicate.json()["error"]


def test_deleting_an_event_answers_the_deleted_object(server: LiveServer, tenant: Tenant) -> None:
    site = tenant.site(server)
    event_id = tenant.http.post(f"/v1/sites/{site.id}/events", json={"name": "Gone"}).json()["id"]
    deleted = tenant.http.delete(f"/v1/sites/{site.id}/events/{event_id}")
    assert deleted.json() == {"id": event_id, "object": "event", "deleted": True}
    assert tenant.http.get(f"/v1/sites/{site.id}/events/{event_id}").status_code == 404
    assert tenant.http.delete(f"/v1/sites/{site.id}/events/{event_id}").status_code == 404


def test_wiping_event_data_keeps_the_event(server: LiveServer, tenant: Tenant) -> None:
    site = tenant.site(server)
    event_id = tenant.http.post(f"/v1/sites/{site.id}/events", json={"name": "Kept"}).json()["id"]
    assert tenant.http.delete(f"/v1/sites/{site.id}/events/{event_id}/data").json() == {}
    assert tenant.http.get(f"/v1/sites/{site.id}/events/{event_id}").status_code == 200


def test_an_event_of_another_site_is_not_found(server: LiveServer, tenant: Tenant) -> None:
    first, second = tenant.site(server, "One"), tenant.site(server, "Two")
    event_id = tenant.http.post(f"/v1/sites/{first.id}/events", json={"name": "Mine"}).json()["id"]
    assert tenant.http.get(f"/v1/sites/{second.id}/events/{event_id}").status_code == 404


def test_a_milestone_has_the_seed_fields(server: LiveServer, tenant: Tenant) -> None:
    site = tenant.site(server)
    milestone = tenant.http.post(
        f"/v1/sites/{site.id}/milestones", json={"name": "Launch", "milestone_date": "2025-06-30"}
    ).json()
    assert set(milestone) == {"id", "object", "name", "site_id", "milestone_date", "created_at", "updated_at"}
    assert milestone["object"] == "milestone" and milestone["milestone_date"] == "2025-06-30"
    assert tenant.http.get(f"/v1/sites/{site.id}/milestones/{milestone['id']}").json() == milestone


def test_updating_a_milestone_changes_only_what_is_sent(server: LiveServer, tenant: Tenant) -> None:
    site = tenant.site(server)
    created = tenant.http.post(
        f"/v1/sites/{site.id}/milestones", json={"name": "Launch", "milestone_date": "2025-06-30"}
    ).json()
    moved = tenant.http.post(
        f"/v1/sites/{site.id}/milestones/{created['id']}", json={"milestone_date": "2025-07-01"}
    ).json()
    assert moved["name"] == "Launch" and moved["milestone_date"] == "2025-07-01"
    assert moved["updated_at"] >= created["updated_at"]


def test_deleting_a_milestone_answers_the_deleted_object(server: LiveServer, tenant: Tenant) -> None:
    site = tenant.site(server)
    milestone_id = tenant.http.post(
        f"/v1/sites/{site.id}/milestones", json={"name": "Launch", "milestone_date": "2025-06-30"}
    ).json()["id"]
    deleted = tenant.http.delete(f"/v1/sites/{site.id}/milestones/{milestone_id}")
    assert deleted.json() == {"id": milestone_id, "object": "milestone", "deleted": True}
    assert tenant.http.get(f"/v1/sites/{site.id}/milestones/{milestone_id}").status_code == 404
