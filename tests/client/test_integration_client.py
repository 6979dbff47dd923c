"""The Integration API client: token reuse and renewal, retries, User-Agent, batches, and publication verification.

Token and retry behaviour is tested against real servers (a wrapping transport counts what goes over the
wire) and, where a clock or a script pins it down better, against scripted answers.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import dataclasses
import itertools
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from leadline import canonical
from leadline.client import (
    AsyncIntegrationApiClient,
    AuthenticationError,
    DatasetColumn,
    GraphQLError,
    IntegrationApiClient,
    NotFoundError,
    PublicationEvent,
    PublicationSignature,
    PublicationVerificationError,
    TokenError,
    read_parquet_rows,
    verify_publication_data,
)
from tests.conftest import UNLIMITED
from tests.integrations.conftest import Credentials, new_credentials
from tests.live_server import LiveServer, free_port, leadline_env, start_server
from tests.test_cli import leadline_json

TOKEN_LIFETIME_SECONDS = 5  # long enough that 50 calls fit well inside it on a slow machine
DATASETS_QUERY = "{ listSubscribedDatasetMetadata { datasetName } }"
PUBLISHED_DAYS = 2  # the demo's publisher looks back this many closed days
DATASET_COUNT = 3
PUBLISHING_TIMEOUT_SECONDS = 60
DEMO_STARTUP_SECONDS = 60


class Wire(httpx.BaseTransport):
    """A real HTTP transport that records each exchange; optionally spoils the bearer token sent to GraphQL."""

    def __init__(self, spoil_bearer: bool = False) -> None:
        self._inner = httpx.HTTPTransport()
        self._spoil_bearer = spoil_bearer
        self.requests: list[httpx.Request] = []
        self.answers: list[tuple[str, int, str | None]] = []  # path, status, Retry-After

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self._spoil_bearer and request.url.path == "/api/integrations":
            request.headers["Authorization"] = "Bearer llt_not-a-token"
        self.requests.append(request)
        response = self._inner.handle_request(request)
        self.answers.append((request.url.path, response.status_code, response.headers.get("Retry-After")))
        return response

    def close(self) -> None:
        self._inner.close()

    def count(self, path: str) -> int:
        return sum(1 for asked, _, _ in self.answers if asked == path)

    def statuses(self, path: str) -> list[int]:
        return [status for asked, status, _ in self.answers if asked == path]


def client_for(server: LiveServer, credentials: Credentials, wire: Wire, **options: Any) -> IntegrationApiClient:
    return IntegrationApiClient(
        server.base_url, credentials.client_id, credentials.client_secret, transport=wire, **options
    )


@pytest.fixture(scope="module")
def short_token_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Tokens live three seconds, and every Integration API request must carry a User-Agent."""
    settings = UNLIMITED | {
        "LEADLINE_TOKEN_RATE_LIMIT": "1000/minute",
        "LEADLINE_TOKEN_LIFETIME_SECONDS": str(TOKEN_LIFETIME_SECONDS),
        "LEADLINE_INTEGRATIONS_REQUIRE_USER_AGENT": "true",
    }
    live = start_server(tmp_path_factory.mktemp("short-tokens"), settings)
    yield live
    live.stop()


@pytest.fixture(scope="module")
def rate_limited_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    settings = UNLIMITED | {
        "LEADLINE_TOKEN_RATE_LIMIT": "1000/minute",
        "LEADLINE_INTEGRATIONS_RATE_LIMIT": "4/2 seconds",
    }
    live = start_server(tmp_path_factory.mktemp("rate-limited"), settings)
    yield live
    live.stop()


# Tokens, against a real server.


def test_one_token_serves_every_call_while_valid_and_one_more_is_fetched_after_expiry(
    short_token_server: LiveServer,
) -> None:
    wire = Wire()
    with client_for(short_token_server, new_credentials(short_token_server), wire) as client:
        for _ in range(50):
            assert client.execute(DATASETS_QUERY)["listSubscribedDatasetMetadata"]
        assert wire.count("/oauth2/token") == 1
        time.sleep(TOKEN_LIFETIME_SECONDS)
        for _ in range(50):
            client.execute(DATASETS_QUERY)
    assert wire.count("/oauth2/token") == 2
    # The client renewed before the server could refuse: no call was answered 401.
    assert set(wire.statuses("/api/integrations")) == {200}


