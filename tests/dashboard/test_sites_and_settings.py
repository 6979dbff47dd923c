"""The sites list and a site's settings: numbers from the query layer, changes through the API's rules."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page

from leadline.dashboard.site_list import visitor_params
from leadline.store.metadata.pagination import PageRequest
from leadline.store.metadata.records import Site
from tests.dashboard.conftest import DashboardServer

FIRST_PAGE = PageRequest(limit=100)


@pytest.fixture
def spare_site(dashboard_server: DashboardServer) -> Iterator[Site]:
    """A site of the owner's for one test to change (the site with traffic stays as it is for the others)."""
    site = dashboard_server.live.metadata.sites.create(dashboard_server.owner.id, {"name": "Spare"})
    yield site
    if dashboard_server.live.metadata.sites.find(site.id) is not None:
        dashboard_server.live.metadata.sites.delete(dashboard_server.owner.id, site.id)


def settings_of(page: Page, server: DashboardServer, site: Site) -> None:
    page.goto(server.url(f"/sites/{site.id}/settings"))


def api_error(server: DashboardServer, path: str, body: dict[str, str]) -> str:
    """What the REST API says to the same change (form-encoded, as the page sends it)."""
    with server.api() as client:
        response = client.post(path, data=body)
    assert response.status_code == 400, response.text
    return str(response.json()["error"])


def alert(page: Page) -> str:
    return page.get_by_role("alert").inner_text()


def flash(page: Page) -> str:
    return page.locator(".flash").inner_text()


def test_the_sites_list_shows_the_visitors_of_the_last_30_days_as_the_api_counts_them(
    signed_in: Page, dashboard_server: DashboardServer
) -> None:
    site = dashboard_server.site
    [expected] = dashboard_server.aggregations(**visitor_params(site))
    row = signed_in.locator(f"[data-site-id='{site.id}']")
    shown = row.locator("[data-metric=uniques]")
    assert int(shown.get_attribute("data-value") or "-1") == int(float(expected["uniques"])) > 0
    assert row.locator("svg.sparkline polyline").get_attribute("points")
    # Another account's site is not listed.
    assert signed_in.locator(f"[data-site-id='{dashboard_server.other_site.id}']").count() == 0


def test_adding_a_site_opens_its_settings_and_a_bad_name_gets_the_apis_error(
    signed_in: Page, dashboard_server: DashboardServer
) -> None:
    signed_in.fill("#new-site-name", "   ")
    signed_in.click("text=Add site")
    assert alert(signed_in) == api_error(dashboard_server, "/v1/sites", {"name": "   "})
    signed_in.fill("#new-site-name", "Blog")
    signed_in.click("text=Add site")
    assert signed_in.url.endswith("/settings")
    assert flash(signed_in).startswith("Added Blog.")
    site_id = signed_in.url.split("/")[-2]
    snippet = signed_in.locator("#snippet-code").inner_text()
    assert snippet == f'<script src="{dashboard_server.base_url}/script.js" data-site="{site_id}" defer></script>'
    dashboard_server.live.metadata.sites.delete(dashboard_server.owner.id, site_id)


def test_general_settings_take_effect_and_refusals_keep_the_input(
    signed_in: Page, dashboard_server: DashboardServer, spare_site: Site
) -> None:
    settings_of(signed_in, dashboard_server, spare_site)
    signed_in.fill("#site-name", "Renamed")
    signed_in.select_option("#site-timezone", "Europe/Berlin")
    signed_in.check("input[name=sharing][value=private]")  # no password: the API refuses
    signed_in.click("text=Save settings")
    expected = api_error(dashboard_server, f"/v1/sites/{spare_site.id}", {"sharing": "private"})
    assert alert(signed_in) == expected
    assert signed_in.input_value("#site-name") == "Renamed"  # kept, not reset
    signed_in.fill("#share-password", "open sesame please")
    signed_in.click("text=Save settings")
    assert flash(signed_in) == "Saved the site's settings."
    with dashboard_server.api() as client:
        stored = client.get(f"/v1/sites/{spare_site.id}").json()
    assert (stored["name"], stored["timezone"], stored["sharing"]) == ("Renamed", "Europe/Berlin", "private")
    assert dashboard_server.live.metadata.sites.check_share_password(spare_site.id, "open sesame please")


def test_events_are_renamed_and_deleted_with_the_apis_rules(
    signed_in: Page, dashboard_server: DashboardServer, spare_site: Site
) -> None:
    events = dashboard_server.live.metadata.events
    signup, trial = events.create(spare_site.id, "Signup"), events.create(spare_site.id, "Trial")
    settings_of(signed_in, dashboard_server, spare_site)
    signed_in.fill(f"#event-name-{signup.id}", "Trial")
    signed_in.locator(f"[data-event='{signup.id}']").get_by_role("button", name="Rename").click()
    path = f"/v1/sites/{spare_site.id}/events/{signup.id}"
    assert alert(signed_in) == api_error(dashboard_server, path, {"name": "Trial"})
    signed_in.fill(f"#event-name-{signup.id}", "Account created")
    signed_in.locator(f"[data-event='{signup.id}']").get_by_role("button", name="Rename").click()
    assert flash(signed_in) == "Renamed Signup to Account created."
    assert events.get(spare_site.id, signup.id).name == "Account created"
    signed_in.once("dialog", lambda dialog: dialog.accept())
    signed_in.locator(f"[data-event='{trial.id}']").get_by_role("button", name="Delete").click()
    signed_in.wait_for_selector(".flash")
    assert [event.id for event in events.list_all(spare_site.id)] == [signup.id]


