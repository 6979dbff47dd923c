"""POST /oauth2/token: the client-credentials grant and RFC 6749 §5.2 errors, through a real server."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import UNLIMITED
from tests.integrations.conftest import (
    STRICT_RATE_LIMIT,
    Credentials,
    get_token,
    new_credentials,
    scope_of,
)
from tests.live_server import LiveServer, start_server

FAILURE_LIMIT = 10  # the default LEADLINE_TOKEN_FAILURE_RATE_LIMIT, per minute
METADATA_QUERY = {"query": "{ listSubscribedDatasetMetadata { datasetName } }"}


def token_request(server: LiveServer, data: dict[str, str], **kwargs: object) -> httpx.Response:
    return httpx.post(server.url("/oauth2/token"), data=data, **kwargs)  # type: ignore[arg-type]


def graphql_status(server: LiveServer, token: str) -> int:
    headers = {"Authorization": f"Bearer {token}"}
    return httpx.post(server.url("/api/integrations"), json=[METADATA_QUERY], headers=headers).status_code


def assert_oauth_error(response: httpx.Response, status: int, error: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == error
    assert isinstance(body["error_description"], str) and body["error_description"]
    assert response.headers["cache-control"] == "no-store"


def test_a_client_with_its_secret_gets_a_bearer_token_for_the_integration_scope(
    integration_server: LiveServer, credentials: Credentials
) -> None:
    scope = scope_of(integration_server)
    response = token_request(integration_server, credentials.form(scope))
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "scope"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600 and body["scope"] == scope
    assert response.headers["cache-control"] == "no-store"
    assert graphql_status(integration_server, body["access_token"]) == 200


def test_http_basic_client_authentication_is_accepted(integration_server: LiveServer, credentials: Credentials) -> None:
    data = {"grant_type": "client_credentials", "scope": scope_of(integration_server)}
    response = token_request(integration_server, data, auth=(credentials.client_id, credentials.client_secret))
    assert response.status_code == 200, response.text


def test_a_wrong_secret_is_an_invalid_client_with_a_challenge(
    integration_server: LiveServer, credentials: Credentials
) -> None:
    form = credentials.form(scope_of(integration_server), client_secret="not-the-secret")
    response = token_request(integration_server, form)
    assert_oauth_error(response, 401, "invalid_client")
    assert response.headers["www-authenticate"].startswith("Basic")


def test_a_wrong_basic_secret_is_an_invalid_client(integration_server: LiveServer, credentials: Credentials) -> None:
    data = {"grant_type": "client_credentials", "scope": scope_of(integration_server)}
    response = token_request(integration_server, data, auth=(credentials.client_id, "wrong"))
    assert_oauth_error(response, 401, "invalid_client")


def test_an_unknown_client_is_an_invalid_client(integration_server: LiveServer, credentials: Credentials) -> None:
    form = credentials.form(scope_of(integration_server), client_id="NOSUCHCLNT")
    assert_oauth_error(token_request(integration_server, form), 401, "invalid_client")


def test_a_request_without_client_authentication_is_an_invalid_client(integration_server: LiveServer) -> None:
    data = {"grant_type": "client_credentials", "scope": scope_of(integration_server)}
    assert_oauth_error(token_request(integration_server, data), 401, "invalid_client")


def test_a_scope_other_than_the_integration_api_is_an_invalid_scope(
    integration_server: LiveServer, credentials: Credentials
) -> None:
    form = credentials.form("https://elsewhere.example/api/integrations")
    assert_oauth_error(token_request(integration_server, form), 400, "invalid_scope")


def test_a_grant_type_other_than_client_credentials_is_unsupported(
    integration_server: LiveServer, credentials: Credentials
) -> None:
    form = credentials.form(scope_of(integration_server), grant_type="password")
    assert_oauth_error(token_request(integration_server, form), 400, "unsupported_grant_type")


@pytest.mark.parametrize("missing", ["grant_type", "scope", "client_secret"])
def test_a_missing_parameter_is_an_invalid_request(
    integration_server: LiveServer, credentials: Credentials, missing: str
) -> None:
    form = credentials.form(scope_of(integration_server))
    del form[missing]
    assert_oauth_error(token_request(integration_server, form), 400, "invalid_request")


def test_a_duplicated_parameter_is_an_invalid_request(integration_server: LiveServer, credentials: Credentials) -> None:
    body = httpx.QueryParams(credentials.form(scope_of(integration_server))).add("grant_type", "client_credentials")
    response = httpx.post(
        integration_server.url("/oauth2/token"),
        content=str(body),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert_oauth_error(response, 400, "invalid_request")


def test_a_json_body_is_an_invalid_request(integration_server: LiveServer, credentials: Credentials) -> None:
    response = httpx.post(integration_server.url("/oauth2/token"), json=credentials.form(scope_of(integration_server)))
    assert_oauth_error(response, 400, "invalid_request")


def test_basic_and_form_secrets_together_are_an_invalid_request(
    integration_server: LiveServer, credentials: Credentials
) -> None:
    form = credentials.form(scope_of(integration_server))
    response = token_request(integration_server, form, auth=(credentials.client_id, credentials.client_secret))
    assert_oauth_error(response, 400, "invalid_request")


def test_revoking_a_client_ends_its_tokens_at_once_and_it_gets_no_new_ones(
    integration_server: LiveServer, credentials: Credentials
) -> None:
    token = get_token(integration_server, credentials)
    assert graphql_status(integration_server, token) == 200
    integration_server.metadata.integration_clients.revoke(credentials.client_id)
    assert graphql_status(integration_server, token) == 401
    response = token_request(integration_server, credentials.form(scope_of(integration_server)))
    assert_oauth_error(response, 401, "invalid_client")


def test_rotating_a_secret_retires_the_old_secret_and_its_tokens(
    integration_server: LiveServer, credentials: Credentials
) -> None:
    token = get_token(integration_server, credentials)
    rotated = integration_server.metadata.integration_clients.rotate(credentials.client_id)
    assert graphql_status(integration_server, token) == 401
    response = token_request(integration_server, credentials.form(scope_of(integration_server)))
    assert_oauth_error(response, 401, "invalid_client")
    renewed = Credentials(credentials.client_id, rotated.secret, credentials.site)
    assert graphql_status(integration_server, get_token(integration_server, renewed)) == 200


def test_an_expired_token_is_refused(strict_server: LiveServer) -> None:
    credentials = new_credentials(strict_server)
    response = token_request(strict_server, credentials.form(scope_of(strict_server)))
    assert response.json()["expires_in"] == 1
    token = response.json()["access_token"]
    assert graphql_status(strict_server, token) == 200
    time.sleep(2)
    assert graphql_status(strict_server, token) == 401


def test_too_many_token_requests_from_one_client_are_slowed_down_with_retry_after(strict_server: LiveServer) -> None:
    credentials = new_credentials(strict_server)
    form = credentials.form(scope_of(strict_server))
    for _ in range(STRICT_RATE_LIMIT):
        assert token_request(strict_server, form).status_code == 200
    response = token_request(strict_server, form)
    assert response.status_code == 429
    assert response.json()["error"] == "slow_down"
    assert int(response.headers["retry-after"]) >= 1
    other = new_credentials(strict_server)
    assert token_request(strict_server, other.form(scope_of(strict_server))).status_code == 200


@pytest.fixture(scope="module")
def proxied_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Behind a proxy on 127.0.0.1, so each test can come from its own address; three tokens a client a minute.

    The header is not X-Forwarded-For, which uvicorn itself reads from loopback peers: this one only
    Leadline's client address policy reads.
    """
    settings = UNLIMITED | {
        "LEADLINE_TOKEN_RATE_LIMIT": f"{STRICT_RATE_LIMIT}/minute",
        "LEADLINE_CLIENT_IP_HEADER": "X-Client-Chain",
        "LEADLINE_TRUSTED_PROXIES": "127.0.0.1/32",
    }
    live = start_server(tmp_path_factory.mktemp("integrations-proxied"), settings)
    yield live
    live.stop()


