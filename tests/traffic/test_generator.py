"""The generator's traffic looks like a real site's: reproducible, with sessions, bounces, returning visitors,
a spread of devices and countries, a daily and weekly rhythm in the site's time zone, and no trouble at DST."""

from __future__ import annotations

import itertools
import statistics
from collections import Counter, defaultdict
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from leadline.collect.campaigns import campaign_tags
from leadline.collect.devices import describe_device
from leadline.collect.geolocation import Geolocator
from leadline.collect.payload import parse_page_url, parse_payload
from leadline.collect.referrers import describe_referrer
from leadline.traffic import SyntheticRequest, TrafficConfig, generate_visits
from tests.traffic.sessions import pageviews, sessions_of

SITE = "SYNTHSITE1"


def traffic(**overrides: object) -> list[SyntheticRequest]:
    settings: dict[str, object] = {
        "site_id": SITE,
        "start": datetime(2025, 3, 3, tzinfo=UTC),
        "end": datetime(2025, 3, 17, tzinfo=UTC),
        "hits_per_day": 1500,
        "timezone": "Europe/Berlin",
        "seed": 7,
    }
    settings.update(overrides)
    return list(generate_visits(TrafficConfig(**settings)))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def two_weeks() -> list[SyntheticRequest]:
    return traffic()


def test_the_same_seed_gives_the_same_traffic() -> None:
    first = traffic(end=datetime(2025, 3, 5, tzinfo=UTC), seed="same")
    assert first == traffic(end=datetime(2025, 3, 5, tzinfo=UTC), seed="same")
    assert first != traffic(end=datetime(2025, 3, 5, tzinfo=UTC), seed="other")


def test_hits_come_in_time_order_inside_the_range(two_weeks: list[SyntheticRequest]) -> None:
    stamps = [hit.timestamp for hit in two_weeks]
    assert stamps == sorted(stamps)
    assert datetime(2025, 3, 3, tzinfo=UTC).timestamp() <= stamps[0]
    assert stamps[-1] < datetime(2025, 3, 17, tzinfo=UTC).timestamp()
    assert {hit.site_id for hit in two_weeks} == {SITE}


def test_a_total_number_of_hits_is_met_exactly() -> None:
    assert len(traffic(total_hits=12_345)) == 12_345
    assert traffic(total_hits=0) == []


def test_traffic_has_bounces_and_multi_page_sessions(two_weeks: list[SyntheticRequest]) -> None:
    sessions = sessions_of(two_weeks)
    views = [pageviews(session) for session in sessions]
    assert 0.4 <= sum(1 for count in views if count == 1) / len(sessions) <= 0.6
    assert sum(1 for count in views if count >= 3) / len(sessions) > 0.15
    assert max(views) >= 10
    gaps = [
        later.timestamp - earlier.timestamp
        for session in sessions
        for earlier, later in itertools.pairwise(session)
        if earlier.is_pageview and later.is_pageview
    ]
    assert 10 <= statistics.median(gaps) <= 120  # seconds to minutes
    assert min(gaps) >= 1 and max(gaps) <= 30 * 60


def test_some_visitors_start_several_sessions_in_one_day(two_weeks: list[SyntheticRequest]) -> None:
    zone = ZoneInfo("Europe/Berlin")
    per_visitor_day = Counter(
        (session[0].ip, session[0].user_agent, datetime.fromtimestamp(session[0].timestamp, zone).date())
        for session in sessions_of(two_weeks)
    )
    assert 0.01 < sum(1 for count in per_visitor_day.values() if count >= 2) / len(per_visitor_day) < 0.2


def test_some_visitors_return_on_another_day(two_weeks: list[SyntheticRequest]) -> None:
    days: defaultdict[tuple[str, str], set[date]] = defaultdict(set)
    for hit in two_weeks:
        days[(hit.ip, hit.user_agent)].add(datetime.fromtimestamp(hit.timestamp, UTC).date())
    assert len(days) > 5000  # many distinct visitors
    assert 0.1 < sum(1 for seen in days.values() if len(seen) > 1) / len(days) < 0.5


def test_devices_browsers_and_countries_are_spread(two_weeks: list[SyntheticRequest]) -> None:
    devices = [describe_device(agent) for agent in {hit.user_agent for hit in two_weeks}]
    assert {"Chrome", "Safari", "Firefox", "Edge", "Samsung Internet"} <= {device.browser for device in devices}
    assert {"Windows", "Mac OS X", "Linux", "iOS", "Android"} <= {device.operating_system for device in devices}
    assert {device.device_type for device in devices} == {"desktop", "mobile", "tablet"}
    agents = Counter(describe_device(hit.user_agent).device_type for hit in two_weeks)
    assert agents["desktop"] > agents["mobile"] > agents["tablet"] > 0
    geolocator = Geolocator()
    countries = Counter(geolocator.locate(hit.ip).country_code for hit in two_weeks)
    assert "" not in countries
    assert len(countries) >= 15
    assert countries.most_common(1)[0] == ("US", countries["US"])
    assert countries["US"] / countries.total() < 0.5
    assert any(":" in hit.ip for hit in two_weeks) and any("." in hit.ip for hit in two_weeks)