def test_milestones_are_added_edited_and_deleted(
    signed_in: Page, dashboard_server: DashboardServer, spare_site: Site
) -> None:
    settings_of(signed_in, dashboard_server, spare_site)
    signed_in.fill("#new-milestone-name", "Launch")
    signed_in.click("text=Add milestone")  # no date: the API's message
    path = f"/v1/sites/{spare_site.id}/milestones"
    assert alert(signed_in) == api_error(dashboard_server, path, {"name": "Launch"})
    assert signed_in.input_value("#new-milestone-name") == "Launch"
    signed_in.fill("#new-milestone-date", "2026-03-01")
    signed_in.click("text=Add milestone")
    assert flash(signed_in) == "Added the milestone Launch."
    milestones = dashboard_server.live.metadata.milestones
    [milestone] = milestones.list_page(spare_site.id, FIRST_PAGE).items
    signed_in.fill(f"#milestone-name-{milestone.id}", "Public launch")
    signed_in.locator(f"[data-milestone='{milestone.id}']").get_by_role("button", name="Save").click()
    assert milestones.get(spare_site.id, milestone.id).name == "Public launch"
    signed_in.locator(f"[data-milestone='{milestone.id}']").get_by_role("button", name="Delete").click()
    assert flash(signed_in) == "Deleted the milestone Public launch."
    assert milestones.list_page(spare_site.id, FIRST_PAGE).items == []


def test_an_api_key_is_shown_once_works_with_its_scope_and_can_be_revoked(
    signed_in: Page, dashboard_server: DashboardServer, spare_site: Site
) -> None:
    settings_of(signed_in, dashboard_server, spare_site)
    signed_in.fill("#key-name", "reporting")
    signed_in.select_option("#key-scope", f"read:{spare_site.id}")
    signed_in.click("text=Create key")
    key = signed_in.locator("[data-new-key]").inner_text()
    with httpx.Client(base_url=dashboard_server.base_url, headers={"Authorization": f"Bearer {key}"}) as client:
        assert client.get(f"/v1/sites/{spare_site.id}").status_code == 200
        assert client.post(f"/v1/sites/{spare_site.id}", data={"name": "x"}).status_code == 403  # read only
        settings_of(signed_in, dashboard_server, spare_site)
        assert signed_in.locator("[data-new-key]").count() == 0
        assert key not in signed_in.content()
        [listed] = [item for item in signed_in.locator("[data-key]").all() if "reporting" in item.inner_text()]
        signed_in.once("dialog", lambda dialog: dialog.accept())
        listed.get_by_role("button", name="Revoke").click()
        signed_in.wait_for_selector(".flash")
        assert client.get(f"/v1/sites/{spare_site.id}").status_code == 401


def test_deleting_a_site_needs_its_name_typed(
    signed_in: Page, dashboard_server: DashboardServer, spare_site: Site
) -> None:
    settings_of(signed_in, dashboard_server, spare_site)
    signed_in.fill("#confirm-name", "spare")
    signed_in.click("text=Delete site")
    assert alert(signed_in) == "type the site's name exactly to confirm deleting it"
    assert dashboard_server.live.metadata.sites.find(spare_site.id) is not None
    signed_in.fill("#confirm-name", "Spare")
    signed_in.click("text=Delete site")
    assert signed_in.url == dashboard_server.url("/sites")
    assert flash(signed_in) == "Deleted Spare and all its data."
    assert dashboard_server.live.metadata.sites.find(spare_site.id) is None


def test_another_accounts_site_is_not_found_for_a_signed_in_owner(
    signed_in: Page, dashboard_server: DashboardServer
) -> None:
    cookies = {cookie["name"]: cookie["value"] for cookie in signed_in.context.cookies()}
    other = dashboard_server.other_site.id
    with httpx.Client(base_url=dashboard_server.base_url, cookies=cookies) as client:
        for path in (f"/sites/{other}", f"/sites/{other}/settings", f"/sites/{other}/export"):
            response = client.get(path)
            assert response.status_code == 404, path
            assert response.json() == {"error": "not found"}
        token = signed_in.locator("input[name=csrf_token]").first.get_attribute("value") or ""
        refused = client.post(f"/sites/{other}/delete", data={"csrf_token": token, "confirm_name": "Not yours"})
    assert refused.status_code == 404
    assert dashboard_server.live.metadata.sites.find(other) is not None
