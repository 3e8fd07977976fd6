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
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from app.assets import page
from app.auth import authenticate_connection
from app.errors import (
    BadRequest,
    DomainError,
    MethodNotAllowed,
    NotFound,
    RateLimited,
    ServiceUnavailable,
    Unauthenticated,
    UnsupportedMediaType,
)
from app.requestid import current_request_id
from app.rest.http import is_json_content_type, parse_json, problem_response, replied
from app.services import idempotency
from resolvers.context import Context
from schema.limits import QueryTooComplex
from schema.persisted import PersistedQueries, PersistedQueryError

log = logging.getLogger("gateway.graphql")
_STATUS_ERRORS: dict[int, type[DomainError]] = {404: NotFound}
# The methods the door serves over HTTP (its route's, and the ``Allow`` of its 405s).
HTTP_METHODS = ("GET", "POST")


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
        if request.method == "POST":  # JSON (others are 415 in __call__)
            data = self._post_body(self.parse_json(await request.get_body()))
        else:
            data = await super().parse_http_body(request)  # GET: the query parameters
        if isinstance(data, list):
            return [await self.persisted.resolve(item) for item in data]
        return await self.persisted.resolve(data)

    def _post_body(self, body: object) -> GraphQLRequestData | list[GraphQLRequestData]:
        """One operation (an object) or a batch (a list of objects); 400 for anything else,
        the same checks for a batch's items as for a single request."""
        if isinstance(body, dict):
            return _operation(body, "The body")
        if not isinstance(body, list):
            raise BadRequest("The body must be a JSON object (or, for a batch, a list of them)")
        config = self.schema.config.batching_config
        if config is None:
            raise BadRequest("Batching is not enabled")
        if not body:
            raise BadRequest("A batch must hold at least one operation")
        if len(body) > config["max_operations"]:
            raise QueryTooComplex(f"A batch may hold at most {config['max_operations']} operations")
        return [_operation(item, f"Batch item {i}") for i, item in enumerate(body)]

    async def render_graphql_ide(self, request: Request) -> Response:
        """GraphiQL with its JavaScript and CSS served by the gateway (no CDN)."""
        return page("graphiql.html", "GraphiQL")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            request = Request(scope, receive)
            try:
                self._check_content_type(request)
                response = await self._run_once(request)
            except StrawberryHTTPException as exc:
                response = problem_response(self._http_error(exc), request.url.path)
            except DomainError as exc:
                response = problem_response(exc, request.url.path)
            except PersistedQueryError as exc:
                response = JSONResponse(exc.body())
            await response(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)

    async def _run_once(self, request: Request) -> Response:
        """The request, run once per caller and ``Idempotency-Key`` when it carries one
        (the whole request, every operation of a batch included, is one outcome)."""
        key = idempotency.parse_key(request.headers.get(idempotency.HEADER))
        if key is None or request.method != "POST":
            return await self.run(request)
        principal = await authenticate_connection(
            request, request.headers.get("authorization"), request.headers.get("x-api-key")
        )
        if principal is None:
            return await self.run(request)  # refused as unauthenticated, nothing to store
        claim = idempotency.Claim(
            principal.person_id,
            key,
            idempotency.fingerprint("POST", request.url.path, parse_json(await request.body())),
        )

        async def answered() -> idempotency.Reply:
            response = await self.run(request)
            return idempotency.Reply(response.status_code, response.headers, bytes(response.body))

        return replied(await idempotency.once(request.app.state.work, claim, answered))

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        try:
            result = await super().execute_single(
                request, request_adapter, sub_response, context, root_value, request_data
            )
        except StrawberryHTTPException as exc:
            refused = exc.__cause__
            if (
                request_adapter.method == "GET"
                and isinstance(refused, InvalidOperationTypeError)
                and refused.operation_type is OperationType.MUTATION
            ):
                # GraphQL over HTTP: a mutation over GET is 405, to be sent with POST.
                raise MethodNotAllowed(
                    "Mutations are not allowed over GET; send them with POST",
                    headers={"Allow": "POST"},
                ) from None
            raise
        _answer_unavailable(result, sub_response)
        return result

    def _http_error(self, exc: StrawberryHTTPException) -> DomainError:
        if exc.status_code == 405:
            return MethodNotAllowed(exc.reason, headers={"Allow": ", ".join(HTTP_METHODS)})
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
            work=state.work,
            event_log=state.event_log,
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


def _answer_unavailable(result: ExecutionResult, response: Response) -> None:
    """The database could not serve a field (refused connections, exhausted pool): the
    response is HTTP 503 with Retry-After, the errors carry ``SERVICE_UNAVAILABLE`` (and
    what data there is stays in the body)."""
    for error in result.errors or ():
        if isinstance(error.original_error, ServiceUnavailable):
            response.status_code = error.original_error.status
            response.headers.update(error.original_error.headers)
            return


# The members of a GraphQL-over-HTTP request and the JSON type each must have (or null).
_MEMBERS: dict[str, tuple[type, str]] = {
    "query": (str, "a string"),
    "operationName": (str, "a string"),
    "variables": (dict, "an object"),
    "extensions": (dict, "an object"),
}


def _operation(item: object, where: str) -> GraphQLRequestData:
    if not isinstance(item, dict):
        raise BadRequest(f"{where} must be a JSON object")
    for name, (kind, described) in _MEMBERS.items():
        value = item.get(name)
        if value is not None and not isinstance(value, kind):
            raise BadRequest(f"{where}: '{name}' must be {described} or null")
    return GraphQLRequestData(
        query=item.get("query"),
        variables=item.get("variables"),
        operation_name=item.get("operationName"),
        extensions=item.get("extensions"),
        protocol="http",
    )


def _log_rejection(reason: str) -> None:
    log.info(
        "websocket connection refused: %s",
        reason,
        extra={"status": 4403, "request_id": current_request_id()},
    )
