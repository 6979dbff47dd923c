"""Hypothesis strategies: small realistic hit sets (sessions obeying the tracker's rules) and report queries."""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from hypothesis import strategies as st

from leadline.query.model import DATE_GROUPINGS, DIMENSIONS, FILTER_OPERATORS, METRICS, Entity
from leadline.store.events import Hit, HitKind

# Around the 2026 DST changes of New York (8 March, 1 November) and Berlin (29 March, 25 October).
WINDOWS = [datetime(2026, 3, 6, tzinfo=UTC), datetime(2026, 3, 27, tzinfo=UTC), datetime(2026, 10, 30, tzinfo=UTC)]
SPAN = 4 * 86400
TIMEZONES = ["UTC", "America/New_York", "Europe/Berlin", "Asia/Kolkata", "Australia/Lord_Howe", "Pacific/Chatham"]
VALUES: dict[str, list[str]] = {
    "hostname": ["shop.example", "www.shop.example", "blog.example"],
    "pathname": ["/", "/pricing", "/café", "/a.b", "/(x)", "/docs/[1]", "/ünïcödé/页面", "/#/app"],
    "referrer_hostname": ["", "", "news.ycombinator.com", "www.bing.com", "t.co"],
    "referrer_pathname": ["/", "/item", "/search", "/ünï"],
    "referrer": ["", "news.ycombinator.com/item", "t.co/", "www.bing.com/search"],
    "browser": ["Chrome", "Firefox", "Safari", "Edge"],
    "country_code": ["US", "DE", "IN", ""],
    "city": ["", "Berlin", "New York"],
    "region": ["", "DE-BE", "US-NY", "IN-MH"],
    "device_type": ["desktop", "mobile", "tablet"],
    "operating_system": ["Windows", "Mac OS X", "iOS", "Android"],
    "utm_source": ["", "", "newsletter", "twitter"],
    "utm_medium": ["", "email"],
    "utm_campaign": ["", "spring sale", "100%"],
    "utm_content": ["", "hero"],
    "utm_term": ["", "shoes"],
    "keyword": ["", "analytics", "Privacy"],
}
# Computed dimensions are filtered by the values of the columns they are computed from.
VALUES["exit_pathname"] = VALUES["pathname"]
EVENTS = {"Signup": "EVSIGNUP00", "Purchase": "EVBUY00000"}
# Visitor ids of the same visitor number on successive days of a window differ by this much.
VISITOR_ID_DAY_STEP = 1000


@dataclass(frozen=True)
class Traffic:
    hits: list[Hit]
    window_start: int


class Chooser(Protocol):
    """Where traffic's random choices come from: Hypothesis (shrinkable) or a seeded Random (fixed data)."""

    def integer(self, low: int, high: int) -> int: ...

    def pick(self, options: Sequence[str]) -> str: ...


@dataclass(frozen=True)
class DrawChooser:
    draw: st.DrawFn

    def integer(self, low: int, high: int) -> int:
        return self.draw(st.integers(low, high))

    def pick(self, options: Sequence[str]) -> str:
        return self.draw(st.sampled_from(options))


@dataclass(frozen=True)
class SeededChooser:
    rng: random.Random

    def integer(self, low: int, high: int) -> int:
        return self.rng.randint(low, high)

    def pick(self, options: Sequence[str]) -> str:
        return self.rng.choice(options)


SESSION_FIELDS = ("browser", "country_code", "region", "city", "device_type", "operating_system")
PAGE_FIELDS = (
    "hostname",
    "pathname",
    "referrer_hostname",
    "keyword",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_content",
    "utm_term",
)


