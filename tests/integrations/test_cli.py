"""`leadline integrations`: the `create-client --json` contract, and list, rotate and revoke."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from tests.integrations.conftest import Credentials, get_token, new_credentials, scope_of
from tests.live_server import start_server
from tests.test_cli import leadline, leadline_json


def test_create_client_prints_exactly_the_client_id_and_secret_and_they_get_a_token(data_dir: Path) -> None:
    account = leadline_json(data_dir, "accounts", "create", "--name", "Acme", "--email", "ops@acme.test")
    site = leadline_json(data_dir, "sites", "create", "--account", account["id"], "--name", "Acme site")
    created = leadline_json(
        data_dir,
        "integrations",
        "create-client",
        "--account",
        account["id"],
        "--site",
        site["id"],
        "--dataset",
        "daily_pages",
        "--name",
        "warehouse",
    )
    assert set(created) == {"client_id", "client_secret"}
    server = start_server(data_dir)
    try:
        record = server.metadata.sites.get(account["id"], site["id"])
        token = get_token(server, Credentials(created["client_id"], created["client_secret"], record))
        response = httpx.post(
            server.url("/api/integrations"),
            json={"query": "{ listSubscribedDatasetMetadata { datasetName } }"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.json() == {"data": {"listSubscribedDatasetMetadata": [{"datasetName": "daily_pages"}]}}
    finally:
        server.stop()


def test_clients_are_listed_without_secrets_rotated_and_revoked(data_dir: Path) -> None:
    account = leadline_json(data_dir, "accounts", "create", "--name", "A", "--email", "a@a.test")
    site = leadline_json(data_dir, "sites", "create", "--account", account["id"], "--name", "S")
    created = leadline_json(data_dir, "integrations", "create-client", "--account", account["id"], "--site", site["id"])
    listed = leadline_json(data_dir, "integrations", "list", "--account", account["id"])
    assert [entry["client_id"] for entry in listed] == [created["client_id"]]
    assert listed[0]["datasets"] == ["daily_pages", "daily_sources", "daily_events"]
    assert created["client_secret"] not in json.dumps(listed)
    rotated = leadline_json(data_dir, "integrations", "rotate", created["client_id"])
    assert rotated["client_id"] == created["client_id"] and rotated["client_secret"] != created["client_secret"]
    revoked = leadline_json(data_dir, "integrations", "revoke", created["client_id"])
    assert revoked == {"client_id": created["client_id"], "revoked": True}
    assert leadline_json(data_dir, "integrations", "list", "--account", account["id"])[0]["revoked"] is True
    assert "not found" in leadline(data_dir, "integrations", "rotate", created["client_id"], expect=2).stderr


def test_unknown_datasets_and_other_accounts_sites_are_refused(data_dir: Path) -> None:
    account = leadline_json(data_dir, "accounts", "create", "--name", "A", "--email", "a@a.test")
    other = leadline_json(data_dir, "accounts", "create", "--name", "B", "--email", "b@b.test")
    site = leadline_json(data_dir, "sites", "create", "--account", account["id"], "--name", "S")
    base = ["integrations", "create-client", "--site", site["id"]]
    refused = leadline(data_dir, *base, "--account", account["id"], "--dataset", "raw_hits", expect=2)
    assert "unknown dataset" in refused.stderr and "daily_pages" in refused.stderr
    assert "not found" in leadline(data_dir, *base, "--account", other["id"], expect=2).stderr
    assert leadline_json(data_dir, "integrations", "list", "--account", account["id"]) == []


def test_the_scope_is_the_configured_base_url_when_one_is_set(tmp_path: Path) -> None:
    server = start_server(tmp_path / "data", {"LEADLINE_BASE_URL": "https://stats.example.com/"})
    try:
        credentials = new_credentials(server)
        own_origin = httpx.post(server.url("/oauth2/token"), data=credentials.form(scope_of(server)))
        assert own_origin.json()["error"] == "invalid_scope"
        configured = credentials.form("https://stats.example.com/api/integrations")
        assert httpx.post(server.url("/oauth2/token"), data=configured).status_code == 200
    finally:
        server.stop()
