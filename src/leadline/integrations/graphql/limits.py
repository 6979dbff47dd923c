"""How big a query may be: tokens when parsing, then nesting depth and static cost as validation rules.

Depth and cost look through fragment spreads. Each fragment is measured once per document, after the
fragments it spreads, so the work is linear in the document's size even when fragments spread each other
twice at every level (naive expansion doubles the work at each level). A walk stops as soon as its
total passes the limit, and a spread that closes a cycle counts 0 (the standard NoFragmentCyclesRule
refuses cycles; this walk must merely end).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from graphql import (
    BREAK,
    SKIP,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    VisitorAction,
    parse,
    validate,
)

# Parsing is linear in the number of tokens, but it happens before any other check; these bound it.
# The standard introspection query has under 200 tokens and 2,000 characters.
MAX_TOKENS = 2000
MAX_COMMENTS = 1000
MAX_QUERY_LENGTH = 100_000

MAX_DEPTH = 10
# The standard introspection query of GraphQL tools nests 15 levels (TypeRef's ofType chain).
MAX_INTROSPECTION_DEPTH = 20
INTROSPECTION_FIELDS = frozenset({"__schema", "__type"})

MAX_COST = 250
# Fields that read publications or rows cost more than plain fields; aliases cannot multiply them for free.
HEAVY_FIELDS = {
    "recentPublicationEvents": 20,
    "datasetPublications": 20,
    "publicationRows": 25,
    "publicationSignature": 5,
    "publication": 2,
}


def parse_query(query: str) -> DocumentNode:
    """The document, or a GraphQLError (syntax, or more tokens, comments or characters than allowed)."""
    return parse(query, max_lexical_tokens=MAX_TOKENS, max_comments=MAX_COMMENTS, max_source_length=MAX_QUERY_LENGTH)


class _SelectionMeasure(ABC):
    """A measure of selections (depth or cost) that expands each fragment once and stops past `cap`.

    Values are exact up to `cap`; a value above it only means "above": the rest of that selection set was
    not looked at. Subclasses say what a field adds and how siblings combine.
    """

    def __init__(self, context: ValidationContext, cap: int) -> None:
        self._context = context
        self._cap = cap
        self._fragment_values: dict[str, int] = {}
        self._fragments_seen: set[str] = set()

    @abstractmethod
    def field(self, node: FieldNode, inner: int) -> int:
        """A field's value, given the value of its selection set."""

    @abstractmethod
    def combine(self, total: int, value: int) -> int:
        """The value of sibling selections so far, with one more sibling."""

    def of_selection_set(self, selection_set: SelectionSetNode | None) -> int:
        """The value of a selection set; 0 for a leaf field, which has none."""
        total = 0
        for selection in () if selection_set is None else selection_set.selections:
            total = self.combine(total, self.of_selection(selection))
            if total > self._cap:
                break  # both measures only grow with more siblings: the answer is already "too much"
        return total

    def of_selection(self, selection: SelectionNode) -> int:
        """The value of one field, inline fragment or fragment spread."""
        if isinstance(selection, FieldNode):
            return self.field(selection, self.of_selection_set(selection.selection_set))
        if isinstance(selection, InlineFragmentNode):
            return self.of_selection_set(selection.selection_set)
        if isinstance(selection, FragmentSpreadNode):
            return self._fragment(selection.name.value)
        raise TypeError(f"unexpected selection {selection.kind}")

    def _fragment(self, name: str) -> int:
        if name not in self._fragments_seen:
            for dependency in self._dependencies_first(name):
                definition = self._context.get_fragment(dependency)
                if definition is not None:
                    self._fragment_values[dependency] = self.of_selection_set(definition.selection_set)
        # Missing: an unknown fragment (validation reports it) or one whose cycle closes here.
        return self._fragment_values.get(name, 0)

    def _dependencies_first(self, root: str) -> list[str]:
        """`root` and the fragments it reaches that were not measured yet, each after those it spreads.

        Iterative, so a long chain of fragments cannot exhaust Python's recursion limit.
        """
        self._fragments_seen.add(root)
        order: list[str] = []
        stack = [(root, iter(self._spread_names(root)))]
        while stack:
            name, spreads = stack[-1]
            unseen = next((spread for spread in spreads if spread not in self._fragments_seen), None)
            if unseen is None:
                stack.pop()
                order.append(name)
            else:
                self._fragments_seen.add(unseen)
                stack.append((unseen, iter(self._spread_names(unseen))))
        return order

    def _spread_names(self, name: str) -> list[str]:
        definition: FragmentDefinitionNode | None = self._context.get_fragment(name)
        if definition is None:
            return []
        return [spread.name.value for spread in self._context.get_fragment_spreads(definition.selection_set)]


