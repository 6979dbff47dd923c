"""`leadline migrate --from DATA_DIR`: an embedded deployment with `leadline demo` traffic moved into PostgreSQL and
a new DuckDB file answers every report alike, with the same API keys, client secrets and signing keys; a second
run copies nothing; a target with another secret key is refused before anything is copied."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner, Result

from leadline.cli import app
from leadline.config import Settings
from leadline.deployment import build_deployment
from leadline.publishing.datasets import DATASETS
from leadline.store.events import Hit, HitKind, open_event_store
from leadline.store.metadata.records import Site
from leadline.store.metadata.store import open_metadata_store
from leadline.traffic.bulk import load_traffic
from leadline.traffic.config import TrafficConfig
from leadline.traffic.demo import DEMO_SEED
from tests.conftest import UNLIMITED
from tests.live_server import LiveServer, leadline_env, start_server
from tests.operations.test_export_import import TIMEZONE, reports
from tests.servers.clickhouse import ClickHouseCluster
from tests.servers.postgres import PostgresCluster

# `leadline demo --hits 200000` spreads 200k hits over six months; the same traffic (seed, places) over 40 days
# with 10k hits keeps this module quick: hits are copied a day at a time, and each day costs round trips.
DEMO_HITS = 10_000
DEMO_DAYS = 40
# Settings of every server here: publications stay as the test made them while it compares.
SERVER_SETTINGS = {**UNLIMITED, "LEADLINE_PUBLICATION_GRACE_SECONDS": "604800"}


@dataclass
class Source:
    data_dir: Path
    site: Site
    key: str
    client_id: str
    client_secret: str
    answers: dict[str, Any]  # what its server answered, before the migration


def leadline(env: dict[str, str], *arguments: str, expect: int = 0) -> Result:
    """`leadline ARGUMENTS` run in this process with exactly these settings."""
    cleared: dict[str, str | None] = {name: None for name in os.environ if name.startswith("LEADLINE_")}
    result = CliRunner().invoke(app, list(arguments), env=cleared | env)
    assert result.exit_code == expect, result.output
    return result


def everything(server: LiveServer, source: Source) -> dict[str, Any]:
    """The reports, and the API's view of the metadata (with the source's API key)."""
    answers = reports(server, source.key, source.site.id)
    with server.client(source.key) as http:
        for path in ("/v1/account", "/v1/sites", f"/v1/sites/{source.site.id}", "/v1/integration_clients"):
            answers[path] = http.get(path).json()
        answers["events"] = http.get(f"/v1/sites/{source.site.id}/events", params={"limit": "100"}).json()
        answers["milestones"] = http.get(f"/v1/sites/{source.site.id}/milestones").json()
    return answers


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Source:
    data_dir = tmp_path_factory.mktemp("embedded")
    deployment = build_deployment(Settings(data_dir=data_dir))
    try:
        metadata = deployment.metadata
        account = metadata.accounts.create("Demo", "demo@example.com", TIMEZONE)
        key = metadata.api_keys.create(account.id, ["*"]).key
        site = metadata.sites.create(account.id, {"name": "Demo site"}, default_timezone=TIMEZONE)
        metadata.milestones.create(site.id, "Launch", datetime.now(UTC).date() - timedelta(days=40))
        issued = metadata.integration_clients.create(account.id, site.id, tuple(DATASETS), name="Warehouse")
        end = time.time()
        config = TrafficConfig(
            site_id=site.id,
            start=end - DEMO_DAYS * 86400,
            end=end,
            seed=DEMO_SEED,
            total_hits=DEMO_HITS,
            timezone=TIMEZONE,
        )
        assert load_traffic(deployment, config, bind_hostnames=False, synthetic_places=True).stored == DEMO_HITS
        # Publications signed with a key sealed under the secret key (made in the data directory).
        deployment.publisher.publish(site, datetime.now(UTC).date() - timedelta(days=20))
    finally:
        deployment.close()
    server = start_server(data_dir, SERVER_SETTINGS)
    try:
        found = Source(data_dir, site, key, issued.client.id, issued.secret, {})
        found.answers = everything(server, found)
    finally:
        server.stop()
    return found


@dataclass
class Target:
    env: dict[str, str]
    data_dir: Path
    database_url: str
    first: dict[str, Any]  # the first migration's report
    second: dict[str, Any]  # the second's


@pytest.fixture(scope="module")
def migrated(source: Source, postgres: PostgresCluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    """The source migrated twice into PostgreSQL + a DuckDB file in a new data directory (no secret key of its own)."""
    database_url = postgres.new_database()
    data_dir = tmp_path_factory.mktemp("scaled")
    env = leadline_env(data_dir, {**SERVER_SETTINGS, "LEADLINE_DATABASE_URL": database_url})
    first = json.loads(leadline(env, "migrate", "--from", str(source.data_dir), "--json").stdout)
    second = json.loads(leadline(env, "migrate", "--from", str(source.data_dir), "--json").stdout)
    yield Target(env, data_dir, database_url, first, second)
    postgres.drop_database(database_url)


def test_the_migration_copies_every_row_and_every_days_hits(source: Source, migrated: Target) -> None:
    report = migrated.first
    tables = {copy["table"]: copy for copy in report["tables"]}
    (site,) = report["sites"]

    assert report["matches"] is True
    assert site["site_id"] == source.site.id
    assert site["source_hits"] == site["target_hits"] == DEMO_HITS
    assert len(site["days"]) >= DEMO_DAYS and all(day["source"] == day["target"] for day in site["days"])
    for name in ("accounts", "api_keys", "sites", "events", "milestones", "integration_clients", "signing_keys"):
        assert tables[name]["source"] == tables[name]["copied"] == tables[name]["target"] >= 1, name
    # The fixture's own publications at least; the source server's publisher may have added closed days meanwhile.
    for name in ("publications", "publication_rows"):
        assert tables[name]["source"] == tables[name]["copied"] == tables[name]["target"] >= len(DATASETS), name


def test_a_second_migration_copies_nothing(migrated: Target) -> None:
    report = migrated.second
    assert report["matches"] is True
    assert all(copy["copied"] == 0 for copy in report["tables"])
    assert all(site["days_copied"] == 0 for site in report["sites"])
    assert report["sites"] == [{**site, "days_copied": 0} for site in migrated.first["sites"]]


def test_the_secret_key_file_is_copied_to_a_target_without_one(source: Source, migrated: Target) -> None:
    assert (migrated.data_dir / "secret.key").read_bytes() == (source.data_dir / "secret.key").read_bytes()


def test_the_migrated_deployment_answers_as_before_with_the_same_keys_and_secrets(
    source: Source, migrated: Target
) -> None:
    server = start_server(migrated.data_dir, {**SERVER_SETTINGS, "LEADLINE_DATABASE_URL": migrated.database_url})
    try:
        assert everything(server, source) == source.answers
        form = {
            "grant_type": "client_credentials",
            "client_id": source.client_id,
            "client_secret": source.client_secret,
            "scope": server.url("/api/integrations"),
        }
        assert httpx.post(server.url("/oauth2/token"), data=form).status_code == 200
        # Publishing beside the server signs with the migrated signing key (opened with the copied secret key).
        day = (datetime.now(UTC).date() - timedelta(days=30)).isoformat()
        published = leadline(migrated.env, "publish", "--site", source.site.id, "--date", day, "--json")
        assert all(item["created"] for item in json.loads(published.stdout)["publications"])
        (signing_key,) = server.metadata.signing_keys.list_for_account(source.site.account_id)
        signer = {row.key_id for row in server.metadata.publications.recent(source.site.id, tuple(DATASETS), 100)}
        assert signer == {signing_key.id}
    finally:
        server.stop()


def test_a_target_with_another_secret_key_is_refused_before_anything_is_copied(source: Source, tmp_path: Path) -> None:
    env = leadline_env(tmp_path / "other", {"LEADLINE_SECRET_KEY": "another-secret-key-of-enough-length"})
    refused = leadline(env, "migrate", "--from", str(source.data_dir), expect=2)

    assert "secret key is not the one" in refused.stderr
    store = open_metadata_store(f"sqlite:///{tmp_path / 'other' / 'leadline.sqlite3'}", migrate=False)
    try:
        assert store.sites.list_all() == []
    finally:
        store.close()


def test_a_migration_into_another_embedded_data_directory_works_too(source: Source, tmp_path: Path) -> None:
    env = leadline_env(tmp_path / "copy")
    report = json.loads(leadline(env, "migrate", "--from", str(source.data_dir), "--json").stdout)

    assert report["matches"] is True
    events = open_event_store(f"duckdb:///{tmp_path / 'copy' / 'events.duckdb'}")
    try:
        assert events.count_hits(source.site.id) == DEMO_HITS
    finally:
        events.close()


def test_migrating_from_a_directory_without_embedded_stores_is_refused(tmp_path: Path) -> None:
    refused = leadline(leadline_env(tmp_path / "target"), "migrate", "--from", str(tmp_path), expect=2)
    assert "is not a Leadline data directory with embedded stores" in refused.stderr


def test_a_migration_into_a_clickhouse_cluster_answers_as_before(
    source: Source, clickhouse_cluster: ClickHouseCluster, tmp_path: Path
) -> None:
    settings = {**SERVER_SETTINGS, "LEADLINE_EVENTS_URL": clickhouse_cluster.new_url()}
    env = leadline_env(tmp_path / "sharded", settings)
    first = json.loads(leadline(env, "migrate", "--from", str(source.data_dir), "--json").stdout)
    second = json.loads(leadline(env, "migrate", "--from", str(source.data_dir), "--json").stdout)

    assert first["matches"] is second["matches"] is True
    assert [site["target_hits"] for site in first["sites"]] == [DEMO_HITS]
    assert all(site["days_copied"] == 0 for site in second["sites"])
    server = start_server(tmp_path / "sharded", settings)
    try:
        assert everything(server, source) == source.answers
    finally:
        server.stop()


def test_counts_that_differ_afterwards_are_printed_and_fail_the_command(source: Source, tmp_path: Path) -> None:
    busy_day = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=3)
    events = open_event_store(f"duckdb:///{tmp_path / 'busy' / 'events.duckdb'}")
    try:  # a hit of the site that the target holds already, and the source does not
        events.insert_hits([Hit(source.site.id, busy_day, HitKind.PAGEVIEW, 1, 1, "demo.example", "/extra")])
    finally:
        events.close()
    failed = leadline(leadline_env(tmp_path / "busy"), "migrate", "--from", str(source.data_dir), expect=1)

    assert f"differs: site {source.site.id} on {busy_day.date()}" in failed.stdout
    assert "the counts differ" in failed.stderr
