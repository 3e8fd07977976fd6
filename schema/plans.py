"""Execution plans: what graphql-core works out again for every field of every item, worked
out once per document and reused by every request that sends it.

graphql-core resolves each field through the same machinery: look up the field, build a
resolve info, coerce the arguments, call Strawberry's resolver wrapper, complete the value
through the non-null and leaf steps. For a page of 100 items that is thousands of calls,
most of them for plain fields that only read an attribute of a record. A plan holds, per
field of the document (per parent type and field node), the step that field needs:

- a **plain leaf** (a Strawberry field without resolver, permission or extension, no
  arguments, a scalar or enum type): read the attribute, check null against the type,
  coerce the leaf, all in one call;
- ``__typename``: the parent type's name;
- a **list of non-null objects** of one type: its items' fields collected once, run
  directly for every item, and what is pending anywhere in the list awaited together;
- anything else (resolvers, objects, lists, abstract types): graphql-core's own step,
  unchanged (``None`` in the plan).

Errors take graphql-core's own path (``handle_field_error``: the located error, the
message, null propagation to the nearest nullable parent), so answers are the same as
graphql-core's, which the differential tests check on every query the suite sends
(``tests/helpers.py``). Plans are kept for the most recent documents (bounded); the parse
cache keeps the documents themselves, so a field node's identity names it.
``GATEWAY_GRAPHQL_COMPILED=false`` runs graphql-core alone; ``/metrics`` counts
executions per executor (``gateway_graphql_executions_total``).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any, NamedTuple, TypeVar

from graphql import (
    FieldNode,
    GraphQLField,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLSchema,
    GraphQLString,
    Node,
    OperationDefinitionNode,
    Undefined,
    get_nullable_type,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
)
from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet
from graphql.execution.executor import to_nodes
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path, inspect
from graphql.pyutils.gather_with_cancel import gather_with_cancel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types.arguments import convert_arguments
from strawberry.types.field import StrawberryField

from app.metrics import GRAPHQL_EXECUTIONS
from schema.validation import QuietExecutor

MAX_PLANS = 500  # documents whose plans are kept
PLANNED, REFERENCE = "planned", "graphql-core"
EXECUTOR_HEADER = "x-gateway-executor"  # differential tests: ask for graphql-core
T = TypeVar("T")


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


class _Plan(NamedTuple):
    """A document's steps; ``keep`` holds its nodes alive, so their ids stay theirs."""

    keep: tuple[Node, ...]
    steps: Steps


_plans: OrderedDict[int, _Plan] = OrderedDict()


def _plan_for(operation: OperationDefinitionNode, fragments: dict[str, Any]) -> Steps:
    key = id(operation)  # the plan keeps the operation alive: no other node has its id
    found = _plans.get(key)
    if found is not None:
        _plans.move_to_end(key)
        return found.steps
    plan = _Plan((operation, *fragments.values()), {})
    _plans[key] = plan
    while len(_plans) > MAX_PLANS:
        _plans.popitem(last=False)
    return plan.steps


def _definition(field: GraphQLField) -> StrawberryField | None:
    """The Strawberry field a GraphQL field was built from."""
    definition = field.extensions.get("strawberry-definition") if field.extensions else None
    return definition if isinstance(definition, StrawberryField) else None


def _plain_read(field: GraphQLField) -> tuple[str, Callable[[Any, str], Any]] | None:
    """The attribute a field reads, and how, when Strawberry resolves it as a basic field
    (no resolver, extension, permission or exception handler: Strawberry's own fast path,
    which calls its default resolver and nothing else)."""
    definition = _definition(field)
    if definition is None or not definition.is_basic_field:
        return None
    if definition.permission_classes or definition.arguments:
        return None
    if getattr(field.resolve, "__name__", "") != "_get_basic_result":
        return None
    return definition.python_name, definition.default_resolver


def _resolver_step(schema: GraphQLSchema, field: GraphQLField) -> ResolverStep | None:
    definition = _definition(field)
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


def _step(schema: GraphQLSchema, parent: GraphQLObjectType, node: FieldNode) -> Step | None:
    name = node.name.value
    label = f"{parent.name}.{name}"
    if name == "__typename":
        coerce = GraphQLString.coerce_output_value
        return LeafStep(None, getattr, coerce, True, GraphQLString, "", label)
    field = parent.fields.get(name)
    if field is None:
        return None
    resolver = _resolver_step(schema, field)
    if resolver is not None:
        return resolver
    if node.arguments or node.selection_set is not None:
        return None
    leaf = get_nullable_type(field.type)
    plain = _plain_read(field)
    if plain is None or not is_leaf_type(leaf):
        return None
    attribute, read = plain
    coerce = leaf.coerce_output_value
    non_null = is_non_null_type(field.type)
    return LeafStep(attribute, read, coerce, non_null, field.type, inspect(leaf), label)


