"""`leadline backup` while a server runs and takes hits, `leadline restore` into a new data directory: the restored
server answers every API call as the original did, and holds every hit acknowledged before the backup, once."""

from __future__ import annotations

import io
import json
import stat
import subprocess
import sys
import tarfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from leadline.collect.spool import SEGMENT_BYTES
from leadline.config import Settings
from leadline.deployment import build_deployment
from leadline.publishing.datasets import DATASETS
from leadline.store.events.base import compact_closed_days
from leadline.store.events.duckdb_compaction import CompactionRun
from leadline.store.metadata.records import Site
from leadline.store.metadata.store import open_metadata_store
from leadline.traffic.bulk import load_traffic
from leadline.traffic.config import TrafficConfig
from tests.collect.test_collector_over_http import BROWSER, stored_hits
from tests.conftest import UNLIMITED
from tests.live_server import LiveServer, leadline_env, start_server

TIMEZONE = "Europe/Berlin"
# Longer than the event store keeps days in its tables: the oldest are compacted into cold files before serving.
DAYS = 50
# Long spool segments: the hits the test sends stay in the spool's open segment (up to 5000 of them), so the
# backup can hold them only by copying the spool, and the restored server only by replaying it.
SERVER_SETTINGS = {**UNLIMITED, "LEADLINE_SPOOL_SEGMENT_SECONDS": "30", "LEADLINE_FLUSH_INTERVAL_SECONDS": "0.1"}


@dataclass
class Original:
    """A deployment with history (synthetic traffic, events, milestones, a client, publications) being served."""

    server: LiveServer
    key: str
    shop: Site  # history only: nothing reaches it during the test
    live: Site  # takes hits while the backup runs
    unpublished_day: date  # a closed day beyond the publisher's look-back: never published


@dataclass
class Sender:
    """Sends pageviews with numbered paths to the live site until stopped, remembering each acknowledged one."""

    server: LiveServer
    site: Site
    acknowledged: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        with httpx.Client(timeout=5) as client:
            for n in range(100_000):
                if self._stop.is_set():
                    return
                path = f"/live/{n}"
                answer = client.post(
                    self.server.url("/api/event"),
                    json={"site": self.site.id, "url": f"https://live.example{path}"},
                    headers={"User-Agent": BROWSER},
                )
                if answer.status_code == 202:
                    self.acknowledged.append(path)


def leadline(*arguments: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "leadline", *arguments],
        env=leadline_env(data_dir),
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Original]:
    data_dir = tmp_path_factory.mktemp("original")
    deployment = build_deployment(Settings(data_dir=data_dir))
    try:
        metadata = deployment.metadata
        account = metadata.accounts.create("Shop", "owner@shop.test", TIMEZONE)
        key = metadata.api_keys.create(account.id, ["*"]).key
        shop = metadata.sites.create(account.id, {"name": "Shop"}, default_timezone=TIMEZONE)
        live = metadata.sites.create(account.id, {"name": "Live"}, default_timezone=TIMEZONE)
        metadata.milestones.create(shop.id, "Launch", date.today() - timedelta(days=10))
        metadata.integration_clients.create(account.id, shop.id, tuple(DATASETS), name="Warehouse")
        end = time.time() - 3 * 3600
        config = TrafficConfig(
            site_id=shop.id, start=end - DAYS * 86400, end=end, seed=13, hits_per_day=300, timezone=TIMEZONE
        )
        assert load_traffic(deployment, config, bind_hostnames=False).stored > 0
        compacted = compact_closed_days(deployment.event_store, datetime.now(UTC).date() - timedelta(days=1))
        assert isinstance(compacted, CompactionRun) and compacted.frozen_files > 0  # a backup must carry them
        # What the server's publisher would publish soon after its start, published now: the publications
        # then stay as they are while the test compares them. Signed with a key sealed by the secret key.
        settings = deployment.settings
        grace = timedelta(seconds=settings.publication_grace_seconds)
        assert deployment.publisher.publish_due(grace, settings.publication_lookback_days)
    finally:
        deployment.close()
    server = start_server(data_dir, SERVER_SETTINGS)
    yield Original(server, key, shop, live, unpublished_day=datetime.now(UTC).date() - timedelta(days=12))
    server.stop()


