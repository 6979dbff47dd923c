"""Hand-picked cases with numbers worked out by hand, checked on DuckDB and against the oracle."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from leadline.privacy.visitor_hash import visitor_hash
from leadline.query.oracle import expected_rows
from leadline.query.parse import parse_report_query
from leadline.query.report import run_report
from leadline.store.events import Hit, HitKind, open_event_store
from leadline.store.events.base import EventStore
from leadline.store.metadata.store import MetadataStore, open_metadata_store
from tests.query.agreement import assert_same_answer

NOW = datetime(2026, 12, 1, tzinfo=UTC)
NEW_YORK = "America/New_York"


def at(year: int, month: int, day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second)  # naive UTC, as stored


def pageview(site: str, when: datetime, visitor: int, session_start: datetime, path: str = "/", **extra: str) -> Hit:
    return Hit(
        site_id=site,
        timestamp=when,
        kind=HitKind.PAGEVIEW,
        visitor_id=visitor,
        session_id=int(session_start.replace(tzinfo=UTC).timestamp()),
        hostname="shop.example",
        pathname=path,
        **extra,  # type: ignore[arg-type]
    )


class Stores:
    def __init__(self, directory: Path) -> None:
        self.metadata: MetadataStore = open_metadata_store(f"sqlite:///{directory / 'meta.sqlite3'}")
        self.events: EventStore = open_event_store(f"duckdb:///{directory / 'events.duckdb'}")
        self.account = self.metadata.accounts.create("Edge", "edge@example.com", NEW_YORK)

    def site_with(self, hits: list[Hit]) -> str:
        site = self.metadata.sites.create(self.account.id, {"name": "edge"}, default_timezone=NEW_YORK)
        self.events.insert_hits(with_entries([_with_site(hit, site.id) for hit in hits]))
        return site.id


def with_entries(hits: list[Hit]) -> list[Hit]:
    """Flag each session's first pageview, as the session tracker does at ingest."""
    first: dict[tuple[int, int], Hit] = {}
    for hit in sorted(hits, key=lambda hit: hit.timestamp):
        if hit.kind is HitKind.PAGEVIEW:
            first.setdefault((hit.visitor_id, hit.session_id), hit)
    entries = {id(hit) for hit in first.values()}
    return [replace(hit, entry=id(hit) in entries) for hit in hits]


def _with_site(hit: Hit, site_id: str) -> Hit:
    return replace(hit, site_id=site_id)


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stores]:
    built = Stores(tmp_path_factory.mktemp("edges"))
    yield built
    built.events.close()
    built.metadata.close()


def report(stores: Stores, site_id: str, hits: list[Hit], **params: str) -> list[dict[str, str]]:
    """The engine's answer, after checking that it equals the oracle's."""
    full = {"entity": "pageview", "entity_id": site_id, **params}
    query = parse_report_query(full, site_timezone=NEW_YORK)
    answer = run_report(query, stores.events, stores.metadata, now=NOW)
    placed = [_with_site(hit, site_id) for hit in hits]
    assert_same_answer(answer, expected_rows(query, placed, NOW))
    return answer


# A session from 01:50 to 03:20 New York time on 8 March 2026: clocks jump from 02:00 to 03:00 inside it,
# so it lasts 30 minutes; and a session crossing local midnight into 8 March.
DST_SESSION = [
    pageview("", at(2026, 3, 8, 6, 50), 1, at(2026, 3, 8, 6, 50), "/start"),
    pageview("", at(2026, 3, 8, 7, 20), 1, at(2026, 3, 8, 6, 50), "/after-dst"),
]
MIDNIGHT_SESSION = [
    pageview("", at(2026, 3, 8, 4, 50), 2, at(2026, 3, 8, 4, 50), "/late"),  # 23:50 on the 7th in New York
    pageview("", at(2026, 3, 8, 5, 5), 2, at(2026, 3, 8, 4, 50), "/later"),  # 00:05 on the 8th
]


def test_a_session_counts_on_the_local_day_it_starts_and_its_pageviews_on_theirs(stores: Stores) -> None:
    hits = DST_SESSION + MIDNIGHT_SESSION
    site = stores.site_with(hits)
    assert report(stores, site, hits, aggregates="visits,pageviews,avg_duration", date_grouping="day") == [
        {"date": "2026-03-07", "visits": "1", "pageviews": "1", "avg_duration": "900"},
        {"date": "2026-03-08", "visits": "1", "pageviews": "3", "avg_duration": "1800"},
    ]


def test_hours_follow_the_clock_change(stores: Stores) -> None:
    site = stores.site_with(DST_SESSION)
    assert report(stores, site, DST_SESSION, aggregates="pageviews", date_grouping="hour") == [
        {"date": "2026-03-08 01:00:00", "pageviews": "1"},
        {"date": "2026-03-08 03:00:00", "pageviews": "1"},
    ]


def test_the_same_range_in_utc_gives_utc_days(stores: Stores) -> None:
    hits = DST_SESSION + MIDNIGHT_SESSION
    site = stores.site_with(hits)
    assert report(stores, site, hits, aggregates="visits", date_grouping="day", timezone="UTC") == [
        {"date": "2026-03-08", "visits": "2"}
    ]


