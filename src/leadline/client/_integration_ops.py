"""The Integration API's requests and answers as data, with no I/O: the clients in `_async/` and `_sync/` send them.

Here: the endpoints, the token cache (reuse until shortly before expiry), which retry rules apply, the GraphQL
documents of the typed queries (selections built from the models) and how their answers are read.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar, get_args
from urllib.parse import urlsplit, urlunsplit

import httpx
from pydantic import TypeAdapter

from leadline.client._defaults import default_user_agent
from leadline.client.errors import NotFoundError, error_from_response
from leadline.client.integration_errors import GraphQLError, TokenError, token_error_from_response
from leadline.client.publications import (
    Dataset,
    GraphQLModel,
    PublicationEvent,
    PublicationSignature,
    RowPage,
    SigningKey,
)

T = TypeVar("T")

GRAPHQL_PATH = "/api/integrations"
TOKEN_ENDPOINT_PATH = "/oauth2/token"  # noqa: S105 (a path, not a secret)
MAX_BATCH = 20  # the server's limit of operations per request; longer batches are sent in chunks
MAX_REFRESH_MARGIN_SECONDS = 60.0
DownloadFormat = Literal["parquet", "csv"]

# Every Integration API request only reads: the schema has no mutations, and a repeated token request only
# issues another token. So every request may be retried as a GET would be, on 5xx as well as on 429.
RETRY_AS = "GET"


def integration_user_agent() -> str:
    return default_user_agent() + " integration"


@dataclass(frozen=True)
class Endpoints:
    """Where the client sends what, and the one OAuth2 scope it asks for."""

    base_url: str
    token_url: str
    graphql_url: str
    scope: str

    @classmethod
    def of(cls, base_url: str, token_url: str | None, scope: str | None) -> Endpoints:
        base = base_url.rstrip("/")
        return cls(
            base_url=base,
            token_url=token_url or base + TOKEN_ENDPOINT_PATH,
            graphql_url=base + GRAPHQL_PATH,
            scope=scope or base + GRAPHQL_PATH,
        )

    def download_url(self, published_url: str) -> str:
        """The server's download URL moved onto our own origin: the bearer token never goes to another host."""
        ours, theirs = urlsplit(self.base_url), urlsplit(published_url)
        return urlunsplit((ours.scheme, ours.netloc, theirs.path, theirs.query, ""))


def token_form(client_id: str, client_secret: str, scope: str) -> dict[str, str]:
    return {"grant_type": "client_credentials", "client_id": client_id, "client_secret": client_secret, "scope": scope}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def refresh_margin(expires_in: float) -> float:
    """How long before expiry a token is renewed: a tenth of its life, at most a minute."""
    return min(MAX_REFRESH_MARGIN_SECONDS, expires_in / 10)


@dataclass
class TokenCache:
    """The one access token in use, reused until shortly before it expires as measured by `clock`."""

    clock: Callable[[], float]
    _token: str | None = field(default=None, init=False, repr=False)
    _renew_at: float = field(default=0.0, init=False)

    def current(self) -> str | None:
        """The token to use, or None when a new one is needed."""
        if self._token is not None and self.clock() < self._renew_at:
            return self._token
        return None

    def store(self, response: httpx.Response, requested_at: float) -> str:
        """Keep the token of a token answer (or raise its error); its life counts from when it was asked for."""
        if response.status_code != 200:
            raise token_error_from_response(response)
        try:
            body = response.json()
        except ValueError:
            body = None
        token = body.get("access_token") if isinstance(body, dict) else None
        kind = body.get("token_type") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token or not isinstance(kind, str) or kind.lower() != "bearer":
            raise TokenError(response.status_code, "invalid_response", "the token answer holds no bearer token")
        expires_in = body.get("expires_in")
        if isinstance(expires_in, int | float) and not isinstance(expires_in, bool):
            self._renew_at = requested_at + expires_in - refresh_margin(expires_in)
        else:
            # expires_in is only RECOMMENDED by RFC 6749: without it, use the token until the API refuses it.
            self._renew_at = math.inf
        self._token = token
        return token

    def drop(self, token: str) -> None:
        """Forget `token` after the API refused it, unless another request has already replaced it."""
        if self._token == token:
            self._token = None


def operation(query: str, variables: Mapping[str, Any] | None = None, name: str | None = None) -> dict[str, Any]:
    """One GraphQL request object of the body."""
    body: dict[str, Any] = {"query": query, "variables": dict(variables or {})}
    if name is not None:
        body["operationName"] = name
    return body


def answer_json(response: httpx.Response) -> Any:
    """The JSON of a 200 answer of /api/integrations, or the error of any other answer raised."""
    if response.status_code != 200:
        raise error_from_response(response)
    return response.json()


def data_of(answer: Any, index: int | None = None) -> dict[str, Any]:
    """The `data` of one GraphQL response object; its `errors`, if any, raised as GraphQLError."""
    if not isinstance(answer, dict):
        raise GraphQLError([{"message": f"expected a GraphQL response object, got {type(answer).__name__}"}], index)
    errors = answer.get("errors")
    if errors:
        raise GraphQLError(errors if isinstance(errors, list) else [{"message": str(errors)}], index)
    data = answer.get("data")
    return data if isinstance(data, dict) else {}


def batch_data(answers: Any, sent: int, first_index: int) -> list[dict[str, Any]]:
    """The data of each answer of one batch, in order."""
    if not isinstance(answers, list) or len(answers) != sent:
        raise GraphQLError([{"message": f"expected an array of {sent} answers to the batch"}], first_index)
    return [data_of(answer, first_index + offset) for offset, answer in enumerate(answers)]