def test_a_token_the_server_refuses_while_the_client_believes_it_valid_is_replaced_once(
    short_token_server: LiveServer,
) -> None:
    # The client's clock stands still (as in a suspended laptop), so only the server knows the token expired.
    wire = Wire()
    with client_for(short_token_server, new_credentials(short_token_server), wire, clock=lambda: 0.0) as client:
        client.execute(DATASETS_QUERY)
        time.sleep(TOKEN_LIFETIME_SECONDS + 0.2)
        assert client.execute(DATASETS_QUERY)["listSubscribedDatasetMetadata"]
    assert wire.statuses("/api/integrations") == [200, 401, 200]
    assert wire.count("/oauth2/token") == 2


def test_a_second_refusal_in_a_row_raises_authentication_error(short_token_server: LiveServer) -> None:
    wire = Wire(spoil_bearer=True)
    client = client_for(short_token_server, new_credentials(short_token_server), wire)
    with client, pytest.raises(AuthenticationError) as refused:
        client.execute(DATASETS_QUERY)
    assert refused.value.status == 401
    assert "access token" in refused.value.message
    assert wire.statuses("/api/integrations") == [401, 401]
    assert wire.count("/oauth2/token") == 2


def test_token_endpoint_errors_carry_their_rfc6749_code(short_token_server: LiveServer) -> None:
    credentials = new_credentials(short_token_server)
    wrong_secret = dataclasses.replace(credentials, client_secret="not-the-secret-4711")
    with client_for(short_token_server, wrong_secret, Wire()) as client, pytest.raises(TokenError) as refused:
        client.datasets()
    assert (refused.value.status, refused.value.error) == (401, "invalid_client")
    assert "not-the-secret-4711" not in str(refused.value)

    elsewhere = "https://elsewhere.test/api/integrations"
    misdirected = client_for(short_token_server, credentials, Wire(), scope=elsewhere)
    with misdirected, pytest.raises(TokenError) as bad_scope:
        misdirected.datasets()
    assert (bad_scope.value.status, bad_scope.value.error) == (400, "invalid_scope")


def test_every_request_carries_the_user_agent_the_server_requires(short_token_server: LiveServer) -> None:
    credentials = new_credentials(short_token_server)
    without = httpx.post(
        short_token_server.url("/oauth2/token"),
        data=credentials.form(short_token_server.url("/api/integrations")),
        headers={"User-Agent": ""},
    )
    assert without.status_code == 400  # the setting is on: a request without a User-Agent is refused

    wire = Wire()
    with client_for(short_token_server, credentials, wire) as client:
        assert [dataset.dataset_name for dataset in client.datasets()] == [
            "daily_pages",
            "daily_sources",
            "daily_events",
        ]
    agents = {request.headers.get("User-Agent") for request in wire.requests}
    (agent,) = agents
    assert agent is not None and agent.startswith("leadline-python/") and agent.endswith(" integration")
    with client_for(short_token_server, credentials, Wire(), user_agent="warehouse-sync/2.1") as client:
        client.datasets()


def test_graphql_errors_raise_with_the_servers_messages_and_batches_answer_in_order(
    short_token_server: LiveServer,
) -> None:
    with client_for(short_token_server, new_credentials(short_token_server), Wire()) as client:
        with pytest.raises(GraphQLError) as failed:
            client.execute("{ listSubscribedDatasetMetadata { noSuchField } }")
        assert "noSuchField" in failed.value.messages[0]

        recent = "query Recent($days: Int!) { recentPublicationEvents(lastNDays: $days) { id } }"
        answers = client.execute_batch([(DATASETS_QUERY, None), (recent, {"days": 7})] * 12)
        assert len(answers) == 24  # more than one request holds: sent as batches of 20 and 4
        assert answers[0]["listSubscribedDatasetMetadata"][0] == {"datasetName": "daily_pages"}
        assert answers[1] == {"recentPublicationEvents": []}

        with pytest.raises(GraphQLError) as in_batch:
            client.execute_batch([(DATASETS_QUERY, None), (recent, {"days": 0})])
        assert in_batch.value.index == 1
        assert "lastNDays" in in_batch.value.messages[0]


