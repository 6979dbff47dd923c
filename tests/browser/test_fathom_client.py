"""fathom-client compatibility: a site using the npm loader works unchanged when pointed at Leadline's script."""

from __future__ import annotations

from tests.browser.harness import Leadline, StaticSite, Visitor


def test_fathom_client_loads_the_script_flushes_its_queue_and_shares_the_opt_out(
    shop: StaticSite, leadline: Leadline, visitor: Visitor, fathom_client_esm: bytes
) -> None:
    site, second = leadline.new_site("Shop"), leadline.new_site("Second")
    shop.file("/fathom-client.js", fathom_client_esm, "text/javascript")
    app = f"""<script type="module">
        import * as client from "/fathom-client.js";
        client.load("{site}", {{url: "{leadline.server.url("/script.js")}", spa: "history"}});
        // Called while the script is still loading: fathom-client queues it and flushes on the script's load.
        client.trackEvent("Purchase", {{_value: 4200}});
        window.queuedBeforeLoad = window.fathom === undefined;
        window.client = client;
    </script>"""
    page = visitor.open(shop.page("/shop", head=app))
    assert page.evaluate("window.queuedBeforeLoad") is True
    assert visitor.settle(page, at_least=2) == 2
    assert page.evaluate("client.isTrackingEnabled()") is True

    page.evaluate("history.pushState({}, '', '/cart')")
    page.evaluate(f"client.setSite('{second}')")
    page.evaluate("client.trackEvent('Newsletter')")
    assert visitor.settle(page) == 4

    page.evaluate("client.blockTrackingForMe()")
    assert page.evaluate("client.isTrackingEnabled()") is False
    page.evaluate("history.pushState({}, '', '/thanks')")
    page.evaluate("client.trackEvent('Purchase', {_value: 100})")
    page.evaluate("client.trackPageview()")
    assert visitor.settle(page) == 4

    stored = leadline.stored()
    assert sorted(stored.pageviews(site)) == ["/cart", "/shop"]
    assert stored.events(site) == [("Purchase", 4200)]
    assert (stored.pageviews(second), stored.events(second)) == ([], [("Newsletter", 0)])
