"""What the fuzz runs share: one site with a full-access key on the session's live server."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from tests.live_server import LiveServer


@dataclass(frozen=True)
class FuzzTarget:
    server: LiveServer
    site_id: str
    key: str
    http: httpx.Client  # without the key: the collector is anonymous

    def authorized(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


@pytest.fixture(scope="module")
def target(server: LiveServer) -> Iterator[FuzzTarget]:
    account = server.new_account("Fuzz")
    site = server.new_site(account, "Fuzzed")
    with server.client() as http:
        yield FuzzTarget(server, site.id, server.new_key(account, "*"), http)
