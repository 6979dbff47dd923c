"""The client's retry logic against scripted answers: backoff with jitter, Retry-After, when it gives up."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

import httpx
import pytest

from leadline.client import (
    AsyncLeadlineClient,
    BadRequestError,
    LeadlineClient,
    NotFoundError,
    RateLimitedError,
    ServerError,
    default_user_agent,
)

ACCOUNT = {"id": "ACC", "object": "account", "name": "Acme", "email": "acme@example.com", "timezone": "UTC"}


def scripted(*answers: httpx.Response | Exception) -> tuple[Callable[[httpx.Request], httpx.Response], list[str]]:
    """A MockTransport handler giving `answers` in turn (raising the exceptions), and the paths it was asked."""
    queue: Iterator[httpx.Response | Exception] = iter(answers)
    asked: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.path)
        answer = next(queue)
        if isinstance(answer, Exception):
            raise answer
        return answer

    return handler, asked


def too_many(retry_after: str | None = None) -> httpx.Response:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    return httpx.Response(429, json={"error": "rate limit exceeded"}, headers=headers)


def unavailable() -> httpx.Response:
    return httpx.Response(503, json={"error": "try later"})


def client_for(
    handler: Callable[[httpx.Request], httpx.Response],
    slept: list[float],
    max_retries: int = 3,
    random: Callable[[], float] = lambda: 0.5,
) -> LeadlineClient:
    return LeadlineClient(
        "http://leadline.test",
        "ll_key",
        transport=httpx.MockTransport(handler),
        max_retries=max_retries,
        sleep=slept.append,
        random=random,
    )


def test_backoff_honours_retry_after_and_gives_up() -> None:
    # Retry-After wins over backoff; otherwise the delay doubles, jittered within [half, all] of base * 2**n.
    handler, asked = scripted(too_many("7"), unavailable(), unavailable(), httpx.Response(200, json=ACCOUNT))
    jitter = iter([0.0, 0.999])
    slept: list[float] = []
    with client_for(handler, slept, random=lambda: next(jitter)) as client:
        assert client.account().id == "ACC"
    assert len(asked) == 4
    assert slept[0] == 7.0
    assert slept[1] == pytest.approx(0.5)  # attempt 1: base 0.5 * 2 = 1.0, jitter 0 gives the lower half bound
    assert 1.0 <= slept[2] <= 2.0  # attempt 2: ceiling 2.0
    assert slept[2] == pytest.approx(1.0 + 0.999)

    # After max_retries retries the last answer's error is raised.
    handler, asked = scripted(*(unavailable() for _ in range(3)))
    slept = []
    with client_for(handler, slept, max_retries=2) as client, pytest.raises(ServerError) as failed:
        client.account()
    assert (failed.value.status, failed.value.message) == (503, "try later")
    assert len(asked) == 3
    assert slept == [pytest.approx(0.375), pytest.approx(0.75)]

    handler, asked = scripted(too_many("3"), too_many("3"))
    slept = []
    with client_for(handler, slept, max_retries=1) as client, pytest.raises(RateLimitedError) as limited:
        client.account()
    assert (limited.value.status, limited.value.retry_after, slept) == (429, 3.0, [3.0])

    # A 4xx other than 429 is the request's fault: repeating it would not help.
    handler, asked = scripted(httpx.Response(400, json={"error": "limit must be at most 100"}))
    slept = []
    with client_for(handler, slept) as client, pytest.raises(BadRequestError) as bad:
        client.sites.list(limit=1000)
    assert (bad.value.message, len(asked), slept) == ("limit must be at most 100", 1, [])


def test_transport_errors_are_retried() -> None:
    refused = httpx.ConnectError("connection refused")
    handler, asked = scripted(refused, httpx.Response(200, json=ACCOUNT))
    slept: list[float] = []
    with client_for(handler, slept) as client:
        assert client.account().name == "Acme"
    assert len(asked) == 2
    assert slept == [pytest.approx(0.375)]

    handler, asked = scripted(refused, refused)
    with client_for(handler, [], max_retries=1) as client, pytest.raises(httpx.ConnectError):
        client.account()


def test_a_create_is_repeated_only_when_the_server_surely_did_not_act() -> None:
    site = {
        "id": "S1",
        "object": "site",
        "name": "New",
        "sharing": "none",
        "timezone": "UTC",
        "multi_domain": False,
        "multi_domain_option": None,
        "created_at": "2026-01-01 00:00:00",
    }
    # Refused connections and 429s never reached the handler: repeating the POST is safe.
    handler, asked = scripted(httpx.ConnectError("refused"), too_many("1"), httpx.Response(200, json=site))
    with client_for(handler, []) as client:
        assert client.sites.create("New").id == "S1"
    assert len(asked) == 3
    # A 5xx or a read timeout may come after the site was created: the error is raised, not a second create.
    for failure in (unavailable(), httpx.ReadTimeout("no answer")):
        handler, asked = scripted(failure, httpx.Response(200, json=site))
        with client_for(handler, []) as client, pytest.raises((ServerError, httpx.ReadTimeout)):
            client.sites.create("New")
        assert len(asked) == 1


def test_the_async_client_retries_the_same_way() -> None:
    handler, asked = scripted(too_many("2"), unavailable(), httpx.Response(200, json=ACCOUNT))
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    async def scenario() -> str:
        async with AsyncLeadlineClient(
            "http://leadline.test", "ll_key", transport=httpx.MockTransport(handler), sleep=sleep, random=lambda: 1.0
        ) as client:
            return (await client.account()).id

    assert asyncio.run(scenario()) == "ACC"
    assert (len(asked), slept) == (3, [2.0, 1.0])


def test_requests_carry_the_key_a_user_agent_and_encoded_filters() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/v1/aggregations":
            return httpx.Response(200, json={"data": [{"pathname": "/", "visits": "3"}]})
        return httpx.Response(404, json={"error": "site not found"})

    with LeadlineClient("http://leadline.test", "ll_key", transport=httpx.MockTransport(handler)) as client:
        rows = client.aggregations(
            entity="pageview",
            entity_id="SITE/../x",
            aggregates=["visits", "uniques"],
            filters=[{"field": "browser", "operator": "is", "value": "Firefox"}],
        )
        assert rows == [{"pathname": "/", "visits": "3"}]
        with pytest.raises(NotFoundError):
            client.sites.get("A/B")
    request = seen[0]
    assert request.headers["Authorization"] == "Bearer ll_key"
    assert request.headers["User-Agent"] == default_user_agent()
    assert default_user_agent().startswith("leadline-python/")
    assert request.url.params["aggregates"] == "visits,uniques"
    assert request.url.params["entity_id"] == "SITE/../x"
    assert request.url.params["filters"] == '[{"field": "browser", "operator": "is", "value": "Firefox"}]'
    # Ids are quoted so they cannot change the path.
    assert seen[1].url.raw_path == b"/v1/sites/A%2FB"


def test_an_error_without_a_json_body_keeps_the_text() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(502, text="Bad gateway from the proxy"))
    client = LeadlineClient("http://leadline.test", "ll_key", max_retries=0, transport=transport)
    with client, pytest.raises(ServerError) as failed:
        client.account()
    assert (failed.value.status, failed.value.message) == (502, "Bad gateway from the proxy")