def test_night_is_quieter_than_the_afternoon_in_the_sites_time_zone(two_weeks: list[SyntheticRequest]) -> None:
    for timezone in ("Europe/Berlin", "Asia/Tokyo"):
        hits = two_weeks if timezone == "Europe/Berlin" else traffic(timezone=timezone)
        zone = ZoneInfo(timezone)
        by_hour = Counter(datetime.fromtimestamp(hit.timestamp, zone).hour for hit in hits)
        night = sum(by_hour[hour] for hour in (2, 3, 4)) / 3
        afternoon = sum(by_hour[hour] for hour in (13, 14, 15)) / 3
        assert night < 0.25 * afternoon


def test_weekends_are_quieter_than_weekdays() -> None:
    zone = ZoneInfo("America/Los_Angeles")
    hits = traffic(end=datetime(2025, 4, 28, tzinfo=UTC), hits_per_day=300, timezone="America/Los_Angeles")
    per_day = Counter(datetime.fromtimestamp(hit.timestamp, zone).date() for hit in hits)
    full_days = [day for day in per_day if date(2025, 3, 3) < day < date(2025, 4, 27)]
    weekdays = statistics.median(per_day[day] for day in full_days if day.weekday() < 5)
    weekends = statistics.median(per_day[day] for day in full_days if day.weekday() >= 5)
    assert weekends < 0.85 * weekdays


@pytest.mark.parametrize(
    ("timezone", "start", "end"),
    [
        ("America/New_York", datetime(2025, 3, 7, 12, tzinfo=UTC), datetime(2025, 3, 11, tzinfo=UTC)),
        ("America/New_York", datetime(2025, 10, 31, tzinfo=UTC), datetime(2025, 11, 4, 12, tzinfo=UTC)),
        ("Europe/Berlin", datetime(2025, 3, 29, tzinfo=UTC), datetime(2025, 3, 31, tzinfo=UTC)),
        ("America/Santiago", datetime(2025, 4, 4, tzinfo=UTC), datetime(2025, 4, 7, tzinfo=UTC)),  # DST at midnight
        ("America/Santiago", datetime(2025, 9, 5, tzinfo=UTC), datetime(2025, 9, 8, tzinfo=UTC)),
        ("Australia/Lord_Howe", datetime(2025, 4, 4, tzinfo=UTC), datetime(2025, 4, 7, tzinfo=UTC)),  # 30 minutes
        ("Asia/Kolkata", datetime(2025, 3, 8, tzinfo=UTC), datetime(2025, 3, 10, tzinfo=UTC)),
    ],
)
def test_traffic_crosses_a_dst_change_without_errors(timezone: str, start: datetime, end: datetime) -> None:
    hits = traffic(start=start, end=end, timezone=timezone, total_hits=4000)
    assert len(hits) == 4000
    stamps = [hit.timestamp for hit in hits]
    assert stamps == sorted(stamps) and start.timestamp() <= stamps[0] and stamps[-1] < end.timestamp()
    zone = ZoneInfo(timezone)
    local_days = Counter(datetime.fromtimestamp(stamp, zone).date() for stamp in stamps)
    first, last = datetime.fromtimestamp(stamps[0], zone).date(), datetime.fromtimestamp(stamps[-1], zone).date()
    assert len(local_days) == (last - first).days + 1  # no local day is skipped, the short one included


def test_the_spring_forward_day_has_traffic_on_both_sides_of_the_missing_hour() -> None:
    zone = ZoneInfo("America/New_York")
    hits = traffic(
        start=datetime(2025, 3, 9, 5, tzinfo=UTC), end=datetime(2025, 3, 10, 4, tzinfo=UTC), timezone=str(zone)
    )
    hours = Counter(datetime.fromtimestamp(hit.timestamp, zone).hour for hit in hits)
    assert 2 not in hours  # 02:00-03:00 does not exist that day
    assert hours[1] > 0 and hours[3] > 0 and hours[23] > 0


