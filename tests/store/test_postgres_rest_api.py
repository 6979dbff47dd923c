"""The REST API behaves the same with its metadata on PostgreSQL: the API suite's key modules, run again.

Their tests are adopted as they are (sites, events and milestones, pagination, the permission matrix, bad input,
integration clients); only the `server` they run against changes, to one whose LEADLINE_DATABASE_URL names a
PostgreSQL database that starts empty, so the server's own start-up migrations build its schema.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

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
from tests.live_server import LiveServer, start_server
from tests.servers.postgres import PostgresCluster

BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0"
ADOPTED_FIXTURES = (site_id, unchanged, site, site_ids)
REACHES_THE_SERVER = {"server", "tenant", *(fixture.__name__ for fixture in ADOPTED_FIXTURES)}


adopt_server_tests(
    globals(),
    REACHES_THE_SERVER,
    test_sites,
    test_events_and_milestones,
    test_pagination,
    test_permission_matrix,
    test_bad_input,
    test_integration_clients,
)


@pytest.fixture(scope="module")
def server(postgres: PostgresCluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A live server whose metadata is in a PostgreSQL database that was empty when it started."""
    database = postgres.new_database(migrated=False)
    live = start_server(tmp_path_factory.mktemp("server-on-postgres"), UNLIMITED | {"LEADLINE_DATABASE_URL": database})
    yield live
    live.stop()
    postgres.drop_database(database)


def test_the_server_keeps_no_metadata_file_of_its_own(server: LiveServer) -> None:
    assert server.metadata.engine.dialect.name == "postgresql"
    assert not (Path(server.data_dir) / "leadline.sqlite3").exists()


def test_the_database_password_never_appears_in_the_log(server: LiveServer, postgres: PostgresCluster) -> None:
    assert postgres.password not in server.log()


def test_sites_created_at_once_over_http_are_all_listed(server: LiveServer, tenant: Tenant) -> None:
    # Twenty requests in flight at once: the server's threads share its connection pool.
    def create(number: int) -> int:
        with server.client(tenant.key) as http:
            return http.post("/v1/sites", json={"name": f"Parallel {number}"}).status_code

    with ThreadPoolExecutor(20) as pool:
        statuses = list(pool.map(create, range(20)))
    assert statuses == [200] * 20
    listed = tenant.http.get("/v1/sites", params={"limit": 100}).json()["data"]
    assert sorted(item["name"] for item in listed) == sorted(f"Parallel {number}" for number in range(20))


def hit(server: LiveServer, site_id: str, url: str, name: str = "") -> httpx.Response:
    body = {"site": site_id, "url": url, **({"name": name} if name else {})}
    return httpx.post(server.url("/api/event"), json=body, headers={"User-Agent": BROWSER})


def test_the_first_accepted_hit_binds_the_site_and_a_completion_creates_its_event(
    server: LiveServer, tenant: Tenant
) -> None:
    site_id = tenant.http.post("/v1/sites", json={"name": "Shop"}).json()["id"]
    assert hit(server, site_id, "https://www.shop.example/", name="Signup").status_code == 202
    assert hit(server, site_id, "https://shop.example/", name="Signup").status_code == 202
    assert tenant.http.get(f"/v1/sites/{site_id}").json()["domains"] == ["shop.example"]
    assert [event.name for event in server.metadata.events.list_all(site_id)] == ["Signup"]


def test_a_hostname_too_long_to_be_one_is_refused_not_a_server_error(server: LiveServer, tenant: Tenant) -> None:
    site_id = tenant.http.post("/v1/sites", json={"name": "Shop"}).json()["id"]
    answer = hit(server, site_id, f"https://{'a' * 60}.{'b' * 60}.{'c' * 60}.{'d' * 60}.{'e' * 60}.example/")
    assert answer.status_code == 400 and "hostname" in answer.json()["error"]
    assert tenant.http.get(f"/v1/sites/{site_id}").json()["domains"] == []
