"""Long windows read the rollups of settled days, and answer exactly what the hits say (the oracle).

The settled middle of a window is summed from daily (and quarter-hour) rollups, its edges computed from the hits;
unique visitors add up because a visitor id lives at most two UTC days. These tests hold every such answer
to the oracle: on generated traffic, after late hits, event wipes and site deletion, and on a site whose
visitor ids break the two-day rule (whose reports then read the hits alone).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadline.query.batch import run_reports, statements
from leadline.query.bucketed import planned_buckets
from leadline.query.model import (
    DATE_GROUPINGS,
    DIMENSIONS,
    EVENT_GROUPING,
    EXIT_DIMENSIONS,
    METRICS,
    SESSION_METRICS,
    Entity,
)
from leadline.query.oracle import expected_rows
from leadline.query.parse import parse_report_query
from leadline.query.plan import plan_query
from leadline.query.rolled import rolled_filter, rolled_middle, summable
from leadline.store.events import Hit, HitKind
from leadline.store.events.base import Params
from leadline.store.events.duckdb_rollups import EXIT_ROLLUP_FIELD, ROLLUP_FIELDS, SITE_ROLLUP_TABLES
from tests.query.agreement import assert_same_answer
from tests.query.strategies import EVENTS, SPAN, TIMEZONES, VALUES, traffic
from tests.store.test_duckdb_compaction import (
    EVERY_DAY_CLOSED,
    NOW,
    Stores,
    assert_report_equals_oracle,
    month_of_traffic,
)

ROLLED_FIELDS = ROLLUP_FIELDS[1:]


@pytest.fixture(scope="module")
def shared_stores(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stores]:
    built = Stores(tmp_path_factory.mktemp("rollups"))
    yield built
    built.close()


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[Stores]:
    built = Stores(tmp_path)
    yield built
    built.close()


@st.composite
def summable_params(draw: st.DrawFn, site_id: str, window_start: int, span: int) -> dict[str, str]:
    """A pageview report without filters, grouped by a rolled-up field, by date, or not at all (then perhaps
    with one "is" filter on a rolled-up field); or an event report without filters, of one event or by event."""
    entity = draw(st.sampled_from([Entity.PAGEVIEW, Entity.PAGEVIEW, Entity.EVENT]))
    metrics = draw(st.lists(st.sampled_from(METRICS[entity]), min_size=1, unique=True))
    params = {"entity": entity.value, "aggregates": ",".join(metrics)}
    params["timezone"] = draw(st.sampled_from(TIMEZONES))
    if entity is Entity.EVENT:
        params["site_id"] = site_id
        grouping = draw(st.sampled_from(["event", *EVENTS]))
        params |= {"field_grouping": EVENT_GROUPING} if grouping == "event" else {"entity_name": grouping}
    else:
        params["entity_id"] = site_id
        grouping = draw(st.sampled_from(["none", "field", "date"]))
    if grouping == "field":
        params["field_grouping"] = draw(st.sampled_from(ROLLED_FIELDS))
        sessions_only = [metric for metric in metrics if metric in SESSION_METRICS]
        by_exit_page: bool = draw(st.booleans())
        if sessions_only and by_exit_page:  # exit pages are rolled up for the session metrics
            metrics = sessions_only
            params |= {"field_grouping": EXIT_ROLLUP_FIELD, "aggregates": ",".join(metrics)}
        if draw(st.booleans()):
            params["limit"] = str(draw(st.integers(1, 4)))
    elif grouping == "date":
        params["date_grouping"] = draw(st.sampled_from(DATE_GROUPINGS))
    elif entity is Entity.PAGEVIEW and draw(st.booleans()):
        field = draw(st.sampled_from(ROLLED_FIELDS))
        params["filters"] = one_filter(field, draw(st.sampled_from(VALUES[field])))
    start = window_start + draw(st.integers(-2 * 3600, span // 3))
    params["date_from"] = str(start)
    params["date_to"] = str(start + draw(st.integers(86400, span)))
    if draw(st.booleans()):
        sortable = [*metrics, *(["date"] if grouping == "date" else [])]
        params["sort_by"] = f"{draw(st.sampled_from(sortable))}:{draw(st.sampled_from(['asc', 'desc']))}"
    return params


def rollups_can_answer(params: dict[str, str]) -> bool:
    query = parse_report_query(params, site_timezone="UTC")
    return summable(query, plan_query(query, NOW))


def middle_days(stores: Stores, params: dict[str, str]) -> int:
    """How many whole days of the report's window its statement sums from rollups (0: it reads the hits)."""
    query = parse_report_query(params, site_timezone="UTC")
    plan = plan_query(query, NOW)
    middle = rolled_middle([plan], stores.events)
    return 0 if middle is None else (middle.end - middle.start) // 86400


