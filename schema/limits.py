"""Limits that protect the server from hostile GraphQL documents, checked before execution.

Depth counts nesting below the root fields (``{ me { name } }`` is 1 deep).

Every refusal is a GraphQL error with ``extensions.code = QUERY_TOO_COMPLEX`` and a message
naming the limit. Fragments are expanded where they are spread (and cycles cut), so a
fragment cannot hide depth, aliases, directives or fields. Cost: every field costs 1; a
field with a page-size argument (``first``/``last``/``limit``) multiplies what it selects by
that size (its default page size when absent or null); any other list field multiplies by
``DEFAULT_LIST_SIZE``; a ``filter`` argument adds its size (the input fields it holds).
Introspection (``__schema``/``__type``) is not counted against depth
and cost, but may not recurse through types (``types { fields { type { fields ...``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLList,
    GraphQLNamedType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    parse,
)
from graphql.error import GraphQLSyntaxError
from strawberry.extensions import SchemaExtension

from app.errors import DomainError
from app.pagination import DEFAULT_LIMIT
from app.settings import Settings

CODE = "QUERY_TOO_COMPLEX"
DEFAULT_LIST_SIZE = 10
_SIZE_ARGS = ("first", "last", "limit")
_TYPE_EXPANDING = frozenset({"types", "fields", "inputFields", "interfaces", "possibleTypes"})
_INTROSPECTION_MAX_DEPTH = 15


class QueryTooComplex(DomainError):
    """A batched HTTP request over the operation limit (single documents get a GraphQL error)."""

    code = CODE
    status = 400
    title = "Query Too Complex"


def _input_size(value: Any, variables: Mapping[str, Any]) -> int:
    """How many input fields a value holds (an object's fields, each counted with what it
    holds; a list's items), from a literal or a variable's JSON."""
    if isinstance(value, VariableNode):
        return _input_size(variables.get(value.name.value), variables)
    if isinstance(value, ObjectValueNode):
        return sum(1 + _input_size(field.value, variables) for field in value.fields)
    if isinstance(value, ListValueNode):
        return sum(_input_size(item, variables) for item in value.values)
    if isinstance(value, dict):
        return sum(1 + _input_size(item, variables) for item in value.values())
    if isinstance(value, list):
        return sum(_input_size(item, variables) for item in value)
    return 0


def too_complex(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": CODE})


@dataclass(frozen=True, slots=True)
class Limits:
    max_depth: int
    max_aliases: int
    max_tokens: int
    max_document_chars: int
    max_cost: int
    max_directives: int
    max_fields: int

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(
            max_depth=settings.graphql_max_depth,
            max_aliases=settings.graphql_max_aliases,
            max_tokens=settings.graphql_max_tokens,
            max_document_chars=settings.graphql_max_document_chars,
            max_cost=settings.graphql_max_cost,
            max_directives=settings.graphql_max_directives,
            max_fields=settings.graphql_max_fields,
        )


class _Abort(Exception):
    """Stop walking: a limit is already exceeded."""


@dataclass
class _Walk:
    limits: Limits
    schema: GraphQLSchema
    fragments: Mapping[str, FragmentDefinitionNode]
    variables: Mapping[str, Any]
    depth: int = 0
    aliases: int = 0
    directives: int = 0
    fields: int = 0
    violations: list[str] = field(default_factory=list)

    def _count_field(self, node: FieldNode) -> None:
        self.fields += 1
        if node.alias is not None:
            self.aliases += 1
        self.directives += len(node.directives or ())
        if self.fields > self.limits.max_fields:
            self._fail(f"Query selects more than {self.limits.max_fields} fields")
        if self.aliases > self.limits.max_aliases:
            self._fail(f"Query uses more than {self.limits.max_aliases} aliases")
        if self.directives > self.limits.max_directives:
            self._fail(f"Query uses more than {self.limits.max_directives} directives")

    def _fail(self, message: str) -> None:
        self.violations.append(message)
        raise _Abort

    def _selections(
        self,
        selection_set: SelectionSetNode | None,
        parent: GraphQLNamedType | None,
        seen: frozenset[str],
    ) -> Iterator[tuple[FieldNode, GraphQLNamedType | None, frozenset[str]]]:
        """The fields of a selection set with fragments expanded, each with the fragments
        it is inside of (a fragment met again inside itself is a cycle and is cut)."""
        if selection_set is None:
            return
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                yield selection, parent, seen
                continue
            self.directives += len(selection.directives or ())
            if isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.schema.get_type(condition.name.value) if condition else parent
                yield from self._selections(selection.selection_set, target, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in seen:
                    continue
                target = self.schema.get_type(fragment.type_condition.name.value)
                yield from self._selections(fragment.selection_set, target, seen | {name})

    def _size(self, node: FieldNode) -> int | None:
        for argument in node.arguments or ():
            if argument.name.value not in _SIZE_ARGS:
                continue
            value = argument.value
            if isinstance(value, VariableNode):
                raw = self.variables.get(value.name.value)
                return raw if isinstance(raw, int) and raw >= 0 else DEFAULT_LIMIT
            if isinstance(value, IntValueNode):
                return int(value.value)
            return DEFAULT_LIMIT
        return None

    def _filter_size(self, node: FieldNode) -> int:
        """The size of a ``filter`` argument: the input fields it holds, nested ones too."""
        for argument in node.arguments or ():
            if argument.name.value == "filter":
                return _input_size(argument.value, self.variables)
        return 0

    def cost(
        self,
        selection_set: SelectionSetNode | None,
        parent: GraphQLNamedType | None,
        depth: int,
        seen: frozenset[str] = frozenset(),
    ) -> int:
        total = 0
        for node, owner, inside in self._selections(selection_set, parent, seen):
            self._count_field(node)
            name = node.name.value
            if name in ("__schema", "__type"):
                self._introspection(node.selection_set, 1, 0, inside)
                continue
            if depth > self.limits.max_depth:
                self._fail(f"Query is deeper than {self.limits.max_depth} levels")
            self.depth = max(self.depth, depth)
            definition = getattr(owner, "fields", {}).get(name) if owner is not None else None
            child_type = get_named_type(definition.type) if definition is not None else None
            size = self._size(node)
            if size is None:
                is_list = definition is not None and isinstance(
                    get_nullable_type(definition.type), GraphQLList
                )
                in_connection = owner is not None and owner.name.endswith("Connection")
                size = DEFAULT_LIST_SIZE if is_list and not in_connection else 1
            total += 1 + self._filter_size(node)
            total += size * self.cost(node.selection_set, child_type, depth + 1, inside)
            if total > self.limits.max_cost:
                self._fail(f"Query cost exceeds the budget of {self.limits.max_cost}")
        return total

    def _introspection(
        self,
        selection_set: SelectionSetNode | None,
        depth: int,
        expanding: int,
        seen: frozenset[str],
    ) -> None:
        for node, _owner, inside in self._selections(selection_set, None, seen):
            self._count_field(node)
            grows = node.name.value in _TYPE_EXPANDING
            if expanding + grows > 2:
                self._fail("Introspection may not recurse through types (circular introspection)")
            if depth + 1 > _INTROSPECTION_MAX_DEPTH:
                self._fail(f"Introspection is deeper than {_INTROSPECTION_MAX_DEPTH} levels")
            self._introspection(node.selection_set, depth + 1, expanding + grows, inside)


def check_document(
    document: DocumentNode,
    schema: GraphQLSchema,
    limits: Limits,
    variables: Mapping[str, Any] | None,
    operation_name: str | None,
) -> list[str]:
    """The limits the operation to run breaks (empty when it is within all of them)."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    walk = _Walk(limits, schema, fragments, variables or {})
    for operation in operations:
        walk.directives += len(operation.directives or ())
        root = schema.get_root_type(operation.operation)
        try:
            walk.cost(operation.selection_set, root, 0)
        except _Abort:
            break
    return walk.violations


@lru_cache(maxsize=256)
def _parse(query: str, max_tokens: int) -> DocumentNode:
    return parse(query, max_tokens=max_tokens)


def parse_document(query: str, limits: Limits) -> DocumentNode:
    """The document, parsed with a bounded cache within the length and token limits; a
    GraphQL error (``QUERY_TOO_COMPLEX`` or ``GRAPHQL_PARSE_FAILED``) when it cannot be."""
    if len(query) > limits.max_document_chars:
        raise too_complex(f"Query is longer than {limits.max_document_chars} characters")
    try:
        return _parse(query, limits.max_tokens)
    except GraphQLSyntaxError as error:
        if "tokens" in error.message:
            raise too_complex(f"Query has more than {limits.max_tokens} tokens") from None
        raise GraphQLError(
            error.message,
            source=error.source,
            positions=error.positions,
            extensions={"code": "GRAPHQL_PARSE_FAILED"},
        ) from None


class QueryLimits(SchemaExtension):
    """Parses (with a bounded cache and a token limit) and applies the limits above."""

    def __init__(self, limits: Limits) -> None:
        super().__init__()
        self.limits = limits

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        context.graphql_document = parse_document(context.query or "", self.limits)
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is not None:
            violations = check_document(
                context.graphql_document,
                context.schema._schema,
                self.limits,
                context.variables,
                context.operation_name,
            )
            if violations:
                raise too_complex(violations[0])
        yield
