"""The ClickHouse dialect: the same compiler's SQL, run on current ClickHouse (chDB, in process), equals the oracle."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadline.query.compile import compile_report
from leadline.query.dialects import DIALECTS
from leadline.query.model import DIMENSIONS
from leadline.query.oracle import expected_rows
from leadline.query.parse import parse_report_query
from leadline.query.plan import plan_query
from leadline.query.shape import shape_rows
from leadline.store.events.base import HIT_COLUMNS, Hit
from leadline.store.events.clickhouse_schema import hits_table_ddl, hits_table_upgrades
from tests.query.agreement import assert_same_answer
from tests.query.strategies import DERIVED_AND_NEW_FIELDS, EVENTS, query_params, traffic

chdb_session = pytest.importorskip("chdb.session")
NOW = datetime(2026, 12, 1, tzinfo=UTC)
SITE_NUMBERS = itertools.count()


def literal(value: object) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    return str(value)


class ChdbHits:
    """Just enough of an event store to run compiled ClickHouse SQL on chDB."""

    def __init__(self) -> None:
        self.session = chdb_session.Session()
        self.session.query("CREATE DATABASE IF NOT EXISTS leadline")
        self.session.query("USE leadline")
        self.session.query(hits_table_ddl())

    def insert(self, hits: list[Hit]) -> None:
        if not hits:
            return
        rows = []
        for hit in hits:
            values = [getattr(hit, name) for name in HIT_COLUMNS]
            values[1] = hit.timestamp.strftime("%Y-%m-%d %H:%M:%S.%f")
            values[2] = int(hit.kind)
            rows.append(json.dumps(dict(zip(HIT_COLUMNS, values, strict=True))))
        self.session.query("INSERT INTO hits FORMAT JSONEachRow " + "\n".join(rows))

    def fetch(self, sql: str, params: dict[str, object]) -> list[list[Any]]:
        result = self.session.query(sql, "JSONCompact", params={name: literal(v) for name, v in params.items()})
        rows: list[list[Any]] = json.loads(str(result) or '{"data": []}')["data"]
        return rows


@pytest.fixture(scope="module")
def clickhouse() -> Iterator[ChdbHits]:
    store = ChdbHits()
    yield store
    store.session.close()


def as_datetime(value: Any) -> Any:
    if isinstance(value, str) and len(value) >= 10 and value[4] == "-":
        parsed = date.fromisoformat(value[:10])
        clock = value[11:19] if len(value) > 10 else "00:00:00"
        return datetime.fromisoformat(f"{parsed.isoformat()} {clock}")
    return value


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_clickhouse_answers_equal_the_oracle(clickhouse: ChdbHits, data: st.DataObject) -> None:
    check_one_report(clickhouse, data, DIMENSIONS)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_clickhouse_answers_by_exit_page_full_referrer_and_region_equal_the_oracle(
    clickhouse: ChdbHits, data: st.DataObject
) -> None:
    check_one_report(clickhouse, data, DERIVED_AND_NEW_FIELDS)


def check_one_report(clickhouse: ChdbHits, data: st.DataObject, fields: Sequence[str]) -> None:
    site_id = f"CH{next(SITE_NUMBERS):08d}"  # a fresh site per example: hits of earlier examples stay apart
    generated = data.draw(traffic(site_id, max_sessions=12))
    clickhouse.insert(generated.hits)
    params = data.draw(query_params(site_id, generated.window_start, fields=fields))
    query = parse_report_query(params, site_timezone="UTC")
    event_id = EVENTS.get(query.event_name or "", "") if query.event_name else None
    earliest = min((int(hit.timestamp.replace(tzinfo=UTC).timestamp()) for hit in generated.hits), default=None)
    compiled = compile_report(plan_query(query, NOW, event_id=event_id, earliest=earliest), DIALECTS["clickhouse"])
    assert compiled.params.style == "clickhouse" and not compiled.params.positional
    rows = clickhouse.fetch(compiled.sql, compiled.params.named)
    if query.date_grouping:
        rows = [
            [
                as_datetime(value) if column == "date_key" else value
                for column, value in zip(compiled.columns, row, strict=True)
            ]
            for row in rows
        ]
    actual = shape_rows(query, compiled.columns, rows)
    assert_same_answer(actual, expected_rows(query, generated.hits, NOW, event_id=event_id))


def test_user_values_never_enter_the_clickhouse_sql_text() -> None:
    hostile = "x' OR 1=1 --"
    query = parse_report_query(
        {
            "entity": "pageview",
            "entity_id": "SITE",
            "aggregates": "visits,pageviews",
            "field_grouping": "pathname",
            "filters": json.dumps([{"field": "pathname", "operator": "is like", "value": hostile}]),
        },
        site_timezone="Europe/Berlin",
    )
    compiled = compile_report(plan_query(query, NOW), DIALECTS["clickhouse"])
    assert hostile not in compiled.sql and "SITE" not in compiled.sql
    assert hostile in compiled.params.named.values()
    assert "positionCaseInsensitiveUTF8(pathname, {p" in compiled.sql


def test_an_older_clickhouse_hits_table_upgrades_to_todays_columns(clickhouse: ChdbHits) -> None:
    before_regions = hits_table_ddl("old_hits").replace(",\n    region String", "")
    assert "region" not in before_regions
    clickhouse.session.query(before_regions)
    clickhouse.session.query("INSERT INTO old_hits (site_id, pathname) VALUES ('OLD', '/')")
    for _ in range(2):  # idempotent: a second run changes nothing
        for statement in hits_table_upgrades("old_hits"):
            clickhouse.session.query(statement)
    rows = clickhouse.fetch("SELECT site_id, region FROM old_hits", {})
    assert rows == [["OLD", ""]]