class AsyncWire(httpx.AsyncBaseTransport):
    """A real async HTTP transport that records the paths asked."""

    def __init__(self) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self.paths: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


def test_the_async_client_shares_one_token_among_concurrent_calls(short_token_server: LiveServer) -> None:
    credentials = new_credentials(short_token_server)
    wire = AsyncWire()

    async def scenario() -> list[int]:
        async with AsyncIntegrationApiClient(
            short_token_server.base_url, credentials.client_id, credentials.client_secret, transport=wire
        ) as client:
            answers = await asyncio.gather(*(client.datasets() for _ in range(20)))
        return [len(datasets) for datasets in answers]

    assert asyncio.run(scenario()) == [3] * 20
    assert wire.paths.count("/oauth2/token") == 1
    assert wire.paths.count("/api/integrations") == 20


# Retries.


def test_rate_limited_calls_wait_as_long_as_retry_after_says_then_succeed(rate_limited_server: LiveServer) -> None:
    wire = Wire()
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        time.sleep(seconds)

    with client_for(rate_limited_server, new_credentials(rate_limited_server), wire, sleep=sleep) as client:
        answers = [client.execute(DATASETS_QUERY) for _ in range(9)]
    assert all(answer["listSubscribedDatasetMetadata"] for answer in answers)
    advised = [float(retry_after) for _, status, retry_after in wire.answers if status == 429 and retry_after]
    assert len(advised) >= 2  # 4 calls per 2 seconds: the 5th and the 9th at least had to wait
    assert slept == advised
    assert wire.statuses("/api/integrations").count(200) == 9


Handler = Callable[[httpx.Request], httpx.Response]


class Script:
    """Scripted answers for a MockTransport: tokens numbered in turn, GraphQL answers from a queue."""

    def __init__(self, *graphql: httpx.Response, expires_in: int = 3600, token_answers: Iterator[int] | None = None):
        self.graphql = list(graphql)
        self.expires_in = expires_in
        self.token_statuses = token_answers or itertools.repeat(200)
        self.asked: list[httpx.Request] = []
        self._numbers = itertools.count(1)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.asked.append(request)
        if request.url.path == "/oauth2/token":
            status = next(self.token_statuses)
            if status != 200:
                return httpx.Response(status, json={"error": "temporarily_unavailable"}, headers={"Retry-After": "2"})
            token = f"llt_{next(self._numbers)}"
            return httpx.Response(
                200, json={"access_token": token, "token_type": "Bearer", "expires_in": self.expires_in}
            )
        if self.graphql:
            return self.graphql.pop(0)
        return httpx.Response(200, json={"data": {"listSubscribedDatasetMetadata": []}})

    def count(self, path: str) -> int:
        return sum(1 for request in self.asked if request.url.path == path)

    def bearers(self) -> list[str]:
        return [r.headers["Authorization"] for r in self.asked if r.url.path == "/api/integrations"]


def scripted_client(script: Script, slept: list[float] | None = None, **options: Any) -> IntegrationApiClient:
    sleep = (slept if slept is not None else []).append
    return IntegrationApiClient(
        "http://leadline.test", "CLIENT", "secret", transport=httpx.MockTransport(script), sleep=sleep, **options
    )


def test_the_token_is_renewed_when_a_tenth_of_its_life_or_a_minute_remains() -> None:
    now = [1000.0]
    script = Script(expires_in=3600)
    with scripted_client(script, clock=lambda: now[0]) as client:
        for _ in range(50):
            client.datasets()
        now[0] += 3600 - 60 - 0.001
        client.datasets()
        assert script.count("/oauth2/token") == 1
        now[0] += 0.001
        client.datasets()
    assert script.count("/oauth2/token") == 2
    assert script.bearers()[-2:] == ["Bearer llt_1", "Bearer llt_2"]

    short = Script(expires_in=100)  # a tenth of the life is less than a minute: renew 10 seconds early
    now = [0.0]
    with scripted_client(short, clock=lambda: now[0]) as client:
        client.datasets()
        now[0] = 89.9
        client.datasets()
        now[0] = 90.0
        client.datasets()
    assert short.count("/oauth2/token") == 2