def chunks(operations: Sequence[T], size: int = MAX_BATCH) -> list[tuple[int, Sequence[T]]]:
    """The batch split into requests the server accepts, each with the index of its first operation."""
    return [(start, operations[start : start + size]) for start in range(0, len(operations), size)]


@dataclass(frozen=True)
class Query(Generic[T]):
    """One typed query: its document and variables, the root field it asks for, and the type of that field."""

    document: str
    variables: dict[str, Any]
    root_field: str
    answer: TypeAdapter[T]

    def parse(self, data: dict[str, Any]) -> T:
        return self.answer.validate_python(data.get(self.root_field))


def selection(model: type[GraphQLModel]) -> str:
    """The GraphQL selection of every field of `model`, nested models included: the query asks for what it reads."""
    parts = []
    for name, field_info in model.model_fields.items():
        alias = field_info.alias or name
        nested = _nested_model(field_info.annotation)
        parts.append(alias if nested is None else f"{alias} {{ {selection(nested)} }}")
    return " ".join(parts)


def _nested_model(annotation: object) -> type[GraphQLModel] | None:
    # A field holds another object either directly or as a tuple of them (`tuple[DatasetColumn, ...]`).
    candidates = [annotation, *get_args(annotation)]
    return next((c for c in candidates if isinstance(c, type) and issubclass(c, GraphQLModel)), None)


_DATASETS = TypeAdapter(list[Dataset])
_PUBLICATIONS = TypeAdapter(list[PublicationEvent])
_PUBLICATION = TypeAdapter(PublicationEvent | None)
_ROW_PAGE = TypeAdapter(RowPage)
_SIGNATURE = TypeAdapter(PublicationSignature)
_SIGNING_KEYS = TypeAdapter(list[SigningKey])
_PUBLICATION_FRAGMENT = f" fragment PublicationFields on PublicationEvent {{ {selection(PublicationEvent)} }}"


def datasets() -> Query[list[Dataset]]:
    document = f"query Datasets {{ listSubscribedDatasetMetadata {{ {selection(Dataset)} }} }}"
    return Query(document, {}, "listSubscribedDatasetMetadata", _DATASETS)


def recent_publications(last_n_days: int) -> Query[list[PublicationEvent]]:
    document = (
        "query RecentPublications($days: Int!) { recentPublicationEvents(lastNDays: $days) { ...PublicationFields } }"
        + _PUBLICATION_FRAGMENT
    )
    return Query(document, {"days": last_n_days}, "recentPublicationEvents", _PUBLICATIONS)


def dataset_publications(
    dataset_id: str, from_day: str | None, to_day: str | None, latest_only: bool
) -> Query[list[PublicationEvent]]:
    document = (
        "query DatasetPublications($id: ID!, $from: String, $to: String, $latest: Boolean) {"
        " datasetPublications(datasetId: $id, fromDay: $from, toDay: $to, latestOnly: $latest)"
        " { ...PublicationFields } }" + _PUBLICATION_FRAGMENT
    )
    variables = {"id": dataset_id, "from": from_day, "to": to_day, "latest": latest_only}
    return Query(document, variables, "datasetPublications", _PUBLICATIONS)


def publication(publication_id: str) -> Query[PublicationEvent | None]:
    document = "query Publication($id: ID!) { publication(id: $id) { ...PublicationFields } }" + _PUBLICATION_FRAGMENT
    return Query(document, {"id": publication_id}, "publication", _PUBLICATION)


def rows_page(publication_id: str, page_size: int, after: str | None) -> Query[RowPage]:
    document = (
        "query PublicationRows($id: ID!, $first: Int, $after: String) {"
        f" publicationRows(publicationId: $id, first: $first, after: $after) {{ {selection(RowPage)} }} }}"
    )
    variables = {"id": publication_id, "first": page_size, "after": after}
    return Query(document, variables, "publicationRows", _ROW_PAGE)


def signature(publication_id: str) -> Query[PublicationSignature]:
    document = (
        "query PublicationSignature($id: ID!) {"
        f" publicationSignature(publicationId: $id) {{ {selection(PublicationSignature)} }} }}"
    )
    return Query(document, {"id": publication_id}, "publicationSignature", _SIGNATURE)


def signing_keys() -> Query[list[SigningKey]]:
    document = f"query SigningKeys {{ signingKeys {{ {selection(SigningKey)} }} }}"
    return Query(document, {}, "signingKeys", _SIGNING_KEYS)


def next_cursor(page: RowPage) -> str | None:
    """Where the next page starts, or None after the last page."""
    if not page.has_next_page:
        return None
    if page.end_cursor is None:
        raise GraphQLError([{"message": "publicationRows says hasNextPage but gives no endCursor"}])
    return page.end_cursor


def found_publication(publication_id: str, found: PublicationEvent | None) -> PublicationEvent:
    if found is None:
        raise NotFoundError(404, f"no publication {publication_id} in this client's datasets")
    return found


def partial_path(target: Path) -> Path:
    """Where a download is written until it is complete."""
    return target.with_name(target.name + ".part")


def download_url(endpoints: Endpoints, publication_event: PublicationEvent, file_format: DownloadFormat) -> str:
    if file_format not in ("parquet", "csv"):
        raise ValueError(f"format must be 'parquet' or 'csv', not {file_format!r}")
    return endpoints.download_url(
        publication_event.parquet_url if file_format == "parquet" else publication_event.csv_url
    )
