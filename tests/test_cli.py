"""The `leadline` command: the `--json` contracts other tools rely on, and readable errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.live_server import demo_output, free_port, leadline_env


def leadline(data_dir: Path, *args: str, expect: int = 0) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "leadline", *args],
        env=leadline_env(data_dir, {"COLUMNS": "200"}),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == expect, result.stdout + result.stderr
    return result


def leadline_json(data_dir: Path, *args: str) -> Any:
    return json.loads(leadline(data_dir, *args, "--json").stdout)


def test_accounts_keys_and_sites_are_created_with_json_output(data_dir: Path) -> None:
    account = leadline_json(data_dir, "accounts", "create", "--name", "Acme", "--email", "ops@acme.test")
    assert set(account) >= {"id"}
    site = leadline_json(data_dir, "sites", "create", "--account", account["id"], "--name", "Acme site")
    key = leadline_json(
        data_dir,
        "keys",
        "create",
        "--account",
        account["id"],
        "--permission",
        f"read:{site['id']}",
        "--permission",
        f"manage:{site['id']}",
    )
    assert set(key) >= {"id", "key"} and key["key"].startswith("ll_")
    assert key["permissions"] == [f"read:{site['id']}", f"manage:{site['id']}"]
    listed = leadline_json(data_dir, "keys", "list", "--account", account["id"])
    assert [entry["id"] for entry in listed] == [key["id"]]
    assert key["key"] not in json.dumps(listed)
    assert [entry["id"] for entry in leadline_json(data_dir, "sites", "list")] == [site["id"]]


def test_revoking_a_key_is_reported(data_dir: Path) -> None:
    account = leadline_json(data_dir, "accounts", "create", "--name", "A", "--email", "a@a.test")
    key = leadline_json(data_dir, "keys", "create", "--account", account["id"], "--permission", "*")
    assert leadline_json(data_dir, "keys", "revoke", key["id"]) == {"id": key["id"], "revoked": True}
    assert leadline_json(data_dir, "keys", "list", "--account", account["id"])[0]["revoked"] is True


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("keys", "create", "--account", "NOPE", "--permission", "*"), "not found"),
        (("accounts", "create", "--name", "A", "--email", "a@a.test", "--timezone", "Mars/Base"), "timezone"),
        (("keys", "revoke", "NOPE"), "not found"),
    ],
)
def test_mistakes_exit_2_with_a_message(data_dir: Path, args: tuple[str, ...], message: str) -> None:
    result = leadline(data_dir, *args, expect=2)
    assert message in result.stderr


def test_a_permission_must_name_a_site_of_the_account(data_dir: Path) -> None:
    account = leadline_json(data_dir, "accounts", "create", "--name", "A", "--email", "a@a.test")
    for permission in ("read:NOSUCHSITE", "write:everything"):
        result = leadline(data_dir, "keys", "create", "--account", account["id"], "--permission", permission, expect=2)
        assert "error" in result.stderr


def test_demo_prints_a_working_key_and_serves(data_dir: Path) -> None:
    port = free_port()
    command = [sys.executable, "-m", "leadline", "demo", "--port", str(port)]
    with demo_output(command, leadline_env(data_dir, {"COLUMNS": "200"})) as printed:
        response = httpx.get(
            f"http://127.0.0.1:{port}/v1/sites", headers={"Authorization": f"Bearer {printed['API key']}"}
        )
    assert response.status_code == 200
    assert [site["id"] for site in response.json()["data"]] == [printed["Site ID"]]
