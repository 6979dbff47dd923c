"""`POST /api/integrations`: batched GraphQL (graphql-core) for one client's subscribed datasets."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
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

from leadline.integrations.clients import IntegrationClient
from leadline.integrations.datasets import DATASETS, dataset_id
from leadline.integrations.service import Integrations

MAX_BATCH = 20
MAX_DEPTH = 10
MAX_LAST_N_DAYS = 3660

SCHEMA = build_schema(
    """
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

    "One closed day of a dataset, frozen and signed."
    type PublicationEvent {
      id: ID!
      signerEmail: String!
      signatureId: String!
      datasetId: ID!
      branchId: String!
      timestampIso8601: String!
    }

    type Query {
      "The datasets this client is subscribed to."
      listSubscribedDatasetMetadata: [Dataset!]!
      "Publications of the subscribed datasets in the last N days, newest first."
      recentPublicationEvents(lastNDays: Int!): [PublicationEvent!]!
    }
    """
)


@dataclass(frozen=True)
class Root:
    """The query root for one authenticated client; graphql-core calls these methods as resolvers."""

    client: IntegrationClient
    integrations: Integrations

    def listSubscribedDatasetMetadata(self, _info: GraphQLResolveInfo[Any]) -> list[dict[str, Any]]:
        answer = []
        for name in self.client.datasets:
            ds_id = dataset_id(self.client.site_id, name)
            columns = [
                {"id": f"{ds_id}.{column.name}", "columnName": column.name, "valueType": column.value_type.value}
                for column in DATASETS[name].columns
            ]
            answer.append({"id": ds_id, "datasetName": name, "datasetColumns": columns})
        return answer

    def recentPublicationEvents(self, _info: GraphQLResolveInfo[Any], lastNDays: int) -> list[dict[str, Any]]:
        if not 1 <= lastNDays <= MAX_LAST_N_DAYS:
            raise GraphQLError(f"lastNDays must be between 1 and {MAX_LAST_N_DAYS}")
        found = self.integrations.publications.recent(self.client.site_id, self.client.datasets, lastNDays)
        return [
            {
                "id": publication.id,
                "signerEmail": publication.signer_email,
                "signatureId": publication.signature_id,
                "datasetId": dataset_id(publication.site_id, publication.dataset),
                "branchId": publication.branch_id,
                "timestampIso8601": publication.published_at.isoformat(timespec="seconds") + "Z",
            }
            for publication in found
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


def query_depth(document: DocumentNode) -> int:
    """How deeply the fields of any operation in `document` nest (fragments followed)."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    return max((_depth(operation, fragments) for operation in operations), default=0)


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
    if query_depth(document) > MAX_DEPTH:
        return _error(f"query is nested more than {MAX_DEPTH} levels deep")
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


async def graphql_endpoint(request: Request, integrations: Integrations) -> Response:
    """Authenticate the bearer token, then run the batch; HTTP errors are `{"errors": [{"message"}]}` too."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return _unauthorized("missing bearer token: send Authorization: Bearer <access_token> from /oauth2/token")
    client = await run_in_threadpool(integrations.clients.client_for_token, token.strip())
    if client is None:
        return _unauthorized("invalid, expired or revoked access token: request a new one from /oauth2/token")
    try:
        body = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        return JSONResponse(_error("the body must be JSON: an operation object or an array of them"), 400)
    if isinstance(body, list) and not 1 <= len(body) <= MAX_BATCH:
        return JSONResponse(_error(f"a batch holds 1 to {MAX_BATCH} operations"), 400)
    answer = await run_in_threadpool(run_batch, body, Root(client=client, integrations=integrations))
    return JSONResponse(answer)
