"""A site changed by a `leadline` command reaches the caches of a running server's workers through Redis at once,
not only when their entries expire (a minute later).

The CLI has no command that edits a site yet, so the change goes through `cli.stores.metadata_store`, the
store every command opens: what it publishes, any command that changes a site publishes.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from leadline.cli.stores import metadata_store
from leadline.collect.directories import ENTRY_SECONDS
from leadline.config import Settings
from tests.live_server import LiveServer, start_server
from tests.scaleout.test_two_workers import BROWSER, WORKERS_START_SECONDS, connections_to_each_worker, eventually
from tests.servers.clickhouse import ClickHouseCluster
from tests.servers.postgres import PostgresCluster
from tests.servers.redis import RedisServer

# Well within the caches' own expiry: a change seen this soon came by Redis.
NOTICE_SECONDS = 5.0


@pytest.fixture
def two_workers(
    tmp_path: Path, postgres: PostgresCluster, clickhouse_cluster: ClickHouseCluster, redis_server: RedisServer
) -> Iterator[tuple[LiveServer, Settings]]:
    """`leadline serve` with 2 workers, and the settings a command run beside it has."""
    database_url = postgres.new_database()
    redis_server.empty()
    settings = {
        "LEADLINE_WORKERS": "2",
        "LEADLINE_DATABASE_URL": database_url,
        "LEADLINE_EVENTS_URL": clickhouse_cluster.new_url(),
        "LEADLINE_REDIS_URL": redis_server.url,
        # Hits stay in the spool files, which tell which worker took a connection.
        "LEADLINE_SPOOL_SEGMENT_SECONDS": "60",
        "LEADLINE_FLUSH_INTERVAL_SECONDS": "60",
    }
    server = start_server(tmp_path / "server", settings, timeout=WORKERS_START_SECONDS)
    try:
        spools = [server.data_dir / "spool" / str(index) for index in (0, 1)]
        if not eventually(lambda: all(spool.is_dir() for spool in spools), WORKERS_START_SECONDS):
            pytest.fail(f"the second worker did not start:\n{server.log()}")
        yield server, Settings(data_dir=server.data_dir, database_url=database_url, redis_url=redis_server.url)
    finally:
        server.stop()
        postgres.drop_database(database_url)


def test_a_site_a_command_deletes_is_unknown_to_both_workers_at_once(
    two_workers: tuple[LiveServer, Settings],
) -> None:
    server, command_settings = two_workers
    account = server.new_account()
    site = server.new_site(account)
    by_worker = connections_to_each_worker(server, site.id)  # each worker has now cached the site
    try:
        with metadata_store(command_settings) as store:
            store.sites.delete(account.id, site.id)
        deleted_at = time.monotonic()

        def status_on(client: httpx.Client) -> int:
            body = {"site": site.id, "url": "https://shop.example/"}
            return client.post("/api/event", json=body, headers={"User-Agent": BROWSER}).status_code

        both = [by_worker[0][0], by_worker[1][0]]
        assert eventually(lambda: [status_on(client) for client in both] == [404, 404], NOTICE_SECONDS)
        assert time.monotonic() - deleted_at < min(NOTICE_SECONDS, ENTRY_SECONDS)
    finally:
        for client in by_worker[0] + by_worker[1]:
            client.close()
