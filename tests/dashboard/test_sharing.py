"""Shared dashboards with Fathom's semantics (none / public / private with a password), embedding and framing."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from leadline.store.metadata.records import Site
from tests.browser.harness import StaticSite
from tests.dashboard.conftest import VIEWPORTS, DashboardServer, form_token

PASSWORD = "let me see the numbers"

SharedSite = Callable[..., Site]


@pytest.fixture
def shared_site(dashboard_server: DashboardServer) -> Iterator[SharedSite]:
    """Make a site of the owner's shared as asked: `shared_site("public")`, `shared_site("private", PASSWORD)`."""
    made: list[Site] = []
    sites = dashboard_server.live.metadata.sites

    def make(sharing: str, password: str | None = None) -> Site:
        changes = {"name": f"Shared {sharing}", "sharing": sharing}
        if password is not None:
            changes["share_password"] = password
        site = sites.create(dashboard_server.owner.id, changes)
        made.append(site)
        return site

    yield make
    for site in made:
        sites.delete(dashboard_server.owner.id, site.id)


def share_url(server: DashboardServer, site: Site, query: str = "") -> str:
    return server.url(f"/share/{site.id}{query}")


def test_a_site_that_is_not_shared_is_not_found(dashboard_server: DashboardServer, shared_site: SharedSite) -> None:
    site = shared_site("none")
    for path in ("", "/panels/pages", "/current", "/export"):
        response = httpx.get(share_url(dashboard_server, site) + path)
        assert response.status_code == 404, path
        assert response.json() == {"error": "not found"}
    assert httpx.get(dashboard_server.url("/share/NOSUCHSITE")).status_code == 404


def test_a_public_site_is_readable_without_signing_in_and_shows_no_settings(
    guest_page: Page, dashboard_server: DashboardServer, shared_site: SharedSite
) -> None:
    site = shared_site("public")
    response = guest_page.goto(share_url(dashboard_server, site))
    assert response is not None and response.status == 200
    assert guest_page.locator("[data-metric=uniques]").count() == 1
    assert guest_page.locator("[data-panel=pages]").count() == 1
    html = guest_page.content()
    assert "/settings" not in html and "Sign out" not in html and "csrf_token" not in html
    assert guest_page.context.cookies() == []  # a public view sets no cookie


def test_a_private_site_refuses_a_wrong_password_and_admits_the_right_one(
    guest_page: Page, dashboard_server: DashboardServer, shared_site: SharedSite
) -> None:
    site = shared_site("private", PASSWORD)
    guest_page.goto(share_url(dashboard_server, site))
    assert guest_page.locator("[data-metric=uniques]").count() == 0
    guest_page.fill("input[name=password]", "a guess")
    guest_page.click("button[type=submit]")
    assert guest_page.get_by_role("alert").inner_text() == "Wrong password."
    assert guest_page.locator("[data-metric=uniques]").count() == 0
    guest_page.fill("input[name=password]", PASSWORD)
    guest_page.click("button[type=submit]")
    # The form posts to the page's own address, so the address bar cannot tell the new page from the old:
    # wait for the dashboard itself.
    expect(guest_page.locator("[data-metric=uniques]")).to_have_count(1)
    assert guest_page.url == share_url(dashboard_server, site)
    [admission] = [cookie for cookie in guest_page.context.cookies() if cookie["name"] == "leadline_share"]
    assert admission["path"] == f"/share/{site.id}" and admission["httpOnly"] and admission["sameSite"] == "Lax"
    assert 23 * 3600 < admission["expires"] - time.time() <= 24 * 3600


def test_a_private_link_with_the_passwords_sha256_admits_without_the_prompt(
    guest_page: Page, dashboard_server: DashboardServer, shared_site: SharedSite
) -> None:
    site = shared_site("private", PASSWORD)
    wrong = hashlib.sha256(b"not it").hexdigest()
    guest_page.goto(share_url(dashboard_server, site, f"?password={wrong}"))
    assert guest_page.locator("input[name=password]").count() == 1
    digest = hashlib.sha256(PASSWORD.encode()).hexdigest()
    guest_page.goto(share_url(dashboard_server, site, f"?password={digest}&range=7d"))
    assert guest_page.url == share_url(dashboard_server, site, "?range=7d")  # the password leaves the address bar
    assert guest_page.locator("[data-metric=uniques]").count() == 1


