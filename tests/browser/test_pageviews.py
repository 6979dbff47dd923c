"""Pageviews: what a page load, each single-page-app mode, canonical links and manual calls store in Leadline."""

from __future__ import annotations

import time

from tests.browser.harness import PAGEVIEW, SHOP, Leadline, StaticSite, Visitor

REFERRER = "https://news.example.org/item?id=1"


def test_a_page_load_records_one_pageview_with_its_hostname_path_and_referrer(
    shop: StaticSite, leadline: Leadline, visitor: Visitor
) -> None:
    site = leadline.new_site()
    page = visitor.open(shop.page("/pricing", head=leadline.tag(site)), referer=REFERRER)
    assert visitor.settle(page) == 1

    [hit] = leadline.stored().of(site)
    assert (hit.kind, hit.hostname, hit.pathname) == (PAGEVIEW, SHOP, "/pricing")
    assert hit.referrer_hostname == "news.example.org"
    # The context's user agent is a real Chrome's, so the hit is not dropped as a bot and is described as such.
    assert (hit.browser, hit.operating_system, hit.device_type) == ("Chrome", "Linux", "desktop")


def test_history_mode_records_a_pageview_per_distinct_path(
    shop: StaticSite, leadline: Leadline, visitor: Visitor
) -> None:
    site = leadline.new_site()
    page = visitor.open(shop.page("/a", head=leadline.tag(site, spa="history")), referer=REFERRER)
    page.evaluate("history.pushState({}, '', '/b')")
    page.evaluate("history.pushState({}, '', '/c')")
    # Same path, other query: the same page (a tab or filter change), not a new view.
    page.evaluate("history.replaceState({}, '', '/c?tab=2')")
    assert visitor.settle(page, at_least=3) == 3
    page.evaluate("history.back()")
    assert visitor.settle(page, at_least=4) == 4

    stored = leadline.stored()
    assert sorted(stored.pageviews(site)) == ["/a", "/b", "/b", "/c"]
    # Only the landing view was referred from elsewhere.
    assert sorted(hit.referrer_hostname for hit in stored.of(site)) == ["", "", "", "news.example.org"]


def test_hash_mode_records_each_hash_route_as_a_page(shop: StaticSite, leadline: Leadline, visitor: Visitor) -> None:
    site = leadline.new_site()
    page = visitor.open(shop.page("/", head=leadline.tag(site, spa="hash")))
    page.evaluate("location.hash = '#/b'")
    assert visitor.settle(page, at_least=2) == 2
    page.evaluate("location.hash = '#/c'")
    assert visitor.settle(page, at_least=3) == 3

    assert sorted(leadline.stored().pageviews(site)) == ["/", "/#/b", "/#/c"]


def test_auto_mode_follows_history_and_falls_back_to_hash_routes_without_push_state(
    shop: StaticSite, leadline: Leadline, visitor: Visitor
) -> None:
    with_history, without_history = leadline.new_site("Modern"), leadline.new_site("Old browser")
    modern = visitor.open(shop.page("/a", head=leadline.tag(with_history, spa="auto")))
    modern.evaluate("history.pushState({}, '', '/b')")
    assert visitor.settle(modern, at_least=2) == 2

    old = visitor.open(
        shop.page("/app", head=leadline.tag(without_history, spa="auto")),
        init_script="delete History.prototype.pushState",
    )
    old.evaluate("location.hash = '#/settings'")
    assert visitor.settle(old, at_least=4) == 4

    stored = leadline.stored()
    assert sorted(stored.pageviews(with_history)) == ["/a", "/b"]
    assert sorted(stored.pageviews(without_history)) == ["/app", "/app#/settings"]


def test_a_canonical_link_names_the_page_but_the_visits_utm_tags_are_kept(
    shop: StaticSite, leadline: Leadline, visitor: Visitor
) -> None:
    canonical, ignored, hash_routes = (leadline.new_site(name) for name in ("Canonical", "Canonical off", "Hash"))
    link = '<link rel="canonical" href="/products/widget">'
    cases: tuple[tuple[str, dict[str, str], str], ...] = (
        (canonical, {}, ""),
        (ignored, {"canonical": "false"}, ""),
        (hash_routes, {"spa": "hash"}, "#/reviews"),
    )
    for site, attributes, route in cases:
        url = shop.page(f"/landing-{site}", head=link + leadline.tag(site, **attributes))
        page = visitor.open(f"{url}?utm_source=newsletter&ref=mail{route}")
    assert visitor.settle(page) == 3

    stored = leadline.stored()
    landed = {site: [(hit.pathname, hit.utm_source) for hit in stored.of(site)] for site, _, _ in cases}
    assert landed == {
        canonical: [("/products/widget", "newsletter")],
        ignored: [(f"/landing-{ignored}", "newsletter")],
        # The hash route is the visited page within the canonical one.
        hash_routes: [("/products/widget#/reviews", "newsletter")],
    }


