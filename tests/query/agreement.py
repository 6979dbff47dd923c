"""Comparing an engine's shaped answer (strings) with the oracle's (numbers), with float tolerance."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from hypothesis import strategies as st

from leadline.query.compile import compile_report
from leadline.query.dialects import DIALECTS
from leadline.query.oracle import expected_rows
from leadline.query.parse import parse_report_query
from leadline.query.plan import plan_query
from leadline.query.shape import shape_rows
from leadline.store.events.base import Hit
from tests.query.strategies import EVENTS, query_params, traffic

TOLERANCE = {"avg_duration": 0.006, "bounce_rate": 0.00006}


def assert_same_answer(actual: Sequence[dict[str, str]], expected: Sequence[dict[str, Any]]) -> None:
    assert len(actual) == len(expected), f"{len(actual)} rows, expected {len(expected)}:\n{actual}\n{expected}"
    for position, (got, want) in enumerate(zip(actual, expected, strict=True)):
        assert set(got) == set(want), f"row {position}: keys {sorted(got)} != {sorted(want)}"
        for name, value in want.items():
            if isinstance(value, str):
                assert got[name] == value, f"row {position} {name}: {got[name]!r} != {value!r}"
            else:
                assert abs(float(got[name]) - value) <= TOLERANCE.get(name, 0), (
                    f"row {position} {name}: {got[name]} != {value}\n{actual}\n{expected}"
                )


class ClickHouseHits(Protocol):
    """An engine that stores hits and runs the ClickHouse dialect's SQL: chDB, or the ClickHouse store."""

    def insert(self, hits: list[Hit]) -> None: ...

    def fetch(self, sql: str, params: dict[str, object]) -> Sequence[Sequence[Any]]:
        """The rows, date buckets as datetimes."""


CLICKHOUSE_NOW = datetime(2026, 12, 1, tzinfo=UTC)


def check_clickhouse_report(engine: ClickHouseHits, site_id: str, data: st.DataObject, fields: Sequence[str]) -> None:
    """Generate traffic for a fresh site and a report over it: the ClickHouse SQL's answer equals the oracle's."""
    generated = data.draw(traffic(site_id, max_sessions=12))
    engine.insert(generated.hits)
    params = data.draw(query_params(site_id, generated.window_start, fields=fields))
    query = parse_report_query(params, site_timezone="UTC")
    event_id = EVENTS.get(query.event_name or "", "") if query.event_name else None
    earliest = min((int(hit.timestamp.replace(tzinfo=UTC).timestamp()) for hit in generated.hits), default=None)
    plan = plan_query(query, CLICKHOUSE_NOW, event_id=event_id, earliest=earliest)
    compiled = compile_report(plan, DIALECTS["clickhouse"])
    assert compiled.params.style == "pyformat" and not compiled.params.positional
    actual = shape_rows(query, compiled.columns, engine.fetch(compiled.sql, compiled.params.named))
    assert_same_answer(actual, expected_rows(query, generated.hits, CLICKHOUSE_NOW, event_id=event_id))