def whole_days(params: dict[str, str]) -> int:
    """The whole UTC days in a report's window (from date_from to date_to, inclusive to the second)."""
    start, end = int(params["date_from"]), int(params["date_to"]) + 1
    return max(end // 86400 - -(-start // 86400), 0)


def late_copy(hits: list[Hit], days: int, visitor_offset: int) -> list[Hit]:
    """The same traffic `days` later from other visitors (ids of other days are other ids, as salts make them)."""
    shift = days * 86400
    return [
        dataclasses.replace(
            hit,
            visitor_id=hit.visitor_id + visitor_offset,
            timestamp=hit.timestamp + timedelta(seconds=shift),
            session_id=hit.session_id + shift,
        )
        for hit in hits
    ]


def stored_and_settled(stores: Stores, data: st.DataObject) -> tuple[str, int, list[Hit]]:
    """A new site's generated traffic and a second stretch four days on (windows of up to eight days, several
    of them whole), stored and compacted: (site, first window start, hits)."""
    site_id = stores.new_site()
    generated = data.draw(traffic(site_id))
    hits = generated.hits + late_copy(generated.hits, 4, 50)
    stores.events.insert_hits(hits)
    stores.events.compact_closed_days(EVERY_DAY_CLOSED)
    return site_id, generated.window_start, hits


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_summed_windows_equal_the_oracle_after_compaction_and_late_hits(
    shared_stores: Stores, data: st.DataObject
) -> None:
    stores = shared_stores
    site_id, window_start, hits = stored_and_settled(stores, data)
    queries = [data.draw(summable_params(site_id, window_start, 2 * SPAN)) for _ in range(3)]
    for params in queries:
        assert_report_equals_oracle(stores, params, hits)
        if rollups_can_answer(params):
            assert middle_days(stores, params) == whole_days(params)

    # Late hits into settled days: those days are read from the hits until they are settled again.
    more = data.draw(traffic(site_id))
    late = late_copy(more.hits, (window_start - more.window_start) // 86400, 100)
    stores.events.insert_hits(late)
    for params in queries:
        assert_report_equals_oracle(stores, params, hits + late)
    stores.events.compact_closed_days(EVERY_DAY_CLOSED)
    for params in queries:
        assert_report_equals_oracle(stores, params, hits + late)


def one_filter(field: str, value: str, operator: str = "is") -> str:
    return json.dumps([{"field": field, "operator": operator, "value": value}])


TIMEZONE_REPORTS: list[dict[str, str]] = [
    {"aggregates": "visits,uniques,pageviews,avg_duration,bounce_rate"},
    {"aggregates": "pageviews,visits,avg_duration,bounce_rate", "date_grouping": "day"},
    {"aggregates": "pageviews,visits", "date_grouping": "month"},
    {"aggregates": "pageviews,visits,bounce_rate", "date_grouping": "hour"},
    {"aggregates": "pageviews,visits,uniques", "field_grouping": "pathname", "sort_by": "pageviews:desc"},
    {"aggregates": "visits,uniques", "field_grouping": "referrer", "limit": "3"},
    {"aggregates": "uniques,bounce_rate", "field_grouping": "browser", "sort_by": "uniques:asc"},
    {"aggregates": "visits,avg_duration,bounce_rate", "field_grouping": "exit_pathname", "limit": "4"},
    {"aggregates": "pageviews,uniques,visits,avg_duration,bounce_rate", "filters": one_filter("pathname", "/pricing")},
    {"aggregates": "uniques,bounce_rate", "filters": one_filter("referrer", "news.ycombinator.com/item")},
    {"aggregates": "visits,pageviews", "filters": one_filter("country_code", "NO SUCH COUNTRY")},
    {"entity": "event", "aggregates": "conversions,unique_conversions,value", "entity_name": "Purchase"},
    {"entity": "event", "aggregates": "unique_conversions,conversions", "field_grouping": "event"},
]


@pytest.mark.parametrize("timezone", TIMEZONES)
def test_a_month_sums_its_settled_days_in_every_time_zone(shared_stores: Stores, timezone: str) -> None:
    stores = shared_stores
    site_id = stores.new_site()
    hits = month_of_traffic(site_id)
    stores.events.insert_hits(hits)
    stores.events.compact_closed_days(EVERY_DAY_CLOSED)
    # From mid-morning of the second day to the evening of the twentieth: edges of part days on both sides.
    window = {"date_from": "1777714200", "date_to": "1779302700", "timezone": timezone}
    for report in TIMEZONE_REPORTS:
        site = {"site_id": site_id} if report.get("entity") == "event" else {"entity": "pageview", "entity_id": site_id}
        params = {**site, **window, **report}
        assert_report_equals_oracle(stores, params, hits)
        if rollups_can_answer(params):
            assert middle_days(stores, params) == 17


BUCKETED_REPORTS: list[dict[str, str]] = [
    {"aggregates": "uniques", "date_grouping": "month"},
    {"aggregates": "pageviews,uniques,visits,avg_duration,bounce_rate", "date_grouping": "month"},
    {"aggregates": "uniques,pageviews", "date_grouping": "month", "sort_by": "uniques:desc", "limit": "2"},
    {"aggregates": "bounce_rate,uniques", "date_grouping": "year"},
    {"aggregates": "uniques", "date_grouping": "day"},
    {"aggregates": "uniques,pageviews,visits", "date_grouping": "day", "sort_by": "uniques:desc"},
]


def longest_bucket_middle(stores: Stores, params: dict[str, str]) -> int:
    """Of the report's buckets not counted from the visitor quarter hours, the most whole days one sums from the
    daily rollups (0: they read only hits)."""
    query = parse_report_query(params, site_timezone="UTC")
    buckets = planned_buckets(plan_query(query, NOW), stores.events) or []
    middles = [bucket.middle for bucket in buckets if bucket.middle and not bucket.from_rollups]
    return max(((middle.end - middle.start) // 86400 for middle in middles), default=0)


def counted_from_rollups(stores: Stores, params: dict[str, str]) -> list[bool]:
    """For each bucket of the report, whether its unique visitors are counted from the visitor hours alone."""
    query = parse_report_query(params, site_timezone="UTC")
    return [bucket.from_rollups for bucket in planned_buckets(plan_query(query, NOW), stores.events) or []]


@pytest.mark.parametrize("timezone", TIMEZONES)
def test_unique_visitors_by_day_month_and_year_are_counted_from_rollups_in_every_time_zone(
    shared_stores: Stores, timezone: str
) -> None:
    stores = shared_stores
    site_id = stores.new_site()
    # May 2026 and, from other visitors, 27 days later: traffic across the end of May in every zone.
    may = month_of_traffic(site_id)
    hits = may + late_copy(may, 27, 10**6)
    stores.events.insert_hits(hits)
    stores.events.compact_closed_days(EVERY_DAY_CLOSED)
    # Some visitors are seen on two UTC days: the ids two parts of a bucket share are subtracted.
    crossings = "SELECT count(*) FROM visitor_crossings WHERE site_id = ?"
    assert stores.events.fetch(crossings, Params("qmark", [site_id]))[0][0] > 0
    # From April 25 to June 30: a part month, May whole, and June with its last days empty.
    window = {"entity": "pageview", "entity_id": site_id, "date_from": "1777075200", "date_to": "1782863999"}
    for report in BUCKETED_REPORTS:
        params = {**window, "timezone": timezone, **report}
        assert_report_equals_oracle(stores, params, hits)
        # Every local midnight falls on a UTC quarter hour (Kolkata's, Lord Howe's and Chatham's too): every bucket
        # is counted from the visitor quarter hours, the first and last local days too (the window begins and ends
        # at UTC midnights: a day clipped by it is a prefix or a suffix of a UTC day, or spans two).
        assert all(counted_from_rollups(stores, params))

    # A late hit on May 10 turns that day pending: the buckets holding it are then read from the hits.
    late = late_copy(may[:40], 9, 2 * 10**6)
    stores.events.insert_hits(late)
    for report in BUCKETED_REPORTS:
        params = {**window, "timezone": timezone, **report}
        assert_report_equals_oracle(stores, params, hits + late)
        assert False in counted_from_rollups(stores, params)
        if report["date_grouping"] != "day":  # May's bucket still sums its whole days before May 10
            assert longest_bucket_middle(stores, params) >= 8


# Zones whose clocks change between September 26 and November 8, 2026: Chatham (+12:45 to +13:45, September 26),
# Lord Howe (by half an hour, October 3), Berlin (back, October 25) and New York (back, November 1).
AUTUMN_CLOCK_CHANGES = ("Pacific/Chatham", "Australia/Lord_Howe", "Europe/Berlin", "America/New_York")


def test_hours_and_days_across_clock_changes_sum_the_rollups(shared_stores: Stores) -> None:
    stores = shared_stores
    site_id = stores.new_site()
    may = month_of_traffic(site_id)
    # May's traffic moved to September 24 and, from other visitors, to October 18: 48 days across the changes.
    hits = late_copy(may, 146, 10**7) + late_copy(may, 170, 2 * 10**7)
    stores.events.insert_hits(hits)
    stores.events.compact_closed_days(EVERY_DAY_CLOSED)
    window = {"entity": "pageview", "entity_id": site_id, "date_from": "1790380800", "date_to": "1794095999"}
    for timezone in AUTUMN_CLOCK_CHANGES:
        by_hour = {**window, "timezone": timezone, "aggregates": "pageviews,visits,avg_duration,bounce_rate"}
        by_hour["date_grouping"] = "hour"
        assert_report_equals_oracle(stores, by_hour, hits)
        assert middle_days(stores, by_hour) == whole_days(by_hour) == 43
        by_day = {**window, "timezone": timezone, "aggregates": "pageviews,uniques,visits", "date_grouping": "day"}
        assert_report_equals_oracle(stores, by_day, hits)


def test_wiped_events_and_deleted_sites_leave_no_rollups_behind(stores: Stores) -> None:
    wiped, kept = stores.new_site(), stores.new_site()
    wiped_hits, kept_hits = month_of_traffic(wiped), month_of_traffic(kept)
    stores.events.insert_hits(wiped_hits + kept_hits)
    stores.events.compact_closed_days(EVERY_DAY_CLOSED)
    totals = {"aggregates": "visits,uniques,pageviews,avg_duration,bounce_rate", "date_from": "1777000000"}

    stores.events.delete_event_data(wiped, EVENTS["Purchase"])
    remaining = [hit for hit in wiped_hits if not (hit.kind is HitKind.EVENT and hit.event_id == EVENTS["Purchase"])]
    params = {"entity": "pageview", "entity_id": wiped, **totals}
    # The wiped sessions' days are pending (their durations changed): read from the hits until settled again.
    assert_report_equals_oracle(stores, params, remaining)
    by_event = {"entity": "event", "site_id": wiped, "field_grouping": "event", **totals}
    by_event["aggregates"] = "conversions,unique_conversions,value"
    assert_report_equals_oracle(stores, by_event, remaining)
    stores.events.compact_closed_days(EVERY_DAY_CLOSED)
    assert middle_days(stores, params) > 20
    assert_report_equals_oracle(stores, params, remaining)
    assert_report_equals_oracle(stores, by_event, remaining)
    purchases = {key: value for key, value in by_event.items() if key != "field_grouping"}
    assert_report_equals_oracle(stores, purchases | {"entity_name": "Purchase"}, remaining)

    stores.events.delete_site_data(wiped)
    for table in SITE_ROLLUP_TABLES:
        rows = stores.events.fetch(f"SELECT count(*) FROM {table} WHERE site_id = ?", Params("qmark", [wiped]))
        assert rows[0][0] == 0, table
    assert_report_equals_oracle(stores, params, [])
    assert_report_equals_oracle(stores, {"entity": "pageview", "entity_id": kept, **totals}, kept_hits)


def test_every_dimension_is_rolled_up_and_the_exit_page_for_sessions() -> None:
    # The store cannot import the query layer's allow-list: this keeps its own list the same.
    assert set(ROLLED_FIELDS) == set(DIMENSIONS) - set(EXIT_DIMENSIONS)
    assert (EXIT_ROLLUP_FIELD,) == EXIT_DIMENSIONS


def test_a_site_whose_visitor_ids_outlive_two_days_is_read_from_its_hits(stores: Stores) -> None:
    site_id = stores.new_site()
    hits = month_of_traffic(site_id)
    # One visitor id on the first day and again a week later: not an id the collector makes.
    returning = [
        dataclasses.replace(hit, visitor_id=999_999, timestamp=hit.timestamp + timedelta(days=offset))
        for offset in (0, 7)
        for hit in hits[:1]
    ]
    returning = [dataclasses.replace(hit, session_id=int(hit.timestamp.timestamp())) for hit in returning]
    stores.events.insert_hits(hits + returning)
    stores.events.compact_closed_days(EVERY_DAY_CLOSED)

    params = {"entity": "pageview", "entity_id": site_id, "aggregates": "uniques,visits", "date_from": "1777000000"}
    assert middle_days(stores, params) == 0
    unsummable = stores.events.fetch("SELECT site_id FROM unsummable_sites", Params("qmark"))
    assert unsummable == [(site_id,)]
    assert_report_equals_oracle(stores, params, hits + returning)


def test_a_site_whose_visitor_id_begins_sessions_on_two_days_is_read_from_its_hits(stores: Stores) -> None:
    site_id = stores.new_site()
    hits = month_of_traffic(site_id)
    # One visitor id beginning a session on each of two consecutive days: within two days, but a new session
    # on the second day would have the second day's id.
    first = dataclasses.replace(hits[0], visitor_id=999_999, entry=True, kind=HitKind.PAGEVIEW, event_id="")
    returning = [
        dataclasses.replace(first, timestamp=moment, session_id=int(moment.timestamp()))
        for moment in (first.timestamp + timedelta(hours=2), first.timestamp + timedelta(days=1))
    ]
    stores.events.insert_hits(hits + returning)
    stores.events.compact_closed_days(EVERY_DAY_CLOSED)

    params = {"entity": "pageview", "entity_id": site_id, "aggregates": "uniques,visits", "date_from": "1777000000"}
    assert middle_days(stores, params) == 0
    assert_report_equals_oracle(stores, params, hits + returning)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_batch_of_panels_sums_the_rollups_and_each_answer_stays_the_oracles(
    shared_stores: Stores, data: st.DataObject
) -> None:
    stores = shared_stores
    site_id, window_start, hits = stored_and_settled(stores, data)
    side = data.draw(st.sampled_from([("pageviews", "uniques"), ("visits", "avg_duration", "bounce_rate")]))
    metrics = data.draw(st.lists(st.sampled_from(side), min_size=1, unique=True))
    start = window_start + data.draw(st.integers(-2 * 3600, SPAN // 2))
    shared = {
        "entity": "pageview",
        "entity_id": site_id,
        "aggregates": ",".join(metrics),
        "timezone": data.draw(st.sampled_from(TIMEZONES)),
        "date_from": str(start),
        "date_to": str(start + data.draw(st.integers(2 * 86400, 2 * SPAN))),
    }
    fields = data.draw(st.lists(st.sampled_from(ROLLED_FIELDS), min_size=2, max_size=6, unique=True))
    reports = [
        shared | {"field_grouping": field} | ({"limit": "3"} if data.draw(st.booleans()) else {}) for field in fields
    ]
    queries = [parse_report_query(params, site_timezone="UTC") for params in reports]
    assert len(statements(queries, stores.events.dialect)) == 1
    assert middle_days(stores, reports[0]) == whole_days(reports[0])
    answers = run_reports(queries, stores.events, stores.metadata, NOW)
    for query, answer in zip(queries, answers, strict=True):
        assert_same_answer(answer, expected_rows(query, hits, NOW))


def test_only_pageview_totals_with_one_is_filter_on_a_rolled_up_field_are_summed_filtered() -> None:
    def rolled(**params: str) -> bool:
        query = parse_report_query({"entity": "pageview", "entity_id": "SITE", **params}, site_timezone="UTC")
        return rolled_filter(query) is not None

    pricing = one_filter("pathname", "/pricing")
    assert rolled(aggregates="visits,uniques", filters=pricing)
    assert rolled(aggregates="pageviews", filters=one_filter("referrer", "t.co/"))
    # Another operator, the exit page (not an attribute of a hit), two filters, or a grouping: read from the hits.
    assert not rolled(aggregates="visits", filters=one_filter("pathname", "/pricing", operator="is not"))
    assert not rolled(aggregates="visits", filters=one_filter("exit_pathname", "/pricing"))
    two = json.dumps([*json.loads(pricing), {"field": "browser", "operator": "is", "value": "Chrome"}])
    assert not rolled(aggregates="visits", filters=two)
    assert not rolled(aggregates="visits", filters=pricing, field_grouping="browser")
    assert not rolled(aggregates="visits", filters=pricing, date_grouping="month")
