"""Exit pages and full referrers on a small hand-made set of sessions, numbers worked out by hand.

Each answer is checked twice: on DuckDB through `run_report`, and against the oracle that defines the metrics.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from leadline.api.openapi import openapi_document
from leadline.query.errors import QueryError
from leadline.query.model import DIMENSIONS, EVENT_GROUPING
from leadline.query.oracle import expected_rows
from leadline.query.parse import parse_report_query
from leadline.query.report import run_report
from leadline.store.events import Hit, HitKind
from leadline.store.metadata.tables import events
from tests.query.agreement import assert_same_answer
from tests.query.test_report_edge_cases import Stores, at, pageview, with_entries

NOW = datetime(2026, 12, 1, tzinfo=UTC)
DAY_START = at(2026, 5, 4, 10)


def event_hit(when: datetime, visitor: int, session_start: datetime, path: str) -> Hit:
    return Hit(
        site_id="",
        timestamp=when,
        kind=HitKind.EVENT,
        visitor_id=visitor,
        session_id=int(session_start.replace(tzinfo=UTC).timestamp()),
        hostname="shop.example",
        pathname=path,
        event_id="EVSIGNUP00",
    )


def sessions() -> list[Hit]:
    """Four sessions: / → /pricing → /signup (exit /signup, with a signup completed on /pricing afterwards);
    / → /docs (exit /docs); /pricing alone (a bounce: entry and exit /pricing); /docs → /signup (exit /signup)."""
    first, second, third, fourth = DAY_START, at(2026, 5, 4, 11), at(2026, 5, 4, 12), at(2026, 5, 4, 13)
    hn = {"referrer_hostname": "news.ycombinator.com", "referrer_pathname": "/item"}
    return [
        pageview("", first, 1, first, "/", **hn),
        pageview("", at(2026, 5, 4, 10, 1), 1, first, "/pricing"),
        pageview("", at(2026, 5, 4, 10, 3), 1, first, "/signup"),
        event_hit(at(2026, 5, 4, 10, 4), 1, first, "/pricing"),  # an event after the last pageview: exit stays
        pageview("", second, 2, second, "/", referrer_hostname="t.co", referrer_pathname="/"),
        pageview("", at(2026, 5, 4, 11, 2), 2, second, "/docs"),
        pageview("", third, 3, third, "/pricing", **hn),
        pageview("", fourth, 1, fourth, "/docs"),
        pageview("", at(2026, 5, 4, 13, 5), 1, fourth, "/signup"),
    ]


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stores]:
    built = Stores(tmp_path_factory.mktemp("exits"))
    yield built
    built.events.close()
    built.metadata.close()


@pytest.fixture(scope="module")
def site_id(stores: Stores) -> str:
    site_id = stores.site_with(sessions())
    with stores.metadata.engine.begin() as connection:  # the event with the id its hits name
        connection.execute(
            events.insert().values(site_id=site_id, id="EVSIGNUP00", name="Signup", created_at=NOW, updated_at=NOW)
        )
    return site_id


def report(stores: Stores, site_id: str, **params: Any) -> list[dict[str, str]]:
    """The DuckDB answer, after checking it equals the oracle's."""
    if "filters" in params:
        params["filters"] = json.dumps(params["filters"])
    entity = params.pop("entity", "pageview")
    site = {"entity_id": site_id} if entity == "pageview" else {"site_id": site_id, "entity_name": "Signup"}
    query = parse_report_query({"entity": entity, **site, **params}, site_timezone="UTC")
    answer = run_report(query, stores.events, stores.metadata, now=NOW)
    event_id = "EVSIGNUP00" if entity == "event" else None
    stored = [replace(hit, site_id=site_id) for hit in with_entries(sessions())]
    assert_same_answer(answer, expected_rows(query, stored, NOW, event_id=event_id))
    return answer


def test_visits_by_exit_page_count_sessions_by_their_last_pageview(stores: Stores, site_id: str) -> None:
    rows = report(stores, site_id, aggregates="visits,bounce_rate", field_grouping="exit_pathname")
    assert rows == [
        {"exit_pathname": "/signup", "visits": "2", "bounce_rate": "0"},
        {"exit_pathname": "/docs", "visits": "1", "bounce_rate": "0"},
        {"exit_pathname": "/pricing", "visits": "1", "bounce_rate": "1"},
    ]


