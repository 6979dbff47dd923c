"""Live servers for the Integration API tests, and integration clients made directly in their store."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from leadline.publishing.datasets import DATASETS
from leadline.store.metadata.records import Site
from tests.conftest import UNLIMITED
from tests.live_server import LiveServer, start_server

STRICT_RATE_LIMIT = 3


@dataclass
class Credentials:
    client_id: str
    client_secret: str
    site: Site

    def form(self, scope: str, **overrides: str) -> dict[str, str]:
        return {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "scope": scope,
        } | overrides


def new_credentials(server: LiveServer, *datasets: str) -> Credentials:
    account = server.new_account()
    site = server.new_site(account)
    issued = server.metadata.integration_clients.create(account.id, site.id, datasets or tuple(DATASETS))
    return Credentials(issued.client.id, issued.secret, site)


def scope_of(server: LiveServer) -> str:
    return server.url("/api/integrations")


def get_token(server: LiveServer, credentials: Credentials) -> str:
    response = httpx.post(server.url("/oauth2/token"), data=credentials.form(scope_of(server)))
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    assert isinstance(token, str)
    return token


@pytest.fixture(scope="session")
def integration_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = start_server(
        tmp_path_factory.mktemp("integrations"),
        UNLIMITED | {"LEADLINE_TOKEN_RATE_LIMIT": "1000/minute", "LEADLINE_TOKEN_FAILURE_RATE_LIMIT": "1000/minute"},
    )
    yield live
    live.stop()


@pytest.fixture(scope="session")
def strict_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Tokens live one second and each client may ask for three tokens a minute."""
    settings = UNLIMITED | {
        "LEADLINE_TOKEN_RATE_LIMIT": f"{STRICT_RATE_LIMIT}/minute",
        "LEADLINE_TOKEN_LIFETIME_SECONDS": "1",
    }
    live = start_server(tmp_path_factory.mktemp("integrations-strict"), settings)
    yield live
    live.stop()


@pytest.fixture
def credentials(integration_server: LiveServer) -> Credentials:
    return new_credentials(integration_server)
