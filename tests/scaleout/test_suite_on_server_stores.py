"""The product behaves the same scaled out: PostgreSQL + a 2-shard ClickHouse 18.16 cluster + Redis, 2 workers.

The REST suite's key modules (sites, events and milestones, pagination, the permission matrix, bad input,
integration clients) and the Integration API's token and GraphQL tests are adopted as they are; only the
server they talk to changes. Beside them: reports over HTTP equal the oracle on hits stored in the cluster,
and hits collected over HTTP by both workers are stored once and show up in reports.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadline.privacy.salts import SaltStore
from leadline.query.oracle import expected_rows
from leadline.query.parse import parse_report_query
from leadline.store.events import Hit, open_event_store
from leadline.store.metadata.tables import events
from tests.adoption import adopt_server_tests
from tests.api import (
    test_bad_input,
    test_events_and_milestones,
    test_integration_clients,
    test_pagination,
    test_permission_matrix,
    test_sites,
)
from tests.api.test_bad_input import site_id, unchanged
from tests.api.test_integration_clients import site
from tests.api.test_pagination import site_ids
from tests.conftest import UNLIMITED, Tenant
from tests.integrations import test_graphql, test_tokens
from tests.integrations.conftest import credentials
from tests.integrations.test_graphql import token
from tests.live_server import LiveServer, start_server
from tests.query.agreement import assert_same_answer
from tests.query.strategies import EVENTS, WINDOWS, query_params, seeded_traffic
from tests.servers.clickhouse import ClickHouseCluster
from tests.servers.postgres import PostgresCluster
from tests.servers.redis import RedisServer

BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0"
ADOPTED_FIXTURES = (site_id, unchanged, site, site_ids, credentials, token)
REACHES_THE_SERVER = {"server", "tenant", "integration_server", "credentials", *(f.__name__ for f in ADOPTED_FIXTURES)}
# Each worker imports the whole application; on a loaded 2-core machine that alone has taken 9 s.
WORKERS_START_SECONDS = 90


adopt_server_tests(
    globals(),
    REACHES_THE_SERVER,
    test_sites,
    test_events_and_milestones,
    test_pagination,
    test_permission_matrix,
    test_bad_input,
    test_integration_clients,
    test_tokens,
    test_graphql,
)


@pytest.fixture(scope="module")
def scaled_out(
    tmp_path_factory: pytest.TempPathFactory,
    postgres: PostgresCluster,
    clickhouse_cluster: ClickHouseCluster,
    redis_server: RedisServer,
) -> Iterator[tuple[LiveServer, str]]:
    """`leadline serve --workers 2` on PostgreSQL + 2-shard ClickHouse + Redis, and its events URL."""
    database_url, events_url = postgres.new_database(), clickhouse_cluster.new_url()
    redis_server.empty()
    server = start_server(
        tmp_path_factory.mktemp("scaled-out"),
        UNLIMITED
        | {
            "LEADLINE_WORKERS": "2",
            "LEADLINE_DATABASE_URL": database_url,
            "LEADLINE_EVENTS_URL": events_url,
            "LEADLINE_REDIS_URL": redis_server.url,
            "LEADLINE_TOKEN_RATE_LIMIT": "1000/minute",
            "LEADLINE_TOKEN_FAILURE_RATE_LIMIT": "1000/minute",
            "LEADLINE_CLIENT_IP_HEADER": "X-Forwarded-For",  # each collected hit a visitor of its own
            "LEADLINE_SPOOL_SEGMENT_SECONDS": "0.2",
            "LEADLINE_FLUSH_INTERVAL_SECONDS": "0.2",
        },
        timeout=WORKERS_START_SECONDS,
    )
    # Today's salt made now, as the salt job would a minute after start: tests that check that a request changed
    # nothing would otherwise see the job's salt appear in the middle of them.
    SaltStore(server.metadata.salts).rotate(datetime.now(UTC))
    try:
        yield server, events_url
    finally:
        server.stop()
        postgres.drop_database(database_url)


@pytest.fixture(scope="module")
def server(scaled_out: tuple[LiveServer, str]) -> LiveServer:
    return scaled_out[0]


@pytest.fixture(scope="module")
def integration_server(scaled_out: tuple[LiveServer, str]) -> LiveServer:
    return scaled_out[0]


class LoadedSites:
    def __init__(self, key: str, sites: dict[str, tuple[list[Hit], int]]) -> None:
        self.key, self.sites = key, sites


@pytest.fixture(scope="module")
def loaded(scaled_out: tuple[LiveServer, str]) -> LoadedSites:
    """Seeded traffic of three sites in three timezones, stored in the cluster beside the running server."""
    server, events_url = scaled_out
    metadata = server.metadata
    account = metadata.accounts.create("Reports", "reports@example.com")
    key = metadata.api_keys.create(account.id, ["*"]).key
    store = open_event_store(events_url)
    sites: dict[str, tuple[list[Hit], int]] = {}
    try:
        for number, (window, timezone) in enumerate(
            zip(WINDOWS, ["America/New_York", "Europe/Berlin", "UTC"], strict=True)
        ):
            created = metadata.sites.create(account.id, {"name": f"site {number}", "timezone": timezone})
            with metadata.engine.begin() as connection:
                for name, event_id in EVENTS.items():
                    moment = datetime(2026, 1, 1)
                    connection.execute(
                        events.insert().values(
                            site_id=created.id, id=event_id, name=name, created_at=moment, updated_at=moment
                        )
                    )
            hits = seeded_traffic(created.id, number, int(window.timestamp()))
            store.insert_hits(hits)
            sites[created.id] = (hits, int(window.timestamp()))
    finally:
        store.close()
    return LoadedSites(key, sites)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_reports_over_http_equal_the_oracle_on_the_cluster(
    server: LiveServer, loaded: LoadedSites, data: st.DataObject
) -> None:
    site_id = data.draw(st.sampled_from(sorted(loaded.sites)))
    hits, window_start = loaded.sites[site_id]
    params = data.draw(query_params(site_id, window_start))
    found = server.metadata.sites.find(site_id)
    assert found is not None
    query = parse_report_query(params, site_timezone=found.timezone)
    answer = httpx.get(
        server.url("/v1/aggregations"), params=params, headers={"Authorization": f"Bearer {loaded.key}"}, timeout=30
    )
    assert answer.status_code == 200, answer.text
    event_id = EVENTS.get(query.event_name or "", "") if query.event_name else None
    assert_same_answer(answer.json()["data"], expected_rows(query, hits, datetime.now(UTC), event_id=event_id))


def test_hits_collected_by_both_workers_are_stored_once_and_reported(
    scaled_out: tuple[LiveServer, str], tenant: Tenant
) -> None:
    server, events_url = scaled_out
    site_id = tenant.http.post("/v1/sites", json={"name": "Collected"}).json()["id"]
    sent = 40
    for number in range(sent):
        # A new connection each time: uvicorn's workers share the listening socket, so both take hits.
        answer = httpx.post(
            server.url("/api/event"),
            json={"site": site_id, "url": f"https://shop.example/page/{number}"},
            headers={"User-Agent": BROWSER, "X-Forwarded-For": f"81.2.69.{number}"},
        )
        assert answer.status_code == 202
    store = open_event_store(events_url)
    try:
        deadline = time.monotonic() + 30
        while store.count_hits(site_id) < sent and time.monotonic() < deadline:
            time.sleep(0.2)
        assert store.count_hits(site_id) == sent
    finally:
        store.close()
    report = tenant.http.get(
        "/v1/aggregations",
        params={
            "entity": "pageview",
            "entity_id": site_id,
            "aggregates": "pageviews,visits",
            "date_from": "1577836800",
        },
    )
    assert report.status_code == 200, report.text
    assert report.json()["data"] == [{"pageviews": str(sent), "visits": str(sent)}]


def test_a_report_while_a_shard_is_down_is_a_503_to_retry_and_hits_are_still_taken(
    scaled_out: tuple[LiveServer, str], tenant: Tenant, clickhouse_cluster: ClickHouseCluster
) -> None:
    server = scaled_out[0]
    site_id = tenant.http.post("/v1/sites", json={"name": "Outage"}).json()["id"]
    params = {"entity": "pageview", "entity_id": site_id, "aggregates": "pageviews", "date_from": "1577836800"}
    second_shard = clickhouse_cluster.servers[1]
    second_shard.stop()
    try:
        report = tenant.http.get("/v1/aggregations", params=params)
        assert report.status_code == 503 and "retry" in report.json()["error"]
        assert int(report.headers["Retry-After"]) > 0
        hit = httpx.post(
            server.url("/api/event"),
            json={"site": site_id, "url": "https://shop.example/while-down"},
            headers={"User-Agent": BROWSER, "X-Forwarded-For": "81.2.69.200"},
        )
        assert hit.status_code == 202  # the spool keeps it; the flusher retries
    finally:
        second_shard.start()
        second_shard.wait_until_ready()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        answer = tenant.http.get("/v1/aggregations", params=params)
        if answer.status_code == 200 and answer.json()["data"] == [{"pageviews": "1"}]:
            break
        time.sleep(0.5)
    assert answer.json()["data"] == [{"pageviews": "1"}]
