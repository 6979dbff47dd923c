# Source of the generated sync twin in _sync/: edit here, then run scripts/unasync_client.py.
"""The Integration API client: an OAuth2 client-credentials token, reused, batched GraphQL, downloads, verification."""

from __future__ import annotations

import random as random_module
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import httpx

from leadline.client import _integration_ops as ops
from leadline.client._async.connection import AsyncClientBase, AsyncConnection, read_fully
from leadline.client._defaults import DEFAULT_TIMEOUT
from leadline.client._primitives import AsyncLock, AsyncSleep, async_sleep, async_write_file
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


class AsyncIntegrationApiClient(AsyncClientBase):
    """A client of one server's Integration API with one OAuth2 client. Use it as a context manager, or close it.

    The access token is fetched on first use and reused until shortly before it expires; a token the API
    refuses (401) is replaced once. 429 and 5xx answers are retried with backoff, honouring Retry-After.
    """

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
        sleep: AsyncSleep = async_sleep,
        random: Callable[[], float] = random_module.random,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.endpoints = ops.Endpoints.of(base_url, token_url, scope)
        self._token_form = ops.token_form(client_id, client_secret, self.endpoints.scope)
        http = httpx.AsyncClient(
            headers={"User-Agent": user_agent or ops.integration_user_agent()}, timeout=timeout, transport=transport
        )
        retry = RetryPolicy(max_retries=max_retries, random=random)
        super().__init__(AsyncConnection(http, retry, sleep, retry_as=ops.RETRY_AS))
        self._clock = clock
        self._tokens = ops.TokenCache(clock)
        # Callers sharing the client wait for one token request instead of each sending their own.
        self._token_lock = AsyncLock()

    # I/O: the token, and requests that carry it.

    async def _access_token(self) -> str:
        async with self._token_lock:
            token = self._tokens.current()
            if token is not None:
                return token
            requested_at = self._clock()
            response = await self._http.send("POST", self.endpoints.token_url, stream=True, data=self._token_form)
            return self._tokens.store(await read_fully(response), requested_at)

    async def _authorized(self, method: str, url: str, json: Any = None) -> httpx.Response:
        """Send with the bearer token; after a 401, once more with a new token. The answer is streamed."""
        token = await self._access_token()
        response = await self._http.send(method, url, stream=True, json=json, headers=ops.bearer(token))
        if response.status_code != 401:
            return response
        await response.aclose()
        async with self._token_lock:
            self._tokens.drop(token)
        fresh = ops.bearer(await self._access_token())
        return await self._http.send(method, url, stream=True, json=json, headers=fresh)

    async def _post(self, body: object) -> Any:
        response = await self._authorized("POST", self.endpoints.graphql_url, json=body)
        return ops.answer_json(await read_fully(response))

    # GraphQL.

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
        """The datasets this client is subscribed to."""
        return await self._run(ops.datasets())

    async def recent_publications(self, last_n_days: int) -> list[PublicationEvent]:
        """Publications of the subscribed datasets in the last `last_n_days` days, newest first."""
        return await self._run(ops.recent_publications(last_n_days))

    async def dataset_publications(
        self, dataset_id: str, from_day: str | None = None, to_day: str | None = None, latest_only: bool = False
    ) -> list[PublicationEvent]:
        """One dataset's publications, optionally between two days (YYYY-MM-DD) and only each day's latest."""
        return await self._run(ops.dataset_publications(dataset_id, from_day, to_day, latest_only))

    async def publication(self, publication_id: str) -> PublicationEvent | None:
        """One publication, or None when this client cannot see it."""
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
        """The signature of a publication, with the public key the server says made it."""
        return await self._run(ops.signature(publication_id))

    async def signing_keys(self) -> list[SigningKey]:
        """The account's public keys, newest first; pin one to verify against it instead of the server's word."""
        return await self._run(ops.signing_keys())

    # Files and verification.

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
            await async_write_file(partial, response.aiter_bytes())
            partial.replace(target)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        finally:
            await response.aclose()
        return target

    async def verify_publication(self, publication_id: str, *, public_key: str | None = None) -> VerifiedPublication:
        """Fetch a publication, all its rows and its signature, and check them (PublicationVerificationError).

        A pinned `public_key` (base64, e.g. from `signing_keys()` stored earlier) is trusted instead of the
        key the server sends with the signature.
        """
        publication = ops.found_publication(publication_id, await self.publication(publication_id))
        rows = [row async for row in self.rows(publication_id)]
        return verify_publication_data(publication, rows, await self.signature(publication_id), public_key)