def test_a_429_is_retried_after_the_seconds_retry_after_gives() -> None:
    limited = httpx.Response(429, json={"errors": [{"message": "slow down"}]}, headers={"Retry-After": "1"})
    script = Script(limited)
    slept: list[float] = []
    with scripted_client(script, slept) as client:
        assert client.datasets() == []
    assert slept == [1.0]
    assert script.count("/api/integrations") == 2


def test_the_token_endpoint_is_retried_on_429_and_5xx_too() -> None:
    script = Script(token_answers=iter([503, 429, 200]))
    slept: list[float] = []
    with scripted_client(script, slept) as client:
        assert client.datasets() == []
    assert slept == [2.0, 2.0]
    assert script.count("/oauth2/token") == 3


def test_downloads_never_send_the_token_to_another_host(tmp_path: Path) -> None:
    script = Script(httpx.Response(200, content=b"PAR1...PAR1"))
    publication = publication_of([], "0" * 64).model_copy(
        update={"parquet_url": "https://evil.test/api/integrations/publications/P1/rows.parquet"}
    )
    with scripted_client(script) as client:
        written = client.download(publication, tmp_path / "p.parquet")
    assert written.read_bytes() == b"PAR1...PAR1"
    download = script.asked[-1]
    assert str(download.url) == "http://leadline.test/api/integrations/publications/P1/rows.parquet"
    assert not list(tmp_path.glob("*.part"))

    failing = Script(httpx.Response(404, json={"errors": [{"message": "no publication 'P1'"}]}))
    with scripted_client(failing) as client, pytest.raises(Exception, match="no publication") as missing:
        client.download(publication, tmp_path / "missing.parquet")
    assert getattr(missing.value, "status", None) == 404
    assert not (tmp_path / "missing.parquet").exists() and not list(tmp_path.glob("*.part"))


def test_the_async_client_retries_and_writes_downloads_the_same_way(tmp_path: Path) -> None:
    script = Script(
        httpx.Response(503, json={"errors": [{"message": "busy"}]}, headers={"Retry-After": "1"}),
        httpx.Response(200, content=b"PAR1...PAR1"),
    )
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    async def scenario() -> Path:
        transport = httpx.MockTransport(script)
        async with AsyncIntegrationApiClient(
            "http://leadline.test", "CLIENT", "secret", transport=transport, sleep=sleep
        ) as client:
            return await client.download(publication_of([], "0" * 64), tmp_path / "p.parquet")

    written = asyncio.run(scenario())
    assert written.read_bytes() == b"PAR1...PAR1"
    assert slept == [1.0]
    assert not list(tmp_path.glob("*.part"))


# Verification, on data built here with canonical.py and a fresh key.

COLUMNS = ("date", "pathname", "visits", "bounce_rate")
ROWS: list[list[object]] = [["2026-03-01", "/", 120, 0.25], ["2026-03-01", "/pricing", 7, 0.5]]
PRIVATE_KEY = Ed25519PrivateKey.generate()


def publication_of(rows: list[list[object]], rows_hash: str, version: int = 1) -> PublicationEvent:
    return PublicationEvent(
        id="P1",
        signer_email="owner@example.com",
        signature_id="SIG1",
        dataset_id="SITE1.daily_pages",
        branch_id="main",
        timestamp_iso8601="2026-03-02T01:00:00-05:00",
        dataset_name="daily_pages",
        day="2026-03-01",
        timezone="America/New_York",
        version=version,
        supersedes_id=None,
        row_count=len(rows),
        rows_sha256=rows_hash,
        columns=tuple(
            DatasetColumn(id=f"SITE1.daily_pages.{name}", column_name=name, value_type="STRING") for name in COLUMNS
        ),
        parquet_url="http://leadline.test/api/integrations/publications/P1/rows.parquet",
        csv_url="http://leadline.test/api/integrations/publications/P1/rows.csv",
    )


