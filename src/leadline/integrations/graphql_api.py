"""`POST /api/integrations`: batched GraphQL (graphql-core) for one client's subscribed datasets."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLResolveInfo,
    Node,
    OperationDefinitionNode,
    SelectionSetNode,
    build_schema,
    execute_sync,
    parse,
    validate,
)
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from leadline.config import Settings
from leadline.integrations.canonical import signed_message
from leadline.integrations.clients import IntegrationClient
from leadline.integrations.datasets import DATASETS, dataset_id
from leadline.integrations.oauth import USER_AGENT_REQUIRED, public_base_url
from leadline.integrations.publications import Publication
from leadline.integrations.service import Integrations

MAX_BATCH = 20
MAX_DEPTH = 10
MAX_INTROSPECTION_DEPTH = 20
MAX_COST = 250
# Fields that read publications or rows cost more than plain fields; aliases cannot multiply them for free.
HEAVY_FIELDS = {
    "recentPublicationEvents": 20,
    "datasetPublications": 20,
    "publicationRows": 25,
    "publicationSignature": 5,
    "publication": 2,
}
MAX_LAST_N_DAYS = 3660
MAX_DAY_RANGE = 400
DEFAULT_DAY_RANGE = 31
MAX_PAGE = 5000

SCHEMA = build_schema(
    """
    "A cell: String for DATE (YYYY-MM-DD) and STRING columns, Int for INT, Float for FLOAT."
    scalar Cell

    "One column of a dataset."
    type DatasetColumn {
      id: ID!
      columnName: String!
      "DATE, STRING, INT or FLOAT."
      valueType: String!
    }

    "A typed, privacy-safe table derived from one site (e.g. daily pages)."
    type Dataset {
      id: ID!
      datasetName: String!
      datasetColumns: [DatasetColumn!]!
    }

    "One closed day of a dataset, frozen and signed. Late data makes a new version on the same branch."
    type PublicationEvent {
      id: ID!
      "The account email of the signer."
      signerEmail: String!
      signatureId: String!
      datasetId: ID!
      "Always main: a re-publication is a newer version on main."
      branchId: String!
      "When it was published, in the site's timezone with its UTC offset."
      timestampIso8601: String!
      datasetName: String!
      "The day (YYYY-MM-DD) in the site's timezone."
      day: String!
      timezone: String!
      "1 for the first publication of a day, then 2, 3... after late data."
      version: Int!
      "The publication this version replaces."
      supersedesId: ID
      rowCount: Int!
      "Hex SHA-256 of the rows' RFC 8785 encoding {columns, rows}."
      rowsSha256: String!
      columns: [DatasetColumn!]!
      "The rows as Parquet (GET with the same bearer token)."
      parquetUrl: String!
      "The rows as CSV (GET with the same bearer token)."
      csvUrl: String!
    }

    "A page of a publication's rows, in published order."
    type RowPage {
      columns: [String!]!
      rows: [[Cell]!]!
      "Pass as `after` for the next page."
      endCursor: String
      hasNextPage: Boolean!
      totalCount: Int!
    }

    "The Ed25519 signature of a publication and the key that made it."
    type PublicationSignature {
      signatureId: String!
      publicationId: ID!
      algorithm: String!
      keyId: ID!
      "Raw 32-byte public key, base64."
      publicKey: String!
      "64-byte signature, base64."
      signature: String!
      "The signed bytes (RFC 8785 JSON of the publication's facts), as text."
      signedMessage: String!
    }

    "A public key of the account that signs this client's publications."
    type SigningKey {
      keyId: ID!
      algorithm: String!
      publicKey: String!
      createdAt: String!
    }

    type Query {
      "The datasets this client is subscribed to."
      listSubscribedDatasetMetadata: [Dataset!]!
      "Publications of the subscribed datasets made in the last N days, newest first."
      recentPublicationEvents(lastNDays: Int!): [PublicationEvent!]!
      "Publications of one subscribed dataset for days in [fromDay, toDay] (default: the last 31 days)."
      datasetPublications(
        datasetId: ID!, fromDay: String, toDay: String, latestOnly: Boolean = false
      ): [PublicationEvent!]!
      "One publication, or null when it is unknown or not subscribed."
      publication(id: ID!): PublicationEvent
      "A page of a publication's rows (first: 1 to 5000)."
      publicationRows(publicationId: ID!, first: Int = 500, after: String): RowPage!
      publicationSignature(publicationId: ID!): PublicationSignature!
      signingKeys: [SigningKey!]!
    }
    """
)


def _columns(dataset: str, ds_id: str) -> list[dict[str, str]]:
    return [
        {"id": f"{ds_id}.{column.name}", "columnName": column.name, "valueType": column.value_type.value}
        for column in DATASETS[dataset].columns
    ]


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"rows:{offset}".encode()).decode("ascii")


def _offset(cursor: str | None) -> int:
    if cursor is None:
        return 0
    try:
        label, _, number = base64.urlsafe_b64decode(cursor.encode("ascii")).decode("ascii").partition(":")
        if label == "rows" and number.isdigit():
            return int(number)
    except (ValueError, UnicodeError):
        pass
    raise GraphQLError("after: not a cursor from publicationRows.endCursor")


def _day(text: str | None, name: str, default: date) -> date:
    if text is None:
        return default
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise GraphQLError(f"{name} must be a date YYYY-MM-DD") from error


def visible_publication(
    integrations: Integrations, client: IntegrationClient, publication_id: str
) -> Publication | None:
    """The publication if it is of the client's site and one of its subscribed datasets, else None."""
    found = integrations.publications.get(publication_id)
    if found is None or found.site_id != client.site_id or found.dataset not in client.datasets:
        return None
    return found