class _Depth(_SelectionMeasure):
    """Levels of nested fields; fragments and inline fragments add no level of their own."""

    def field(self, node: FieldNode, inner: int) -> int:
        return 1 + inner

    def combine(self, total: int, value: int) -> int:
        return max(total, value)


class _Cost(_SelectionMeasure):
    """One per field selected, plus the weight of heavy fields; a fragment spread twice counts twice."""

    def field(self, node: FieldNode, inner: int) -> int:
        return 1 + HEAVY_FIELDS.get(node.name.value, 0) + inner

    def combine(self, total: int, value: int) -> int:
        return total + value


class DepthLimit(ValidationRule):
    """Refuses an operation with a top-level field nested more than `max_depth` levels deep.

    Introspection (`__schema`, `__type`) may nest `max_introspection_depth` levels. Reports the first
    offending field of the document and stops.
    """

    max_depth = MAX_DEPTH
    max_introspection_depth = MAX_INTROSPECTION_DEPTH

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        # Fragments are shared by both limits, so values must stay exact up to the larger one.
        self._depth = _Depth(context, cap=max(self.max_depth, self.max_introspection_depth))

    def enter_operation_definition(self, node: OperationDefinitionNode, *_args: Any) -> VisitorAction:
        for selection in node.selection_set.selections:
            introspection = isinstance(selection, FieldNode) and selection.name.value in INTROSPECTION_FIELDS
            limit = self.max_introspection_depth if introspection else self.max_depth
            if self._depth.of_selection(selection) > limit:
                self.report_error(GraphQLError(f"query is nested more than {limit} levels deep"))
                return BREAK
        return SKIP  # the measure has looked inside already

    def enter_fragment_definition(self, *_args: Any) -> VisitorAction:
        return SKIP  # measured where operations spread them


class CostLimit(ValidationRule):
    """Refuses an operation whose static cost (see `_Cost`) passes `max_cost`; reports the first and stops.

    The walk stops as soon as the total passes the limit, so the cost in the message is a lower bound.
    """

    max_cost = MAX_COST

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        self._cost = _Cost(context, cap=self.max_cost)

    def enter_operation_definition(self, node: OperationDefinitionNode, *_args: Any) -> VisitorAction:
        cost = self._cost.of_selection_set(node.selection_set)
        if cost > self.max_cost:
            advice = "select fewer fields or split it into a batch"
            self.report_error(GraphQLError(f"query costs at least {cost}, more than {self.max_cost}: {advice}"))
            return BREAK
        return SKIP

    def enter_fragment_definition(self, *_args: Any) -> VisitorAction:
        return SKIP


LIMIT_RULES: tuple[type[ValidationRule], ...] = (DepthLimit, CostLimit)


def limit_problem(schema: GraphQLSchema, document: DocumentNode) -> GraphQLError | None:
    """The first limit the document passes, or None; depth is checked before cost.

    One validation pass per rule, so that a document too deep in one operation and too costly in an
    earlier one is refused for its depth, and the standard rules only ever see documents of bounded size.
    """
    for rule in LIMIT_RULES:
        problems = validate(schema, document, [rule])
        if problems:
            return problems[0]
    return None
