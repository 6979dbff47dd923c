"""`leadline remote`: sites and aggregations over REST, `pull` of verified publications, and one-line errors."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner, Result

from leadline.cli.remote import remote_app
from tests.client.test_integration_client import PublishingDemo, publishing_demo
from tests.live_server import free_port


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PublishingDemo]:
    with publishing_demo(tmp_path_factory.mktemp("remote-demo") / "data") as running:
        yield running


def remote(demo: PublishingDemo, *args: str, expect: int = 0, **env: str) -> Result:
    """Run `leadline remote ...` with the demo's URL and credentials in the environment (overridable)."""
    environment = {
        "LEADLINE_URL": demo.base_url,
        "LEADLINE_API_KEY": demo.api_key,
        "LEADLINE_CLIENT_ID": demo.client_id,
        "LEADLINE_CLIENT_SECRET": demo.client_secret,
        "COLUMNS": "200",
    } | env
    result = CliRunner().invoke(remote_app, list(args), env=environment)
    assert result.exit_code == expect, result.output
    return result


def remote_json(demo: PublishingDemo, *args: str) -> Any:
    return json.loads(remote(demo, *args, "--json").stdout)


def test_sites_lists_every_site_of_the_key(demo: PublishingDemo) -> None:
    sites = remote_json(demo, "sites")
    assert [site["id"] for site in sites] == [demo.site_id]
    assert set(sites[0]) >= {"id", "name", "sharing", "timezone", "created_at"}
    assert demo.site_id in remote(demo, "sites").stdout  # the table


def test_aggregate_answers_as_the_rest_api_does(demo: PublishingDemo) -> None:
    options = {
        "entity": "pageview",
        "entity_id": demo.site_id,
        "aggregates": "visits,pageviews",
        "date_grouping": "month",
        "sort_by": "date:asc",
        "timezone": "UTC",
    }
    args = [f"--{name.replace('_', '-')}={value}" for name, value in options.items()]
    rows = remote_json(demo, "aggregate", *args)
    direct = httpx.get(
        demo.base_url + "/v1/aggregations", params=options, headers={"Authorization": f"Bearer {demo.api_key}"}
    )
    assert rows == direct.json()["data"]
    assert sum(int(row["pageviews"]) for row in rows) > 0

    only_home = '[{"field":"pathname","operator":"is","value":"/"}]'
    filtered = remote_json(demo, "aggregate", *args, "--field-grouping=pathname", "--limit=3", f"--filters={only_home}")
    assert filtered and {row["pathname"] for row in filtered} == {"/"}


def test_pull_downloads_verifies_each_publication_then_skips_what_is_present(
    demo: PublishingDemo, tmp_path: Path
) -> None:
    out = tmp_path / "pulled"
    pulled = remote(demo, "pull", "--days", "30", "--out", str(out), "--json")
    assert pulled.stderr == ""
    summary = json.loads(pulled.stdout)
    assert (summary["downloaded"], summary["present"], summary["failed"]) == (len(demo.publications), 0, 0)
    for publication in demo.publications:
        entry = next(entry for entry in summary["publications"] if entry["id"] == publication.id)
        expected = out / publication.dataset_name / f"{publication.day}_v{publication.version}_{publication.id}.parquet"
        assert entry["path"] == str(expected) and expected.is_file()
        assert (entry["status"], entry["verified"], entry["rows"]) == ("downloaded", True, publication.row_count)
    assert not [path for path in out.rglob("*") if path.is_file() and path.suffix != ".parquet"]

    again = remote_json(demo, "pull", "--days", "30", "--out", str(out))
    assert (again["downloaded"], again["present"], again["failed"]) == (0, len(demo.publications), 0)

    table = remote(demo, "pull", "--days", "30", "--out", str(out)).stdout
    assert f"0 downloaded, {len(demo.publications)} already present, 0 failed" in table


def test_pull_can_take_one_dataset_without_verifying(demo: PublishingDemo, tmp_path: Path) -> None:
    summary = remote_json(
        demo, "pull", "--days", "30", "--out", str(tmp_path), "--dataset", "daily_pages", "--no-verify"
    )
    pages = [p for p in demo.publications if p.dataset_name == "daily_pages"]
    assert summary["downloaded"] == len(pages) > 0
    assert {entry["dataset"] for entry in summary["publications"]} == {"daily_pages"}
    assert {entry["verified"] for entry in summary["publications"]} == {False}
    assert sorted(path.parent.name for path in tmp_path.rglob("*.parquet")) == ["daily_pages"] * len(pages)


def test_pull_against_a_wrong_pinned_key_fails_and_keeps_no_file(demo: PublishingDemo, tmp_path: Path) -> None:
    stranger = base64.b64encode(bytes(range(32))).decode()
    result = remote(demo, "pull", "--days", "30", "--out", str(tmp_path), "--public-key", stranger, "--json", expect=1)
    summary = json.loads(result.stdout)
    assert summary["failed"] == len(demo.publications) and summary["downloaded"] == 0
    assert all("(signature)" in entry["error"] for entry in summary["publications"])
    assert result.stderr.count("\n") == 1 and "failed" in result.stderr
    assert not [path for path in tmp_path.rglob("*") if path.is_file()]


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (("sites",), {"LEADLINE_API_KEY": "ll_not-a-key-1234"}, "answered 401"),
        (
            ("pull", "--days", "1", "--out", "unused"),
            {"LEADLINE_CLIENT_SECRET": "not-the-secret-4711"},
            "invalid_client",
        ),
        (
            ("aggregate", "--entity", "pageview", "--aggregates", "visits", "--filters", "{"),
            {},
            "--filters is not JSON",
        ),
        (("aggregate", "--entity", "pageview", "--aggregates", "nonsense"), {}, "answered 400"),
    ],
)
def test_errors_are_one_line_with_exit_code_1_and_never_show_secrets(
    demo: PublishingDemo, args: tuple[str, ...], env: dict[str, str], message: str
) -> None:
    result = remote(demo, *args, expect=1, **env)
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert message in result.stderr
    for secret in (demo.api_key, demo.client_secret, "ll_not-a-key-1234", "not-the-secret-4711"):
        assert secret not in result.output


def test_an_unreachable_server_is_one_line_too(demo: PublishingDemo) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    result = remote(demo, "sites", expect=1, LEADLINE_URL=nowhere)
    assert result.stderr.startswith(f"error: could not talk to {nowhere}") and result.stderr.count("\n") == 1
