"""Reports stay bounded: capped rows and time buckets, a window clamped to the site's data, interrupted when slow.

Each abuse here was reproduced on the code before the bounds: unbounded rows, hourly buckets over all time,
a DST offset list from 1970 on, and a query that could run as long as it liked.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from leadline.query.dialects import DIALECTS
from leadline.query.errors import ReportTooLargeError
from leadline.query.limits import ReportLimits
from leadline.query.oracle import expected_rows
from leadline.query.parse import QueryError, parse_report_query
from leadline.query.plan import plan_query, time_buckets
from leadline.query.report import run_report
from leadline.store.events import Hit, HitKind
from leadline.store.events.base import EventStoreTimeoutError
from leadline.store.events.duckdb import READ_CURSORS, DuckDBEventStore
from leadline.store.metadata.store import MetadataStore, open_metadata_store
from tests.query.agreement import assert_same_answer

NOW = datetime(2026, 12, 1, tzinfo=UTC)
NEW_YORK = "America/New_York"
SLOW_SQL = "SELECT count(*) FROM range(100000000000) AS numbers(n) WHERE n % 7 = 3"


def pageview(when: datetime, visitor: int, path: str = "/") -> Hit:
    """A one-pageview session (its own entry), at naive UTC `when`."""
    return Hit(
        site_id="",
        timestamp=when,
        kind=HitKind.PAGEVIEW,
        visitor_id=visitor,
        session_id=int(when.replace(tzinfo=UTC).timestamp()),
        hostname="shop.example",
        pathname=path,
        entry=True,
    )


class Stores:
    def __init__(self, directory: Path) -> None:
        self.metadata: MetadataStore = open_metadata_store(f"sqlite:///{directory / 'meta.sqlite3'}")
        self.events = DuckDBEventStore(directory / "events.duckdb")
        self.account = self.metadata.accounts.create("Bounds", "bounds@example.com", NEW_YORK)

    def site_with(self, hits: list[Hit]) -> tuple[str, list[Hit]]:
        site = self.metadata.sites.create(self.account.id, {"name": "bounded"}, default_timezone=NEW_YORK)
        placed = [replace(hit, site_id=site.id) for hit in hits]
        self.events.insert_hits(placed)
        return site.id, placed


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stores]:
    built = Stores(tmp_path_factory.mktemp("bounds"))
    yield built
    built.events.close()
    built.metadata.close()


def params(site_id: str, **extra: str) -> dict[str, str]:
    return {"entity": "pageview", "entity_id": site_id, "aggregates": "visits,pageviews", **extra}


# Two years of one pageview a week: 17,000 hours, 730 days.
TWO_YEARS = [pageview(datetime(2024, 11, 1, 12) + timedelta(weeks=week), week) for week in range(105)]
# Thirty pages, one view each, in one day.
THIRTY_PAGES = [pageview(datetime(2026, 6, 1, 9, number), number, f"/page-{number:02d}") for number in range(30)]


def test_rows_beyond_the_cap_are_refused_with_the_cap_named(stores: Stores) -> None:
    site, _ = stores.site_with(THIRTY_PAGES)
    limits = ReportLimits(max_rows=10)
    query = parse_report_query(params(site, field_grouping="pathname"), NEW_YORK, limits=limits)
    with pytest.raises(ReportTooLargeError, match=r"more than 10 rows.*limit"):
        run_report(query, stores.events, stores.metadata, now=NOW, limits=limits)


def test_a_limit_up_to_the_cap_returns_the_first_rows(stores: Stores) -> None:
    site, hits = stores.site_with(THIRTY_PAGES)
    limits = ReportLimits(max_rows=10)
    request = params(site, field_grouping="pathname", sort_by="pathname:asc", limit="10")
    query = parse_report_query(request, NEW_YORK, limits=limits)
    answer = run_report(query, stores.events, stores.metadata, now=NOW, limits=limits)
    assert [row["pathname"] for row in answer] == [f"/page-{number:02d}" for number in range(10)]
    assert_same_answer(answer, expected_rows(query, hits, NOW))


def test_a_limit_above_the_cap_is_refused() -> None:
    with pytest.raises(QueryError, match="limit must be an integer between 1 and 10 "):
        parse_report_query(params("SITE", limit="11"), "UTC", limits=ReportLimits(max_rows=10))


def test_an_answer_exactly_at_the_cap_is_whole(stores: Stores) -> None:
    site, hits = stores.site_with(THIRTY_PAGES)
    limits = ReportLimits(max_rows=30)
    query = parse_report_query(params(site, field_grouping="pathname"), NEW_YORK, limits=limits)
    answer = run_report(query, stores.events, stores.metadata, now=NOW, limits=limits)
    assert len(answer) == 30
    assert_same_answer(answer, expected_rows(query, hits, NOW))


def test_hourly_grouping_over_years_of_data_is_refused_before_it_runs(stores: Stores) -> None:
    site, _ = stores.site_with(TWO_YEARS)
    limits = ReportLimits(max_time_buckets=10_000)
    query = parse_report_query(params(site, date_grouping="hour"), NEW_YORK, limits=limits)
    with pytest.raises(ReportTooLargeError, match=r"date_grouping=hour .* more than the 10000 .* longer period"):
        run_report(query, stores.events, stores.metadata, now=NOW, limits=limits)


def test_the_bucket_cap_counts_only_the_sites_own_history(stores: Stores) -> None:
    """Hourly from 1970 is fine for a site with a week of data: the window is clamped first."""
    site, hits = stores.site_with(THIRTY_PAGES)
    limits = ReportLimits(max_time_buckets=10_000)
    query = parse_report_query(params(site, date_grouping="hour", date_from="0"), NEW_YORK, limits=limits)
    answer = run_report(query, stores.events, stores.metadata, now=NOW, limits=limits)
    assert_same_answer(answer, expected_rows(query, hits, NOW))


def test_days_over_the_same_years_are_answered(stores: Stores) -> None:
    site, hits = stores.site_with(TWO_YEARS)
    limits = ReportLimits(max_time_buckets=10_000)
    query = parse_report_query(params(site, date_grouping="day"), NEW_YORK, limits=limits)
    answer = run_report(query, stores.events, stores.metadata, now=NOW, limits=limits)
    assert len(answer) == 105
    assert_same_answer(answer, expected_rows(query, hits, NOW))


@pytest.mark.parametrize(
    ("grouping", "start", "end", "buckets"),
    [
        ("hour", "2026-03-07 00:00:00", "2026-03-09 00:00:00", 48),  # 47 real hours (spring forward): bound by one
        ("hour", "2026-11-01 00:00:00", "2026-11-02 00:00:00", 24),  # 25 real hours, 24 wall-clock hours
        ("day", "2026-01-01 00:00:00", "2027-01-01 00:00:00", 365),
        ("month", "2025-12-31 23:00:00", "2026-02-01 00:00:00", 2),
        ("year", "2024-06-01 00:00:00", "2026-06-01 00:00:00", 3),
    ],
)
def test_time_buckets_count_wall_clock_periods(grouping: str, start: str, end: str, buckets: int) -> None:
    def unix(local: str) -> int:
        moment = parse_report_query(params("S", date_from=local), NEW_YORK).date_from
        assert moment is not None
        return int(moment.timestamp())

    assert time_buckets(grouping, NEW_YORK, unix(start), unix(end)) == buckets


def test_a_window_from_1970_is_planned_over_the_sites_data_only() -> None:
    """Before: date_from=0 in a DST zone planned ~115 offset steps (a CASE of as many branches per row)."""
    query = parse_report_query(params("S", date_from="0", date_grouping="hour"), NEW_YORK)
    first_hit = int(datetime(2026, 3, 1, tzinfo=UTC).timestamp())
    plan = plan_query(query, NOW, earliest=first_hit)
    assert plan.start == first_hit
    assert len(plan.offsets) <= 5  # the offsets of one or two years, not fifty-six


def test_a_window_reaching_past_now_ends_now(stores: Stores) -> None:
    site, hits = stores.site_with(THIRTY_PAGES)
    far = parse_report_query(params(site, date_to="2999-01-01 00:00:00"), NEW_YORK)
    plan = plan_query(far, NOW)
    assert plan.end == int(NOW.timestamp()) + 1
    answer = run_report(far, stores.events, stores.metadata, now=NOW)
    assert answer == run_report(parse_report_query(params(site), NEW_YORK), stores.events, stores.metadata, now=NOW)
    assert_same_answer(answer, expected_rows(far, hits, NOW))


def test_a_site_without_hits_plans_an_empty_window(stores: Stores) -> None:
    site, _ = stores.site_with([])
    limits = ReportLimits(max_time_buckets=1)
    query = parse_report_query(params(site, date_grouping="hour", date_from="0"), NEW_YORK, limits=limits)
    assert run_report(query, stores.events, stores.metadata, now=NOW, limits=limits) == []


def test_a_slow_query_is_interrupted_at_its_timeout_and_the_store_stays_usable(stores: Stores) -> None:
    started = time.monotonic()
    with pytest.raises(EventStoreTimeoutError):
        stores.events.fetch(SLOW_SQL, DIALECTS["duckdb"].params(), timeout_seconds=0.2)
    assert time.monotonic() - started < 3
    assert stores.events.fetch("SELECT 42", DIALECTS["duckdb"].params(), timeout_seconds=5) == [(42,)]


def test_an_interrupt_never_reaches_a_later_query(stores: Stores) -> None:
    for _ in range(20):
        with suppress(EventStoreTimeoutError):  # whether this one finishes first does not matter
            stores.events.fetch("SELECT 1", DIALECTS["duckdb"].params(), timeout_seconds=0.001)
        assert stores.events.fetch("SELECT count(*) FROM range(1000000)", DIALECTS["duckdb"].params()) == [(1000000,)]


def test_reports_run_side_by_side_up_to_the_stores_read_cursors(stores: Stores) -> None:
    def slow_report() -> None:
        with suppress(EventStoreTimeoutError):
            stores.events.fetch(SLOW_SQL, DIALECTS["duckdb"].params(), timeout_seconds=2)

    holder = threading.Thread(target=slow_report)
    holder.start()
    time.sleep(0.2)  # let it take a cursor (a real slow query, not a clock, is what holds it)
    started = time.monotonic()
    assert stores.events.fetch("SELECT 1", DIALECTS["duckdb"].params(), timeout_seconds=0.3) == [(1,)]
    assert time.monotonic() - started < 0.3
    holder.join()


def test_waiting_for_the_store_counts_against_the_timeout(stores: Stores) -> None:
    def slow_report() -> None:
        with suppress(EventStoreTimeoutError):
            stores.events.fetch(SLOW_SQL, DIALECTS["duckdb"].params(), timeout_seconds=2)

    holders = [threading.Thread(target=slow_report) for _ in range(READ_CURSORS)]
    for holder in holders:
        holder.start()
    time.sleep(0.2)  # let them take every cursor (real slow queries, not a clock, are what hold them)
    started = time.monotonic()
    with pytest.raises(EventStoreTimeoutError, match="busy"):
        stores.events.fetch("SELECT 1", DIALECTS["duckdb"].params(), timeout_seconds=0.3)
    assert time.monotonic() - started < 1.5
    for holder in holders:
        holder.join()
