"""The steps of a plan (``schema/plans.py``, ``schema/direct.py``): how one field of a
parent type is answered when graphql-core's generic machinery is not needed.

- a **plain leaf** (a Strawberry field without resolver, permission or extension, no
  arguments, a scalar or enum type): read the attribute, check null against the type,
  coerce the leaf (``leaf_value``: graphql-core's checks and messages);
- ``__typename``: the parent type's name;
- a **resolver field** with nothing around it (no field extension, permission or exception
  handler): the resolver called as Strawberry would call it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from graphql import (
    FieldNode,
    GraphQLField,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLSchema,
    GraphQLString,
    Undefined,
    get_nullable_type,
    is_leaf_type,
    is_non_null_type,
)
from graphql.pyutils import inspect
from strawberry.types.field import StrawberryField


class LeafStep(NamedTuple):
    """A plain leaf field: ``attribute`` of the source read by ``read`` (None:
    ``__typename``), coerced by ``coerce``; ``non_null`` for a non-null type."""

    attribute: str | None
    read: Callable[[Any, str], Any]
    coerce: Callable[[Any], Any]
    non_null: bool
    return_type: GraphQLOutputType
    leaf_name: str
    label: str  # "Type.field", for the non-null error


class ResolverStep(NamedTuple):
    """A field with a Strawberry resolver and nothing around it (no field extension,
    permission or exception handler): the resolver is called as Strawberry would call it,
    with the arguments converted once per request, and its value completed by graphql-core."""

    field: GraphQLField
    definition: StrawberryField
    call: Callable[..., Any]
    passes_self: bool
    source_names: tuple[str, ...]  # the ``parent``/``root`` parameters, given the source
    info_name: str | None
    make_info: Callable[..., Any]


Step = LeafStep | ResolverStep
Steps = dict[tuple[str, int], Step | None]


def definition_of(field: GraphQLField) -> StrawberryField | None:
    """The Strawberry field a GraphQL field was built from."""
    definition = field.extensions.get("strawberry-definition") if field.extensions else None
    return definition if isinstance(definition, StrawberryField) else None


def plain_read(field: GraphQLField) -> tuple[str, Callable[[Any, str], Any]] | None:
    """The attribute a field reads, and how, when Strawberry resolves it as a basic field
    (no resolver, extension, permission or exception handler: Strawberry's own fast path,
    which calls its default resolver and nothing else)."""
    definition = definition_of(field)
    if definition is None or not definition.is_basic_field:
        return None
    if definition.permission_classes or definition.arguments:
        return None
    if getattr(field.resolve, "__name__", "") != "_get_basic_result":
        return None
    return definition.python_name, definition.default_resolver


def resolver_step(schema: GraphQLSchema, field: GraphQLField) -> ResolverStep | None:
    definition = definition_of(field)
    if definition is None or definition.base_resolver is None:
        return None
    if definition.extensions or definition.permission_classes:
        return None
    if getattr(field.resolve, "__name__", "") not in ("_resolver", "_async_resolver"):
        return None
    strawberry_schema = getattr(schema, "_strawberry_schema", None)
    if strawberry_schema is None or strawberry_schema.schema_converter.exception_handlers:
        return None
    resolver = definition.base_resolver
    sources = tuple(
        parameter.name
        for parameter in (resolver.parent_parameter, resolver.root_parameter)
        if parameter is not None
    )
    info = resolver.info_parameter
    config = strawberry_schema.config

    def make_info(raw: GraphQLResolveInfo[Any]) -> Any:
        return config.info_class(_raw_info=raw, _field=definition)

    return ResolverStep(
        field,
        definition,
        resolver,
        resolver.self_parameter is not None,
        sources,
        None if info is None else info.name,
        make_info,
    )


def step_for(schema: GraphQLSchema, parent: GraphQLObjectType, node: FieldNode) -> Step | None:
    name = node.name.value
    label = f"{parent.name}.{name}"
    if name == "__typename":
        coerce = GraphQLString.coerce_output_value
        return LeafStep(None, getattr, coerce, True, GraphQLString, "", label)
    field = parent.fields.get(name)
    if field is None:
        return None
    resolver = resolver_step(schema, field)
    if resolver is not None:
        return resolver
    if node.arguments or node.selection_set is not None:
        return None
    leaf = get_nullable_type(field.type)
    plain = plain_read(field)
    if plain is None or not is_leaf_type(leaf):
        return None
    attribute, read = plain
    coerce = leaf.coerce_output_value
    non_null = is_non_null_type(field.type)
    return LeafStep(attribute, read, coerce, non_null, field.type, inspect(leaf), label)


def leaf_value(step: LeafStep, parent: GraphQLObjectType, source: Any) -> Any:
    """graphql-core's completion of a plain leaf: the same checks, the same messages."""
    result = parent.name if step.attribute is None else step.read(source, step.attribute)
    if isinstance(result, Exception):
        raise result
    if result is None or result is Undefined:
        if step.non_null:
            raise TypeError(f"Cannot return null for non-nullable field {step.label}.")
        return None
    coerced = step.coerce(result)
    if coerced is Undefined or coerced is None:
        raise TypeError(
            f"Expected `{step.leaf_name}.coerce_output_value({inspect(result)})` to return "
            f"non-nullable value, returned: {inspect(coerced)}"
        )
    return coerced
