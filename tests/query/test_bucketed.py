"""Date buckets as windows: each day, month or year of a report is the instants between two local midnights."""

from __future__ import annotations

from datetime import UTC, datetime

from leadline.query.bucketed import bucket_windows, bucketable, countable_from_rollups
from leadline.query.parse import parse_report_query
from leadline.query.plan import QueryPlan, plan_query

NOW = datetime(2026, 12, 1, tzinfo=UTC)
JUNE_FIRST = int(datetime(2026, 6, 1, tzinfo=UTC).timestamp())  # as a wall-clock time: local seconds


def plan(params: dict[str, str], offsets: tuple[tuple[int, int], ...] | None = None) -> QueryPlan:
    query = parse_report_query({"entity": "pageview", "entity_id": "SITE", **params}, site_timezone="UTC")
    planned = plan_query(query, NOW)
    return planned if offsets is None else QueryPlan(planned.query, None, planned.start, planned.end, offsets)


def test_months_in_new_york_begin_at_its_midnights_and_the_window_clips_the_first_and_last() -> None:
    span = {"date_from": "1777075200", "date_to": "1782863999", "timezone": "America/New_York"}  # Apr 25 .. Jun 30
    windows = bucket_windows(plan({"aggregates": "uniques", "date_grouping": "month", **span}))
    assert windows == [
        (datetime(2026, 4, 1), 1777075200, int(datetime(2026, 5, 1, 4, tzinfo=UTC).timestamp())),
        (datetime(2026, 5, 1), int(datetime(2026, 5, 1, 4, tzinfo=UTC).timestamp()), JUNE_FIRST + 4 * 3600),
        (datetime(2026, 6, 1), JUNE_FIRST + 4 * 3600, 1782864000),
    ]


def test_days_in_berlin_are_23_hours_long_on_the_day_its_clocks_go_forward() -> None:
    span = {"date_from": "1774652400", "date_to": "1774821599", "timezone": "Europe/Berlin"}  # Mar 28 .. 29, local
    windows = bucket_windows(plan({"aggregates": "uniques", "date_grouping": "day", **span}))
    march_29 = int(datetime(2026, 3, 28, 23, tzinfo=UTC).timestamp())
    assert windows == [
        (datetime(2026, 3, 28), 1774652400, march_29),
        (datetime(2026, 3, 29), march_29, march_29 + 23 * 3600),
    ]


def test_a_year_is_one_bucket_from_the_windows_start() -> None:
    span = {"date_from": "1777075200", "date_to": "1782863999", "timezone": "Asia/Kolkata"}
    windows = bucket_windows(plan({"aggregates": "uniques", "date_grouping": "year", **span}))
    assert windows == [(datetime(2026, 1, 1), 1777075200, 1782864000)]


def test_a_clock_going_back_across_a_boundary_leaves_the_report_to_the_hits() -> None:
    params = {"aggregates": "uniques", "date_grouping": "month", "date_from": "1779000000", "date_to": "1782000000"}
    # At half past midnight on June 1 the clock goes back an hour: some instants after it are May's again.
    back = ((0, 3600), (JUNE_FIRST - 1800, 0))
    assert bucket_windows(plan(params, back)) is None
    # Going forward instead, June begins at the change: the wall clock skips its first half hour.
    forward = ((0, 0), (JUNE_FIRST - 1800, 3600))
    windows = bucket_windows(plan(params, forward))
    assert windows is not None and [window[1:] for window in windows] == [
        (1779000000, JUNE_FIRST - 1800),
        (JUNE_FIRST - 1800, 1782000001),
    ]


def test_only_unique_visitors_of_pageviews_by_day_month_or_year_without_filters_or_fields_are_bucketed() -> None:
    def query(**params: str) -> bool:
        merged = {"entity": "pageview", "entity_id": "SITE", "aggregates": "uniques", **params}
        return bucketable(parse_report_query(merged, site_timezone="UTC"))

    assert query(date_grouping="month") and query(date_grouping="year", aggregates="visits,uniques")
    assert query(date_grouping="day", aggregates="pageviews,uniques")
    assert not query(date_grouping="hour") and not query(date_grouping="month", aggregates="pageviews")
    assert not query(date_grouping="month", field_grouping="pathname")
    assert not query(date_grouping="month", filters='[{"field": "pathname", "operator": "is", "value": "/"}]')


MAY_10 = 1778371200  # 2026-05-10 00:00 UTC
MAY_10_DAY = MAY_10 // 86400


def test_a_window_is_counted_from_the_visitor_quarter_hours_when_its_ends_are_on_them_and_its_days_settled() -> None:
    # A New York day: 04:00 UTC to 04:00 UTC the next day.
    assert countable_from_rollups(MAY_10 + 4 * 3600, MAY_10 + 28 * 3600, pending=[])
    # One whole UTC day, and a month's worth of them.
    assert countable_from_rollups(MAY_10, MAY_10 + 86400, pending=[])
    assert countable_from_rollups(MAY_10 - 9 * 86400, MAY_10 + 21 * 86400, pending=[MAY_10_DAY + 21])
    # A Kolkata day begins at half past the hour, a Kathmandu day at a quarter past: both on quarter hours.
    assert countable_from_rollups(MAY_10 - 5 * 3600 - 1800, MAY_10 + 19 * 3600 - 1800, pending=[])
    assert countable_from_rollups(MAY_10 - 5 * 3600 - 2700, MAY_10 + 19 * 3600 - 2700, pending=[])
    # A window from 10:07 (a report's own date_from): its first quarter hour holds visitors outside it.
    assert not countable_from_rollups(MAY_10 + 10 * 3600 + 420, MAY_10 + 34 * 3600, pending=[])
    # The middle of one UTC day: visitors seen before and after it but not within it are in its hours' firsts and
    # lasts.
    assert not countable_from_rollups(MAY_10 + 3600, MAY_10 + 7200, pending=[])
    # The start or the end of one UTC day (a window's first and last New York days when it begins and ends at UTC
    # midnights): its visitors are those first seen before its end, or last seen after its start.
    assert countable_from_rollups(MAY_10, MAY_10 + 4 * 3600, pending=[])
    assert countable_from_rollups(MAY_10 + 4 * 3600, MAY_10 + 86400, pending=[])
    assert not countable_from_rollups(MAY_10, MAY_10 + 4 * 3600, pending=[MAY_10_DAY])
    # A pending day anywhere in it, its last one included (a late hit there changes the day before's crossings).
    assert not countable_from_rollups(MAY_10 + 4 * 3600, MAY_10 + 28 * 3600, pending=[MAY_10_DAY + 1])
    assert not countable_from_rollups(MAY_10 + 4 * 3600, MAY_10 + 28 * 3600, pending=[MAY_10_DAY])