def test_an_admission_to_one_site_does_not_open_another(
    dashboard_server: DashboardServer, shared_site: SharedSite
) -> None:
    first, second = shared_site("private", PASSWORD), shared_site("private", PASSWORD)
    digest = hashlib.sha256(PASSWORD.encode()).hexdigest()
    with httpx.Client(base_url=dashboard_server.base_url) as client:
        admitted = client.get(f"/share/{first.id}?password={digest}")
        assert admitted.status_code == 303
        token = admitted.cookies["leadline_share"]
        assert client.get(f"/share/{first.id}/current").status_code == 200
        # Even sent along by hand to the other site's pages, the cookie names the site it was made for.
        cookie = {"Cookie": f"leadline_share={token}"}
        other = httpx.get(dashboard_server.url(f"/share/{second.id}/current"), headers=cookie)
        assert other.status_code == 401
        assert other.json() == {"error": f"this dashboard is shared with a password: enter it at /share/{second.id}"}


def test_wrong_share_passwords_are_throttled_per_site(
    guest_page: Page, dashboard_server: DashboardServer, shared_site: SharedSite
) -> None:
    site = shared_site("private", PASSWORD)
    with httpx.Client(base_url=dashboard_server.base_url) as client:  # a script guessing, not a person
        token = form_token(client.get(f"/share/{site.id}").text)
        for _ in range(10):  # the default limit: 10 wrong passwords per 15 minutes
            guess = client.post(f"/share/{site.id}", data={"csrf_token": token, "password": "a guess"})
            assert guess.status_code == 401
    guest_page.goto(share_url(dashboard_server, site))
    guest_page.fill("input[name=password]", PASSWORD)
    guest_page.click("button[type=submit]")
    assert guest_page.get_by_role("alert").inner_text().startswith("Too many wrong passwords for this dashboard.")
    assert guest_page.locator("[data-metric=uniques]").count() == 0


def test_only_a_public_site_may_be_embedded_and_no_other_page_may_be_framed(
    dashboard_server: DashboardServer, shared_site: SharedSite
) -> None:
    public, private = shared_site("public"), shared_site("private", PASSWORD)
    embed = httpx.get(share_url(dashboard_server, public, "?embed=true"))
    assert embed.status_code == 200
    assert "frame-ancestors *" in embed.headers["content-security-policy"]
    assert "x-frame-options" not in embed.headers
    refused = httpx.get(share_url(dashboard_server, private, "?embed=true"))
    assert refused.status_code == 403
    assert refused.json() == {"error": "only publicly shared dashboards can be embedded"}
    for path in ("/login", f"/share/{public.id}", f"/share/{private.id}", f"/share/{private.id}?embed=true"):
        response = httpx.get(dashboard_server.url(path))
        policy = response.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy and "default-src 'self'" in policy, path
        assert response.headers["x-frame-options"] == "DENY", path
        assert response.headers["referrer-policy"] == "same-origin", path
        assert response.headers["x-content-type-options"] == "nosniff", path


def test_the_embed_shows_in_an_iframe_of_another_origin_and_other_pages_do_not(
    browser: Browser, dashboard_server: DashboardServer, shared_site: SharedSite
) -> None:
    public = shared_site("public")
    frames = (
        f'<iframe id="embed" title="embed" src="{share_url(dashboard_server, public, "?embed=true")}"></iframe>'
        f'<iframe id="login" title="login" src="{dashboard_server.url("/login")}"></iframe>'
    )
    shop = StaticSite()  # another origin (shop.test), on loopback like the server
    context = browser.new_context(viewport=VIEWPORTS["desktop"])
    try:
        page = context.new_page()
        page.goto(shop.page("/", body=frames))
        embedded = page.frame_locator("#embed")
        embedded.locator("[data-metric=uniques]").wait_for()
        assert embedded.locator("a[href='/sites']").count() == 0  # chrome-less: no way into the owner's pages
        page.wait_for_load_state("load")
        # The same server's login page, framed alike, is refused by the browser (an error page instead).
        assert page.frame_locator("#login").locator("input[name=password]").count() == 0
    finally:
        context.close()
        shop.close()


def test_the_owner_signed_in_sees_their_private_share_without_the_password(
    signed_in: Page, dashboard_server: DashboardServer, shared_site: SharedSite
) -> None:
    site = shared_site("private", PASSWORD)
    signed_in.goto(share_url(dashboard_server, site))
    assert signed_in.locator("[data-metric=uniques]").count() == 1
    assert "/settings" not in signed_in.content()  # still the read-only view