def build_traffic(choose: Chooser, site_id: str, window_start: int, sessions: int, visitors: int) -> list[Hit]:
    """Sessions that obey the tracker's rules: ids are start seconds, hits within hours, one visitor each."""
    hits: list[Hit] = []
    used: set[tuple[int, int]] = set()
    for _ in range(sessions):
        visitor, start = choose.integer(1, visitors), window_start + choose.integer(0, SPAN)
        # A visitor's id is a hash with the day's salt: another id each UTC day (a session keeps its first day's).
        visitor += VISITOR_ID_DAY_STEP * (start // 86400 - window_start // 86400)
        if (visitor, start) in used:
            continue
        used.add((visitor, start))
        constant = {name: choose.pick(VALUES[name]) for name in SESSION_FIELDS}
        offsets: list[int] = []
        for _ in range(choose.integer(0, 5)):
            # Instants are whole seconds: one hit in four falls in the second of the one before (the entry's too),
            # where every engine must still name the same exit page (base.LAST_PAGEVIEW_ORDER).
            same_second = choose.integer(0, 3) == 0
            offsets.append((offsets[-1] if offsets else 0) if same_second else choose.integer(1, 4 * 3600))
        offsets.sort()
        for position, offset in enumerate([0, *offsets]):
            kind = HitKind.PAGEVIEW if position == 0 or choose.integer(0, 2) else HitKind.EVENT
            event_name = choose.pick(sorted(EVENTS)) if kind is HitKind.EVENT else ""
            moment = datetime.fromtimestamp(start + offset, UTC).replace(tzinfo=None)
            page = {name: choose.pick(VALUES[name]) for name in PAGE_FIELDS}
            # As the collector stores it: a referrer's path only beside its hostname.
            page["referrer_pathname"] = choose.pick(VALUES["referrer_pathname"]) if page["referrer_hostname"] else ""
            hits.append(
                Hit(
                    site_id=site_id,
                    timestamp=moment,
                    kind=kind,
                    visitor_id=visitor,
                    session_id=start,
                    entry=position == 0,  # the tracker flags a session's first pageview
                    event_id=EVENTS.get(event_name, ""),
                    value=choose.integer(0, 5000) if kind is HitKind.EVENT else 0,
                    **page,
                    **constant,
                )
            )
    return hits


@st.composite
def traffic(draw: st.DrawFn, site_id: str, max_sessions: int = 25) -> Traffic:
    window_start = int(draw(st.sampled_from(WINDOWS)).timestamp())
    chooser = DrawChooser(draw)
    return Traffic(build_traffic(chooser, site_id, window_start, chooser.integer(0, max_sessions), 8), window_start)


def seeded_traffic(site_id: str, seed: int, window_start: int, sessions: int = 120) -> list[Hit]:
    """Fixed traffic of the same shape, for a server loaded once."""
    return build_traffic(SeededChooser(random.Random(seed)), site_id, window_start, sessions, visitors=40)


@st.composite
def query_params(
    draw: st.DrawFn, site_id: str, window_start: int, fields: Sequence[str] = DIMENSIONS
) -> dict[str, str]:
    """A report query; its field grouping and filters (when drawn) name `fields`."""
    entity = draw(st.sampled_from(list(Entity)))
    metrics = draw(st.lists(st.sampled_from(METRICS[entity]), min_size=1, unique=True))
    params = {"entity": entity.value, "aggregates": ",".join(metrics)}
    if entity is Entity.PAGEVIEW:
        params["entity_id"] = site_id
    else:
        params |= {"site_id": site_id, "entity_name": draw(st.sampled_from([*EVENTS, "Missing"]))}
    params["timezone"] = draw(st.sampled_from(TIMEZONES))
    date_grouping = draw(st.none() | st.sampled_from(DATE_GROUPINGS))
    field_grouping = draw(st.none() | st.sampled_from(fields))
    if date_grouping:
        params["date_grouping"] = date_grouping
    if field_grouping:
        params["field_grouping"] = field_grouping
    date_from = window_start + draw(st.integers(-3600, SPAN // 2))
    if draw(st.booleans()):
        params["date_from"] = str(date_from)
    if draw(st.booleans()):
        params["date_to"] = str(date_from + draw(st.integers(0, SPAN)))
    filters = []
    for _ in range(draw(st.integers(0, 2))):
        name = draw(st.sampled_from(fields))
        operator = draw(st.sampled_from(FILTER_OPERATORS))
        if operator in ("matching", "not matching"):
            value = draw(st.sampled_from(["^/p", "é", r"\(x\)", "^$", "[0-9]", "(?i)chrome", "example$"]))
        else:
            value = draw(st.sampled_from([*VALUES[name], "ICE", "x"]))
        filters.append({"field": name, "operator": operator, "value": value})
    if filters:
        params["filters"] = json.dumps(filters)
    sortable = [*metrics, *(["date"] if date_grouping else []), *([field_grouping] if field_grouping else [])]
    if draw(st.booleans()):
        params["sort_by"] = f"{draw(st.sampled_from(sortable))}:{draw(st.sampled_from(['asc', 'desc']))}"
    if draw(st.booleans()):
        params["limit"] = str(draw(st.integers(1, 6)))
    return params


# Dimensions computed from several columns or hits, and the newest stored one: the ones most worth drawing often.
DERIVED_AND_NEW_FIELDS = ("exit_pathname", "referrer", "region", "pathname")