def test_an_empty_range_is_one_row_of_zeros_or_no_groups(stores: Stores) -> None:
    site = stores.site_with(DST_SESSION)
    empty = {"date_from": "1600000000", "date_to": "1600086400"}
    assert report(
        stores, site, DST_SESSION, aggregates="visits,uniques,pageviews,avg_duration,bounce_rate", **empty
    ) == [{"visits": "0", "uniques": "0", "pageviews": "0", "avg_duration": "0", "bounce_rate": "0"}]
    assert report(stores, site, DST_SESSION, aggregates="visits", date_grouping="day", **empty) == []


def test_filters_that_match_nothing(stores: Stores) -> None:
    site = stores.site_with(DST_SESSION)
    nothing = json.dumps([{"field": "pathname", "operator": "is", "value": "/nowhere"}])
    assert report(stores, site, DST_SESSION, aggregates="pageviews,visits", filters=nothing) == [
        {"pageviews": "0", "visits": "0"}
    ]
    assert report(stores, site, DST_SESSION, aggregates="pageviews", field_grouping="pathname", filters=nothing) == []


SPECIAL = [
    pageview("", at(2026, 5, 1, 12), 3, at(2026, 5, 1, 12), "/(x)"),
    pageview("", at(2026, 5, 1, 12, 1), 3, at(2026, 5, 1, 12), "/100%"),
    pageview("", at(2026, 5, 1, 12, 2), 3, at(2026, 5, 1, 12), "/1000"),
    pageview("", at(2026, 5, 1, 12, 3), 4, at(2026, 5, 1, 12, 3), "/café"),
    pageview("", at(2026, 5, 1, 12, 4), 5, at(2026, 5, 1, 12, 4), "/a_b"),
    pageview("", at(2026, 5, 1, 12, 5), 5, at(2026, 5, 1, 12, 4), "/axb"),
]


@pytest.mark.parametrize(
    ("operator", "value", "paths"),
    [
        ("is", "/(x)", ["/(x)"]),
        ("is like", "100%", ["/100%"]),  # % is a character here, not a wildcard
        ("is like", "a_b", ["/a_b"]),  # and so is _
        ("is like", "CAFÉ", ["/café"]),  # case-insensitive beyond ASCII
        ("matching", r"^/\(x\)$", ["/(x)"]),
        ("matching", "^/10+$", ["/1000"]),
        ("not matching", "[0-9]", ["/(x)", "/a_b", "/axb", "/café"]),
        ("is not like", "A", ["/(x)", "/100%", "/1000"]),
    ],
)
def test_filter_values_are_taken_literally_or_as_regular_expressions(
    stores: Stores, operator: str, value: str, paths: list[str]
) -> None:
    site = stores.site_with(SPECIAL)
    answer = report(
        stores,
        site,
        SPECIAL,
        aggregates="pageviews",
        field_grouping="pathname",
        sort_by="pathname:asc",
        filters=json.dumps([{"field": "pathname", "operator": operator, "value": value}]),
    )
    assert [row["pathname"] for row in answer] == sorted(paths)


def test_unicode_pathnames_group_and_sort_by_code_point(stores: Stores) -> None:
    site = stores.site_with(SPECIAL)
    answer = report(
        stores, site, SPECIAL, aggregates="visits,pageviews", field_grouping="pathname", sort_by="pathname:desc"
    )
    assert answer[0] == {"pathname": "/café", "visits": "1", "pageviews": "1"}
    # Visits are counted on entry pages only: the session entering on /(x) saw /100% and /1000 too.
    assert {row["pathname"]: row["visits"] for row in answer} == {
        "/café": "1",
        "/axb": "0",
        "/a_b": "1",
        "/1000": "0",
        "/100%": "0",
        "/(x)": "1",
    }


def test_a_visitor_on_two_days_counts_as_two_uniques(stores: Stores) -> None:
    salts = {1: b"\x01" * 32, 2: b"\x02" * 32}  # each day has its own salt
    hits = [
        pageview("", at(2026, 6, day, 15), visitor_hash(salts[day - 9], "S", "203.0.113.7", "UA"), at(2026, 6, day, 15))
        for day in (10, 11)
    ]
    site = stores.site_with(hits)
    assert report(stores, site, hits, aggregates="uniques,visits", timezone="UTC") == [{"uniques": "2", "visits": "2"}]
    by_day = report(stores, site, hits, aggregates="uniques", date_grouping="day", timezone="UTC")
    assert [row["uniques"] for row in by_day] == ["1", "1"]


def test_bounce_rate_and_duration_by_hand(stores: Stores) -> None:
    hits = [
        pageview("", at(2026, 7, 1, 10), 1, at(2026, 7, 1, 10)),  # a bounce
        pageview("", at(2026, 7, 1, 11), 2, at(2026, 7, 1, 11)),
        pageview("", at(2026, 7, 1, 11, 2), 2, at(2026, 7, 1, 11)),  # 120 s
        pageview("", at(2026, 7, 1, 12), 3, at(2026, 7, 1, 12)),
        pageview("", at(2026, 7, 1, 12, 1), 3, at(2026, 7, 1, 12)),  # 60 s
    ]
    site = stores.site_with(hits)
    assert report(stores, site, hits, aggregates="visits,bounce_rate,avg_duration") == [
        {"visits": "3", "bounce_rate": "0.3333", "avg_duration": "60"}
    ]