def api_answers(server: LiveServer, key: str, shop: Site) -> dict[str, Any]:
    """Every read of the API worth comparing, by request; current visitors by shape (they depend on the clock)."""
    pageviews = {"entity": "pageview", "entity_id": shop.id, "aggregates": "visits,uniques,pageviews,avg_duration"}
    reports = {
        "totals": {**pageviews, "aggregates": "visits,uniques,pageviews,avg_duration,bounce_rate"},
        "by day": {**pageviews, "date_grouping": "day", "timezone": TIMEZONE},
        "by month and browser": {**pageviews, "date_grouping": "month", "field_grouping": "browser"},
        "by pathname": {**pageviews, "field_grouping": "pathname", "sort_by": "pageviews:desc", "limit": "50"},
        "by referrer": {**pageviews, "field_grouping": "referrer_hostname", "sort_by": "visits:desc"},
        "filtered by hour": {
            **pageviews,
            "date_grouping": "hour",
            "filters": json.dumps([{"field": "browser", "operator": "is not", "value": "Safari"}]),
        },
        "signups": {
            "entity": "event",
            "site_id": shop.id,
            "entity_name": "Signup",
            "aggregates": "conversions,unique_conversions,value",
            "date_grouping": "day",
        },
    }
    answers: dict[str, Any] = {}
    with server.client(key) as http:

        def read(path: str, params: dict[str, str] | None = None) -> Any:
            answer = http.get(path, params=params)
            assert answer.status_code == 200, (path, params, answer.text)
            return answer.json()

        for path in ("/v1/account", "/v1/sites", f"/v1/sites/{shop.id}", "/v1/integration_clients"):
            answers[path] = read(path)
        answers["events"] = read(f"/v1/sites/{shop.id}/events", {"limit": "100"})
        answers["milestones"] = read(f"/v1/sites/{shop.id}/milestones")
        for name, params in reports.items():
            answers[name] = read("/v1/aggregations", params)
        current = read("/v1/current_visitors", {"site_id": shop.id, "detailed": "true"})
        answers["current visitors shape"] = sorted(current)
    return answers


def publications(data_dir: Path, site: Site) -> list[Any]:
    store = open_metadata_store(f"sqlite:///{data_dir / 'leadline.sqlite3'}", migrate=False)
    try:
        return store.publications.recent(site.id, tuple(DATASETS), 30)
    finally:
        store.close()


def test_a_backup_taken_while_serving_hits_restores_to_a_server_with_the_same_answers(
    original: Original, tmp_path: Path
) -> None:
    server = original.server
    sender = Sender(server, original.live)
    sender.start()
    try:
        while len(sender.acknowledged) < 200:
            time.sleep(0.02)
        # After the live site's first hit, which binds its hostname (shown by /v1/sites).
        expected = api_answers(server, original.key, original.shop)
        acknowledged_before = set(sender.acknowledged)
        backup_file = tmp_path / "leadline.tar"
        taken = leadline("backup", "--out", str(backup_file), "--json", data_dir=server.data_dir)
    finally:
        sender.stop()
    assert taken.returncode == 0, taken.stderr
    manifest = json.loads(taken.stdout)["manifest"]
    assert manifest["taken_by"] == "server"
    assert {"metadata", "events", "spool"} <= {item["role"] for item in manifest["contents"]}
    # The open segment is copied up to its last record, not with the space it reserved for the next ones.
    assert all(item["bytes"] < SEGMENT_BYTES for item in manifest["contents"] if item["role"] == "spool")
    assert manifest["secret_key"] == {"source": "data_dir", "included": True, "note": manifest["secret_key"]["note"]}
    assert stat.S_IMODE(backup_file.stat().st_mode) == 0o600

    restored_dir = tmp_path / "restored"
    restored = leadline("restore", str(backup_file), "--data-dir", str(restored_dir), data_dir=restored_dir)
    assert restored.returncode == 0, restored.stderr
    assert stat.S_IMODE(restored_dir.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(path.stat().st_mode) == 0o600 for path in restored_dir.rglob("*") if path.is_file())

    copy = start_server(restored_dir, SERVER_SETTINGS)
    try:
        assert api_answers(copy, original.key, original.shop) == expected
    finally:
        copy.stop()  # also replays the spool segments the backup held

    assert publications(restored_dir, original.shop) == publications(server.data_dir, original.shop)
    live_paths = [hit["pathname"] for hit in stored_hits(restored_dir, original.live.id)]
    assert len(live_paths) == len(set(live_paths)), "a hit was restored twice"
    assert acknowledged_before <= set(live_paths), "a hit acknowledged before the backup is missing"
    assert set(live_paths) <= set(sender.acknowledged)
    # The secret key came along: the restored deployment can still sign with its sealed signing key.
    day = original.unpublished_day.isoformat()
    published = leadline("publish", "--site", original.shop.id, "--date", day, "--json", data_dir=restored_dir)
    assert published.returncode == 0, published.stderr
    assert all(publication["created"] for publication in json.loads(published.stdout)["publications"])


