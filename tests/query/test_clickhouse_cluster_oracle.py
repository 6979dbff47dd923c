"""The ClickHouse dialect on a 2-shard ClickHouse 18.16 cluster, through the ClickHouse event store: every report
equals the oracle, as on current ClickHouse (test_clickhouse_dialect.py runs the same checks on chDB)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadline.query.current import current_visitors
from leadline.query.dialects import DIALECTS
from leadline.query.model import DIMENSIONS
from leadline.store.events.base import Hit, HitKind, Params
from leadline.store.events.clickhouse import ClickHouseEventStore
from tests.query.agreement import check_clickhouse_report
from tests.query.strategies import DERIVED_AND_NEW_FIELDS
from tests.servers.clickhouse import ClickHouseCluster

SITE_NUMBERS = itertools.count()


class ClusterHits:
    """The store on the session's cluster, seen as the agreement check wants it."""

    def __init__(self, store: ClickHouseEventStore) -> None:
        self.store = store

    def insert(self, hits: list[Hit]) -> None:
        self.store.insert_hits(hits)

    def fetch(self, sql: str, params: dict[str, object]) -> Sequence[Sequence[Any]]:
        return self.store.fetch(sql, Params("pyformat", named=params), timeout_seconds=30)


@pytest.fixture(scope="module")
def cluster_hits(clickhouse_cluster: ClickHouseCluster) -> Iterator[ClusterHits]:
    store = ClickHouseEventStore.from_url(clickhouse_cluster.new_url())
    yield ClusterHits(store)
    store.close()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_cluster_answers_equal_the_oracle(cluster_hits: ClusterHits, data: st.DataObject) -> None:
    check_clickhouse_report(cluster_hits, f"SH{next(SITE_NUMBERS):08d}", data, DIMENSIONS)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_cluster_answers_by_exit_page_full_referrer_and_region_equal_the_oracle(
    cluster_hits: ClusterHits, data: st.DataObject
) -> None:
    check_clickhouse_report(cluster_hits, f"SH{next(SITE_NUMBERS):08d}", data, DERIVED_AND_NEW_FIELDS)


def test_the_generated_traffic_lands_on_both_shards(
    cluster_hits: ClusterHits, clickhouse_cluster: ClickHouseCluster
) -> None:
    database = cluster_hits.store.layout.database
    per_shard = []
    for shard in (1, 2):
        client = clickhouse_cluster.client(shard, database)
        per_shard.append(int(client.execute("SELECT count() FROM hits_local WHERE site_id LIKE 'SH%'")[0][0]))
        client.disconnect()
    assert all(count > 0 for count in per_shard), per_shard


def test_current_visitors_on_the_cluster(cluster_hits: ClusterHits) -> None:
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    moment = now.replace(tzinfo=None)
    start = int(now.timestamp()) - 600

    def hit(visitor: int, minutes_ago: float, path: str, referrer: str = "", entry: bool = False) -> Hit:
        when = moment - timedelta(minutes=minutes_ago)
        return Hit(
            "CURRENT", when, HitKind.PAGEVIEW, visitor, start, "h", path, referrer_hostname=referrer, entry=entry
        )

    # Visitors 0-29 spread over both shards; each entered from t.co ten minutes ago and is now on /pricing.
    hits = [hit(visitor, 10, "/", "t.co", entry=True) for visitor in range(30)]
    hits += [hit(visitor, 2, "/pricing") for visitor in range(30)] + [hit(99, 9, "/gone", "x.com", entry=True)]
    cluster_hits.insert(hits)
    answer = current_visitors(cluster_hits.store, "CURRENT", detailed=True, now=now)
    assert answer == {
        "total": 30,
        "content": [{"pathname": "/pricing", "total": 30}],
        "referrers": [{"referrer_hostname": "t.co", "referrer": "t.co", "total": 30}],
    }


def test_a_case_insensitive_pattern_matches_on_18_16(cluster_hits: ClusterHits) -> None:
    # 18.16 checked '(?i)chrome' for the literal 'chrome' case-sensitively before running RE2: no 'Chrome' matched.
    params = Params("pyformat")
    condition = DIALECTS["clickhouse"].regex_matches("browser", params.add("(?i)chrome", "String"))
    rows = cluster_hits.store.fetch(f"SELECT browser FROM (SELECT 'Chrome' AS browser) WHERE {condition}", params)
    assert rows == [("Chrome",)]
