"""The GraphQL schema: every domain's root types merged into one ``Query``, ``Mutation``
and ``Subscription``. A domain adds its root classes to the tuples below."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from contextlib import aclosing
from typing import Annotated, Any

import strawberry
from graphql import GraphQLError, OperationDefinitionNode
from opentelemetry.trace import Tracer
from strawberry.extensions import DisableIntrospection
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema import StreamResult
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext, ExecutionResult
from strawberry.types.base import get_object_definition
from strawberry.types.execution import PreExecutionError
from strawberry.types.graphql import OperationType

from app.errors import BadRequest
from app.settings import Settings
from resolvers.context import Info
from schema.activities_roots import ActivityMutation, ActivityQuery, ActivitySubscription
from schema.apikeys import ApiKeyMutation, ApiKeyQuery
from schema.base import Node, fetch_node
from schema.deliveries import DeliveryMutation, DeliveryQuery
from schema.editorial_roots import EditorialMutation, EditorialQuery, EditorialSubscription
from schema.errors import GatewayErrors, log_errors
from schema.input_values import InputValueCodes
from schema.limits import Limits, QueryLimits, parse_document
from schema.mentoring_roots import MentoringMutation, MentoringQuery, MentoringSubscription
from schema.milestones_roots import MilestoneMutation, MilestoneQuery, MilestoneSubscription
from schema.observe import OperationMetrics
from schema.people_roots import PeopleMutation, PeopleQuery, PeopleSubscription
from schema.persisted import AllowListOnly, load_allowlist
from schema.plans import PlannedExecutor, QuietPlannedExecutor
from schema.scalars import SCALAR_MAP
from schema.text import SafeText, state_bounds
from schema.validation import QuietExecutor, Validation
from schema.write_races import retry_write_races


@strawberry.type
class NodeQuery:
    @strawberry.field(description="Any object by its global ID; null when unknown or hidden.")
    async def node(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="A global ID (`id`).")],
    ) -> Node | None:
        result: Node | None = await fetch_node(info, id)
        return result

    @strawberry.field(description="Several objects by global ID, in the order asked.")
    async def nodes(
        self,
        info: Info,
        ids: Annotated[
            list[strawberry.ID], strawberry.argument(description="Global IDs, at most 100.")
        ],
    ) -> list[Node | None]:
        _ = info.context.who  # UNAUTHENTICATED without a token, even for an empty list
        limit = info.context.settings.max_page_size
        if len(ids) > limit:
            raise BadRequest(f"At most {limit} ids per request")
        return list(await asyncio.gather(*(fetch_node(info, global_id) for global_id in ids)))


QUERIES: tuple[type, ...] = (
    NodeQuery,
    PeopleQuery,
    ApiKeyQuery,
    EditorialQuery,
    ActivityQuery,
    MentoringQuery,
    MilestoneQuery,
    DeliveryQuery,
)
MUTATIONS: tuple[type, ...] = (
    PeopleMutation,
    ApiKeyMutation,
    EditorialMutation,
    ActivityMutation,
    MentoringMutation,
    MilestoneMutation,
    DeliveryMutation,
)
SUBSCRIPTIONS: tuple[type, ...] = (
    PeopleSubscription,
    EditorialSubscription,
    ActivitySubscription,
    MentoringSubscription,
    MilestoneSubscription,
)

Query = merge_types("Query", QUERIES)
Mutation = merge_types("Mutation", MUTATIONS)
Subscription = merge_types("Subscription", SUBSCRIPTIONS)
retry_write_races(Mutation)
for _root, _description in (
    (Query, "Reads across every domain; start from `me`, a person or an organisation."),
    (Mutation, "Changes; each is authorized as its REST counterpart is."),
    (
        Subscription,
        "Live events over WebSocket (graphql-transport-ws, a token at `connection_init`), "
        "Server-Sent Events or multipart HTTP (a token in the request's headers).",
    ),
):
    get_object_definition(_root, strict=True).description = _description


OPERATION_NAME_REQUIRED = "OPERATION_NAME_REQUIRED"


class GatewaySchema(strawberry.Schema):
    """Strawberry's schema, with our error logging, and which refuses a document of several
    operations sent without ``operationName`` (Strawberry would run the first one)."""

    def __init__(self, *args: Any, limits: Limits, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limits = limits

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        log_errors(errors)

    def operation_name_missing(
        self, query: str | None, operation_name: str | None
    ) -> GraphQLError | None:
        """The spec's request error for several operations and no operation name. A query
        that does not parse within the limits is left to the parse step to refuse."""
        if operation_name is not None or not query:
            return None
        try:
            document = parse_document(query, self.limits)
        except GraphQLError:
            return None
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        if len(operations) < 2:
            return None
        error = GraphQLError(
            "Must provide operationName if the query contains multiple operations",
            extensions={"code": OPERATION_NAME_REQUIRED},
        )
        self.process_errors([error])
        return error

    async def execute(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> ExecutionResult:
        if error := self.operation_name_missing(query, operation_name):
            return PreExecutionError(data=None, errors=[error])
        return await super().execute(
            query,
            variable_values,
            context_value,
            root_value,
            operation_name,
            allowed_operation_types,
            operation_extensions,
        )

    async def stream(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        operation_extensions: dict[str, Any] | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
    ) -> StreamResult:
        # Subscriptions (``subscribe``) and HTTP streams come through here.
        if error := self.operation_name_missing(query, operation_name):
            return _refused(error)
        return self._refusing(
            await super().stream(
                query,
                variable_values,
                context_value,
                root_value,
                operation_name,
                operation_extensions,
                allowed_operation_types,
            )
        )

    async def _refusing(self, source: StreamResult) -> StreamResult:
        """The stream, where a refusal raised by an extension before the first result (the
        limits, the parse, the allow-list: ``execute`` turns those into a result) is that
        first result: every transport answers it with its code (a WebSocket ``error``),
        instead of ending the operation without one."""
        started = False
        async with aclosing(source):
            try:
                async for result in source:
                    started = True
                    yield result
            except GraphQLError as error:
                if started:
                    raise
                self.process_errors([error])
                yield PreExecutionError(data=None, errors=[error])


async def _refused(error: GraphQLError) -> StreamResult:
    yield PreExecutionError(data=None, errors=[error])


def _executor(settings: Settings) -> type[Any] | None:
    """Plans (schema/plans.py) unless turned off; without suggestions in production."""
    if settings.graphql_compiled:
        return QuietPlannedExecutor if settings.is_production else PlannedExecutor
    return QuietExecutor if settings.is_production else None


def build_schema(settings: Settings, tracer: Tracer | None = None) -> strawberry.Schema:
    # Factories: Strawberry builds fresh extension instances per request (the parse and
    # validation caches live at module level, so they are shared and bounded).
    limits = Limits.from_settings(settings)
    extensions: list[Any] = [
        lambda: OperationMetrics(tracer),
        GatewayErrors,
        InputValueCodes,
        lambda: QueryLimits(limits),
        SafeText,
        lambda: Validation(hide_suggestions=settings.is_production),
    ]
    if not settings.introspection_enabled:
        extensions.append(DisableIntrospection)
    if settings.persisted_queries == "allowlist":
        allowed = frozenset(load_allowlist(settings.persisted_query_allowlist))
        extensions.append(lambda: AllowListOnly(allowed))
    schema = GatewaySchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions,
        # Production hides name suggestions in variable errors too (schema/validation.py).
        execution_context_class=_executor(settings),
        limits=limits,
        config=StrawberryConfig(
            auto_camel_case=True,
            scalar_map=SCALAR_MAP,
            batching_config={"max_operations": settings.graphql_max_operations},
        ),
    )
    state_bounds(schema._schema)
    return schema
