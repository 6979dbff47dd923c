"""Query limits without a server: tokens when parsing, depth and cost as validation rules, fragments once."""

from __future__ import annotations

import time

import pytest
from graphql import GraphQLError, get_introspection_query, parse, validate

from leadline.integrations.graphql.limits import (
    MAX_COST,
    MAX_DEPTH,
    MAX_INTROSPECTION_DEPTH,
    MAX_QUERY_LENGTH,
    MAX_TOKENS,
    limit_problem,
    parse_query,
)
from leadline.integrations.graphql.schema import SCHEMA


def problem(query: str) -> str | None:
    found = limit_problem(SCHEMA, parse(query))
    return None if found is None else found.message


def nested_columns(levels: int) -> str:
    """A query whose deepest field is `levels` fields down."""
    return "{ recentPublicationEvents(lastNDays: 1) " + "{ columns " * (levels - 2) + "{ id }" + " }" * (levels - 1)


def doubling_fragments(levels: int, leaf: str = "__typename") -> str:
    """Each fragment spreads the next one twice: naive expansion visits 2**levels copies of the leaf."""
    fragments = [f"fragment F{n} on Query {{ ...F{n + 1} ...F{n + 1} }}" for n in range(levels)]
    return "\n".join(["{ ...F0 }", *fragments, f"fragment F{levels} on Query {{ {leaf} }}"])


def recent_events(aliases: int) -> str:
    """`aliases` copies of a heavy field: 1 + 20 for recentPublicationEvents, 1 for id, so 22 each."""
    return "{ " + " ".join(f"a{n}: recentPublicationEvents(lastNDays: 30) {{ id }}" for n in range(aliases)) + " }"


def test_a_query_nested_to_the_limit_is_accepted() -> None:
    assert problem(nested_columns(MAX_DEPTH)) is None


def test_a_query_nested_past_the_limit_is_refused() -> None:
    assert problem(nested_columns(MAX_DEPTH + 1)) == f"query is nested more than {MAX_DEPTH} levels deep"


def test_depth_is_counted_through_fragments_as_if_they_were_written_inline() -> None:
    def through_fragments(levels: int) -> str:
        # recentPublicationEvents, then columns in Deep, then `levels - 3` columns and an id in Deeper.
        deeper = "fragment Deeper on DatasetColumn { " + "columns { " * (levels - 3) + "id" + " }" * (levels - 3) + " }"
        return (
            "{ recentPublicationEvents(lastNDays: 1) { ...Deep } } "
            "fragment Deep on PublicationEvent { columns { ... on DatasetColumn { ...Deeper } } } " + deeper
        )

    assert problem(through_fragments(MAX_DEPTH)) is None
    assert problem(through_fragments(MAX_DEPTH + 1)) == f"query is nested more than {MAX_DEPTH} levels deep"


def test_the_standard_introspection_query_is_accepted() -> None:
    document = parse_query(get_introspection_query())
    assert limit_problem(SCHEMA, document) is None
    assert validate(SCHEMA, document) == []


def test_introspection_may_nest_deeper_but_not_without_limit() -> None:
    def of_types(levels: int) -> str:
        return "{ __schema { types { fields { type " + "{ ofType " * levels + "{ name }" + " }" * (levels + 4)

    assert problem(of_types(MAX_INTROSPECTION_DEPTH - 5)) is None
    assert problem(of_types(MAX_INTROSPECTION_DEPTH - 4)) == (
        f"query is nested more than {MAX_INTROSPECTION_DEPTH} levels deep"
    )


def test_a_query_under_the_cost_limit_is_accepted() -> None:
    assert problem(recent_events(11)) is None  # 11 x 22 = 242


def test_a_query_over_the_cost_limit_is_refused_with_its_cost() -> None:
    assert problem(recent_events(12)) == (
        f"query costs at least 264, more than {MAX_COST}: select fewer fields or split it into a batch"
    )


def test_a_fragment_spread_twice_costs_twice() -> None:
    # One spread of Six costs 6 x 22 = 132, under the limit; two spreads cost what two inline copies cost.
    six = "fragment Six on Query { " + recent_events(6)[2:-2] + " }"
    assert problem("{ ...Six } " + six) is None
    twice = problem("{ ...Six ...Six } " + six)
    assert twice is not None and twice.startswith("query costs at least 264,")
    assert problem(recent_events(12)) == twice


def test_nested_fragment_spreads_are_counted_at_every_use() -> None:
    heavy_leaf = "recentPublicationEvents(lastNDays: 30) { id }"  # 22
    assert problem(doubling_fragments(3, heavy_leaf)) is None  # 8 leaves: 176
    assert problem(doubling_fragments(4, heavy_leaf)) == (  # 16 leaves: 352
        f"query costs at least 352, more than {MAX_COST}: select fewer fields or split it into a batch"
    )


def test_thirty_doubling_fragment_levels_are_refused_in_milliseconds() -> None:
    document = parse_query(doubling_fragments(30))
    started = time.perf_counter()
    found = limit_problem(SCHEMA, document)
    elapsed = time.perf_counter() - started
    assert found is not None and found.message.startswith("query costs at least")
    assert elapsed < 0.1, f"validation took {elapsed * 1000:.0f} ms"


def test_a_long_chain_of_single_spreads_is_within_the_limits() -> None:
    links = 150  # graphql-core itself aborts validation of chains nested deeper than 200
    chain = " ".join(f"fragment F{n} on Query {{ ...F{n + 1} }}" for n in range(links))
    document = parse_query("{ ...F0 } " + chain + f" fragment F{links} on Query {{ __typename }}")
    assert limit_problem(SCHEMA, document) is None
    assert validate(SCHEMA, document) == []


def test_fragment_cycles_end_the_walk_and_are_left_to_the_standard_rules() -> None:
    document = parse("{ ...A } fragment A on Query { ...B __typename } fragment B on Query { ...A }")
    assert limit_problem(SCHEMA, document) is None
    assert any("Cannot spread fragment" in error.message for error in validate(SCHEMA, document))


def test_unknown_fragments_are_left_to_the_standard_rules() -> None:
    document = parse("{ ...Missing }")
    assert limit_problem(SCHEMA, document) is None
    assert [error.message for error in validate(SCHEMA, document)] == ["Unknown fragment 'Missing'."]


def test_depth_is_checked_before_cost() -> None:
    costly_then_deep = "query Costly " + recent_events(12) + " query Deep " + nested_columns(MAX_DEPTH + 1)
    assert problem(costly_then_deep) == f"query is nested more than {MAX_DEPTH} levels deep"


def test_a_query_of_too_many_tokens_is_refused_while_parsing() -> None:
    query = "{ " + "__typename " * MAX_TOKENS + "}"
    with pytest.raises(GraphQLError, match=f"more than {MAX_TOKENS} tokens"):
        parse_query(query)


def test_a_query_longer_than_the_length_limit_is_refused_while_parsing() -> None:
    query = "{ __typename }" + " " * MAX_QUERY_LENGTH
    with pytest.raises(GraphQLError, match=f"more than {MAX_QUERY_LENGTH} code points"):
        parse_query(query)
