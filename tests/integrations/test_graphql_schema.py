"""The schema ships as a package data file and every Query field has exactly one resolver."""

from __future__ import annotations

import pytest
from graphql import build_schema

from leadline.integrations.graphql.resolvers import QUERY_RESOLVERS
from leadline.integrations.graphql.schema import SCHEMA, bind_resolvers, schema_text


def test_the_schema_is_read_from_the_package_data_file() -> None:
    assert "type Query {" in schema_text()


def test_every_query_field_has_its_resolver() -> None:
    assert SCHEMA.query_type is not None
    assert {name: field.resolve for name, field in SCHEMA.query_type.fields.items()} == dict(QUERY_RESOLVERS)


def test_a_query_field_without_a_resolver_stops_the_schema_from_being_built() -> None:
    schema = build_schema(schema_text().replace("type Query {", "type Query {\n  unresolved: Int"))
    with pytest.raises(ValueError, match="without resolvers: \\['unresolved'\\]"):
        bind_resolvers(schema, QUERY_RESOLVERS)


def test_a_resolver_without_a_query_field_stops_the_schema_from_being_built() -> None:
    with pytest.raises(ValueError, match="without fields: \\['gone'\\]"):
        bind_resolvers(build_schema(schema_text()), {**QUERY_RESOLVERS, "gone": lambda *_: None})
