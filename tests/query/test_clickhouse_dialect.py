"""The ClickHouse dialect: the same compiler's SQL, run on current ClickHouse (chDB, in process), equals the oracle."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from typing import Any

import pytest
from clickhouse_driver.util.escape import escape_params
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadline.query.compile import compile_report
from leadline.query.dialects import DIALECTS
from leadline.query.model import DIMENSIONS
from leadline.query.parse import parse_report_query
from leadline.query.plan import plan_query
from leadline.store.events.base import HIT_COLUMNS, Hit, hit_to_row
from leadline.store.events.clickhouse_connection import bound
from leadline.store.events.clickhouse_schema import MIGRATIONS, Layout, ServerFeatures, hits_table_ddl
from tests.query.agreement import check_clickhouse_report
from tests.query.strategies import DERIVED_AND_NEW_FIELDS

chdb_session = pytest.importorskip("chdb.session")
NOW = datetime(2026, 12, 1, tzinfo=UTC)
SITE_NUMBERS = itertools.count()


class ChdbHits:
    """Just enough of an event store to run compiled ClickHouse SQL on chDB, over the ClickHouse store's tables
    (made by its migrations for the current version: LowCardinality and codecs) and its way of binding values."""

    def __init__(self) -> None:
        self.session = chdb_session.Session()
        self.session.query("CREATE DATABASE IF NOT EXISTS leadline")
        self.session.query("USE leadline")
        version = json.loads(str(self.session.query("SELECT version() AS v", "JSONEachRow")))["v"]
        self.features = ServerFeatures.from_version_text(version)
        for migration in MIGRATIONS:
            for statement in migration(Layout(database="leadline", cluster=None), self.features):
                self.session.query(statement)

    def insert(self, hits: list[Hit]) -> None:
        if not hits:
            return
        rows = []
        for hit in hits:
            values = hit_to_row(hit)  # the timestamp as Unix microseconds, as the store keeps it
            values[HIT_COLUMNS.index("entry")] = int(hit.entry)
            rows.append(json.dumps(dict(zip(HIT_COLUMNS, values, strict=True))))
        self.session.query("INSERT INTO hits FORMAT JSONEachRow " + "\n".join(rows))

    def fetch(self, sql: str, params: dict[str, object]) -> list[list[Any]]:
        # Bound as the ClickHouse store binds them: on the client, escaped by clickhouse-driver.
        text = sql % escape_params(bound(params), None) if params else sql
        result = self.session.query(text, "JSONCompact")
        answer = json.loads(str(result) or '{"data": []}')
        dates = [position for position, column in enumerate(answer.get("meta", [])) if column["name"] == "date_key"]
        rows: list[list[Any]] = answer["data"]
        for row in rows:
            for position in dates:
                row[position] = as_datetime(row[position])
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
    # A fresh site per example: hits of earlier examples stay apart.
    check_clickhouse_report(clickhouse, f"CH{next(SITE_NUMBERS):08d}", data, fields)


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
    assert "positionCaseInsensitiveUTF8(pathname, %(p" in compiled.sql


def test_current_clickhouse_gets_low_cardinality_and_codecs(clickhouse: ChdbHits) -> None:
    assert clickhouse.features.low_cardinality and clickhouse.features.codecs
    columns = dict(clickhouse.fetch("SELECT name, type FROM system.columns WHERE table = 'hits'", {}))
    assert columns["site_id"] == "LowCardinality(String)" and columns["timestamp"] == "UInt64"


def test_clickhouse_18_16_gets_plain_columns() -> None:
    ddl = hits_table_ddl("hits", ServerFeatures.from_version_text("18.16.1"))
    assert "LowCardinality" not in ddl and "CODEC" not in ddl and "DateTime64" not in ddl


def test_the_compiled_sql_has_no_percent_sign_of_its_own() -> None:
    # clickhouse-driver substitutes %(name)s with Python's % operator: a literal % in the text would break it.
    query = parse_report_query(
        {
            "entity": "pageview",
            "entity_id": "S",
            "aggregates": "visits,pageviews,avg_duration,bounce_rate",
            "date_grouping": "day",
            "field_grouping": "exit_pathname",
            "timezone": "Europe/Berlin",
        },
        site_timezone="UTC",
    )
    compiled = compile_report(plan_query(query, NOW), DIALECTS["clickhouse"])
    assert "%" not in compiled.sql.replace("%(p", "")
