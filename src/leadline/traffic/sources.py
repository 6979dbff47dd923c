"""Where visits come from: direct, search engines (with the keyword where engines still pass it), social,
news and other referring sites, and tagged campaigns (utm_* or `ref=` on the landing URL)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote_plus

from leadline.traffic.weighted import Weighted


@dataclass(frozen=True, slots=True)
class Arrival:
    referrer: str  # "" for direct arrivals
    query: str = ""  # campaign tags added to the landing page's URL, already encoded
    bounce_chance: float = 0.5  # of leaving after the landing page


KEYWORDS: tuple[str, ...] = (
    "cookie free analytics",
    "fathom analytics alternative",
    "privacy friendly web analytics",
    "self hosted analytics",
    "gdpr analytics without consent banner",
    "google analytics alternative",
    "web analytics duckdb",
    "datenschutzfreundliche webanalyse",
    "analytique web sans cookies",
    "café analytics",
    "アクセス解析 クッキーなし",
    "bounce rate meaning",
    "utm_source vs ref",
    "how to count unique visitors",
    "c++ regex (a|b)*",
    "50% off analytics",
    "what is a session?",
)

# (referrer with {q} where the engine passes the keyword, weight). Google passes none.
SEARCH_ENGINES: tuple[tuple[str, float], ...] = (
    ("https://www.google.com/", 55),
    ("https://www.google.co.uk/", 5),
    ("https://www.google.de/", 5),
    ("https://www.google.fr/", 2),
    ("https://www.google.com.br/", 2),
    ("https://www.bing.com/search?q={q}&form=QBLH", 10),
    ("https://duckduckgo.com/?q={q}&t=h_&ia=web", 8),
    ("https://www.ecosia.org/search?method=index&q={q}", 3),
    ("https://search.brave.com/search?q={q}&source=web", 3),
    ("https://search.yahoo.com/search?p={q}", 2),
    ("https://yandex.ru/search/?text={q}", 1),
    ("https://www.baidu.com/s?wd={q}", 1),
    ("https://www.startpage.com/", 1),
)
SOCIAL: tuple[tuple[str, float], ...] = (
    ("https://t.co/Xk2P9aQ1zB", 15),
    ("https://t.co/m3RwQ0v7Lc", 10),
    ("https://l.facebook.com/", 12),
    ("https://m.facebook.com/", 8),
    ("https://www.linkedin.com/", 10),
    ("https://www.reddit.com/r/selfhosted/comments/1g2h3j/cookie_free_analytics_that_speaks_fathom/", 12),
    ("https://old.reddit.com/r/privacy/", 3),
    ("https://news.ycombinator.com/item?id=41234567", 12),
    ("https://news.ycombinator.com/", 5),
    ("https://mastodon.social/@leadline", 4),
    ("https://bsky.app/profile/leadline.example", 4),
    ("android-app://com.google.android.gm/", 2),
)
REFERRING_SITES: tuple[tuple[str, float], ...] = (
    ("https://github.com/leadline/leadline", 15),
    ("https://stackoverflow.com/questions/1234567/how-to-track-pageviews-without-cookies", 10),
    ("https://dev.to/ada/switching-from-google-analytics-3k2j", 8),
    ("https://www.producthunt.com/posts/leadline", 6),
    ("https://alternativeto.net/software/google-analytics/", 6),
    ("https://www.theverge.com/2025/3/10/privacy-analytics-tools", 5),
    ("https://techcrunch.com/2025/04/02/cookie-free-analytics/", 4),
    ("https://www.heise.de/news/Webanalyse-ohne-Cookies-1234567.html", 4),
    ("https://blog.partner.example/best-analytics-2025", 3),
)
# (landing query, referrer, weight)
CAMPAIGNS: tuple[tuple[str, str, float], ...] = (
    ("utm_source=newsletter&utm_medium=email&utm_campaign=spring_launch&utm_content=header_button", "", 10),
    ("utm_source=newsletter&utm_medium=email&utm_campaign=spring_launch&utm_content=footer_link", "", 4),
    (
        "utm_source=google&utm_medium=cpc&utm_campaign=brand&utm_term=cookie+free+analytics",
        "https://www.google.com/",
        8,
    ),
    ("utm_source=twitter&utm_medium=social&utm_campaign=launch_week", "https://t.co/Xk2P9aQ1zB", 6),
    ("utm_source=linkedin&utm_medium=paid_social&utm_campaign=%C3%A9t%C3%A9_2025", "https://www.linkedin.com/", 3),
    ("ref=producthunt", "https://www.producthunt.com/", 5),
    ("ref=hn", "https://news.ycombinator.com/", 3),
    (
        "utm_source=partner-blog&utm_medium=referral&utm_campaign=affiliates&utm_content=sidebar+(top)",
        "https://blog.partner.example/best-analytics-2025",
        2,
    ),
)

# (share of visits, chance of bouncing) per kind of source.
DIRECT = (0.28, 0.45)
SEARCH = (0.32, 0.55)
SOCIAL_SHARE = (0.14, 0.65)
REFERRAL = (0.11, 0.50)
CAMPAIGN = (0.15, 0.50)


def _spread(share: float, bounce: float, entries: list[tuple[Arrival, float]]) -> list[tuple[Arrival, float]]:
    total = sum(weight for _, weight in entries)
    return [(Arrival(arrival.referrer, arrival.query, bounce), share * weight / total) for arrival, weight in entries]


def _arrivals() -> Weighted[Arrival]:
    searches: list[tuple[Arrival, float]] = []
    for referrer, weight in SEARCH_ENGINES:
        if "{q}" in referrer:
            searches += [(Arrival(referrer.format(q=quote_plus(word))), weight / len(KEYWORDS)) for word in KEYWORDS]
        else:
            searches.append((Arrival(referrer), weight))
    return Weighted(
        [
            *_spread(*DIRECT, [(Arrival(""), 1.0)]),
            *_spread(*SEARCH, searches),
            *_spread(*SOCIAL_SHARE, [(Arrival(referrer), weight) for referrer, weight in SOCIAL]),
            *_spread(*REFERRAL, [(Arrival(referrer), weight) for referrer, weight in REFERRING_SITES]),
            *_spread(*CAMPAIGN, [(Arrival(referrer, query), weight) for query, referrer, weight in CAMPAIGNS]),
        ]
    )


ARRIVALS: Weighted[Arrival] = _arrivals()