@dataclass
class QuietBackup:
    data_dir: Path  # no server runs over it
    backup_file: Path
    manifest: dict[str, Any]


@pytest.fixture(scope="module")
def quiet(tmp_path_factory: pytest.TempPathFactory) -> QuietBackup:
    """A backup of a data directory that no server runs over, with a segment a crashed run left in the spool."""
    root = tmp_path_factory.mktemp("quiet")
    data_dir = root / "data"
    deployment = build_deployment(Settings(data_dir=data_dir))
    account = deployment.metadata.accounts.create("Quiet", "quiet@example.test")
    deployment.metadata.sites.create(account.id, {"name": "Quiet"})
    deployment.close()
    (data_dir / "spool").mkdir(exist_ok=True)
    (data_dir / "spool" / "00000000000000000001-1.open").write_bytes(b"")
    backup_file = root / "quiet.tar"
    taken = leadline("backup", "--out", str(backup_file), "--json", data_dir=data_dir)
    assert taken.returncode == 0, taken.stderr
    return QuietBackup(data_dir, backup_file, json.loads(taken.stdout)["manifest"])


def test_a_backup_without_a_server_is_taken_by_the_command_itself(quiet: QuietBackup) -> None:
    assert quiet.manifest["taken_by"] == "command"
    # Under its closed name: a restored server replays it (or skips it, if the event store has its batch id).
    assert [item["path"] for item in quiet.manifest["contents"] if item["role"] == "spool"] == [
        "spool/00000000000000000001-1.seg"
    ]


def test_a_backup_never_overwrites_a_file(quiet: QuietBackup) -> None:
    refused = leadline("backup", "--out", str(quiet.backup_file), data_dir=quiet.data_dir)

    assert refused.returncode == 2
    assert "exists" in refused.stderr


def test_restore_refuses_a_data_directory_that_is_not_empty(quiet: QuietBackup) -> None:
    refused = leadline("restore", str(quiet.backup_file), data_dir=quiet.data_dir)

    assert refused.returncode == 2
    assert "not an empty directory" in refused.stderr


def test_restore_refuses_a_damaged_backup_and_leaves_nothing_behind(quiet: QuietBackup, tmp_path: Path) -> None:
    damaged = tmp_path / "damaged.tar"
    with tarfile.open(quiet.backup_file) as source, tarfile.open(damaged, "w") as target:
        for member in source:
            content = source.extractfile(member)
            data = content.read() if content is not None else b""
            if member.name == "leadline.sqlite3":
                data = data[:-1] + bytes([data[-1] ^ 1])
            target.addfile(member, io.BytesIO(data))

    refused = leadline("restore", str(damaged), data_dir=tmp_path / "new")

    assert refused.returncode == 2
    assert "SHA-256" in refused.stderr
    assert not (tmp_path / "new").exists()
