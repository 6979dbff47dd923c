"""The synchronous Integration API client: an OAuth2 client-credentials token, reused, and batched GraphQL."""

from __future__ import annotations

import random as random_module
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

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


class IntegrationApiClient:
    """A client of one server's Integration API with one OAuth2 client. Use it as a context manager, or `close()`.

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
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        random: Callable[[], float] = random_module.random,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.endpoints = ops.Endpoints.of(base_url, token_url, scope)
        self._token_form = ops.token_form(client_id, client_secret, self.endpoints.scope)
        self._http = httpx.Client(
            headers={"User-Agent": user_agent or ops.integration_user_agent()}, timeout=timeout, transport=transport
        )
        self._retry = RetryPolicy(max_retries=max_retries, random=random)
        self._sleep = sleep
        self._clock = clock
        self._tokens = ops.TokenCache(clock)
        self._token_lock = threading.Lock()  # one token request at a time, however many threads share the client

    def __enter__(self) -> IntegrationApiClient:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # I/O: sending with retries, the token, the bearer header.

    def _send(
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
                response = self._http.send(request, stream=True)
            except httpx.TransportError as error:
                delay = ops.retry_delay(self._retry, attempt, None, error)
                if delay is None:
                    raise
            else:
                delay = ops.retry_delay(self._retry, attempt, response, None)
                if delay is None:
                    return response
                response.close()
            self._sleep(delay)
            attempt += 1

    def _access_token(self) -> str:
        with self._token_lock:
            token = self._tokens.current()
            if token is not None:
                return token
            requested_at = self._clock()
            response = self._send("POST", self.endpoints.token_url, data=self._token_form)
            try:
                response.read()
            finally:
                response.close()
            return self._tokens.store(response, requested_at)

    def _authorized(self, method: str, url: str, json: Any = None) -> httpx.Response:
        """Send with the bearer token; after a 401, once more with a new token. The answer is streamed."""
        token = self._access_token()
        response = self._send(method, url, json=json, headers=ops.bearer(token))
        if response.status_code != 401:
            return response
        response.close()
        with self._token_lock:
            self._tokens.drop(token)
        return self._send(method, url, json=json, headers=ops.bearer(self._access_token()))

    def _post(self, body: object) -> Any:
        response = self._authorized("POST", self.endpoints.graphql_url, json=body)
        try:
            response.read()
        finally:
            response.close()
        return ops.answer_json(response)

    # GraphQL.

    def execute(
        self, query: str, variables: Mapping[str, Any] | None = None, operation_name: str | None = None
    ) -> dict[str, Any]:
        """Run one GraphQL operation; its `data`, or GraphQLError with the server's messages."""
        return ops.data_of(self._post(ops.operation(query, variables, operation_name)))

    def execute_batch(self, operations: Sequence[tuple[str, Mapping[str, Any] | None]]) -> list[dict[str, Any]]:
        """Run (query, variables) pairs in as few requests as the server allows; their `data`, in order."""
        answers: list[dict[str, Any]] = []
        for first_index, chunk in ops.chunks(operations):
            body = [ops.operation(query, variables) for query, variables in chunk]
            answers += ops.batch_data(self._post(body), len(body), first_index)
        return answers

    def _run(self, query: ops.Query[T]) -> T:
        return query.parse(self.execute(query.document, query.variables))

    def datasets(self) -> list[Dataset]:
        """The datasets this client is subscribed to."""
        return self._run(ops.datasets())

    def recent_publications(self, last_n_days: int) -> list[PublicationEvent]:
        """Publications of the subscribed datasets in the last `last_n_days` days, newest first."""
        return self._run(ops.recent_publications(last_n_days))

    def dataset_publications(
        self, dataset_id: str, from_day: str | None = None, to_day: str | None = None, latest_only: bool = False
    ) -> list[PublicationEvent]:
        """One dataset's publications, optionally between two days (YYYY-MM-DD) and only each day's latest."""
        return self._run(ops.dataset_publications(dataset_id, from_day, to_day, latest_only))

    def publication(self, publication_id: str) -> PublicationEvent | None:
        return self._run(ops.publication(publication_id))

    def rows(self, publication_id: str, page_size: int = 500) -> Iterator[list[Cell]]:
        """Every row of a publication, in published order, fetching pages of `page_size` as needed."""
        cursor: str | None = None
        while True:
            page = self._run(ops.rows_page(publication_id, page_size, cursor))
            for row in page.rows:
                yield list(row)
            cursor = ops.next_cursor(page)
            if cursor is None:
                return

    def signature(self, publication_id: str) -> PublicationSignature:
        return self._run(ops.signature(publication_id))

    def signing_keys(self) -> list[SigningKey]:
        """The account's public keys, newest first; pin one to verify against it instead of the server's word."""
        return self._run(ops.signing_keys())

    def download(
        self, publication: str | PublicationEvent, path: str | Path, format: ops.DownloadFormat = "parquet"
    ) -> Path:
        """Stream a publication's rows to `path` as Parquet or CSV; the file appears only once complete."""
        if isinstance(publication, str):
            publication = ops.found_publication(publication, self.publication(publication))
        target = Path(path)
        partial = ops.partial_path(target)
        response = self._authorized("GET", ops.download_url(self.endpoints, publication, format))
        try:
            if response.status_code != 200:
                response.read()
                raise error_from_response(response)
            with partial.open("wb") as file:
                for chunk in response.iter_bytes():
                    file.write(chunk)
            partial.replace(target)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        finally:
            response.close()
        return target

    def verify_publication(self, publication_id: str, *, public_key: str | None = None) -> VerifiedPublication:
        """Fetch a publication, all its rows and its signature, and check them (PublicationVerificationError).

        A pinned `public_key` (base64, e.g. from `signing_keys()` stored earlier) is trusted instead of the
        key the server sends with the signature.
        """
        publication = ops.found_publication(publication_id, self.publication(publication_id))
        rows = list(self.rows(publication_id))
        return verify_publication_data(publication, rows, self.signature(publication_id), public_key)
