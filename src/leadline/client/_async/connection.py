# Source of the generated sync twin in _sync/: edit here, then run scripts/unasync_client.py.
"""The HTTP layer both clients share: one retry loop, reading answers, closing the connections."""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import Any, Self

import httpx

from leadline.client._primitives import AsyncSleep
from leadline.client._retry import RetryPolicy


class AsyncConnection:
    """An httpx client that repeats a request on 429, 5xx and transport errors, as the retry policy allows.

    `retry_as` names the method whose retry rules apply to every request (default: each request's own): an
    API whose POSTs only read may have them repeated as GETs would be.
    """

    def __init__(
        self, http: httpx.AsyncClient, retry: RetryPolicy, sleep: AsyncSleep, retry_as: str | None = None
    ) -> None:
        self._http = http
        self._retry = retry
        self._sleep = sleep
        self._retry_as = retry_as

    async def aclose(self) -> None:
        await self._http.aclose()

    async def send(
        self,
        method: str,
        url: str,
        *,
        stream: bool = False,
        params: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """The final answer. A `stream`ed answer is the caller's to read or close; otherwise its body is read
        within the retries, so a connection lost while reading it is retried too.
        """
        retry_as = self._retry_as or method
        attempt = 0
        while True:
            request = self._http.build_request(method, url, params=params, data=data, json=json, headers=headers)
            try:
                response = await self._http.send(request, stream=stream)
            except httpx.TransportError as error:
                delay = self._retry.delay(attempt, None, retry_as, error)
                if delay is None:
                    raise
            else:
                delay = self._retry.delay(attempt, response, retry_as)
                if delay is None:
                    return response
                await response.aclose()
            await self._sleep(delay)
            attempt += 1


async def read_fully(response: httpx.Response) -> httpx.Response:
    """The streamed `response`, its body read and its connection given back."""
    try:
        await response.aread()
    finally:
        await response.aclose()
    return response


class AsyncClientBase:
    """What both clients are besides their API: the owner of a connection, closed on leaving a `with` block."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._http = connection

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connections; the client cannot be used afterwards."""
        await self._http.aclose()
