"""Privacy: Do Not Track, the visitor's opt-out, domain lists, localhost, and no cookies or other storage."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page

from tests.browser.harness import Leadline, StaticSite, Visitor

DO_NOT_TRACK = "Object.defineProperty(navigator, 'doNotTrack', {get: () => '1'})"
FLAG = "blockFathomTracking"


def local_storage(visitor: Visitor) -> list[Any]:
    return [item for origin in visitor.context.storage_state()["origins"] for item in origin["localStorage"]]


def other_storage(page: Page) -> dict[str, Any]:
    return dict(
        page.evaluate(
            """async () => ({
                cookie: document.cookie,
                sessionStorage: sessionStorage.length,
                indexedDB: (await indexedDB.databases()).length,
                // CacheStorage exists in secure contexts only.
                caches: typeof caches === 'undefined' ? 0 : (await caches.keys()).length,
            })"""
        )
    )


def test_do_not_track_is_honoured_only_when_the_tag_asks_for_it(
    shop: StaticSite, leadline: Leadline, visitor: Visitor
) -> None:
    honouring, ignoring = leadline.new_site("Honours DNT"), leadline.new_site("Ignores DNT")
    honouring_page = visitor.open(
        shop.page("/h", head=leadline.tag(honouring, honor_dnt="true")), init_script=DO_NOT_TRACK
    )
    assert honouring_page.evaluate("navigator.doNotTrack") == "1"
    honouring_page.evaluate("fathom.trackEvent('Signup')")
    assert visitor.settle(honouring_page) == 0

    ignoring_page = visitor.open(shop.page("/i", head=leadline.tag(ignoring)), init_script=DO_NOT_TRACK)
    ignoring_page.evaluate("fathom.trackEvent('Signup')")
    assert visitor.settle(ignoring_page) == 2

    stored = leadline.stored()
    assert stored.of(honouring) == []
    assert (stored.pageviews(ignoring), stored.events(ignoring)) == (["/i"], [("Signup", 0)])


def test_block_tracking_for_me_stops_all_hits_until_tracking_is_enabled_again(
    shop: StaticSite, leadline: Leadline, visitor: Visitor
) -> None:
    site = leadline.new_site()
    home = shop.page("/", head=leadline.tag(site, spa="history"))
    page = visitor.open(home)
    assert visitor.settle(page) == 1

    page.evaluate("fathom.blockTrackingForMe()")
    assert page.evaluate("fathom.isTrackingEnabled()") is False
    visitor.open(home, page=page)
    page.evaluate("fathom.trackEvent('Signup', {_value: 100})")
    page.evaluate("history.pushState({}, '', '/elsewhere')")
    assert visitor.settle(page) == 1
    # The opt-out is the single thing the script stores, under the name fathom-client's isTrackingEnabled() reads.
    assert local_storage(visitor) == [{"name": FLAG, "value": "true"}]

    page.evaluate("fathom.enableTrackingForMe()")
    assert page.evaluate("fathom.isTrackingEnabled()") is True
    assert local_storage(visitor) == []
    visitor.open(home, page=page)
    assert visitor.settle(page) == 2

    assert leadline.stored().pageviews(site) == ["/", "/"]


def test_included_and_excluded_domains_decide_where_hits_are_sent_from(
    shop: StaticSite, leadline: Leadline, visitor: Visitor
) -> None:
    lists = {
        "included elsewhere": {"included_domains": "example.com,www.example.com"},
        "included here": {"included_domains": "example.com, shop.test"},
        "excluded here": {"excluded_domains": "staging.example.com,shop.test"},
        "excluded elsewhere": {"excluded_domains": "example.com"},
    }
    sites = {name: leadline.new_site(name) for name in lists}
    for name, attributes in lists.items():
        page = visitor.open(shop.page(f"/{name.replace(' ', '-')}", head=leadline.tag(sites[name], **attributes)))
    assert visitor.settle(page, at_least=2) == 2

    stored = leadline.stored()
    assert {name: len(stored.of(site)) for name, site in sites.items()} == {
        "included elsewhere": 0,
        "included here": 1,
        "excluded here": 0,
        "excluded elsewhere": 1,
    }


def test_local_pages_are_ignored_unless_the_tag_allows_localhost(
    shop: StaticSite, leadline: Leadline, visitor: Visitor
) -> None:
    ignored, allowed = leadline.new_site("Ignored"), leadline.new_site("Allowed")
    shop.page("/ignored", head=leadline.tag(ignored))
    shop.page("/allowed", head=leadline.tag(allowed, allow_localhost="true"))
    for host in ("localhost", "127.0.0.1", "app.localhost"):
        page = visitor.open(shop.url("/ignored", host=host))
        page.evaluate("fathom.trackEvent('Signup')")
    assert visitor.settle(page) == 0

    visitor.open(shop.url("/allowed", host="localhost"))
    assert visitor.settle(page) == 1

    stored = leadline.stored()
    assert stored.of(ignored) == []
    assert [(hit.hostname, hit.pathname) for hit in stored.of(allowed)] == [("localhost", "/allowed")]


def test_the_script_sets_no_cookie_and_stores_nothing_but_the_opt_out_flag(
    shop: StaticSite, leadline: Leadline, visitor: Visitor
) -> None:
    site = leadline.new_site()
    page = visitor.open(shop.page("/", head=leadline.tag(site, spa="auto")), referer="https://news.example.org/")
    page.evaluate("history.pushState({}, '', '/next')")
    page.evaluate("fathom.trackEvent('Signup', {_value: 1999})")
    page.evaluate("fathom.trackGoal('ABC123', 500)")
    page.evaluate("fathom.trackPageview({url: '/virtual'})")
    assert visitor.settle(page) == 5
    page.evaluate("fathom.blockTrackingForMe()")
    assert local_storage(visitor) == [{"name": FLAG, "value": "true"}]
    page.evaluate("fathom.enableTrackingForMe()")

    assert visitor.context.cookies() == []
    assert local_storage(visitor) == []
    assert other_storage(page) == {"cookie": "", "sessionStorage": 0, "indexedDB": 0, "caches": 0}
    # Nothing identifying travels with a hit, and Leadline's answers set nothing either.
    for request in visitor.hits:
        assert "cookie" not in request.all_headers()
        response = request.response()
        assert response is not None and "set-cookie" not in response.all_headers()
    assert len(leadline.stored().of(site)) == 5
