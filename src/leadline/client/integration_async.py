"""The asynchronous Integration API client, on httpx.AsyncClient (same API as the sync one, awaited)."""

from __future__ import annotations

import asyncio
import random as random_module
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import anyio
import httpx

from leadline.client import _integration_ops as ops
from leadline.client._defaults import DEFAULT_TIMEOUT
from leadline.client._retry import RetryPolicy
from leadline.client.errors import error_from_response
from leadline.client.publications import (
    Cell,
    Dataset,
    PublicationEvent,
    PublicationSignature,
    SigningKey,
    VerifiedPublication,
    verify_publication_data,
)

T = TypeVar("T")


class AsyncIntegrationApiClient:
    """An async client of one server's Integration API with one OAuth2 client. Use `async with`, or `aclose()`."""

    def __init__(
        self,
        base_url: str,
        client_id: str,
        client_secret: str,
        *,
        token_url: str | None = None,
        scope: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        user_agent: str | None = None,
        max_retries: int = 3,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        random: Callable[[], float] = random_module.random,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.endpoints = ops.Endpoints.of(base_url, token_url, scope)
        self._token_form = ops.token_form(client_id, client_secret, self.endpoints.scope)
        self._http = httpx.AsyncClient(
            headers={"User-Agent": user_agent or ops.integration_user_agent()}, timeout=timeout, transport=transport
        )
        self._retry = RetryPolicy(max_retries=max_retries, random=random)
        self._sleep = sleep
        self._clock = clock
        self._tokens = ops.TokenCache(clock)
        self._token_lock = asyncio.Lock()  # concurrent tasks wait for one token request instead of each sending one

    async def __aenter__(self) -> AsyncIntegrationApiClient:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _send(
        self,
        method: str,
        url: str,
        *,
        data: Mapping[str, str] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """Send, retrying as the policy allows; the answer is streamed: the caller reads or closes it."""
        attempt = 0
        while True:
            request = self._http.build_request(method, url, data=data, json=json, headers=headers)
            try:
                response = await self._http.send(request, stream=True)
            except httpx.TransportError as error:
                delay = ops.retry_delay(self._retry, attempt, None, error)
                if delay is None:
                    raise
            else:
                delay = ops.retry_delay(self._retry, attempt, response, None)
                if delay is None:
                    return response
                await response.aclose()
            await self._sleep(delay)
            attempt += 1

    async def _access_token(self) -> str:
        async with self._token_lock:
            token = self._tokens.current()
            if token is not None:
                return token
            requested_at = self._clock()
            response = await self._send("POST", self.endpoints.token_url, data=self._token_form)
            try:
                await response.aread()
            finally:
                await response.aclose()
            return self._tokens.store(response, requested_at)

    async def _authorized(self, method: str, url: str, json: Any = None) -> httpx.Response:
        """Send with the bearer token; after a 401, once more with a new token. The answer is streamed."""
        token = await self._access_token()
        response = await self._send(method, url, json=json, headers=ops.bearer(token))
        if response.status_code != 401:
            return response
        await response.aclose()
        async with self._token_lock:
            self._tokens.drop(token)
        return await self._send(method, url, json=json, headers=ops.bearer(await self._access_token()))

    async def _post(self, body: object) -> Any:
        response = await self._authorized("POST", self.endpoints.graphql_url, json=body)
        try:
            await response.aread()
        finally:
            await response.aclose()
        return ops.answer_json(response)

    async def execute(
        self, query: str, variables: Mapping[str, Any] | None = None, operation_name: str | None = None
    ) -> dict[str, Any]:
        """Run one GraphQL operation; its `data`, or GraphQLError with the server's messages."""
        return ops.data_of(await self._post(ops.operation(query, variables, operation_name)))

    async def execute_batch(self, operations: Sequence[tuple[str, Mapping[str, Any] | None]]) -> list[dict[str, Any]]:
        """Run (query, variables) pairs in as few requests as the server allows; their `data`, in order."""
        answers: list[dict[str, Any]] = []
        for first_index, chunk in ops.chunks(operations):
            body = [ops.operation(query, variables) for query, variables in chunk]
            answers += ops.batch_data(await self._post(body), len(body), first_index)
        return answers

    async def _run(self, query: ops.Query[T]) -> T:
        return query.parse(await self.execute(query.document, query.variables))

    async def datasets(self) -> list[Dataset]:
        return await self._run(ops.datasets())

    async def recent_publications(self, last_n_days: int) -> list[PublicationEvent]:
        return await self._run(ops.recent_publications(last_n_days))

    async def dataset_publications(
        self, dataset_id: str, from_day: str | None = None, to_day: str | None = None, latest_only: bool = False
    ) -> list[PublicationEvent]:
        return await self._run(ops.dataset_publications(dataset_id, from_day, to_day, latest_only))

    async def publication(self, publication_id: str) -> PublicationEvent | None:
        return await self._run(ops.publication(publication_id))

    async def rows(self, publication_id: str, page_size: int = 500) -> AsyncIterator[list[Cell]]:
        """Every row of a publication, in published order, fetching pages of `page_size` as needed."""
        cursor: str | None = None
        while True:
            page = await self._run(ops.rows_page(publication_id, page_size, cursor))
            for row in page.rows:
                yield list(row)
            cursor = ops.next_cursor(page)
            if cursor is None:
                return

    async def signature(self, publication_id: str) -> PublicationSignature:
        return await self._run(ops.signature(publication_id))

    async def signing_keys(self) -> list[SigningKey]:
        return await self._run(ops.signing_keys())

    async def download(
        self, publication: str | PublicationEvent, path: str | Path, format: ops.DownloadFormat = "parquet"
    ) -> Path:
        """Stream a publication's rows to `path` as Parquet or CSV; the file appears only once complete."""
        if isinstance(publication, str):
            publication = ops.found_publication(publication, await self.publication(publication))
        target = Path(path)
        partial = ops.partial_path(target)
        response = await self._authorized("GET", ops.download_url(self.endpoints, publication, format))
        try:
            if response.status_code != 200:
                await response.aread()
                raise error_from_response(response)
            async with await anyio.open_file(partial, "wb") as file:
                async for chunk in response.aiter_bytes():
                    await file.write(chunk)
            partial.replace(target)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        finally:
            await response.aclose()
        return target

    async def verify_publication(self, publication_id: str, *, public_key: str | None = None) -> VerifiedPublication:
        """Fetch a publication, all its rows and its signature, and check them (PublicationVerificationError)."""
        publication = ops.found_publication(publication_id, await self.publication(publication_id))
        rows = [row async for row in self.rows(publication_id)]
        return verify_publication_data(publication, rows, await self.signature(publication_id), public_key)
