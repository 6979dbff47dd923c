"""The executable schema: schema.graphql (a package data file) with the Query resolvers bound to it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import resources

from graphql import GraphQLSchema, build_schema

from leadline.integrations.graphql.resolvers import QUERY_RESOLVERS

SCHEMA_FILE = "schema.graphql"
_PACKAGE = __name__.rpartition(".")[0]  # the SDL file sits next to this module


def schema_text() -> str:
    """The SDL as shipped in the package."""
    return resources.files(_PACKAGE).joinpath(SCHEMA_FILE).read_text(encoding="utf-8")


def bind_resolvers(schema: GraphQLSchema, resolvers: Mapping[str, Callable[..., object]]) -> GraphQLSchema:
    """Attach one resolver to each Query field; a field without one (or a resolver without a field) is a bug."""
    query = schema.query_type
    if query is None:
        raise ValueError(f"{SCHEMA_FILE} declares no Query type")
    missing, unknown = set(query.fields) - set(resolvers), set(resolvers) - set(query.fields)
    if missing or unknown:
        raise ValueError(
            f"Query fields without resolvers: {sorted(missing)}; resolvers without fields: {sorted(unknown)}"
        )
    for name, field in query.fields.items():
        field.resolve = resolvers[name]
    return schema


SCHEMA = bind_resolvers(build_schema(schema_text()), QUERY_RESOLVERS)
