"""Events: trackEvent and the legacy trackGoal store event hits, with their value in cents, for the right site."""

from __future__ import annotations

from tests.browser.harness import EVENT, SHOP, Leadline, StaticSite, Visitor


def test_track_event_records_an_event_hit_with_its_value(
    shop: StaticSite, leadline: Leadline, visitor: Visitor
) -> None:
    site = leadline.new_site()
    page = visitor.open(shop.page("/signup", head=leadline.tag(site)))
    page.evaluate("fathom.trackEvent('Signup', {_value: 1999})")
    page.evaluate("fathom.trackEvent('Newsletter')")
    # Nameless events are not sent: the collector would take them for pageviews.
    page.evaluate("fathom.trackEvent(''); fathom.trackEvent('   '); fathom.trackEvent()")
    assert visitor.settle(page) == 3

    stored = leadline.stored()
    assert sorted(stored.events(site)) == [("Newsletter", 0), ("Signup", 1999)]
    signup = next(hit for hit in stored.of(site) if hit.event_name == "Signup")
    # The event belongs to the page it happened on.
    assert (signup.kind, signup.hostname, signup.pathname) == (EVENT, SHOP, "/signup")


def test_track_event_with_a_site_id_option_records_it_for_that_site(
    shop: StaticSite, leadline: Leadline, visitor: Visitor
) -> None:
    site, other = leadline.new_site("Shop"), leadline.new_site("Partner")
    page = visitor.open(shop.page("/", head=leadline.tag(site)))
    page.evaluate(f"fathom.trackEvent('Referral', {{_site_id: '{other}', _value: 50}})")
    assert visitor.settle(page) == 2

    stored = leadline.stored()
    assert (stored.pageviews(site), stored.events(site)) == (["/"], [])
    assert stored.events(other) == [("Referral", 50)]


def test_track_goal_records_an_event_named_by_the_goal_code(
    shop: StaticSite, leadline: Leadline, visitor: Visitor
) -> None:
    site = leadline.new_site()
    page = visitor.open(shop.page("/", head=leadline.tag(site)))
    page.evaluate("fathom.trackGoal('ABC123', 500)")
    page.evaluate("fathom.trackGoal('XYZ789', 0)")
    assert visitor.settle(page) == 3

    assert sorted(leadline.stored().events(site)) == [("ABC123", 500), ("XYZ789", 0)]
