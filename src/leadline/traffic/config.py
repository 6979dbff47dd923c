"""What traffic to generate: site, time range, the time zone of its rhythm, volume, hostnames and pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

Moment = datetime | float  # an aware datetime (naive ones are taken as UTC) or Unix seconds


def unix_time(moment: Moment) -> float:
    if isinstance(moment, datetime):
        return (moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)).timestamp()
    return float(moment)


@dataclass(frozen=True, slots=True)
class Goal:
    """A custom event a visitor may complete on a page."""

    name: str
    chance: float  # per pageview of the page
    cents: tuple[int, ...] = ()  # the values it is completed with; empty: an event without a value


@dataclass(frozen=True, slots=True)
class Page:
    """A page as a person would write it: unicode and regex characters allowed, `?query` or `#/route` may follow."""

    location: str
    weight: float = 1.0  # popularity, both as a landing page and as the next page
    links: tuple[str, ...] = ()  # locations visitors often go to next (a funnel)
    goals: tuple[Goal, ...] = ()


DEFAULT_PAGES: tuple[Page, ...] = (
    Page("/", 30, links=("/pricing", "/features", "/blog")),
    Page("/pricing", 12, links=("/signup", "/features")),
    Page("/features", 8, links=("/pricing",)),
    Page("/blog", 7, links=("/blog/cookie-free-analytics", "/blog/über-datenschutz")),
    Page("/blog/cookie-free-analytics", 10, goals=(Goal("Newsletter", 0.03),)),
    Page("/blog/über-datenschutz", 3, goals=(Goal("Newsletter", 0.03),)),
    Page("/blog/2025/03/dst-and-your-reports", 2),
    Page("/café", 1.5),
    Page("/日本語/ガイド", 0.8),
    Page("/docs", 6, links=("/docs/getting-started",)),
    Page("/docs/getting-started", 5, goals=(Goal("Téléchargement", 0.05),)),
    Page("/docs/api/v1.0/aggregations", 2),
    Page("/docs/regex/^(a|b)*[0-9]+$", 0.7),
    Page("/c++", 0.6),
    Page("/press kit", 0.4),
    Page("/search?q=privacy+(beta)", 1.2),
    Page("/app#/dashboard", 1.0, links=("/app#/settings",)),
    Page("/app#/settings", 0.4),
    Page("/about", 2),
    Page("/contact", 2, goals=(Goal("Contact form", 0.12),)),
    Page("/signup", 4, links=("/checkout",), goals=(Goal("Signup", 0.35),)),
    Page("/checkout", 2, links=("/thank-you",), goals=(Goal("Purchase", 0.45, (900, 1900, 1900, 4900, 9900, 19900)),)),
    Page("/thank-you", 0.8),
)


@dataclass(frozen=True, slots=True)
class TrafficConfig:
    site_id: str
    start: Moment
    end: Moment  # exclusive: no hit is generated at or after it
    seed: int | str = 0
    hits_per_day: float = 1000.0  # an average day's hits (weekdays get more, weekends and nights fewer)
    total_hits: int | None = None  # exactly this many hits over the range instead (spread like hits_per_day)
    timezone: str = "UTC"  # the site's: the daily and weekly rhythm follow its local time
    hostnames: tuple[str, ...] = ("www.example.com",)  # several only for a multi-domain site; the first gets most
    pages: tuple[Page, ...] = DEFAULT_PAGES
    returning_share: float = 0.25  # of visits by someone first seen on an earlier day
    addresses: int = 100_000  # how many distinct visitor IP addresses there are (shared like a city's households)
    bot_share: float = 0.0  # of visits by crawlers and headless browsers (which the collector drops)

    def __post_init__(self) -> None:
        if self.end_time <= self.start_time:
            raise ValueError("end must be after start")
        if not self.hostnames or not self.pages:
            raise ValueError("traffic needs at least one hostname and one page")
        if self.total_hits is not None and self.total_hits < 0:
            raise ValueError("total_hits cannot be negative")
        if self.addresses < 1:
            raise ValueError("addresses must be at least 1")
        if self.hits_per_day < 0:
            raise ValueError("hits_per_day cannot be negative")
        if not (0 <= self.returning_share <= 1 and 0 <= self.bot_share <= 1):
            raise ValueError("returning_share and bot_share are shares between 0 and 1")
        known = {page.location for page in self.pages}
        for page in self.pages:
            if page.weight <= 0:
                raise ValueError(f"page {page.location!r} needs a positive weight")
            missing = set(page.links) - known
            if missing:
                raise ValueError(f"page {page.location!r} links to pages not in the catalogue: {sorted(missing)}")
        self.zone  # noqa: B018 - an unknown time zone fails here, not halfway through generation

    @property
    def start_time(self) -> float:
        return unix_time(self.start)

    @property
    def end_time(self) -> float:
        return unix_time(self.end)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)
