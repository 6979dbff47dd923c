"""The site dashboard's date ranges, against days and instants computed by hand in New York (DST on 2026-03-08)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from leadline.dashboard.ranges import (
    DateRange,
    RangeError,
    bucket_labels,
    choose_interval,
    custom_range,
    preset_range,
    resolve_range,
)
from leadline.query.parse import parse_report_query

ZONE = "America/New_York"
TODAY = date(2026, 3, 10)  # two days after clocks went forward (02:00 EST -> 03:00 EDT on Sunday 8 March)


def instants(span: DateRange) -> tuple[datetime | None, datetime]:
    """The UTC instants the query layer reads from the range's window, as `/v1/aggregations` would."""
    query = parse_report_query({"entity": "pageview", "entity_id": "S", "aggregates": "visits", **span.window()}, ZONE)
    if query.date_to is None:
        raise AssertionError("a dashboard range always ends")
    start = query.date_from.astimezone(UTC) if query.date_from else None
    return start, query.date_to.astimezone(UTC)


@pytest.mark.parametrize(
    ("key", "first", "last"),
    [
        ("today", date(2026, 3, 10), date(2026, 3, 10)),
        ("yesterday", date(2026, 3, 9), date(2026, 3, 9)),
        ("7d", date(2026, 3, 4), date(2026, 3, 10)),
        ("30d", date(2026, 2, 9), date(2026, 3, 10)),
        ("month", date(2026, 3, 1), date(2026, 3, 10)),
        ("last_month", date(2026, 2, 1), date(2026, 2, 28)),
        ("12mo", date(2025, 4, 1), date(2026, 3, 10)),
    ],
)
def test_each_preset_covers_the_hand_computed_local_days(key: str, first: date, last: date) -> None:
    span = preset_range(key, TODAY)
    assert (span.first, span.last) == (first, last)


def test_a_range_across_the_spring_change_starts_at_eastern_standard_and_ends_at_eastern_daylight_time() -> None:
    start, end = instants(preset_range("7d", TODAY))
    assert start == datetime(2026, 3, 4, 5, 0, tzinfo=UTC)  # midnight EST is 05:00 UTC
    assert end == datetime(2026, 3, 11, 3, 59, 59, tzinfo=UTC)  # 23:59:59 EDT is 03:59:59 UTC next day
    assert (end - start).total_seconds() + 1 == 7 * 86400 - 3600  # a week with a 23-hour day


def test_the_day_clocks_go_forward_is_23_hours_and_the_day_they_go_back_25() -> None:
    spring = instants(preset_range("yesterday", date(2026, 3, 9)))
    autumn = instants(preset_range("today", date(2026, 11, 1)))
    assert spring == (datetime(2026, 3, 8, 5, tzinfo=UTC), datetime(2026, 3, 9, 3, 59, 59, tzinfo=UTC))
    assert autumn == (datetime(2026, 11, 1, 4, tzinfo=UTC), datetime(2026, 11, 2, 4, 59, 59, tzinfo=UTC))


def test_month_presets_cross_a_year_boundary() -> None:
    new_year = date(2026, 1, 15)
    assert (preset_range("last_month", new_year).first, preset_range("last_month", new_year).last) == (
        date(2025, 12, 1),
        date(2025, 12, 31),
    )
    assert preset_range("12mo", new_year).first == date(2025, 2, 1)


def test_all_time_has_no_start_and_reaches_back_to_the_first_day_of_data() -> None:
    span = preset_range("all", TODAY, earliest=date(2025, 12, 24))
    assert span.open_start and span.first == date(2025, 12, 24)
    assert "date_from" not in span.window()
    assert span.previous() is None


def test_the_previous_period_has_the_same_number_of_days_just_before() -> None:
    previous = preset_range("7d", TODAY).previous()
    assert previous is not None and (previous.first, previous.last) == (date(2026, 2, 25), date(2026, 3, 3))
    month = preset_range("last_month", TODAY).previous()
    assert month is not None and (month.first, month.last, month.days) == (date(2026, 1, 4), date(2026, 1, 31), 28)


def test_custom_ranges_are_whole_inclusive_days_and_refuse_nonsense() -> None:
    span = custom_range("2026-03-01", "2026-03-08")
    assert (span.days, span.window()) == (8, {"date_from": "2026-03-01 00:00:00", "date_to": "2026-03-08 23:59:59"})
    for bad in (("2026-03-09", "2026-03-08"), ("yesterday", "2026-03-08"), ("0001-01-01", "2026-01-01"), (None, None)):
        with pytest.raises(RangeError):
            custom_range(*bad)
    assert resolve_range(None, "2026-03-01", "2026-03-02", TODAY, None).key == "custom"
    assert resolve_range(None, None, None, TODAY, None).key == "30d"
    with pytest.raises(RangeError):
        resolve_range("fortnight", None, None, TODAY, None)


def test_hourly_points_skip_the_hour_that_does_not_exist_and_merge_the_one_lived_twice() -> None:
    spring = bucket_labels(preset_range("yesterday", date(2026, 3, 9)), "hour", ZONE)
    autumn = bucket_labels(preset_range("today", date(2026, 11, 1)), "hour", ZONE)
    assert len(spring) == 23 and "2026-03-08 02:00:00" not in spring
    assert len(autumn) == 24 and autumn.count("2026-11-01 01:00:00") == 1


def test_daily_and_monthly_points_label_buckets_as_the_api_does() -> None:
    span = preset_range("month", TODAY)
    assert bucket_labels(span, "day", ZONE)[:2] == ["2026-03-01", "2026-03-02"]
    assert bucket_labels(preset_range("12mo", TODAY), "month", ZONE) == [
        f"{year}-{month:02d}" for year, month in [(2025, m) for m in range(4, 13)] + [(2026, m) for m in range(1, 4)]
    ]


def test_the_interval_fits_the_range_unless_the_url_chooses_another_that_fits() -> None:
    assert choose_interval(preset_range("today", TODAY), None) == "hour"
    assert choose_interval(preset_range("30d", TODAY), None) == "day"
    assert choose_interval(preset_range("12mo", TODAY), None) == "month"
    assert choose_interval(preset_range("30d", TODAY), "month") == "month"
    assert choose_interval(preset_range("12mo", TODAY), "hour") == "month"  # 8,760 hourly points: refused
