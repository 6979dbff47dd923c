"""Shared fixtures: a live server per session (generous rate limits), accounts and keys per test; an in-process
deployment over a fresh data directory."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from leadline.config import Settings
from leadline.deployment import Deployment, build_deployment
from leadline.store.metadata.records import Account, Site
from tests.live_server import LiveServer, start_server

# Real servers the tests start themselves (PostgreSQL, Redis, ClickHouse), as fixtures any test may ask for.
pytest_plugins = ["tests.servers.postgres", "tests.servers.redis", "tests.servers.clickhouse"]

UNLIMITED = {"LEADLINE_MANAGEMENT_RATE_LIMIT": "1000000/hour", "LEADLINE_REPORTS_RATE_LIMIT": "1000000/hour"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The files of slow end-to-end tests first, then files by their number of tests, most first (the order
    within each file kept). The two workers of `make test` take a file at a time in this order (the Makefile
    turns off xdist's own reordering, by number of tests alone): the README's test (the longest, 1.5-3 minutes,
    with four tests) then runs beside the others from the start instead of last, alone for minutes after them."""
    slow_files = {item.path for item in items if item.get_closest_marker("slow")}
    tests_per_file = Counter(item.path for item in items)
    items.sort(key=lambda item: (item.path not in slow_files, -tests_per_file[item.path]))


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = start_server(tmp_path_factory.mktemp("server"), UNLIMITED)
    yield live
    live.stop()


@dataclass
class Tenant:
    """An account with a full-access key and an HTTP client using it."""

    account: Account
    key: str
    http: httpx.Client

    def site(self, server: LiveServer, name: str = "Site") -> Site:
        return server.new_site(self.account, name)


@pytest.fixture
def tenant(server: LiveServer) -> Iterator[Tenant]:
    account = server.new_account()
    key = server.new_key(account, "*")
    with server.client(key) as http:
        yield Tenant(account=account, key=key, http=http)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "leadline-data"


@pytest.fixture
def deployment(data_dir: Path) -> Iterator[Deployment]:
    """Every part of a deployment over embedded stores in `data_dir`, built as `leadline serve` builds them."""
    built = build_deployment(Settings(data_dir=data_dir))
    yield built
    built.close()