def from_address(address: str) -> dict[str, str]:
    return {"X-Client-Chain": f"192.0.2.200, {address}"}  # what the client claimed, then what the proxy saw


def test_wrong_secrets_for_a_real_client_id_do_not_lock_that_client_out(proxied_server: LiveServer) -> None:
    credentials = new_credentials(proxied_server)
    scope = scope_of(proxied_server)
    wrong = credentials.form(scope, client_secret="guessed")
    statuses = {
        token_request(proxied_server, wrong, headers=from_address("203.0.113.66")).status_code for _ in range(20)
    }
    assert statuses == {401, 429}
    response = token_request(proxied_server, credentials.form(scope), headers=from_address("198.51.100.7"))
    assert response.status_code == 200, response.text


def test_failed_authentications_beyond_the_limit_are_slowed_down_per_address(proxied_server: LiveServer) -> None:
    credentials = new_credentials(proxied_server)
    scope = scope_of(proxied_server)
    attacker = from_address("203.0.113.77")
    for _ in range(FAILURE_LIMIT):
        assert_oauth_error(
            token_request(proxied_server, credentials.form(scope, client_secret="x"), headers=attacker),
            401,
            "invalid_client",
        )
    refused = token_request(proxied_server, credentials.form(scope, client_secret="x"), headers=attacker)
    assert_oauth_error(refused, 429, "slow_down")
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    # Refused before any secret is checked: the right secret from that address does not get through either.
    assert_oauth_error(token_request(proxied_server, credentials.form(scope), headers=attacker), 429, "slow_down")
    other = token_request(proxied_server, credentials.form(scope), headers=from_address("203.0.113.78"))
    assert other.status_code == 200, other.text


def test_requests_without_any_client_authentication_count_as_failures(proxied_server: LiveServer) -> None:
    data = {"grant_type": "client_credentials", "scope": scope_of(proxied_server)}
    source = from_address("2001:db8::99")
    statuses = [token_request(proxied_server, data, headers=source).status_code for _ in range(FAILURE_LIMIT + 1)]
    assert statuses == [401] * FAILURE_LIMIT + [429]


def test_the_per_client_limit_still_applies_to_authenticated_requests(proxied_server: LiveServer) -> None:
    credentials = new_credentials(proxied_server)
    form = credentials.form(scope_of(proxied_server))
    for index in range(STRICT_RATE_LIMIT):
        assert token_request(proxied_server, form, headers=from_address(f"198.51.100.{10 + index}")).status_code == 200
    response = token_request(proxied_server, form, headers=from_address("198.51.100.20"))
    assert_oauth_error(response, 429, "slow_down")
    assert int(response.headers["retry-after"]) >= 1