def test_every_url_is_one_a_browser_sends_and_the_collector_accepts(two_weeks: list[SyntheticRequest]) -> None:
    pathnames = set()
    for url in {hit.url for hit in two_weeks}:
        assert url.isascii() and " " not in url
        pathnames.add(parse_page_url(url).pathname)
    for hit in two_weeks[:3000]:
        payload = parse_payload(hit.body())
        assert (payload.event_name, payload.value, payload.referrer) == (hit.event_name, hit.value, hit.referrer)
    # Browsers send percent-encoded paths; the collector stores them decoded, as people read them.
    assert {"/café", "/blog/über-datenschutz", "/press kit", "/c++", "/search"} <= pathnames
    assert "/docs/regex/^(a|b)*[0-9]+$" in pathnames
    assert "/日本語/ガイド" in pathnames
    assert any("%E6%97%A5" in url for url in {hit.url for hit in two_weeks})
    hash_routes = Counter(hit.url for hit in two_weeks if "#/" in hit.url)
    assert {"/app#/dashboard", "/app#/settings"} <= pathnames
    assert 0 < hash_routes.total() < 0.05 * len(two_weeks)  # rare


def test_visits_arrive_from_search_social_news_campaigns_and_directly(two_weeks: list[SyntheticRequest]) -> None:
    landings = [session[0] for session in sessions_of(two_weeks)]
    referrers = [describe_referrer(hit.referrer, parse_page_url(hit.url).hostname) for hit in landings]
    hostnames = Counter(referrer.hostname for referrer in referrers)
    assert 0.2 < hostnames[""] / len(landings) < 0.5  # direct, including returns after a long pause
    keywords = {referrer.hostname: referrer.keyword for referrer in referrers if referrer.keyword}
    assert {"www.bing.com", "duckduckgo.com"} <= set(keywords)
    assert all(referrer.keyword == "" for referrer in referrers if referrer.hostname == "www.google.com")
    assert {"t.co", "news.ycombinator.com", "www.reddit.com", "github.com", "techcrunch.com"} <= set(hostnames)
    tags = [campaign_tags(parse_page_url(hit.url).query) for hit in landings]
    sources = Counter(tag.get("utm_source", "") for tag in tags)
    assert {"newsletter", "google", "twitter", "producthunt", "hn"} <= set(sources)  # ref= counts as a source
    assert any(tag.get("utm_campaign") == "été_2025" for tag in tags)
    assert any(tag.get("utm_term") == "cookie free analytics" for tag in tags)
    assert {"utm_medium", "utm_content"} <= {name for tag in tags for name in tag}
    # Tags and outside referrers come with landings only; inside a session they mean a second visit began
    # while the visitor's first was still open (two tabs), which is rare.
    inner = [hit for session in sessions_of(two_weeks) for hit in session[1:] if hit.is_pageview]
    tagged = [hit for hit in inner if parse_page_url(hit.url).query not in ("", "q=privacy+(beta)")]
    assert len(tagged) < 0.01 * len(inner)


def test_events_complete_on_the_page_just_viewed_with_values_where_they_have_them(
    two_weeks: list[SyntheticRequest],
) -> None:
    events = Counter(hit.event_name for hit in two_weeks if not hit.is_pageview)
    assert {"Signup", "Purchase", "Newsletter", "Téléchargement", "Contact form"} <= set(events)
    assert 0.01 < events.total() / len(two_weeks) < 0.1
    for session in sessions_of(two_weeks):
        for position, hit in enumerate(session):
            if hit.is_pageview:
                continue
            assert hit.referrer == "" and hit.url == [h.url for h in session[:position] if h.is_pageview][-1]
            if hit.event_name == "Purchase":
                assert hit.value in (900, 1900, 4900, 9900, 19900)
            else:
                assert hit.value == 0


def test_a_multi_domain_site_gets_visits_on_each_hostname() -> None:
    hosts = Counter(
        parse_page_url(hit.url).hostname
        for hit in traffic(hostnames=("shop.example", "blog.example", "docs.example"), total_hits=3000)
    )
    assert set(hosts) == {"shop.example", "blog.example", "docs.example"}
    assert hosts["shop.example"] > hosts["blog.example"]


def test_bots_are_generated_only_when_asked_for() -> None:
    from leadline.collect.bots import is_bot

    assert not any(is_bot(hit.user_agent) for hit in traffic(total_hits=3000))
    with_bots = traffic(total_hits=3000, bot_share=0.1)
    assert 0.02 < sum(1 for hit in with_bots if is_bot(hit.user_agent)) / len(with_bots) < 0.2


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"end": datetime(2025, 3, 1, tzinfo=UTC)}, "end must be after start"),
        ({"hostnames": ()}, "at least one hostname"),
        ({"total_hits": -1}, "cannot be negative"),
        ({"timezone": "Mars/Olympus_Mons"}, "Mars"),
    ],
)
def test_a_config_that_cannot_work_is_refused_at_once(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(Exception, match=message):
        traffic(**overrides)
