"""`leadline publish` while `leadline serve` holds the embedded store: the server publishes, asked over its admin
socket, and answers as the command does on its own; refusals come back as the same one-line errors."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from leadline.cli import app
from leadline.config import Settings
from leadline.deployment import build_deployment
from leadline.store.metadata.records import Site
from leadline.traffic.bulk import load_traffic
from leadline.traffic.config import TrafficConfig
from tests.conftest import UNLIMITED
from tests.live_server import LiveServer, leadline_env, start_server

# The server's own publisher waits this long after a day ends: it publishes nothing while the tests run.
SERVER_SETTINGS = {**UNLIMITED, "LEADLINE_PUBLICATION_GRACE_SECONDS": "604800"}


@dataclass
class Serving:
    server: LiveServer
    site: Site
    closed_day: date  # a UTC day with hits, ended days ago


def leadline(data_dir: Path, *arguments: str) -> Result:
    """`leadline ARGUMENTS` run in this process (the server is another one), with the server's settings."""
    env: dict[str, str | None] = {name: None for name in os.environ if name.startswith("LEADLINE_")}
    env |= leadline_env(data_dir, SERVER_SETTINGS)
    return CliRunner().invoke(app, list(arguments), env=env)


@pytest.fixture(scope="module")
def serving(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Serving]:
    data_dir = tmp_path_factory.mktemp("publish-beside")
    deployment = build_deployment(Settings(data_dir=data_dir))
    try:
        account = deployment.metadata.accounts.create("Shop", "owner@shop.test", "UTC")
        site = deployment.metadata.sites.create(account.id, {"name": "Shop"}, default_timezone="UTC")
        end = time.time() - 86400
        config = TrafficConfig(site_id=site.id, start=end - 4 * 86400, end=end, seed=5, hits_per_day=300)
        assert load_traffic(deployment, config, bind_hostnames=False).stored > 0
    finally:
        deployment.close()
    server = start_server(data_dir, SERVER_SETTINGS)
    yield Serving(server, site, datetime.now(UTC).date() - timedelta(days=3))
    server.stop()


def test_publish_succeeds_while_the_server_holds_the_embedded_store(serving: Serving) -> None:
    day = serving.closed_day.isoformat()
    published = leadline(serving.server.data_dir, "publish", "--site", serving.site.id, "--date", day, "--json")

    assert published.exit_code == 0, published.output
    answer = json.loads(published.stdout)
    assert answer["site_id"] == serving.site.id
    assert answer["day"] == day
    assert [item["dataset"] for item in answer["publications"]] == ["daily_pages", "daily_sources", "daily_events"]
    assert all(item["created"] and item["version"] == 1 for item in answer["publications"])
    assert answer["publications"][0]["row_count"] > 0
    assert answer["publications"][0]["signer_email"] == "owner@shop.test"


def test_publishing_the_same_day_again_beside_the_server_keeps_the_publication(serving: Serving) -> None:
    day = serving.closed_day - timedelta(days=1)
    arguments = ("publish", "--site", serving.site.id, "--date", day.isoformat(), "--dataset", "daily_pages", "--json")
    first = json.loads(leadline(serving.server.data_dir, *arguments).stdout)["publications"]
    again = json.loads(leadline(serving.server.data_dir, *arguments).stdout)["publications"]

    assert [item["created"] for item in first + again] == [True, False]
    assert again[0]["id"] == first[0]["id"]


def test_the_running_server_refuses_a_day_not_yet_ended_as_the_command_would(serving: Serving) -> None:
    tomorrow = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()
    refused = leadline(serving.server.data_dir, "publish", "--site", serving.site.id, "--date", tomorrow)

    assert refused.exit_code == 2
    assert "has not ended yet in UTC" in refused.stderr


def test_the_running_server_refuses_an_unknown_site(serving: Serving) -> None:
    refused = leadline(serving.server.data_dir, "publish", "--site", "NOSUCHSITE", "--date", "2024-01-01")

    assert refused.exit_code == 2
    assert "no site 'NOSUCHSITE'" in refused.stderr
    assert serving.server.process.poll() is None, "a refused request leaves the server running"