def not_visible(publication_id: str) -> str:
    return f"no publication {publication_id!r} among this client's subscribed datasets"


@dataclass(frozen=True)
class Root:
    """The query root for one authenticated client; graphql-core calls these methods as resolvers."""

    client: IntegrationClient
    integrations: Integrations
    base_url: str

    def _visible(self, publication_id: str) -> Publication:
        found = visible_publication(self.integrations, self.client, publication_id)
        if found is None:
            raise GraphQLError(not_visible(publication_id))
        return found

    def _event(self, publication: Publication) -> dict[str, Any]:
        links = f"{self.base_url}/api/integrations/publications/{publication.id}/rows"
        return {
            "id": publication.id,
            "signerEmail": publication.signer_email,
            "signatureId": publication.signature_id,
            "datasetId": publication.dataset_id,
            "branchId": publication.branch_id,
            "timestampIso8601": publication.timestamp_iso8601,
            "datasetName": publication.dataset,
            "day": publication.day.isoformat(),
            "timezone": publication.timezone,
            "version": publication.version,
            "supersedesId": publication.supersedes_id,
            "rowCount": publication.row_count,
            "rowsSha256": publication.rows_sha256,
            "columns": _columns(publication.dataset, publication.dataset_id),
            "parquetUrl": links + ".parquet",
            "csvUrl": links + ".csv",
        }

    def listSubscribedDatasetMetadata(self, _info: GraphQLResolveInfo[Any]) -> list[dict[str, Any]]:
        answer = []
        for name in self.client.datasets:
            ds_id = dataset_id(self.client.site_id, name)
            answer.append({"id": ds_id, "datasetName": name, "datasetColumns": _columns(name, ds_id)})
        return answer

    def recentPublicationEvents(self, _info: GraphQLResolveInfo[Any], lastNDays: int) -> list[dict[str, Any]]:
        if not 1 <= lastNDays <= MAX_LAST_N_DAYS:
            raise GraphQLError(f"lastNDays must be between 1 and {MAX_LAST_N_DAYS}")
        found = self.integrations.publications.recent(self.client.site_id, self.client.datasets, lastNDays)
        return [self._event(publication) for publication in found]

    def datasetPublications(
        self,
        _info: GraphQLResolveInfo[Any],
        datasetId: str,
        fromDay: str | None = None,
        toDay: str | None = None,
        latestOnly: bool = False,
    ) -> list[dict[str, Any]]:
        names = {dataset_id(self.client.site_id, name): name for name in self.client.datasets}
        if datasetId not in names:
            raise GraphQLError(f"datasetId {datasetId!r} is not one of this client's datasets: {', '.join(names)}")
        last = _day(toDay, "toDay", datetime.now(UTC).date())
        first = _day(fromDay, "fromDay", last - timedelta(days=DEFAULT_DAY_RANGE - 1))
        if first > last or (last - first).days >= MAX_DAY_RANGE:
            raise GraphQLError(f"fromDay must not be after toDay, and the range is at most {MAX_DAY_RANGE} days")
        found = self.integrations.publications.for_dataset(
            self.client.site_id, names[datasetId], first, last, latestOnly
        )
        return [self._event(publication) for publication in found]

    def publication(self, _info: GraphQLResolveInfo[Any], id: str) -> dict[str, Any] | None:
        try:
            return self._event(self._visible(id))
        except GraphQLError:
            return None

    def publicationRows(
        self, _info: GraphQLResolveInfo[Any], publicationId: str, first: int = 500, after: str | None = None
    ) -> dict[str, Any]:
        if not 1 <= first <= MAX_PAGE:
            raise GraphQLError(f"first must be between 1 and {MAX_PAGE}")
        publication = self._visible(publicationId)
        start = _offset(after)
        rows = self.integrations.publications.rows(publication)
        page = rows[start : start + first]
        end = start + len(page)
        return {
            "columns": publication.column_names,
            "rows": page,
            "endCursor": _cursor(end) if page else after,
            "hasNextPage": end < len(rows),
            "totalCount": len(rows),
        }

    def publicationSignature(self, _info: GraphQLResolveInfo[Any], publicationId: str) -> dict[str, Any]:
        publication = self._visible(publicationId)
        key = self.integrations.signing_keys.get(publication.key_id)
        if key is None:  # keys are never deleted while their account exists
            raise GraphQLError(f"the signing key of publication {publicationId!r} is gone")
        return {
            "signatureId": publication.signature_id,
            "publicationId": publication.id,
            "algorithm": key.algorithm,
            "keyId": key.id,
            "publicKey": key.public_key,
            "signature": publication.signature,
            "signedMessage": signed_message(publication.signed_facts(key.algorithm)).decode("utf-8"),
        }

    def signingKeys(self, _info: GraphQLResolveInfo[Any]) -> list[dict[str, Any]]:
        return [
            {
                "keyId": key.id,
                "algorithm": key.algorithm,
                "publicKey": key.public_key,
                "createdAt": key.created_at.replace(tzinfo=UTC).isoformat(),
            }
            for key in self.integrations.signing_keys.list_for_account(self.client.account_id)
        ]