def signed(rows: list[list[object]]) -> tuple[PublicationEvent, PublicationSignature]:
    """A publication of `rows` and its signature, made as the contract says, independently of the SDK."""
    publication = publication_of(rows, canonical.rows_sha256(COLUMNS, rows))
    facts = {
        "algorithm": "Ed25519",
        "branchId": "main",
        "columns": list(COLUMNS),
        "datasetId": "SITE1.daily_pages",
        "day": "2026-03-01",
        "keyId": "KEY1",
        "publicationId": "P1",
        "rowCount": len(rows),
        "rowsSha256": publication.rows_sha256,
        "signatureId": "SIG1",
        "signerEmail": "owner@example.com",
        "supersedesId": None,
        "timestampIso8601": "2026-03-02T01:00:00-05:00",
        "timezone": "America/New_York",
        "version": 1,
    }
    message = canonical.signed_message(facts)
    signature = PublicationSignature(
        signature_id="SIG1",
        publication_id="P1",
        algorithm="Ed25519",
        key_id="KEY1",
        public_key=canonical.public_key_text(PRIVATE_KEY),
        signature=canonical.sign(PRIVATE_KEY, message),
        signed_message=message.decode(),
    )
    return publication, signature


def test_untouched_rows_and_facts_verify() -> None:
    publication, signature = signed(ROWS)
    verified = verify_publication_data(publication, ROWS, signature)
    assert verified.public_key == signature.public_key
    assert verified.rows == tuple(tuple(row) for row in ROWS)
    # Pinning the right key, and rows read back from Parquet (dates as datetime.date), verify as well.
    from_parquet = [[date(2026, 3, 1), *row[1:]] for row in ROWS]
    assert verify_publication_data(publication, from_parquet, signature, public_key=signature.public_key)


def test_one_changed_byte_in_one_row_fails_the_rows_check() -> None:
    publication, signature = signed(ROWS)
    tampered = [list(row) for row in ROWS]
    tampered[1][1] = "/pricinG"
    with pytest.raises(PublicationVerificationError) as failed:
        verify_publication_data(publication, tampered, signature)
    assert failed.value.check == "rows_sha256"
    assert "P1" in str(failed.value)


def test_a_wrong_pinned_public_key_fails_the_signature_check() -> None:
    publication, signature = signed(ROWS)
    other_key = canonical.public_key_text(Ed25519PrivateKey.generate())
    with pytest.raises(PublicationVerificationError) as failed:
        verify_publication_data(publication, ROWS, signature, public_key=other_key)
    assert failed.value.check == "signature"
    assert "pinned" in str(failed.value)


def test_the_message_is_rebuilt_from_the_publications_facts_not_taken_from_the_server() -> None:
    publication, signature = signed(ROWS)
    # The server's signedMessage text is not trusted, so a wrong one does not matter...
    assert verify_publication_data(publication, ROWS, signature.model_copy(update={"signed_message": "{}"}))
    # ...but a publication whose facts differ from what was signed fails, even if its rows are intact.
    bumped = publication.model_copy(update={"version": 2})
    with pytest.raises(PublicationVerificationError) as failed:
        verify_publication_data(bumped, ROWS, signature)
    assert failed.value.check == "signature"


def test_missing_rows_and_a_foreign_signature_are_named() -> None:
    publication, signature = signed(ROWS)
    with pytest.raises(PublicationVerificationError) as short:
        verify_publication_data(publication, ROWS[:1], signature)
    assert short.value.check == "row_count"
    with pytest.raises(PublicationVerificationError) as foreign:
        verify_publication_data(publication, ROWS, signature.model_copy(update={"publication_id": "P2"}))
    assert foreign.value.check == "publication_id"
    corrupt = signature.model_copy(update={"signature": base64.b64encode(b"x" * 64).decode()})
    with pytest.raises(PublicationVerificationError) as forged:
        verify_publication_data(publication, ROWS, corrupt)
    assert forged.value.check == "signature"


# Publications served by a real publisher: `leadline demo` traffic and a client made with the CLI.


@dataclass
class PublishingDemo:
    base_url: str
    api_key: str
    site_id: str
    client_id: str
    client_secret: str = dataclasses.field(repr=False)
    publications: list[PublicationEvent]

    def client(self, **options: Any) -> IntegrationApiClient:
        return IntegrationApiClient(self.base_url, self.client_id, self.client_secret, **options)


def printed_labels(text: str) -> dict[str, str]:
    """The `Label: value` lines a command printed."""
    return {label.strip(): value.strip() for label, _, value in (line.partition(":") for line in text.splitlines())}


