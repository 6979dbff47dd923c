"""Reports through the real endpoint: /v1/aggregations equals the oracle; hostile parameters change nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadline.query.model import PARAMETERS
from leadline.query.oracle import expected_rows
from leadline.query.parse import parse_report_query
from leadline.store.events import Hit
from leadline.store.events.duckdb import DuckDBEventStore
from leadline.store.metadata.store import open_metadata_store
from leadline.store.metadata.tables import events
from tests.conftest import UNLIMITED
from tests.live_server import LiveServer, start_server
from tests.query.agreement import assert_same_answer
from tests.query.strategies import EVENTS, WINDOWS, query_params, seeded_traffic


class LoadedServer:
    def __init__(self, server: LiveServer, key: str, sites: dict[str, tuple[list[Hit], int]]) -> None:
        self.server, self.key, self.sites = server, key, sites


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoadedServer]:
    data_dir: Path = tmp_path_factory.mktemp("reports")
    metadata = open_metadata_store(f"sqlite:///{data_dir / 'leadline.sqlite3'}")
    account = metadata.accounts.create("Reports", "reports@example.com")
    key = metadata.api_keys.create(account.id, ["*"]).key
    store = DuckDBEventStore(data_dir / "events.duckdb")
    sites: dict[str, tuple[list[Hit], int]] = {}
    for number, (window, timezone) in enumerate(
        zip(WINDOWS, ["America/New_York", "Europe/Berlin", "UTC"], strict=True)
    ):
        site = metadata.sites.create(account.id, {"name": f"site {number}", "timezone": timezone})
        with metadata.engine.begin() as connection:
            for name, event_id in EVENTS.items():
                connection.execute(
                    events.insert().values(
                        site_id=site.id,
                        id=event_id,
                        name=name,
                        created_at=datetime(2026, 1, 1),
                        updated_at=datetime(2026, 1, 1),
                    )
                )
        hits = seeded_traffic(site.id, number, int(window.timestamp()))
        store.insert_hits(hits)
        sites[site.id] = (hits, int(window.timestamp()))
    store.close()
    metadata.close()
    # The hits are in place before the server starts: it holds the DuckDB file while it runs.
    server = start_server(data_dir, UNLIMITED)
    yield LoadedServer(server, key, sites)
    server.stop()


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_the_endpoint_answers_what_the_oracle_computes(loaded: LoadedServer, data: st.DataObject) -> None:
    site_id = data.draw(st.sampled_from(sorted(loaded.sites)))
    hits, window_start = loaded.sites[site_id]
    params = data.draw(query_params(site_id, window_start))
    site = loaded.server.metadata.sites.find(site_id)
    assert site is not None
    query = parse_report_query(params, site_timezone=site.timezone)
    answer = httpx.get(
        loaded.server.url("/v1/aggregations"), params=params, headers={"Authorization": f"Bearer {loaded.key}"}
    )
    assert answer.status_code == 200, answer.text
    event_id = EVENTS.get(query.event_name or "", "") if query.event_name else None
    assert_same_answer(answer.json()["data"], expected_rows(query, hits, datetime.now(UTC), event_id=event_id))


HOSTILE = [
    "' OR '1'='1",
    "1; DROP TABLE hits; --",
    '") UNION SELECT * FROM api_keys --',
    "%' AND 1=1 --",
    "$(rm -rf /)",
    "\\x00",
    "../../etc/passwd",
    "😀" * 50,
    "a" * 5000,
]


@pytest.mark.parametrize("name", PARAMETERS)
def test_hostile_values_in_any_parameter_are_refused_or_harmless(loaded: LoadedServer, name: str) -> None:
    site_id = sorted(loaded.sites)[0]
    base = {"entity": "pageview", "entity_id": site_id, "aggregates": "visits,pageviews", "field_grouping": "pathname"}
    headers = {"Authorization": f"Bearer {loaded.key}"}
    before = httpx.get(loaded.server.url("/v1/aggregations"), params=base, headers=headers).json()
    for value in HOSTILE:
        answer = httpx.get(loaded.server.url("/v1/aggregations"), params={**base, name: value}, headers=headers)
        assert answer.status_code in (200, 400, 404), answer.text
        assert set(answer.json()) <= {"data", "error"}
        if answer.status_code == 200:
            assert answer.json()["data"] in ([], before["data"], [{"visits": "0", "pageviews": "0"}])
    assert httpx.get(loaded.server.url("/v1/aggregations"), params=base, headers=headers).json() == before


@pytest.mark.parametrize(
    "value",
    ["(a+)+$", "(x+x+)+y", "([a-zA-Z]+)*$", "^(a|aa)+$", "(.*a){20}", "\\", "[", "a{1000000}", "(?=x)", "\\1"],
)
def test_regular_expressions_cannot_hang_or_break_the_engine(loaded: LoadedServer, value: str) -> None:
    site_id = sorted(loaded.sites)[0]
    filters = json.dumps([{"field": "pathname", "operator": "matching", "value": value}])
    answer = httpx.get(
        loaded.server.url("/v1/aggregations"),
        params={"entity": "pageview", "entity_id": site_id, "aggregates": "pageviews", "filters": filters},
        headers={"Authorization": f"Bearer {loaded.key}"},
        timeout=10,
    )
    assert answer.status_code in (200, 400), answer.text


def test_current_visitors_come_from_the_last_five_minutes(loaded: LoadedServer) -> None:
    site_id = sorted(loaded.sites)[0]
    answer = httpx.get(
        loaded.server.url("/v1/current_visitors"),
        params={"site_id": site_id, "detailed": "true"},
        headers={"Authorization": f"Bearer {loaded.key}"},
    )
    # The loaded traffic is months old: nobody is on the site now.
    assert answer.json() == {"total": 0, "content": [], "referrers": []}
