"""Direct execution: a query's whole answer built from its plan, without graphql-core.

A query whose every field has a plan step (plain leaves, ``__typename``, plain attributes
holding objects or lists, resolver fields with nothing around them) over concrete object
types, with no directives, compiles once into a tree: per selection set, its fields in
response order, each with how its value is read (the attribute, or the resolver called as
Strawberry calls it) and completed (null checked against the type, leaves coerced, objects
checked with the type's ``is_type_of``, lists item by item). Executing it builds the
response's dicts directly: no field lookup, path, argument coercion or completion dispatch
per field, and what resolvers leave pending is awaited level by level, all of a level
together (one gather), so DataLoaders batch as before.

Exact GraphQL semantics cost nothing here because the direct run answers only when
nothing went wrong: the first exception (a resolver's domain error, a null for a non-null
field, a leaf that does not coerce, an item of the wrong type) abandons it, and the
operation runs again through graphql-core with the plan's steps (``schema/plans.py``),
which produces the errors, paths and partial data graphql-core would. Only queries run
directly (running again is safe for reads; mutations and subscriptions never do), so an
operation that fails pays its resolvers twice. Operations using what is not planned
(introspection, abstract types, ``@include``/``@skip``/``@defer``/``@stream``) run
through the plan's steps from the start.
"""

from __future__ import annotations

import inspect as pyinspect
from collections.abc import Callable
from typing import Any, NamedTuple

from graphql import (
    DirectiveNode,
    GraphQLObjectType,
    GraphQLOutputType,
    Node,
    OperationType,
    Undefined,
    get_nullable_type,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
    visit,
)
from graphql.execution.collect_fields import (
    FieldDetailsList,
    GroupedFieldSet,
    collect_fields,
    collect_subfields,
)
from graphql.execution.executor import to_nodes
from graphql.language import Visitor
from graphql.pyutils import Path
from graphql.pyutils.gather_with_cancel import gather_with_cancel

from schema.plan_steps import LeafStep, ResolverStep, plain_read, step_for
from schema.relations import RELATION as RELATION_KEY
from schema.relations import Relation

# How a field's value is read.
TYPENAME, LEAF, READ, CALL, RELATION = range(5)
# How a value is completed.
SCALAR, OBJECT, LIST = range(3)


class Unplannable(Exception):
    """The operation uses something direct execution does not cover."""


class Out(NamedTuple):
    """How a value of one output type is completed."""

    kind: int  # SCALAR, OBJECT or LIST
    non_null: bool
    coerce: Any  # SCALAR: the leaf type's ``coerce_output_value``
    object_type: GraphQLObjectType | None  # OBJECT
    is_type_of: Callable[[Any, Any], Any] | None  # OBJECT
    fields: tuple[Field, ...]  # OBJECT
    item: Any  # LIST: the items' ``Out``


class Field(NamedTuple):
    """One field of a selection set: its response name, how it is read and completed.
    The slots a kind does not use are None (typed ``Any``: the hot loop reads them
    without narrowing)."""

    name: str
    kind: int  # TYPENAME, LEAF, READ, CALL or RELATION
    parent: GraphQLObjectType
    leaf: Any  # TYPENAME, LEAF: its ``LeafStep``
    attribute: str | None  # READ
    read: Any  # READ: how Strawberry reads the attribute
    call: ResolverStep | None  # CALL, RELATION
    details: FieldDetailsList  # CALL: for the resolve info and the arguments
    nodes: list[Any]
    out: Any  # READ, CALL, RELATION: the value's ``Out``
    bare: bool = False  # CALL: a resolver without arguments or info
    relation: Any = None  # RELATION: its ``Relation`` (``schema/relations.py``)


Fields = tuple[Field, ...]


class _Directives(Visitor):
    found = False

    def enter_directive(self, node: DirectiveNode, *_args: Any) -> None:
        self.found = True


def _has_directives(nodes: tuple[Node, ...]) -> bool:
    finder = _Directives()
    for node in nodes:
        visit(node, finder)
        if finder.found:
            return True
    return False


def compile_query(ex: Any) -> Fields | None:
    """The direct plan of the executor's operation, or None when it is not a query or
    uses what direct execution does not cover."""
    operation = ex.operation
    if operation.operation is not OperationType.QUERY or ex.abort_signal is not None:
        return None
    if _has_directives((operation, *ex.fragment_definitions.values())):
        return None
    root = ex.schema.query_type
    if root is None:
        return None
    grouped, defers, _forbidden = collect_fields(
        ex.schema, ex.fragments, ex.variable_values, root, operation, ex.hide_suggestions
    )
    if defers:
        return None
    try:
        return _fields(ex, root, grouped)
    except Unplannable:
        return None


def _fields(ex: Any, parent: GraphQLObjectType, grouped: GroupedFieldSet) -> Fields:
    fields: list[Field] = []
    for name, details in grouped.items():
        if any(d.fragment_variable_values is not None or d.defer_usage for d in details):
            raise Unplannable(name)
        node = details[0].node
        step = step_for(ex.schema, parent, node)
        nodes = to_nodes(details)
        if isinstance(step, LeafStep):
            kind = TYPENAME if step.attribute is None else LEAF
            fields.append(Field(name, kind, parent, step, None, None, None, details, nodes, None))
            continue
        if isinstance(step, ResolverStep):
            out = _out(ex, step.field.type, details)
            relation = step.definition.metadata.get(RELATION_KEY)
            if isinstance(relation, Relation) and not node.arguments:
                fields.append(
                    Field(
                        name,
                        RELATION,
                        parent,
                        None,
                        None,
                        None,
                        step,
                        details,
                        nodes,
                        out,
                        relation=relation,
                    )
                )
                continue
            bare = step.info_name is None and not step.field.args and not node.arguments
            fields.append(
                Field(name, CALL, parent, None, None, None, step, details, nodes, out, bare)
            )
            continue
        field = parent.fields.get(node.name.value)
        plain = None if field is None or node.arguments else plain_read(field)
        if field is None or plain is None:
            raise Unplannable(name)
        attribute, read = plain
        out = _out(ex, field.type, details)
        fields.append(Field(name, READ, parent, None, attribute, read, None, details, nodes, out))
    return tuple(fields)