def _leaf_value(step: LeafStep, parent: GraphQLObjectType, source: Any) -> Any:
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


class PlannedExecutor(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's executor with the document's plan: plain leaves and plain resolver
    calls in one step each."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        context = self.context_value
        reference = bool(getattr(context, "reference_executor", False))
        self._steps: Steps | None = None
        # Each field node's converted arguments (they depend on the variables only).
        self._arguments: dict[int, dict[str, Any]] = {}
        # Strawberry hands every request a middleware manager; it wraps resolvers only
        # when an extension resolves fields, and then every field goes through it.
        wrapping = self.middleware_manager is not None and bool(
            getattr(self.middleware_manager, "_middleware_resolvers", None)
        )
        if not reference and not wrapping:
            self._steps = _plan_for(self.operation, self.fragment_definitions)
        name = (self.operation.name.value if self.operation.name else "anonymous")[:64]
        GRAPHQL_EXECUTIONS.labels(name, REFERENCE if self._steps is None else PLANNED).inc()

    def _step_of(
        self, steps: Steps, parent_type: GraphQLObjectType, details: FieldDetailsList
    ) -> Step | None:
        node = details[0].node
        key = (parent_type.name, id(node))
        try:
            return steps[key]
        except KeyError:
            step = steps[key] = _step(self.schema, parent_type, node)
            return step

    def _leaf(
        self,
        step: LeafStep,
        parent_type: GraphQLObjectType,
        source: Any,
        details: FieldDetailsList,
        path: Path | None,
        response_name: str,
    ) -> Any:
        try:
            return _leaf_value(step, parent_type, source)
        except Exception as raw_error:  # graphql-core's own error path
            field_path = Path(path, response_name, parent_type.name)
            self.handle_field_error(raw_error, step.return_type, details, field_path)
            return None

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: FieldDetailsList,
        path: Path,
        position_context: Any,
    ) -> Any:
        steps = self._steps
        if steps is not None:
            step = self._step_of(steps, parent_type, field_details_list)
            if isinstance(step, LeafStep):
                return self._leaf(
                    step, parent_type, source, field_details_list, path.prev, str(path.key)
                )
            if step is not None:
                return self._resolve(
                    step, parent_type, source, field_details_list, path, position_context
                )
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )

    def _converted(self, step: ResolverStep, details: FieldDetailsList, info: Any) -> Any:
        """The field's arguments as the resolver takes them, once per field node."""
        node = details[0]
        found = self._arguments.get(id(node.node))
        if found is None:
            raw = {}
            if step.field.args or node.node.arguments:
                raw = get_argument_values(
                    step.field,
                    node.node,
                    self.variable_values,
                    node.fragment_variable_values,
                    self.hide_suggestions,
                )
            definition = step.definition
            strawberry_schema = self.schema._strawberry_schema  # type: ignore[attr-defined]
            found = convert_arguments(
                raw,
                definition.arguments,
                scalar_registry=strawberry_schema.schema_converter.scalar_registry,
                config=strawberry_schema.config,
                info=info,
            )
            self._arguments[id(node.node)] = found
        return found

    def _resolve(
        self,
        step: ResolverStep,
        parent_type: GraphQLObjectType,
        source: Any,
        details: FieldDetailsList,
        path: Path,
        position_context: Any,
    ) -> Any:
        """graphql-core's ``execute_field`` calling the resolver as Strawberry does, minus
        the layers a field without extensions does not need."""
        return_type = step.field.type
        raw_info = self.build_resolve_info(step.field, to_nodes(details), parent_type, path)
        try:
            info = step.make_info(raw_info)
            kwargs = dict(self._converted(step, details, info))
            for name in step.source_names:
                kwargs[name] = source
            if step.info_name is not None:
                kwargs[step.info_name] = info
            result = step.call(source, **kwargs) if step.passes_self else step.call(**kwargs)
            if self.is_awaitable(result):
                return self.complete_awaitable_value(
                    return_type, details, raw_info, path, result, position_context
                )
            completed = self.complete_value(
                return_type, details, raw_info, path, result, position_context
            )
            if self.is_awaitable(completed):
                return self._completed_later(completed, return_type, details, path)
        except Exception as raw_error:  # graphql-core's own error path
            self.handle_field_error(raw_error, return_type, details, path)
            return None
        return completed

    async def _completed_later(
        self,
        completed: Any,
        return_type: GraphQLOutputType,
        details: FieldDetailsList,
        path: Path,
    ) -> Any:
        try:
            return await completed
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, details, path)
            return None

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
    ) -> Any:
        """graphql-core's ``execute_fields``, with plain leaves completed in place (no
        path built for them unless they fail)."""
        steps = self._steps
        if steps is None:
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
        pending: list[tuple[dict[str, Any], str]] = []
        try:
            results = self._fields(
                steps, parent_type, source_value, path, grouped_field_set, position_context, pending
            )
        except Exception:
            self._settle(pending)
            raise
        if not pending:
            return results
        return _settled(results, pending)

    def _fields(
        self,
        steps: Steps,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
        pending: list[tuple[dict[str, Any], str]],
    ) -> dict[str, Any]:
        """The fields of one object: the values known now, and, appended to ``pending``,
        the (results, name) of each field still on its way (which the caller settles when
        a field fails at once)."""
        results: dict[str, Any] = {}
        for name, details in grouped_field_set.items():
            step = self._step_of(steps, parent_type, details)
            if isinstance(step, LeafStep):
                results[name] = self._leaf(step, parent_type, source_value, details, path, name)
                continue
            field_path = Path(path, name, parent_type.name)
            if step is not None:
                result = self._resolve(
                    step, parent_type, source_value, details, field_path, position_context
                )
            else:
                result = super().execute_field(
                    parent_type, source_value, details, field_path, position_context
                )
            if result is Undefined:
                continue
            results[name] = result
            if self.is_awaitable(result):
                pending.append((results, name))
        return results

    def _settle(self, pending: list[tuple[dict[str, Any], str]]) -> None:
        """Let the fields already started settle in the background, as graphql-core does
        when a sibling fails at once."""
        if pending:
            self.settle_in_background([owner[name] for owner, name in pending])

    def complete_value(
        self,
        return_type: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        info: GraphQLResolveInfo[Any],
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        steps = self._steps
        if steps is not None and type(result) is list and position_context is None:
            item_type = _object_items(return_type)
            if item_type is not None:
                completed = self._objects(steps, item_type, field_details_list, info, path, result)
                if completed is not None:
                    return completed
        return super().complete_value(
            return_type, field_details_list, info, path, result, position_context
        )

    def _objects(
        self,
        steps: Steps,
        item_type: GraphQLObjectType,
        details: FieldDetailsList,
        info: GraphQLResolveInfo[Any],
        path: Path,
        items: list[Any],
    ) -> Any:
        """A list of non-null objects of one type, completed as graphql-core completes it,
        minus its per-item dispatch: the sub-fields collected once, every item's fields run
        directly, and what is still on its way for the whole list awaited together (one
        gather per list instead of one per item). ``None``: not such a list here (an item
        that is null, awaitable or not of the type; ``@stream``, ``@defer``), for
        graphql-core to complete."""
        is_type_of = item_type.is_type_of
        for item in items:
            if item is None or self.is_awaitable(item):
                return None
            if is_type_of is not None and is_type_of(item, info) is not True:
                return None
        if self.get_stream_usage(details, path) is not None:
            return None
        grouped, defer_usages, _forbidden = self.collect_subfields(item_type, details)
        if defer_usages:
            return None
        pending: list[tuple[dict[str, Any], str]] = []
        fields = self._fields
        try:
            completed = [
                fields(steps, item_type, item, path.add_key(index, None), grouped, None, pending)
                for index, item in enumerate(items)
            ]
        except Exception:
            self._settle(pending)
            raise
        if not pending:
            return completed
        return _settled(completed, pending)


def _object_items(return_type: GraphQLOutputType) -> GraphQLObjectType | None:
    """The object type of a ``[T!]`` or ``[T!]!`` of an object type ``T``."""
    listed = return_type.of_type if is_non_null_type(return_type) else return_type
    if not is_list_type(listed) or not is_non_null_type(listed.of_type):
        return None
    item = listed.of_type.of_type
    return item if is_object_type(item) else None


async def _settled(value: T, pending: list[tuple[dict[str, Any], str]]) -> T:
    """``value`` once every pending field in it has its value (the first failure
    propagates, the others are cancelled, as graphql-core's gather does)."""
    if len(pending) == 1:
        owner, name = pending[0]
        owner[name] = await owner[name]
    else:
        values = await gather_with_cancel(*(owner[name] for owner, name in pending))
        for (owner, name), completed in zip(pending, values, strict=True):
            owner[name] = completed
    return value


class QuietPlannedExecutor(QuietExecutor, PlannedExecutor):
    """``PlannedExecutor`` without suggestions in variable coercion errors (production)."""
