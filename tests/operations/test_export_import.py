"""`leadline export` and `leadline import`: a site's history as Parquet files per UTC day with a manifest, moved
into another deployment (both servers running) with every report answered alike; imports checked and idempotent."""

from __future__ import annotations

import json
import os
import shutil
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner, Result

from leadline.admin.client import ask
from leadline.cli import app
from leadline.config import Settings
from leadline.deployment import build_deployment
from leadline.store.events import open_event_store
from leadline.store.metadata.records import Site
from leadline.traffic.bulk import load_traffic
from leadline.traffic.config import TrafficConfig
from tests.conftest import UNLIMITED
from tests.live_server import LiveServer, leadline_env, start_server

TIMEZONE = "Europe/Berlin"
DAYS = 12


def leadline(data_dir: Path, *arguments: str, expect: int = 0) -> Result:
    """`leadline ARGUMENTS` run in this process (a server of `data_dir`, if any, is another one)."""
    env: dict[str, str | None] = {name: None for name in os.environ if name.startswith("LEADLINE_")}
    env |= leadline_env(data_dir, UNLIMITED)
    result = CliRunner().invoke(app, list(arguments), env=env)
    assert result.exit_code == expect, result.output
    return result


def reports(server: LiveServer, key: str, site_id: str) -> dict[str, Any]:
    """A representative set of /v1/aggregations answers for one site (they name no site id: comparable across)."""
    pageviews = {"entity": "pageview", "entity_id": site_id, "aggregates": "visits,uniques,pageviews,avg_duration"}
    requests: dict[str, dict[str, str]] = {
        "totals": {**pageviews, "aggregates": "visits,uniques,pageviews,avg_duration,bounce_rate"},
        "by day": {**pageviews, "date_grouping": "day", "timezone": TIMEZONE},
        "by month and browser": {**pageviews, "date_grouping": "month", "field_grouping": "browser"},
        "by pathname": {**pageviews, "field_grouping": "pathname", "sort_by": "pageviews:desc", "limit": "50"},
        "by referrer": {**pageviews, "field_grouping": "referrer_hostname", "sort_by": "visits:desc"},
        "by device": {**pageviews, "field_grouping": "device_type", "sort_by": "visits:desc"},
        "by utm source": {**pageviews, "field_grouping": "utm_source", "sort_by": "uniques:desc"},
        "filtered by hour": {
            **pageviews,
            "date_grouping": "hour",
            "filters": json.dumps([{"field": "browser", "operator": "is not", "value": "Safari"}]),
        },
        "signups": {
            "entity": "event",
            "site_id": site_id,
            "entity_name": "Signup",
            "aggregates": "conversions,unique_conversions,value",
            "date_grouping": "day",
        },
    }
    answers: dict[str, Any] = {}
    with server.client(key) as http:
        for name, params in requests.items():
            answer = http.get("/v1/aggregations", params=params)
            assert answer.status_code == 200, (name, answer.text)
            answers[name] = answer.json()
    return answers


@dataclass
class Deployed:
    """A served deployment with one site and a full-access key."""

    server: LiveServer
    site: Site
    key: str

    @property
    def data_dir(self) -> Path:
        return self.server.data_dir


def deploy(data_dir: Path, hits_per_day: float) -> Deployed:
    deployment = build_deployment(Settings(data_dir=data_dir))
    try:
        account = deployment.metadata.accounts.create("Shop", "owner@shop.test", TIMEZONE)
        key = deployment.metadata.api_keys.create(account.id, ["*"]).key
        site = deployment.metadata.sites.create(account.id, {"name": "Shop"}, default_timezone=TIMEZONE)
        if hits_per_day:
            end = time.time() - 3600
            config = TrafficConfig(
                site_id=site.id, start=end - DAYS * 86400, end=end, seed=3, hits_per_day=hits_per_day, timezone=TIMEZONE
            )
            assert load_traffic(deployment, config, bind_hostnames=False).stored > 0
    finally:
        deployment.close()
    return Deployed(start_server(data_dir, UNLIMITED), site, key)


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployed]:
    deployed = deploy(tmp_path_factory.mktemp("source"), hits_per_day=400)
    yield deployed
    deployed.server.stop()


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployed]:
    deployed = deploy(tmp_path_factory.mktemp("fresh"), hits_per_day=0)
    yield deployed
    deployed.server.stop()