def test_an_exit_filter_keeps_the_sessions_that_left_there_and_other_filters_still_read_the_entry(
    stores: Stores, site_id: str
) -> None:
    exits_at_signup = [{"field": "exit_pathname", "operator": "is", "value": "/signup"}]
    assert report(stores, site_id, aggregates="visits", filters=exits_at_signup) == [{"visits": "2"}]
    entered_home = [*exits_at_signup, {"field": "pathname", "operator": "is", "value": "/"}]
    assert report(stores, site_id, aggregates="visits", filters=entered_home) == [{"visits": "1"}]
    by_entry = report(stores, site_id, aggregates="visits", field_grouping="pathname", filters=exits_at_signup)
    assert by_entry == [{"pathname": "/", "visits": "1"}, {"pathname": "/docs", "visits": "1"}]


def test_hits_count_under_their_sessions_exit_page(stores: Stores, site_id: str) -> None:
    rows = report(stores, site_id, aggregates="pageviews,uniques", field_grouping="exit_pathname")
    assert rows == [
        {"exit_pathname": "/signup", "pageviews": "5", "uniques": "1"},
        {"exit_pathname": "/docs", "pageviews": "2", "uniques": "1"},
        {"exit_pathname": "/pricing", "pageviews": "1", "uniques": "1"},
    ]
    completions = report(stores, site_id, entity="event", aggregates="conversions", field_grouping="exit_pathname")
    assert completions == [{"exit_pathname": "/signup", "conversions": "1"}]


def test_the_full_referrer_is_hostname_then_path_and_empty_for_direct_visits(stores: Stores, site_id: str) -> None:
    rows = report(stores, site_id, aggregates="visits", field_grouping="referrer")
    assert rows == [
        {"referrer": "news.ycombinator.com/item", "visits": "2"},
        {"referrer": "", "visits": "1"},
        {"referrer": "t.co/", "visits": "1"},
    ]
    from_hn = [{"field": "referrer", "operator": "is", "value": "news.ycombinator.com/item"}]
    assert report(stores, site_id, aggregates="visits,pageviews", filters=from_hn) == [
        {"visits": "2", "pageviews": "2"}  # pageviews are filtered by each hit's own referrer, as ever
    ]


def test_unknown_fields_are_refused_with_the_new_ones_listed() -> None:
    with pytest.raises(QueryError, match="exit_pathname") as refused:
        parse_report_query(
            {"entity": "pageview", "entity_id": "S", "aggregates": "visits", "field_grouping": "exit"}, "UTC"
        )
    assert "referrer" in str(refused.value) and "region" in str(refused.value)


def test_the_served_document_lists_every_field_a_report_accepts() -> None:
    parameters = openapi_document()["paths"]["/aggregations"]["get"]["parameters"]
    [field_grouping] = [parameter for parameter in parameters if parameter["name"] == "field_grouping"]
    assert field_grouping["schema"]["enum"] == [*DIMENSIONS, EVENT_GROUPING]


def test_of_last_pageviews_in_one_second_the_greatest_pathname_is_the_exit(tmp_path: Path) -> None:
    """Instants are whole seconds (base.Hit), so a session can end on several pageviews of one second; every
    engine then names the same exit page as the oracle: the greatest pathname (base.LAST_PAGEVIEW_ORDER), in
    whatever order they came in."""
    built = Stores(tmp_path)
    start, last_second = at(2026, 5, 4, 10), at(2026, 5, 4, 10, 0, 5)
    # Three in the last second, the greatest pathname neither first nor last to come in.
    hits = [
        pageview("", start, 1, start, "/"),
        *(pageview("", last_second, 1, start, path) for path in ["/b", "/c", "/a"]),
    ]
    site_id = built.site_with(hits)
    query = parse_report_query(
        {"entity": "pageview", "entity_id": site_id, "aggregates": "visits", "field_grouping": "exit_pathname"},
        site_timezone="UTC",
    )
    answer = run_report(query, built.events, built.metadata, now=NOW)
    assert answer == [{"exit_pathname": "/c", "visits": "1"}]
    stored = [replace(hit, site_id=site_id) for hit in with_entries(hits)]
    assert_same_answer(answer, expected_rows(query, stored, NOW))
    built.events.close()
    built.metadata.close()