def _depth(node: Node, fragments: Mapping[str, FragmentDefinitionNode], seen: frozenset[str] = frozenset()) -> int:
    selection_set: SelectionSetNode | None = getattr(node, "selection_set", None)
    if isinstance(node, FragmentSpreadNode):
        name = node.name.value
        if name in seen or name not in fragments:
            return 0  # cycles and unknown fragments are left to validation
        return _depth(fragments[name], fragments, seen | {name})
    if selection_set is None:
        return 1 if isinstance(node, FieldNode) else 0
    inner = max((_depth(child, fragments, seen) for child in selection_set.selections), default=0)
    return inner + (1 if isinstance(node, FieldNode) else 0)


def _cost(node: Node, fragments: Mapping[str, FragmentDefinitionNode], seen: frozenset[str] = frozenset()) -> int:
    if isinstance(node, FragmentSpreadNode):
        name = node.name.value
        if name in seen or name not in fragments:
            return 0
        return _cost(fragments[name], fragments, seen | {name})
    own = (1 + HEAVY_FIELDS.get(node.name.value, 0)) if isinstance(node, FieldNode) else 0
    selection_set: SelectionSetNode | None = getattr(node, "selection_set", None)
    if selection_set is None:
        return own
    return own + sum(_cost(child, fragments, seen) for child in selection_set.selections)


