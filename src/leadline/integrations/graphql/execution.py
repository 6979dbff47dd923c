"""Runs a batch of GraphQL operations for one client: parse, limits, validation, execution, in order."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError, execute_sync, validate

from leadline.integrations.graphql.limits import limit_problem, parse_query
from leadline.integrations.graphql.resolvers import Viewer
from leadline.integrations.graphql.responses import error_body
from leadline.integrations.graphql.schema import SCHEMA


def run_operation(operation: object, viewer: Viewer) -> dict[str, Any]:
    """One `{query, variables, operationName}` request, answered as a GraphQL response object."""
    if not isinstance(operation, dict):
        return error_body("each operation must be a JSON object with a 'query'")
    query, variables, name = operation.get("query"), operation.get("variables"), operation.get("operationName")
    if not isinstance(query, str):
        return error_body("'query' must be a string")
    if variables is not None and not isinstance(variables, dict):
        return error_body("'variables' must be an object")
    if name is not None and not isinstance(name, str):
        return error_body("'operationName' must be a string")
    try:
        document = parse_query(query)
    except GraphQLError as error:
        return {"errors": [error.formatted]}
    # Limits first: the standard rules and execution only ever see documents of bounded size.
    if (problem := limit_problem(SCHEMA, document)) is not None:
        return error_body(problem.message)
    problems = validate(SCHEMA, document)
    if problems:
        return {"errors": [problem.formatted for problem in problems]}
    result = execute_sync(SCHEMA, document, root_value=viewer, variable_values=variables, operation_name=name)
    return dict(result.formatted)


def run_batch(body: object, viewer: Viewer) -> object:
    """A JSON array answered as an array in the same order; a single object as a single object."""
    if isinstance(body, list):
        return [run_operation(operation, viewer) for operation in body]
    return run_operation(body, viewer)
