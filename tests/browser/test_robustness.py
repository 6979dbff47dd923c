"""Robustness and wire format: how hits travel, and that the host page never suffers from the script."""

from __future__ import annotations

import gzip
import json
import socket
from urllib.parse import urlsplit

from playwright.sync_api import Route

from tests.browser.harness import COLLECT_PATH, SCRIPT_PATH, Leadline, StaticSite, Visitor, script_tag

DENY_STORAGE = (
    "Object.defineProperty(window, 'localStorage',"
    " {get() { throw new DOMException('The user denied storage', 'SecurityError'); }})"
)


def test_the_script_is_under_2_kb_gzipped() -> None:
    assert len(gzip.compress(SCRIPT_PATH.read_bytes(), compresslevel=9)) < 2048


def test_hits_are_json_posted_as_text_plain_to_the_origin_the_script_came_from(
    shop: StaticSite, leadline: Leadline, visitor: Visitor
) -> None:
    site = leadline.new_site()
    page = visitor.open(
        shop.page("/docs", head=leadline.tag(site, spa="history")) + "#install", referer="https://news.example.org/"
    )
    page.evaluate("history.pushState({}, '', '/docs/setup')")
    page.evaluate("fathom.trackEvent('Signup', {_value: 1999})")
    page.evaluate("fathom.trackEvent('Newsletter', {_value: 0})")
    assert visitor.settle(page) == 4

    for request in visitor.hits:
        assert (request.method, request.url) == ("POST", leadline.server.url(COLLECT_PATH))
        # text/plain keeps the cross-origin POST a simple request: no preflight before every hit.
        assert request.all_headers()["content-type"].startswith("text/plain")
    referrer = page.evaluate("document.referrer")
    assert [json.loads(body) for body in visitor.sent_bodies()] == [
        # The #fragment is not part of the page, outside hash mode.
        {"site": site, "url": shop.url("/docs"), "referrer": referrer},
        {"site": site, "url": shop.url("/docs/setup"), "referrer": ""},
        {"site": site, "url": shop.url("/docs/setup"), "name": "Signup", "value": 1999},
        {"site": site, "url": shop.url("/docs/setup"), "name": "Newsletter"},
    ]
    assert referrer.startswith("https://news.example.org/")
    assert "OPTIONS /api/event" not in leadline.server.log()
    assert len(leadline.stored().of(site)) == 4


def test_hits_fall_back_to_fetch_when_send_beacon_is_missing_or_refuses(
    shop: StaticSite, leadline: Leadline, visitor: Visitor
) -> None:
    missing, refusing = leadline.new_site("No beacon"), leadline.new_site("Beacon refuses")
    page = visitor.open(
        shop.page("/missing", head=leadline.tag(missing)), init_script="delete Navigator.prototype.sendBeacon"
    )
    page.evaluate("fathom.trackEvent('Signup', {_value: 100})")
    # sendBeacon answers false when the browser will not queue the data (too large, or a full queue).
    page = visitor.open(
        shop.page("/refusing", head=leadline.tag(refusing)),
        init_script="Navigator.prototype.sendBeacon = function () { return false; }",
    )
    assert visitor.settle(page) == 3

    assert {request.resource_type for request in visitor.hits} == {"fetch"}
    assert all(request.all_headers()["content-type"] == "text/plain" for request in visitor.hits)
    assert "OPTIONS /api/event" not in leadline.server.log()
    stored = leadline.stored()
    assert (stored.pageviews(missing), stored.events(missing)) == (["/missing"], [("Signup", 100)])
    assert stored.pageviews(refusing) == ["/refusing"]


def test_the_script_never_throws_into_the_page_nor_logs_console_errors(
    shop: StaticSite, leadline: Leadline, visitor: Visitor
) -> None:
    site = leadline.new_site()
    # Storage that throws on access, as in a sandboxed iframe or with site data blocked.
    page = visitor.open(shop.page("/", head=leadline.tag(site, spa="auto")), init_script=DENY_STORAGE)
    outcome = page.evaluate(
        """() => {
            fathom.blockTrackingForMe();
            fathom.enableTrackingForMe();
            fathom('noSuchMethod', 1, 2);
            fathom.trackPageview({url: 'http://[invalid'});
            return {enabled: fathom.isTrackingEnabled(), stub: fathom('isTrackingEnabled')};
        }"""
    )
    page.evaluate("fathom('trackEvent', 'Signup', {_value: '250'})")
    assert outcome == {"enabled": True, "stub": True}
    assert visitor.settle(page) == 2
    assert visitor.errors == []

    assert leadline.stored().events(site) == [("Signup", 250)]


def test_a_second_copy_of_the_script_does_not_count_twice(
    shop: StaticSite, leadline: Leadline, visitor: Visitor
) -> None:
    site = leadline.new_site()
    page = visitor.open(shop.page("/", head=leadline.tag(site) + leadline.tag(site)))
    page.evaluate("fathom.trackEvent('Signup')")
    assert visitor.settle(page) == 2

    assert leadline.stored().pageviews(site) == ["/"]


def test_the_host_page_keeps_working_when_the_collector_is_down(shop: StaticSite, visitor: Visitor) -> None:
    with socket.socket() as closed_port:
        # Bound but never listening: connections are refused, and no other process can take the port meanwhile.
        closed_port.bind(("127.0.0.1", 0))
        down = f"http://127.0.0.1:{closed_port.getsockname()[1]}"
        app = (
            "fathom.trackEvent('Signup', {_value: 100}); fathom.trackPageview();"
            " history.pushState({}, '', '/next'); document.body.dataset.app = 'ran';"
        )
        shop.file("/app.js", app.encode(), "text/javascript")
        head = script_tag(down, "SITE1234", spa="history") + '<script src="/app.js" defer></script>'
        url = shop.page("/", head=head)
        # Chromium itself notes each failed request on the console; no page script can prevent or cause that.
        visitor.tolerated.append("net::ERR_CONNECTION_REFUSED")

        def serve_script(route: Route) -> None:
            route.fulfill(body=SCRIPT_PATH.read_bytes(), content_type="text/javascript")

        # With sendBeacon, then with the fetch fallback, whose rejected promise must not surface either.
        for init_script in (None, "delete Navigator.prototype.sendBeacon"):
            page = visitor.tab(init_script)
            page.route(f"{down}/script.js", serve_script)
            visitor.open(url, page=page)
            page.wait_for_function("() => document.body.dataset.app === 'ran'")
        sent = visitor.settle(page, at_least=8)

    assert sent == 8
    assert all(urlsplit(request.url).netloc == urlsplit(down).netloc for request in visitor.hits)
    assert all(request.failure is not None for request in visitor.hits)
    assert visitor.errors == []