def _out(ex: Any, type_: GraphQLOutputType, details: FieldDetailsList) -> Out:
    non_null = is_non_null_type(type_)
    nullable = get_nullable_type(type_)
    if is_leaf_type(nullable):
        return Out(SCALAR, non_null, nullable.coerce_output_value, None, None, (), None)
    if is_list_type(nullable):
        return Out(LIST, non_null, None, None, None, (), _out(ex, nullable.of_type, details))
    if not is_object_type(nullable):
        raise Unplannable(str(nullable))  # interfaces and unions: graphql-core resolves them
    grouped, defers, _forbidden = collect_subfields(
        ex.schema,
        ex.fragments,
        ex.variable_values,
        ex.operation,
        nullable,
        details,
        ex.hide_suggestions,
    )
    if defers:
        raise Unplannable(nullable.name)
    fields = _fields(ex, nullable, grouped)
    return Out(OBJECT, non_null, None, nullable, nullable.is_type_of, fields, None)


class Bail(Exception):
    """The direct run cannot answer as graphql-core would: graphql-core answers."""


# A value still on its way: (owner, key, completion, path, awaitable).
Pending = list[tuple[Any, Any, Any, Path, Any]]


async def run_query(ex: Any, fields: Fields) -> dict[str, Any]:
    """The operation's data, built directly; raises (anything) where graphql-core must
    answer instead."""
    pending: Pending = []
    try:
        data = _run_fields(ex, fields, ex.root_value, None, pending)
        while pending:
            batch, pending = pending, []
            values = await gather_with_cancel(*(entry[4] for entry in batch))
            for (owner, key, out, path, _awaitable), value in zip(batch, values, strict=True):
                owner[key] = _complete(ex, out, value, path, pending)
    except BaseException:
        _discard(pending)
        raise
    return data


def _discard(pending: Pending) -> None:
    """Close what was started and will not be awaited (no 'never awaited' warnings)."""
    for entry in pending:
        awaitable = entry[4]
        if pyinspect.iscoroutine(awaitable):
            awaitable.close()
        elif hasattr(awaitable, "cancel"):
            awaitable.cancel()


def _run_fields(
    ex: Any, fields: Fields, source: Any, path: Path | None, pending: Pending
) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for field in fields:
        kind = field.kind
        if kind == LEAF:
            leaf = field.leaf
            value = leaf.read(source, leaf.attribute)
            if value is None:
                if leaf.non_null:
                    raise Bail(field.name)
                results[field.name] = None
                continue
            coerced = leaf.coerce(value)
            if coerced is None or coerced is Undefined:
                raise Bail(field.name)
            results[field.name] = coerced
        elif kind == TYPENAME:
            results[field.name] = field.parent.name
        else:
            field_path = Path(path, field.name, field.parent.name)
            if kind == READ:
                value = field.read(source, field.attribute)
            elif kind == RELATION:
                value = field.relation.resolve(ex.context_value, source)
            else:
                value = _call(ex, field, source, field_path)
            if ex.is_awaitable(value):
                results[field.name] = None
                pending.append((results, field.name, field.out, field_path, value))
            else:
                results[field.name] = _complete(ex, field.out, value, field_path, pending)
    return results


def _call(ex: Any, field: Field, source: Any, path: Path) -> Any:
    """The field's resolver, called as Strawberry calls it (``PlannedExecutor._resolve``)."""
    step = field.call
    assert step is not None
    if field.bare:  # no arguments, no info: nothing to build
        if step.source_names:
            kwargs = dict.fromkeys(step.source_names, source)
            return step.call(source, **kwargs) if step.passes_self else step.call(**kwargs)
        return step.call(source) if step.passes_self else step.call()
    raw_info = ex.build_resolve_info(step.field, field.nodes, field.parent, path)
    info = step.make_info(raw_info)
    kwargs = dict(ex.converted(step, field.details, info))
    for name in step.source_names:
        kwargs[name] = source
    if step.info_name is not None:
        kwargs[step.info_name] = info
    return step.call(source, **kwargs) if step.passes_self else step.call(**kwargs)


def _complete(ex: Any, out: Out, value: Any, path: Path, pending: Pending) -> Any:
    if value is None or value is Undefined:
        if out.non_null:
            raise Bail(path.key)
        return None
    if isinstance(value, Exception):
        raise Bail(path.key)
    kind = out.kind
    if kind == SCALAR:
        coerced = out.coerce(value)
        if coerced is None or coerced is Undefined:
            raise Bail(path.key)
        return coerced
    if kind == OBJECT:
        is_type_of = out.is_type_of
        if is_type_of is not None and is_type_of(value, None) is not True:
            raise Bail(path.key)
        return _run_fields(ex, out.fields, value, path, pending)
    if not isinstance(value, list | tuple):
        raise Bail(path.key)  # graphql-core takes other iterables: let it
    item = out.item
    completed: list[Any] = []
    for index, element in enumerate(value):
        item_path = path.add_key(index, None)
        if ex.is_awaitable(element):
            completed.append(None)
            pending.append((completed, index, item, item_path, element))
        else:
            completed.append(_complete(ex, item, element, item_path, pending))
    return completed
