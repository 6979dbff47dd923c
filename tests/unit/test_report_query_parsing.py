"""Aggregation parameters become a typed ReportQuery, or a QueryError that names the parameter."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadline.query.model import DIMENSIONS, FILTER_OPERATORS, METRICS, PARAMETERS, Entity, Filter, SortKey
from leadline.query.parse import QueryError, parse_report_query

BASE = {"entity": "pageview", "entity_id": "SITE", "aggregates": "visits,pageviews"}


def test_a_full_query_parses_into_its_parts() -> None:
    query = parse_report_query(
        {
            **BASE,
            "date_grouping": "day",
            "field_grouping": "pathname",
            "sort_by": "pageviews:desc",
            "timezone": "Europe/Paris",
            "date_from": "1700000000",
            "date_to": "2024-01-31 23:59:59",
            "limit": "25",
            "filters": '[{"field": "browser", "operator": "is not", "value": "Safari"}]',
        },
        site_timezone="UTC",
    )
    assert query.entity is Entity.PAGEVIEW and query.site_id == "SITE"
    assert query.metrics == ("visits", "pageviews")
    assert query.timezone == "Europe/Paris"
    assert query.date_from == datetime.fromtimestamp(1700000000, UTC)
    assert query.date_to == datetime(2024, 1, 31, 23, 59, 59, tzinfo=ZoneInfo("Europe/Paris"))
    assert query.sort == (SortKey("pageviews", descending=True),)
    assert query.filters == (Filter("browser", "is not", "Safari"),)
    assert query.limit == 25 and query.grouped


def test_the_site_timezone_applies_when_none_is_asked_for() -> None:
    assert parse_report_query(BASE, site_timezone="Asia/Tokyo").timezone == "Asia/Tokyo"


def test_event_reports_name_the_site_and_the_event() -> None:
    query = parse_report_query(
        {"entity": "event", "site_id": "SITE", "entity_name": "Signup", "aggregates": "conversions,value"}, "UTC"
    )
    assert (query.entity, query.site_id, query.event_name) == (Entity.EVENT, "SITE", "Signup")


def test_sorting_by_date_needs_date_grouping() -> None:
    with pytest.raises(QueryError, match="sort_by"):
        parse_report_query({**BASE, "sort_by": "date:asc"}, "UTC")
    assert parse_report_query({**BASE, "date_grouping": "month", "sort_by": "date:asc"}, "UTC").sort


@given(
    entity=st.sampled_from(list(Entity)),
    data=st.data(),
)
def test_every_allowed_combination_parses(entity: Entity, data: st.DataObject) -> None:
    metrics = data.draw(st.lists(st.sampled_from(METRICS[entity]), min_size=1, unique=True))
    grouping = data.draw(st.none() | st.sampled_from(DIMENSIONS))
    filters = data.draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "field": st.sampled_from(DIMENSIONS),
                    "operator": st.sampled_from(FILTER_OPERATORS),
                    "value": st.text(
                        alphabet=st.characters(codec="utf-8", exclude_characters="\x00\\[](){}*+?|^$."), max_size=20
                    ),
                }
            ),
            max_size=5,
        )
    )
    sort_key = data.draw(st.sampled_from([*metrics, *([grouping] if grouping else [])]))
    params = {"entity": entity.value, "aggregates": ",".join(metrics), "sort_by": f"{sort_key}:desc"}
    params |= {"entity_id": "S"} if entity is Entity.PAGEVIEW else {"site_id": "S", "entity_name": "E"}
    if grouping:
        params["field_grouping"] = grouping
    params["filters"] = json.dumps(filters)
    query = parse_report_query(params, "UTC")
    assert query.metrics == tuple(metrics)
    assert len(query.filters) == len(filters)


@given(st.text(max_size=200))
def test_arbitrary_text_in_any_parameter_parses_or_raises_query_error(text: str) -> None:
    for name in PARAMETERS:
        with contextlib.suppress(QueryError):
            parse_report_query({**BASE, name: text}, "UTC")


@pytest.mark.parametrize(
    "value",
    [
        "253402300799",  # 9999-12-31 23:59:59 UTC: a 500 before (year 10000 in the offsets' window)
        "0001-01-01 00:00:00",  # year 1: a 500 before (year 0 once shifted to UTC)
        "9999-12-31 23:59:59",
        "1969-12-31 18:59:59",  # 23:59:59 UTC: the bound is on the instant, not the wall clock
        "32503680000",  # 3000-01-01 00:00:00 UTC, just past the range
        "-1",
        "1e9",
        "1700000000.5",
        "2026-02-30 00:00:00",
        "tomorrow",
    ],
)
def test_dates_outside_1970_to_2999_or_not_dates_are_refused(value: str) -> None:
    for name in ("date_from", "date_to"):
        with pytest.raises(QueryError, match=name):
            parse_report_query({**BASE, name: value}, "America/New_York")


def test_the_ends_of_the_date_range_are_accepted() -> None:
    query = parse_report_query({**BASE, "date_from": "0", "date_to": "2999-12-31 23:59:59"}, "UTC")
    assert query.date_from == datetime(1970, 1, 1, tzinfo=UTC)
    assert query.date_to == datetime(2999, 12, 31, 23, 59, 59, tzinfo=ZoneInfo("UTC"))


def test_a_limit_with_whitespace_around_its_digits_is_read_as_those_digits() -> None:
    """strip() removes more than int() tolerates (e.g. "\\x1f"): such a limit was a 500 before."""
    assert parse_report_query({**BASE, "limit": "5\x1f"}, "UTC").limit == 5
    assert parse_report_query({**BASE, "limit": " 7 "}, "UTC").limit == 7


@pytest.mark.parametrize("value", ["0", "10001", "\u0663", "5 5", "+5"])
def test_a_limit_that_is_not_plain_digits_in_range_is_refused(value: str) -> None:
    with pytest.raises(QueryError, match="limit"):
        parse_report_query({**BASE, "limit": value}, "UTC")
