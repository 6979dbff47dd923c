"""Reports that differ only in their field grouping run as one statement, and each answer stays the oracle's."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadline.query.batch import batch_key, run_reports
from leadline.query.compile import compile_batch
from leadline.query.dialects import DIALECTS
from leadline.query.model import DIMENSIONS, EXIT_DIMENSIONS
from leadline.query.oracle import expected_rows
from leadline.query.parse import parse_report_query
from leadline.query.plan import plan_query
from leadline.query.report import run_report
from tests.query.agreement import assert_same_answer
from tests.query.strategies import TIMEZONES, query_params, traffic
from tests.query.test_engine_agrees_with_oracle import NOW, Stores

ENTRY_FIELDS = [name for name in DIMENSIONS if name not in EXIT_DIMENSIONS]
HIT_SIDE = ("pageviews", "uniques")
SESSION_SIDE = ("visits", "avg_duration", "bounce_rate")


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stores]:
    built = Stores(tmp_path_factory.mktemp("batch"))
    yield built
    built.events.close()
    built.metadata.close()


@st.composite
def panel_params(draw: st.DrawFn, site_id: str, window_start: int) -> list[dict[str, str]]:
    """A dashboard's worth of reports: one window, metrics and filters, grouped by several fields."""
    base = draw(query_params(site_id, window_start))
    side = draw(st.sampled_from([HIT_SIDE, SESSION_SIDE]))
    metrics = draw(st.lists(st.sampled_from(side), min_size=1, unique=True))
    shared = {"entity": "pageview", "entity_id": site_id, "aggregates": ",".join(metrics)}
    shared["timezone"] = draw(st.sampled_from(TIMEZONES))
    shared |= {key: base[key] for key in ("date_from", "date_to", "filters") if key in base}
    if draw(st.booleans()):  # the default order, asked for by name (as the dashboard's panels do)
        shared["sort_by"] = f"{metrics[0]}:desc"
    fields = draw(st.lists(st.sampled_from(ENTRY_FIELDS), min_size=2, max_size=6, unique=True))
    reports = []
    for field in fields:
        params = shared | {"field_grouping": field}
        if draw(st.booleans()):
            params["limit"] = str(draw(st.integers(1, 4)))
        reports.append(params)
    return reports


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_each_report_of_a_batch_equals_the_oracle_and_its_own_answer(stores: Stores, data: st.DataObject) -> None:
    site_id = stores.new_site()
    generated = data.draw(traffic(site_id))
    stores.events.insert_hits(generated.hits)
    queries = [parse_report_query(params, "UTC") for params in data.draw(panel_params(site_id, generated.window_start))]
    answers = run_reports(queries, stores.events, stores.metadata, now=NOW)
    for query, answer in zip(queries, answers, strict=True):
        assert_same_answer(answer, expected_rows(query, generated.hits, NOW))
        assert_same_answer(answer, run_report(query, stores.events, stores.metadata, now=NOW))


def test_reports_alike_but_for_their_field_run_as_one_statement_with_a_grouping_set_each() -> None:
    start = datetime(2026, 10, 1, tzinfo=UTC).timestamp()
    queries = [
        parse_report_query(
            {
                "entity": "pageview",
                "entity_id": "SITE",
                "aggregates": "visits",
                "field_grouping": field,
                "date_from": str(int(start)),
                "limit": "10",
                "filters": json.dumps([{"field": "browser", "operator": "is", "value": "Chrome"}]),
            },
            "UTC",
        )
        for field in ("referrer_hostname", "utm_source", "country_code")
    ]
    assert len({batch_key(query) for query in queries}) == 1
    compiled = compile_batch([plan_query(query, NOW) for query in queries], DIALECTS["duckdb"])
    assert "GROUPING SETS ((field_0), (field_1), (field_2))" in compiled.sql
    assert compiled.sql.count("FROM hits") == 1
    assert compiled.columns == ("batch_member", "field_key", "visits")


def test_a_sort_that_is_the_default_order_anyway_does_not_keep_a_report_from_its_batch() -> None:
    params = {"entity": "pageview", "entity_id": "SITE", "aggregates": "visits,bounce_rate"}
    unsorted = batch_key(parse_report_query(params | {"field_grouping": "browser"}, "UTC"))
    by_visits = batch_key(parse_report_query(params | {"field_grouping": "city", "sort_by": "visits:desc"}, "UTC"))
    assert unsorted is not None and by_visits == unsorted
    by_bounces = parse_report_query(params | {"field_grouping": "city", "sort_by": "bounce_rate:desc"}, "UTC")
    assert batch_key(by_bounces) is None


@pytest.mark.parametrize(
    "change",
    [
        {"field_grouping": "exit_pathname"},
        {"date_grouping": "day"},
        {"sort_by": "visits:asc"},
        {"aggregates": "visits,pageviews"},
        {"entity": "event", "site_id": "SITE", "entity_name": "Signup", "aggregates": "conversions"},
    ],
)
def test_reports_a_grouping_set_cannot_answer_run_alone(change: dict[str, str]) -> None:
    params = {"entity": "pageview", "entity_id": "SITE", "aggregates": "visits", "field_grouping": "browser"}
    assert batch_key(parse_report_query(params | change, "UTC")) is None
