"""Every log line is one JSON object: a request cannot forge a line, and nothing personal is logged."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import Iterator

import httpx
import pytest

from leadline.app import create_app
from leadline.deployment import Deployment
from leadline.logs import JsonLines

AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0 secret-agent"
ADDRESS = "198.51.100.77"


class Lines(logging.Handler):
    """What the app's JSON formatter writes, line by line."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(JsonLines())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.extend(self.format(record).split("\n"))


@pytest.fixture
def logged() -> Iterator[Lines]:
    lines = Lines()
    logger = logging.getLogger("leadline")
    logger.addHandler(lines)
    yield lines
    logger.removeHandler(lines)


def get(deployment: Deployment, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
    app = create_app(deployment.settings, deployment)
    transport = httpx.ASGITransport(app=app, client=(ADDRESS, 40000))

    async def send() -> httpx.Response:
        async with httpx.AsyncClient(transport=transport, base_url="http://leadline.test") as client:
            return await client.get(path, headers=headers)

    return asyncio.run(send())


def access_records(lines: Lines) -> list[dict[str, object]]:
    records = [json.loads(line) for line in lines.lines]
    return [record for record in records if record["logger"] == "leadline.access"]


def test_a_path_with_an_encoded_newline_stays_on_one_line(deployment: Deployment, logged: Lines) -> None:
    get(deployment, "/x%0A2026-01-01 00:00:00 INFO leadline.access: GET /forged 200")
    forged = [line for line in logged.lines if "forged" in line]
    assert len(forged) == 1
    [record] = access_records(logged)
    assert record["route"] == "/x\n2026-01-01 00:00:00 INFO leadline.access: GET /forged 200"
    assert not any(line.startswith("2026-01-01") for line in logged.lines)


def test_the_access_line_holds_the_route_template_and_a_request_id_and_nothing_personal(
    deployment: Deployment, logged: Lines
) -> None:
    account = deployment.metadata.accounts.create("A", "a@example.com")
    site = deployment.metadata.sites.create(account.id, {"name": "S"})
    key = deployment.metadata.api_keys.create(account.id, ["*"]).key
    headers = {"Authorization": f"Bearer {key}", "User-Agent": AGENT}
    response = get(deployment, f"/v1/sites/{site.id}?token=query-secret", headers)
    assert response.status_code == 200
    [record] = access_records(logged)
    assert {key: record[key] for key in ("method", "route", "status")} == {
        "method": "GET",
        "route": "/v1/sites/{site_id}",
        "status": 200,
    }
    assert record["request_id"] == response.headers["X-Request-Id"]
    text = "\n".join(logged.lines)
    for personal in (ADDRESS, AGENT, key, "query-secret", site.id):
        assert personal not in text


def test_each_request_gets_its_own_id(deployment: Deployment, logged: Lines) -> None:
    first, second = get(deployment, "/health"), get(deployment, "/health")
    assert first.headers["X-Request-Id"] != second.headers["X-Request-Id"]


def test_an_unknown_long_path_is_logged_cut_short(deployment: Deployment, logged: Lines) -> None:
    get(deployment, "/" + "a" * 500)
    [record] = access_records(logged)
    assert record["route"] == "/" + "a" * 199


def test_a_traceback_stays_inside_its_line() -> None:
    try:
        raise RuntimeError("first\nsecond")
    except RuntimeError:
        record = logging.LogRecord("leadline.x", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
    line = JsonLines().format(record)
    assert "\n" not in line
    assert json.loads(line)["exception"].endswith("RuntimeError: first\nsecond")
