"""The GraphQL schema: every domain's root types merged into one ``Query``, ``Mutation``
and ``Subscription``. A domain adds its root classes to the tuples below."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import strawberry
from graphql import GraphQLError
from opentelemetry.trace import Tracer
from strawberry.extensions import DisableIntrospection, ValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext
from strawberry.types.base import get_object_definition

from app.errors import BadRequest
from app.settings import Settings
from resolvers.context import Info
from schema.activity_roots import ActivityMutation, ActivityQuery, ActivitySubscription
from schema.apikeys import ApiKeyMutation, ApiKeyQuery
from schema.base import Node, fetch_node
from schema.editorial import EditorialMutation, EditorialQuery, EditorialSubscription
from schema.errors import GatewayErrors, log_errors
from schema.limits import Limits, QueryLimits
from schema.mentoring_roots import MentoringMutation, MentoringQuery, MentoringSubscription
from schema.milestone_roots import MilestoneMutation, MilestoneQuery, MilestoneSubscription
from schema.observe import OperationMetrics
from schema.people import PeopleMutation, PeopleQuery, PeopleSubscription
from schema.persisted import AllowListOnly, load_allowlist
from schema.text import SafeText, state_bounds


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
)
MUTATIONS: tuple[type, ...] = (
    PeopleMutation,
    ApiKeyMutation,
    EditorialMutation,
    ActivityMutation,
    MentoringMutation,
    MilestoneMutation,
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
for _root, _description in (
    (Query, "Reads across every domain; start from `me`, a person or an organisation."),
    (Mutation, "Changes; each is authorized as its REST counterpart is."),
    (Subscription, "Live events over graphql-transport-ws (a token at `connection_init`)."),
):
    get_object_definition(_root, strict=True).description = _description


class GatewaySchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        log_errors(errors)


def build_schema(settings: Settings, tracer: Tracer | None = None) -> strawberry.Schema:
    # Factories: Strawberry builds fresh extension instances per request (the parse and
    # validation caches live at module level, so they are shared and bounded).
    limits = Limits.from_settings(settings)
    extensions: list[Any] = [
        lambda: OperationMetrics(tracer),
        lambda: GatewayErrors(hide_suggestions=settings.is_production),
        lambda: QueryLimits(limits),
        SafeText,
        lambda: ValidationCache(maxsize=256),
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
        config=StrawberryConfig(
            auto_camel_case=True,
            batching_config={"max_operations": settings.graphql_max_operations},
        ),
    )
    state_bounds(schema._schema)
    return schema
