"""A deployment that requires a User-Agent and allows each client few Integration API requests."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import UNLIMITED
from tests.integrations.conftest import get_token, new_credentials, scope_of
from tests.live_server import LiveServer, start_server

REQUESTS_PER_MINUTE = 4
NO_USER_AGENT = {"User-Agent": ""}  # httpx sends an empty header instead of its own


@pytest.fixture(scope="module")
def guarded_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    settings = UNLIMITED | {
        "LEADLINE_INTEGRATIONS_REQUIRE_USER_AGENT": "true",
        "LEADLINE_INTEGRATIONS_RATE_LIMIT": f"{REQUESTS_PER_MINUTE}/minute",
    }
    live = start_server(tmp_path_factory.mktemp("integrations-guarded"), settings)
    yield live
    live.stop()


def test_a_token_request_without_user_agent_is_an_invalid_request(guarded_server: LiveServer) -> None:
    credentials = new_credentials(guarded_server)
    form = credentials.form(scope_of(guarded_server))
    refused = httpx.post(guarded_server.url("/oauth2/token"), data=form, headers=NO_USER_AGENT)
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_request"
    assert "User-Agent" in refused.json()["error_description"]
    assert httpx.post(guarded_server.url("/oauth2/token"), data=form).status_code == 200


def test_graphql_without_user_agent_is_refused(guarded_server: LiveServer) -> None:
    token = get_token(guarded_server, new_credentials(guarded_server))
    headers = {"Authorization": f"Bearer {token}"}
    body = {"query": "{ __typename }"}
    refused = httpx.post(guarded_server.url("/api/integrations"), json=body, headers=headers | NO_USER_AGENT)
    assert refused.status_code == 400
    assert "User-Agent" in refused.json()["errors"][0]["message"]
    accepted = httpx.post(guarded_server.url("/api/integrations"), json=body, headers=headers)
    assert accepted.json() == {"data": {"__typename": "Query"}}


def test_each_client_has_its_own_request_budget_then_gets_429_with_retry_after(guarded_server: LiveServer) -> None:
    first, second = new_credentials(guarded_server), new_credentials(guarded_server)
    headers = {"Authorization": f"Bearer {get_token(guarded_server, first)}"}
    body = {"query": "{ __typename }"}
    for _ in range(REQUESTS_PER_MINUTE):
        assert httpx.post(guarded_server.url("/api/integrations"), json=body, headers=headers).status_code == 200
    limited = httpx.post(guarded_server.url("/api/integrations"), json=body, headers=headers)
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert "retry after" in limited.json()["errors"][0]["message"]
    download = httpx.get(guarded_server.url("/api/integrations/publications/NOPE/rows.csv"), headers=headers)
    assert download.status_code == 429, "downloads count against the same budget"
    other = {"Authorization": f"Bearer {get_token(guarded_server, second)}"}
    assert httpx.post(guarded_server.url("/api/integrations"), json=body, headers=other).status_code == 200
