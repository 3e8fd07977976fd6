"""Execution plans: what graphql-core works out again for every field of every item, worked
out once per document and reused by every request that sends it.

graphql-core resolves each field through the same machinery: look up the field, build a
resolve info, coerce the arguments, call Strawberry's resolver wrapper, complete the value
through the non-null and leaf steps. For a page of 100 items that is thousands of calls,
most of them for plain fields that only read an attribute of a record. A document's plan
has two parts:

- the **direct plan** (``schema/direct.py``) of a query it covers: the whole answer built
  from the plan, without graphql-core; the first thing that is not plain success (an
  error, a null for a non-null field) hands the operation to the steps below;
- the **steps** (``schema/plan_steps.py``), per field of the document (per parent type and
  field node), used inside graphql-core's executor for everything else: plain leaves and
  plain resolver calls in one step each, and a **list of non-null objects** of one type
  with its items' fields collected once, run directly for every item, and what is pending
  anywhere in the list awaited together; anything else (objects, abstract types, fields
  with extensions) takes graphql-core's own step (``None`` in the plan).

Errors take graphql-core's own path (``handle_field_error``: the located error, the
message, null propagation to the nearest nullable parent), so answers are the same as
graphql-core's, which the differential tests check on every query the suite sends
(``tests/helpers.py``). Plans are kept for the most recent documents (bounded); the parse
cache keeps the documents themselves, so a field node's identity names it.
``GATEWAY_GRAPHQL_COMPILED=false`` runs graphql-core alone; ``/metrics`` counts
executions per executor (``gateway_graphql_executions_total``: ``direct``, ``planned``
for the steps inside graphql-core, ``graphql-core``).
"""

from __future__ import annotations

from typing import Any, NamedTuple, TypeVar

from graphql import (
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    Node,
    OperationDefinitionNode,
    Undefined,
    is_list_type,
    is_non_null_type,
    is_object_type,
)
from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet
from graphql.execution.executor import to_nodes
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path
from graphql.pyutils.gather_with_cancel import gather_with_cancel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types.arguments import convert_arguments

from app.metrics import GRAPHQL_EXECUTIONS
from schema.direct import Fields, compile_query, run_query
from schema.per_document import PerDocument
from schema.plan_steps import LeafStep, ResolverStep, Step, Steps, leaf_value, step_for
from schema.validation import QuietExecutor

MAX_PLANS = 500  # documents whose plans are kept
DIRECT, PLANNED, REFERENCE = "direct", "planned", "graphql-core"
EXECUTOR_HEADER = "x-gateway-executor"  # differential tests: ask for graphql-core
T = TypeVar("T")


class _Plan(NamedTuple):
    """A document's steps and its direct plan (``direct``: empty until compiled, then the
    plan or None); ``keep`` holds the fragments alive, so their nodes' ids stay theirs
    (``PerDocument`` keeps the operation)."""

    keep: tuple[Node, ...]
    steps: Steps
    direct: list[Fields | None]


_plans: PerDocument[_Plan] = PerDocument(MAX_PLANS)


def _plan_for(operation: OperationDefinitionNode, fragments: dict[str, Any]) -> _Plan:
    return _plans.get(operation, lambda: _Plan(tuple(fragments.values()), {}, []))


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
        self._plan: _Plan | None = None
        if not reference and not wrapping:
            self._plan = _plan_for(self.operation, self.fragment_definitions)
            self._steps = self._plan.steps
        self._name = (self.operation.name.value if self.operation.name else "anonymous")[:64]

    def execute_operation(self, serially: bool | None = None) -> Any:
        """The operation's result: built directly from its plan when it is a query the
        direct plan covers (``schema/direct.py``), else (or when the direct run meets
        anything but success) through graphql-core with the plan's steps."""
        plan = self._plan
        if plan is None:
            GRAPHQL_EXECUTIONS.labels(self._name, REFERENCE).inc()
            return super().execute_operation(serially)
        if not plan.direct:
            plan.direct.append(compile_query(self))
        fields = plan.direct[0]
        if fields is None:
            GRAPHQL_EXECUTIONS.labels(self._name, PLANNED).inc()
            return super().execute_operation(serially)
        return self._direct(fields, serially)

    async def _direct(self, fields: Fields, serially: bool | None) -> Any:
        try:
            data = await run_query(self, fields)
        except Exception:  # graphql-core answers, with its errors and partial data
            GRAPHQL_EXECUTIONS.labels(self._name, PLANNED).inc()
            self._arguments.clear()
            result = super().execute_operation(serially)
            return await result if self.is_awaitable(result) else result
        GRAPHQL_EXECUTIONS.labels(self._name, DIRECT).inc()
        return self.finish(self.build_response(data))

    def _step_of(
        self, steps: Steps, parent_type: GraphQLObjectType, details: FieldDetailsList
    ) -> Step | None:
        node = details[0].node
        key = (parent_type.name, id(node))
        try:
            return steps[key]
        except KeyError:
            step = steps[key] = step_for(self.schema, parent_type, node)
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
            return leaf_value(step, parent_type, source)
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

    def converted(self, step: ResolverStep, details: FieldDetailsList, info: Any) -> Any:
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
            kwargs = dict(self.converted(step, details, info))
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
