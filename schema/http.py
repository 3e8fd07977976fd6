"""The GraphQL door over HTTP and WebSocket: Strawberry's ASGI view with our context,
authentication (bearer header; ``connection_init`` payload on WebSockets), orjson, and
problem+json for transport-level errors."""

from __future__ import annotations

import logging
from typing import Any

import orjson
from cross_web import AsyncHTTPRequestAdapter
from cross_web import HTTPException as StrawberryHTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLRequestData
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from app.assets import page
from app.auth import authenticate_connection
from app.errors import (
    BadRequest,
    DomainError,
    MethodNotAllowed,
    NotFound,
    RateLimited,
    Unauthenticated,
    UnsupportedMediaType,
)
from app.requestid import current_request_id
from app.rest.http import is_json_content_type, parse_json, problem_response
from resolvers.context import Context
from schema.limits import QueryTooComplex
from schema.persisted import PersistedQueries, PersistedQueryError

log = logging.getLogger("gateway.graphql")
_STATUS_ERRORS: dict[int, type[DomainError]] = {404: NotFound, 405: MethodNotAllowed}


class GraphQLView(GraphQL[Context, None]):
    def __init__(self, schema: Any, *, graphiql: bool, persisted: PersistedQueries) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql" if graphiql else None,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
        )
        self.persisted = persisted

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        data = await super().parse_http_body(request)
        if isinstance(data, list):
            return [await self.persisted.resolve(item) for item in data]
        return await self.persisted.resolve(data)

    async def render_graphql_ide(self, request: Request) -> Response:
        """GraphiQL with its JavaScript and CSS served by the gateway (no CDN)."""
        return page("graphiql.html", "GraphiQL")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            request = Request(scope, receive)
            try:
                self._check_content_type(request)
                response = await self.run(request)
            except StrawberryHTTPException as exc:
                response = problem_response(self._http_error(exc), request.url.path)
            except DomainError as exc:
                response = problem_response(exc, request.url.path)
            except PersistedQueryError as exc:
                response = JSONResponse(exc.body())
            await response(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)

    def _http_error(self, exc: StrawberryHTTPException) -> DomainError:
        if exc.reason == "Too many operations":
            config = self.schema.config.batching_config
            limit = config["max_operations"] if config else 1
            return QueryTooComplex(f"A batch may hold at most {limit} operations")
        return _STATUS_ERRORS.get(exc.status_code, BadRequest)(exc.reason)

    @staticmethod
    def _check_content_type(request: Request) -> None:
        if request.method == "POST" and not is_json_content_type(
            request.headers.get("content-type")
        ):
            raise UnsupportedMediaType("Send GraphQL requests as application/json")

    def decode_json(self, data: str | bytes) -> object:
        return parse_json(data)

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        state = request.scope["app"].state
        context = Context(
            settings=state.settings,
            db=state.db,
            tokens=state.tokens,
            events=state.events,
            request=request,
            response=response,
        )
        if isinstance(request, Request):
            try:
                context.principal = await authenticate_connection(
                    request, request.headers.get("authorization"), request.headers.get("x-api-key")
                )
            except Unauthenticated as exc:
                context.auth_error = exc
        return context

    async def on_ws_connect(self, context: Context) -> None:
        """Subscriptions need a valid token in the ``connection_init`` payload
        (``{"Authorization": "Bearer ..."}``) or the upgrade request's header."""
        params = getattr(context, "connection_params", None) or {}
        header = (
            params.get("Authorization") or params.get("authorization")
            if isinstance(params, dict)
            else None
        )
        websocket: WebSocket = context.request
        if header is None:
            header = websocket.headers.get("authorization")
        try:
            principal = await authenticate_connection(websocket, header)
        except (Unauthenticated, RateLimited) as exc:
            _log_rejection(exc.detail)
            raise ConnectionRejectionError({"code": exc.code, "message": exc.detail}) from None
        if principal is None:
            _log_rejection("token required")
            raise ConnectionRejectionError({"code": "UNAUTHENTICATED", "message": "token required"})
        context.principal = principal


def _log_rejection(reason: str) -> None:
    log.info(
        "websocket connection refused: %s",
        reason,
        extra={"status": 4403, "request_id": current_request_id()},
    )
