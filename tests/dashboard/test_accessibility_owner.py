"""The owner's pages (login, sites, settings, the share password prompt) pass axe-core without serious or
critical violations, and are photographed at 1440 and 390 px, light and dark, for a person to look at."""

from __future__ import annotations

from playwright.sync_api import Page

from tests.dashboard.conftest import AxeCheck, DashboardServer, Screenshots


def test_the_login_page_is_accessible(guest_page: Page, dashboard_server: DashboardServer, axe: AxeCheck) -> None:
    guest_page.goto(dashboard_server.url("/login"))
    axe(guest_page)
    guest_page.fill("input[name=email]", dashboard_server.email)
    guest_page.fill("input[name=password]", "wrong password here")
    guest_page.click("button[type=submit]")
    axe(guest_page)  # with its error message


def test_the_sites_page_is_accessible(signed_in: Page, axe: AxeCheck) -> None:
    axe(signed_in)


def test_the_settings_page_is_accessible_with_and_without_errors(
    signed_in: Page, dashboard_server: DashboardServer, axe: AxeCheck
) -> None:
    signed_in.goto(dashboard_server.url(f"/sites/{dashboard_server.site.id}/settings"))
    axe(signed_in)
    signed_in.fill("#new-milestone-name", "No date")
    signed_in.click("text=Add milestone")
    axe(signed_in)


def test_the_share_password_prompt_is_accessible(
    guest_page: Page, dashboard_server: DashboardServer, axe: AxeCheck
) -> None:
    sites = dashboard_server.live.metadata.sites
    site = sites.create(
        dashboard_server.owner.id, {"name": "Private", "sharing": "private", "share_password": "x" * 12}
    )
    try:
        guest_page.goto(dashboard_server.url(f"/share/{site.id}"))
        axe(guest_page)
    finally:
        sites.delete(dashboard_server.owner.id, site.id)


def test_the_owner_pages_are_photographed_in_both_widths_and_schemes(
    signed_in: Page, dashboard_server: DashboardServer, screenshots: Screenshots
) -> None:
    written = [
        *screenshots(signed_in, "/sites", "sites"),
        *screenshots(signed_in, f"/sites/{dashboard_server.site.id}/settings", "settings"),
    ]
    signed_in.context.clear_cookies()
    written += screenshots(signed_in, "/login", "login")
    assert len(written) == 12
    assert all(path.stat().st_size > 5000 for path in written)