def test_auto_false_records_nothing_until_track_pageview_is_called(
    shop: StaticSite, leadline: Leadline, visitor: Visitor
) -> None:
    site = leadline.new_site()
    page = visitor.open(shop.page("/", head=leadline.tag(site, auto="false")), referer=REFERRER)
    assert visitor.settle(page) == 0

    page.evaluate("fathom.trackPageview()")
    page.evaluate("fathom.trackPageview({url: '/checkout/step-2'})")
    page.evaluate("fathom.trackPageview({url: '/checkout/step-3', referrer: 'https://partner.example.com/deal'})")
    assert visitor.settle(page) == 3

    pages = {hit.pathname: hit.referrer_hostname for hit in leadline.stored().of(site)}
    # The first view, manual or not, is the landing one: it carries the page's referrer, later ones only their own.
    assert pages == {"/": "news.example.org", "/checkout/step-2": "", "/checkout/step-3": "partner.example.com"}


def test_calls_queued_by_a_stub_before_the_script_loads_are_sent(
    shop: StaticSite, leadline: Leadline, visitor: Visitor
) -> None:
    by_function, by_object = leadline.new_site("Function stub"), leadline.new_site("Object stub")
    function_stub = (
        "<script>window.fathom = window.fathom || function () {"
        " (window.fathom.q = window.fathom.q || []).push(arguments); };"
        " fathom('trackEvent', 'Signup', {_value: 100});</script>"
    )
    # An object stub may have queueing methods of its own; it must not pass for a live tracker.
    object_stub = (
        "<script>window.fathom = {q: [['trackPageview', {url: '/o/queued'}]],"
        " trackPageview(...a) { this.q.push(['trackPageview', ...a]); },"
        " trackGoal(...a) { this.q.push(['trackGoal', ...a]); }};"
        " fathom.trackGoal('NEWSLTR', 250);</script>"
    )
    page = visitor.open(shop.page("/f", head=function_stub + leadline.tag(by_function)))
    visitor.open(shop.page("/o", head=object_stub + leadline.tag(by_object)))
    assert visitor.settle(page) == 5

    stored = leadline.stored()
    assert (stored.pageviews(by_function), stored.events(by_function)) == (["/f"], [("Signup", 100)])
    assert (sorted(stored.pageviews(by_object)), stored.events(by_object)) == (["/o", "/o/queued"], [("NEWSLTR", 250)])


def test_a_browser_visit_shows_up_in_the_reports_api_while_the_server_runs(
    shop: StaticSite, leadline: Leadline, visitor: Visitor
) -> None:
    site = leadline.new_site()
    page = visitor.open(shop.page("/a", head=leadline.tag(site, spa="history")), referer=REFERRER)
    # A person navigates after the page has loaded; sent in the same instant, the two hits could reach the server
    # in either order, and the one it receives first is the session's entry page.
    visitor.settle(page, at_least=1)
    page.evaluate("history.pushState({}, '', '/b')")
    assert visitor.settle(page, at_least=2) == 2
    server = leadline.server
    with server.client(server.new_key(leadline.account, f"read:{site}")) as http:
        params = {
            "entity": "pageview",
            "entity_id": site,
            "aggregates": "visits,pageviews",
            "field_grouping": "pathname",
            "sort_by": "pathname:asc",
        }
        deadline = time.monotonic() + 10
        while True:  # spooled hits reach the event store within about a second
            rows = http.get("/v1/aggregations", params=params).json()["data"]
            if len(rows) == 2 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
    assert rows == [
        {"pathname": "/a", "visits": "1", "pageviews": "1"},
        {"pathname": "/b", "visits": "0", "pageviews": "1"},
    ]