@contextlib.contextmanager
def demo_process(data_dir: Path, port: int, settings: dict[str, str]) -> Iterator[dict[str, str]]:
    """`leadline demo` with months of traffic, its output in a file (no pipe to fill); its printed labels."""
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir.parent / "demo.log"
    command = [sys.executable, "-m", "leadline", "demo", "--port", str(port), "--hits", "1500"]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, env=leadline_env(data_dir, settings), stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + DEMO_STARTUP_SECONDS
        while not _healthy(port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"leadline demo did not start:\n{log_path.read_text()}")
            time.sleep(0.2)
        yield printed_labels(log_path.read_text())
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


@contextlib.contextmanager
def publishing_demo(data_dir: Path) -> Iterator[PublishingDemo]:
    """A `leadline demo` server with traffic, an integration client made by the CLI, and its first publications."""
    port = free_port()
    settings = UNLIMITED | {
        "COLUMNS": "200",
        "LEADLINE_TOKEN_RATE_LIMIT": "1000/minute",
        "LEADLINE_PUBLICATION_INTERVAL_SECONDS": "1",
        "LEADLINE_PUBLICATION_GRACE_SECONDS": "0",
        "LEADLINE_PUBLICATION_LOOKBACK_DAYS": str(PUBLISHED_DAYS),
    }
    with demo_process(data_dir, port, settings) as printed:
        account, site = printed["Account"], printed["Site ID"]
        created = leadline_json(data_dir, "integrations", "create-client", "--account", account, "--site", site)
        base_url = f"http://127.0.0.1:{port}"
        with IntegrationApiClient(base_url, created["client_id"], created["client_secret"]) as client:
            deadline = time.monotonic() + PUBLISHING_TIMEOUT_SECONDS
            publications = client.recent_publications(30)
            while len(publications) < PUBLISHED_DAYS * DATASET_COUNT and time.monotonic() < deadline:
                time.sleep(0.5)  # the server's publisher runs every second
                publications = client.recent_publications(30)
        assert len(publications) >= PUBLISHED_DAYS * DATASET_COUNT, "the demo server did not publish in time"
        yield PublishingDemo(
            base_url, printed["API key"], site, created["client_id"], created["client_secret"], publications
        )


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PublishingDemo]:
    with publishing_demo(tmp_path_factory.mktemp("sdk-demo") / "data") as running:
        yield running


def test_a_served_publication_verifies_page_by_page_and_as_a_downloaded_file(
    demo: PublishingDemo, tmp_path: Path
) -> None:
    publication = max(demo.publications, key=lambda found: found.row_count)
    assert publication.row_count > 2
    with demo.client() as client:
        verified = client.verify_publication(publication.id)
        assert len(verified.rows) == publication.row_count
        assert list(client.rows(publication.id, page_size=2)) == [list(row) for row in verified.rows]

        signing_key = next(key for key in client.signing_keys() if key.key_id == verified.signature.key_id)
        assert client.verify_publication(publication.id, public_key=signing_key.public_key)

        parquet = client.download(publication.id, tmp_path / "rows.parquet")
        from_file = read_parquet_rows(parquet, publication.column_names)
        assert verify_publication_data(publication, from_file, client.signature(publication.id))
        csv_file = client.download(publication, tmp_path / "rows.csv", format="csv")
        assert csv_file.read_text().splitlines()[0] == ",".join(publication.column_names)

        latest = client.dataset_publications(publication.dataset_id, latest_only=True)
        assert publication.id in {found.id for found in latest}
        assert client.publication("NOSUCHPUBLICATION") is None
        with pytest.raises(NotFoundError):
            client.verify_publication("NOSUCHPUBLICATION")


def test_the_async_client_verifies_and_downloads_the_same_way(demo: PublishingDemo, tmp_path: Path) -> None:
    publication = demo.publications[0]

    async def scenario() -> tuple[int, Path]:
        async with AsyncIntegrationApiClient(demo.base_url, demo.client_id, demo.client_secret) as client:
            verified = await client.verify_publication(publication.id)
            path = await client.download(publication.id, tmp_path / "rows.parquet")
            return len(verified.rows), path

    row_count, path = asyncio.run(scenario())
    assert row_count == publication.row_count
    assert len(read_parquet_rows(path, publication.column_names)) == publication.row_count
