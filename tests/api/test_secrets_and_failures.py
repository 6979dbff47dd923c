"""Secrets never reach logs or error answers; an unexpected failure is a bare JSON 500."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import httpx

from leadline.app import create_app
from leadline.config import Settings
from leadline.deployment import build_deployment
from tests.conftest import Tenant
from tests.live_server import LiveServer


def test_keys_and_share_passwords_never_appear_in_the_log(server: LiveServer, tenant: Tenant) -> None:
    wrong_key = "ll_AAAAAAAAAA_this-is-a-wrong-secret"
    tenant.http.post("/v1/sites", json={"name": "S", "sharing": "private", "share_password": "pa55-word-in-body"})
    tenant.http.post("/v1/sites", json={"name": "S", "share_password": "pa55-word-rejected"})
    with server.client(wrong_key) as http:
        answer = http.get("/v1/account")
    assert wrong_key not in answer.text
    log = server.log()
    for secret in (tenant.key, wrong_key, "pa55-word-in-body", "pa55-word-rejected"):
        assert secret not in log


class BrokenEventStore:
    def __getattr__(self, name: str) -> object:
        def fail(*_args: object) -> None:
            raise RuntimeError("disk on fire at /secret/path")

        return fail


def test_an_unexpected_failure_is_a_json_500_without_details(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    deployment = build_deployment(settings)
    deployment.event_store.close()
    broken = dataclasses.replace(deployment, event_store=BrokenEventStore())  # type: ignore[arg-type]
    account = deployment.metadata.accounts.create("A", "a@example.com")
    site = deployment.metadata.sites.create(account.id, {"name": "S"})
    key = deployment.metadata.api_keys.create(account.id, ["*"]).key
    transport = httpx.ASGITransport(app=create_app(settings, broken), raise_app_exceptions=False)

    async def delete_site() -> httpx.Response:
        async with httpx.AsyncClient(transport=transport, base_url="http://leadline.test") as client:
            return await client.delete(f"/v1/sites/{site.id}", headers={"Authorization": f"Bearer {key}"})

    response = asyncio.run(delete_site())
    assert response.status_code == 500
    assert response.json() == {"error": "internal server error"}
    # Nothing was half-deleted: the site is still there to retry.
    assert deployment.metadata.sites.find(site.id) is not None
    assert "disk on fire" not in response.text
    deployment.metadata.close()