def query_cost(document: DocumentNode) -> int:
    """A static cost: one per field selected (fragments expanded), more for fields that read publications."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    return max((_cost(d, fragments) for d in document.definitions if isinstance(d, OperationDefinitionNode)), default=0)


def depth_problem(document: DocumentNode) -> str | None:
    """Why the document nests too deeply, or None. Introspection (`__schema`, `__type`) may nest deeper,
    so that the standard introspection query of GraphQL tools (15 levels) works."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    for operation in (d for d in document.definitions if isinstance(d, OperationDefinitionNode)):
        for selection in operation.selection_set.selections:
            introspection = isinstance(selection, FieldNode) and selection.name.value in ("__schema", "__type")
            limit = MAX_INTROSPECTION_DEPTH if introspection else MAX_DEPTH
            if _depth(selection, fragments) > limit:
                return f"query is nested more than {limit} levels deep"
    return None


def _error(message: str) -> dict[str, Any]:
    return {"errors": [{"message": message}]}


def run_operation(operation: object, root: Root) -> dict[str, Any]:
    """One `{query, variables, operationName}` request, answered as a GraphQL response object."""
    if not isinstance(operation, dict):
        return _error("each operation must be a JSON object with a 'query'")
    query, variables, name = operation.get("query"), operation.get("variables"), operation.get("operationName")
    if not isinstance(query, str):
        return _error("'query' must be a string")
    if variables is not None and not isinstance(variables, dict):
        return _error("'variables' must be an object")
    if name is not None and not isinstance(name, str):
        return _error("'operationName' must be a string")
    try:
        document = parse(query)
    except GraphQLError as error:
        return {"errors": [error.formatted]}
    if (problem := depth_problem(document)) is not None:
        return _error(problem)
    if (cost := query_cost(document)) > MAX_COST:
        return _error(f"query costs {cost}, more than {MAX_COST}: select fewer fields or split it into a batch")
    problems = validate(SCHEMA, document)
    if problems:
        return {"errors": [problem.formatted for problem in problems]}
    result = execute_sync(SCHEMA, document, root_value=root, variable_values=variables, operation_name=name)
    return dict(result.formatted)


def run_batch(body: object, root: Root) -> object:
    """A JSON array answered as an array in the same order; a single object as a single object."""
    if isinstance(body, list):
        return [run_operation(operation, root) for operation in body]
    return run_operation(body, root)


def _unauthorized(message: str) -> Response:
    return JSONResponse(
        _error(message), status_code=401, headers={"WWW-Authenticate": 'Bearer realm="leadline", error="invalid_token"'}
    )


async def authenticate(request: Request, integrations: Integrations) -> IntegrationClient | Response:
    """The client a request's bearer token belongs to, or the error answer (400, 401 or 429) to send instead.

    Shared by GraphQL and the downloads: a User-Agent if the deployment requires one, a live token, and the
    client's request rate limit.
    """
    if integrations.require_user_agent and not request.headers.get("user-agent", "").strip():
        return JSONResponse(_error(USER_AGENT_REQUIRED), 400)
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return _unauthorized("missing bearer token: send Authorization: Bearer <access_token> from /oauth2/token")
    client = await run_in_threadpool(integrations.clients.client_for_token, token.strip())
    if client is None:
        return _unauthorized("invalid, expired or revoked access token: request a new one from /oauth2/token")
    retry_after = integrations.request_rate_limit.retry_after(client.id)
    if retry_after is not None:
        message = f"{integrations.request_rate_limit.describe()} per client; retry after {retry_after} seconds"
        return JSONResponse(_error(message), 429, headers={"Retry-After": str(retry_after)})
    return client


async def graphql_endpoint(request: Request, settings: Settings, integrations: Integrations) -> Response:
    """Authenticate the bearer token, then run the batch; HTTP errors are `{"errors": [{"message"}]}` too."""
    client = await authenticate(request, integrations)
    if isinstance(client, Response):
        return client
    try:
        body = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        return JSONResponse(_error("the body must be JSON: an operation object or an array of them"), 400)
    if isinstance(body, list) and not 1 <= len(body) <= MAX_BATCH:
        return JSONResponse(_error(f"a batch holds 1 to {MAX_BATCH} operations"), 400)
    root = Root(client=client, integrations=integrations, base_url=public_base_url(settings, request))
    answer = await run_in_threadpool(run_batch, body, root)
    return JSONResponse(answer)