@pytest.fixture(scope="module")
def exported(source: Deployed, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The source site's whole history, exported while its server runs (the server writes the files)."""
    out = tmp_path_factory.mktemp("exports") / "shop"
    result = leadline(source.data_dir, "export", "--site", source.site.id, "--out", str(out), "--json")
    answer: dict[str, Any] = json.loads(result.stdout)
    return answer


@pytest.fixture(scope="module")
def imported(exported: dict[str, Any], fresh: Deployed) -> dict[str, Any]:
    result = leadline(fresh.data_dir, "import", exported["path"], "--site", fresh.site.id, "--json")
    answer: dict[str, Any] = json.loads(result.stdout)
    return answer


def test_an_export_is_one_parquet_file_per_utc_day_with_a_manifest(exported: dict[str, Any], source: Deployed) -> None:
    manifest, out = exported["manifest"], Path(exported["path"])
    days = [file["day"] for file in manifest["files"]]

    assert manifest["format"] == "leadline-hits" and manifest["schema_version"] == 1
    assert manifest["site_id"] == source.site.id
    assert days == sorted(days) and DAYS <= len(days) <= DAYS + 1
    assert sorted(path.name for path in out.iterdir()) == sorted(
        [*(f"hits-{day}.parquet" for day in days), "manifest.json"]
    )
    assert manifest["rows"] == sum(file["rows"] for file in manifest["files"]) > DAYS * 200
    first = manifest["files"][0]
    assert pq.read_metadata(out / first["path"]).num_rows == first["rows"]
    assert stat.S_IMODE((out / first["path"]).stat().st_mode) == 0o600
    assert {event["name"] for event in manifest["events"]} >= {"Signup"}


def test_an_export_imported_into_a_fresh_deployment_answers_every_report_alike(
    source: Deployed, fresh: Deployed, imported: dict[str, Any], exported: dict[str, Any]
) -> None:
    assert imported["rows"] == exported["manifest"]["rows"]
    assert imported["files_stored"] == len(exported["manifest"]["files"])
    assert imported["exported_site_id"] == source.site.id != fresh.site.id

    assert reports(fresh.server, fresh.key, fresh.site.id) == reports(source.server, source.key, source.site.id)


def test_importing_the_same_export_again_stores_nothing_twice(
    fresh: Deployed, imported: dict[str, Any], exported: dict[str, Any]
) -> None:
    before = reports(fresh.server, fresh.key, fresh.site.id)
    again = json.loads(leadline(fresh.data_dir, "import", exported["path"], "--site", fresh.site.id, "--json").stdout)

    assert again["files_stored"] == 0
    assert again["files_already_stored"] == len(exported["manifest"]["files"])
    assert reports(fresh.server, fresh.key, fresh.site.id) == before


def test_an_export_can_be_limited_to_a_range_of_days(source: Deployed, tmp_path: Path) -> None:
    result = leadline(
        source.data_dir, "export", "--site", source.site.id, "--from", "2000-01-01", "--to", "2000-01-02",
        "--out", str(tmp_path / "none"), "--json",
    )  # fmt: skip
    assert json.loads(result.stdout)["manifest"]["files"] == []

    everything = json.loads(
        leadline(source.data_dir, "export", "--site", source.site.id, "--out", str(tmp_path / "all"), "--json").stdout
    )
    second_day = everything["manifest"]["files"][1]
    one = leadline(
        source.data_dir, "export", "--site", source.site.id, "--from", second_day["day"], "--to", second_day["day"],
        "--out", str(tmp_path / "one"), "--json",
    )  # fmt: skip
    assert [file["rows"] for file in json.loads(one.stdout)["manifest"]["files"]] == [second_day["rows"]]


def test_an_export_refuses_a_directory_that_is_not_empty(source: Deployed, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    refused = leadline(source.data_dir, "export", "--site", source.site.id, "--out", str(tmp_path), expect=2)
    assert "not empty" in refused.stderr
    assert [path.name for path in tmp_path.iterdir()] == ["notes.txt"]


@pytest.fixture
def quiet(tmp_path: Path) -> tuple[Path, Site]:
    """A data directory with an empty site and no server running: the commands open the stores themselves."""
    data_dir = tmp_path / "quiet"
    deployment = build_deployment(Settings(data_dir=data_dir))
    try:
        account = deployment.metadata.accounts.create("Quiet", "quiet@example.com", TIMEZONE)
        site = deployment.metadata.sites.create(account.id, {"name": "Quiet"}, default_timezone=TIMEZONE)
    finally:
        deployment.close()
    return data_dir, site


def stored_hits(data_dir: Path, site: Site) -> int:
    events = open_event_store(f"duckdb:///{data_dir / 'events.duckdb'}")
    try:
        return events.count_hits(site.id)
    finally:
        events.close()


def test_without_a_server_the_command_imports_by_itself(
    quiet: tuple[Path, Site], exported: dict[str, Any], tmp_path: Path
) -> None:
    data_dir, site = quiet
    answer = json.loads(leadline(data_dir, "import", exported["path"], "--site", site.id, "--json").stdout)

    assert answer["files_stored"] == len(exported["manifest"]["files"])
    assert stored_hits(data_dir, site) == exported["manifest"]["rows"]
    again = leadline(data_dir, "export", "--site", site.id, "--out", str(tmp_path / "back"), "--json")
    assert [file["rows"] for file in json.loads(again.stdout)["manifest"]["files"]] == [
        file["rows"] for file in exported["manifest"]["files"]
    ]


def damaged_copy(exported: dict[str, Any], tmp_path: Path) -> tuple[Path, list[dict[str, Any]]]:
    copy = tmp_path / "copy"
    shutil.copytree(exported["path"], copy)
    return copy, exported["manifest"]["files"]


def test_an_import_with_an_altered_file_is_refused_and_stores_nothing(
    quiet: tuple[Path, Site], exported: dict[str, Any], tmp_path: Path
) -> None:
    data_dir, site = quiet
    copy, files = damaged_copy(exported, tmp_path)
    last = copy / files[-1]["path"]
    content = bytearray(last.read_bytes())
    content[len(content) // 2] ^= 0xFF
    last.write_bytes(bytes(content))

    refused = leadline(data_dir, "import", str(copy), "--site", site.id, expect=2)
    assert f"{files[-1]['path']} does not match its SHA-256 in the manifest" in refused.stderr
    assert stored_hits(data_dir, site) == 0


def test_an_import_with_a_missing_file_is_refused_and_stores_nothing(
    quiet: tuple[Path, Site], exported: dict[str, Any], tmp_path: Path
) -> None:
    data_dir, site = quiet
    copy, files = damaged_copy(exported, tmp_path)
    (copy / files[-1]["path"]).unlink()

    refused = leadline(data_dir, "import", str(copy), "--site", site.id, expect=2)
    assert f"{files[-1]['path']} is missing from the export" in refused.stderr
    assert stored_hits(data_dir, site) == 0


def test_an_import_into_a_site_that_does_not_exist_is_refused_by_the_running_server(
    fresh: Deployed, exported: dict[str, Any]
) -> None:
    refused = leadline(fresh.data_dir, "import", exported["path"], "--site", "NOSUCHSITE", expect=2)
    assert "no site 'NOSUCHSITE'" in refused.stderr


def test_the_admin_socket_refuses_an_export_or_import_without_a_directory(fresh: Deployed) -> None:
    socket_path = fresh.data_dir / "admin.sock"
    for command in ("export", "import"):
        assert ask(socket_path, {"command": command, "site": fresh.site.id}) == {
            "ok": False,
            "error": f"{command} needs one open directory, sent with the request",
        }
