"""A real server's log at debug level, after traffic of every kind: no address, user agent, key or secret in it.

The server runs as `leadline serve` does, with a proxy header trusted from loopback, so the visitor
addresses below reach the collector as real client addresses; every access line is one JSON object.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import httpx
import pytest

from tests.live_server import LiveServer, start_server

VISITOR_V4 = "198.51.100.231"
VISITOR_V6 = "2001:db8:7e57::4c0f"
VISITOR_AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0 Grepme-Agent/9.1"
CRAWLER_AGENT = "Grepme-Crawler/2.0 (+https://crawler.example/bot)"
METRICS_TOKEN = "metrics-token-grepme-77f1"
WRONG_KEY = "wrong-key-grepme-5d2e9b"
WRONG_SECRET = "wrong-secret-grepme-0a4c"
PASSWORD = "correct-horse-grepme-3e81"
WRONG_PASSWORD = "wrong-horse-grepme-91b7"


@dataclass
class Logged:
    """The server's whole log, and every value that must never be in it."""

    text: str
    secrets: dict[str, str]

    def lines(self) -> list[str]:
        return [line for line in self.text.splitlines() if line.strip()]

    def access_records(self) -> list[dict[str, object]]:
        records = [json.loads(line) for line in self.lines() if '"leadline.access"' in line]
        return [record for record in records if record.get("logger") == "leadline.access"]


def collect(server: LiveServer, body: object, address: str, agent: str = VISITOR_AGENT) -> httpx.Response:
    return httpx.post(server.url("/api/event"), json=body, headers={"User-Agent": agent, "X-Forwarded-For": address})


def sign_in(server: LiveServer, email: str, password: str) -> tuple[int, list[str]]:
    """A dashboard sign-in as a browser makes it (form token first); its status and session cookies."""
    with httpx.Client(base_url=server.base_url) as browser:
        form = browser.get("/login")
        assert form.status_code == 200, form.text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert token is not None
        answer = browser.post(
            "/login", data={"email": email, "password": password, "csrf_token": token.group(1)}, follow_redirects=False
        )
        return answer.status_code, list(browser.cookies.values())


def exercise(server: LiveServer) -> dict[str, str]:
    """Traffic of every kind that carries something personal or secret; what it carried, by name."""
    account = server.new_account()
    key = server.new_key(account, "*")
    site = server.new_site(account)
    page = {"site": site.id, "url": "https://shop.example/pricing?email=visitor%40mail.example"}
    assert collect(server, page, VISITOR_V4).status_code == 202
    assert collect(server, page, VISITOR_V6).status_code == 202
    assert collect(server, page, VISITOR_V4, agent=CRAWLER_AGENT).status_code == 202  # dropped as a bot
    assert collect(server, {"site": "UNKNOWNSITE", "url": "https://x.example/"}, VISITOR_V4).status_code == 404
    assert collect(server, {"site": site.id}, VISITOR_V4).status_code == 400
    with server.client(key) as http:
        assert http.get("/v1/account").status_code == 200
        assert http.post("/v1/sites", json={"name": "Second"}).status_code == 200
        report = {"entity": "pageview", "entity_id": site.id, "aggregates": "pageviews"}
        assert http.get("/v1/aggregations", params=report).status_code == 200
        created = http.post("/v1/integration_clients", json={"site_id": site.id, "name": "Warehouse"})
        assert created.status_code == 200, created.text
    client_id, client_secret = created.json()["client_id"], created.json()["client_secret"]
    with server.client(WRONG_KEY) as http:
        assert http.get("/v1/account").status_code == 401
    scope = server.url("/api/integrations")
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": client_secret}
    issued = httpx.post(server.url("/oauth2/token"), data=form | {"scope": scope})
    assert issued.status_code == 200, issued.text
    access_token = issued.json()["access_token"]
    refused = httpx.post(server.url("/oauth2/token"), data=form | {"client_secret": WRONG_SECRET, "scope": scope})
    assert refused.status_code == 401
    graphql = httpx.post(
        server.url("/api/integrations"),
        json={"query": "{ __typename }"},
        headers={"Authorization": f"Bearer {access_token}", "User-Agent": VISITOR_AGENT},
    )
    assert graphql.status_code == 200, graphql.text
    assert httpx.get(server.url("/metrics"), headers={"Authorization": f"Bearer {METRICS_TOKEN}"}).status_code == 200
    assert httpx.get(server.url("/metrics"), headers={"Authorization": f"Bearer {WRONG_KEY}"}).status_code == 401
    server.metadata.accounts.set_password(account.id, PASSWORD)
    signed_in, cookies = sign_in(server, account.email, PASSWORD)
    assert signed_in == 303
    assert len(cookies) >= 2  # the form token's and the session's
    assert sign_in(server, account.email, WRONG_PASSWORD)[0] == 401
    return {
        "visitor IPv4 address": VISITOR_V4,
        "visitor IPv6 address": VISITOR_V6,
        "user agent": "Grepme-Agent",
        "crawler user agent": "Grepme-Crawler",
        "query string": "visitor%40mail.example",
        "API key": key,
        "wrong API key": WRONG_KEY,
        "client secret": client_secret,
        "wrong client secret": WRONG_SECRET,
        "access token": access_token,
        "metrics token": METRICS_TOKEN,
        "dashboard password": PASSWORD,
        "wrong dashboard password": WRONG_PASSWORD,
        **{f"dashboard cookie {number}": cookie for number, cookie in enumerate(cookies)},
        "email address": account.email,
    }


@pytest.fixture(scope="module")
def logged(tmp_path_factory: pytest.TempPathFactory) -> Logged:
    server = start_server(
        tmp_path_factory.mktemp("log-privacy"),
        {
            "LEADLINE_LOG_LEVEL": "debug",
            "LEADLINE_CLIENT_IP_HEADER": "X-Forwarded-For",
            "LEADLINE_METRICS_TOKEN": METRICS_TOKEN,
            "LEADLINE_SPOOL_SEGMENT_SECONDS": "0.1",
            "LEADLINE_FLUSH_INTERVAL_SECONDS": "0.1",
        },
    )
    try:
        secrets = exercise(server)
    finally:
        server.stop()  # the shutdown (final flush) logs too
    return Logged(server.log(), secrets)


def test_the_log_holds_no_address_user_agent_key_or_secret(logged: Logged) -> None:
    assert len(logged.access_records()) >= 15  # the traffic above was logged: the grep below is not vacuous
    for what, value in logged.secrets.items():
        leaking = [line for line in logged.lines() if value in line]
        assert not leaking, f"the {what} is in the log: {leaking[:3]}"


def test_every_access_line_is_json_with_request_id_route_status_and_duration(logged: Logged) -> None:
    access_lines = [line for line in logged.lines() if "leadline.access" in line]
    assert access_lines
    for line in access_lines:
        record = json.loads(line)
        assert record["logger"] == "leadline.access"
        assert isinstance(record["request_id"], str) and len(record["request_id"]) == 16
        assert isinstance(record["route"], str) and record["route"].startswith("/")
        assert isinstance(record["status"], int)
        assert isinstance(record["duration_ms"], int | float)


def test_access_lines_name_route_templates_not_ids(logged: Logged) -> None:
    routes = {record["route"] for record in logged.access_records()}
    assert {"/api/event", "/v1/account", "/v1/aggregations", "/oauth2/token", "/api/integrations", "/login"} <= routes
    assert "/metrics" in routes


def test_every_line_the_server_writes_after_start_is_json(logged: Logged) -> None:
    for line in logged.lines():
        assert isinstance(json.loads(line), dict), line
