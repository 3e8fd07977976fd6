"""The GraphQL door over HTTP and WebSocket: Strawberry's ASGI view with our context,
authentication (bearer header; ``connection_init`` payload on WebSockets), orjson, and
problem+json for transport-level errors.

Subscriptions run over three transports: WebSocket (graphql-transport-ws), Server-Sent
Events (graphql-sse, distinct connections: ``Accept: text/event-stream``) and multipart
HTTP (``Accept: multipart/mixed;subscriptionSpec="1.0"``). The two HTTP streams need
credentials before they start (401 otherwise), run through the same limits, persisted
queries and error codes, and are not bounded by the request time limit once they stream.
A subscription sent as a plain HTTP request is ``OPERATION_NOT_SUPPORTED`` (400)."""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Mapping
from contextlib import aclosing
from dataclasses import replace
from typing import Any, cast

import orjson
from cross_web import AsyncHTTPRequestAdapter
from cross_web import HTTPException as StrawberryHTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.exceptions import ConnectionRejectionError, MissingQueryError
from strawberry.http import GraphQLRequestData
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.http.streaming import (
    SSE_HEARTBEAT_INTERVAL,
    AsyncTextStream,
    HTTPStreamTransport,
    MultipartSubscriptionTransport,
    SSETransport,
    merge_stream_with_heartbeat,
)
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.subscriptions import (
    GRAPHQL_SSE_PROTOCOL,
    GRAPHQL_TRANSPORT_WS_PROTOCOL,
    MULTIPART_SUBSCRIPTION_PROTOCOL,
)
from strawberry.types import ExecutionResult, SubscriptionExecutionResult
from strawberry.types.graphql import OperationType

from app.assets import page
from app.auth import authenticate_connection
from app.errors import (
    BadRequest,
    DomainError,
    MethodNotAllowed,
    NotFound,
    OperationNotSupported,
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
from schema.plans import EXECUTOR_HEADER, REFERENCE

log = logging.getLogger("gateway.graphql")
_STATUS_ERRORS: dict[int, type[DomainError]] = {404: NotFound}
# The methods the door serves over HTTP (its route's, and the ``Allow`` of its 405s).
HTTP_METHODS = ("GET", "POST")
STREAMED = (
    "Subscriptions stream: send them over WebSocket (graphql-transport-ws), or over HTTP "
    'with "Accept: text/event-stream" (SSE) or "Accept: multipart/mixed;subscriptionSpec=1.0"'
)


class TextWebSocketAdapter(ASGIWebSocketAdapter):
    """graphql-transport-ws messages in text frames: Strawberry sends what ``encode_json``
    returns, bytes (orjson) in binary frames, which browsers' clients (GraphiQL's
    graphql-ws) receive as a Blob and cannot read."""

    async def send_json(self, message: Mapping[str, object]) -> None:
        try:
            await self.ws.send_text(orjson.dumps(message).decode())
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc


class GraphQLView(GraphQL[Context, None]):
    websocket_adapter_class = TextWebSocketAdapter

    def __init__(
        self,
        schema: Any,
        *,
        graphiql: bool,
        persisted: PersistedQueries,
        sse_heartbeat_seconds: float = SSE_HEARTBEAT_INTERVAL,
    ) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql" if graphiql else None,
            subscription_protocols=(
                GRAPHQL_TRANSPORT_WS_PROTOCOL,
                GRAPHQL_SSE_PROTOCOL,
                MULTIPART_SUBSCRIPTION_PROTOCOL,
            ),
        )
        self.persisted = persisted
        self._stream_transport_map[SSETransport.protocol] = SSETransport(sse_heartbeat_seconds)

    def stream_transport(self, request: Request) -> HTTPStreamTransport | None:
        """The HTTP stream the request asks for with its ``Accept`` (SSE or multipart)."""
        return self._get_stream_transport_from_headers(request.headers)

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        transport = self._get_stream_transport_from_headers(request.headers)
        if request.method == "POST":  # JSON (others are 415 in __call__)
            data = self._post_body(self.parse_json(await request.get_body()))
        else:
            data = await super().parse_http_body(request)  # GET: the query parameters
        if isinstance(data, list):
            if transport is not None:
                raise BadRequest(transport.batching_error)
            return [await self.persisted.resolve(item) for item in data]
        if transport is not None:
            data = replace(data, protocol=transport.protocol)
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
                response = self._persisted_error(request, exc)
            await response(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)

    async def _run_once(self, request: Request) -> Response:
        """The request, run once per caller and ``Idempotency-Key`` when it carries one
        (the whole request, every operation of a batch included, is one outcome)."""
        key = idempotency.parse_key(request.headers.get(idempotency.HEADER))
        if key is not None and self.stream_transport(request) is not None:
            raise BadRequest(
                "Idempotency-Key is not supported on streamed (SSE, multipart) answers"
            )
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
        """One operation answered as one JSON result: a query, or a mutation over POST. A
        subscription is refused here (it streams), before any resolver runs."""
        method = request_adapter.method
        allowed = OperationType.from_http(method) - {OperationType.SUBSCRIPTION}
        try:
            result = await self.schema.execute(
                request_data.query,
                root_value=root_value,
                variable_values=request_data.variables,
                context_value=context,
                operation_name=request_data.operation_name,
                allowed_operation_types=allowed,
                operation_extensions=request_data.extensions,
            )
        except InvalidOperationTypeError as exc:
            if exc.operation_type is OperationType.SUBSCRIPTION:
                raise OperationNotSupported(STREAMED) from None
            if method == "GET" and exc.operation_type is OperationType.MUTATION:
                # GraphQL over HTTP: a mutation over GET is 405, to be sent with POST.
                raise MethodNotAllowed(
                    "Mutations are not allowed over GET; send them with POST",
                    headers={"Allow": "POST"},
                ) from None
            raise BadRequest(exc.as_http_error_reason(method)) from None
        except CannotGetOperationTypeError as exc:
            raise BadRequest(exc.as_http_error_reason()) from None
        except MissingQueryError:
            raise BadRequest("No GraphQL query found in the request") from None
        _answer_unavailable(result, sub_response)
        return result

    def _persisted_error(self, request: Request, exc: PersistedQueryError) -> Response:
        """A persisted query refusal: a GraphQL error (HTTP 200, as APQ clients expect), in
        the stream's own format when the client asked for one (one result, then the end)."""
        transport = self.stream_transport(request)
        if transport is None:
            return JSONResponse(exc.body())

        async def refused() -> AsyncGenerator[str, None]:
            yield transport.encode_next(exc.body(), self.encode_json_string)  # type: ignore[arg-type]
            yield transport.encode_complete()

        return StreamingResponse(refused(), headers=dict(transport.headers))

    def _stream_result(
        self,
        request: Request,
        result: SubscriptionExecutionResult,
        transport: HTTPStreamTransport,
    ) -> AsyncTextStream:
        """Strawberry's stream of results, with the SSE ``id:`` of each event (the id the
        subscription resolver last yielded, ``Context.last_event_id``), with heartbeats; a
        client that goes away closes the operation's generator (and its subscription)."""
        context: Context = request.state.graphql_context

        async def stream() -> AsyncGenerator[str, None]:
            pending: list[Any] = []
            # The schema's stream is an async generator: closed when the client goes away.
            source = cast("AsyncGenerator[Any, None]", result)
            async with aclosing(source):
                async for value in source:
                    response, pending = await self._process_stream_result(request, value, pending)
                    if isinstance(transport, SSETransport):
                        yield _sse_next(self.encode_json_string(response), context.last_event_id)
                    else:
                        yield transport.encode_next(response, self.encode_json_string)
            yield transport.encode_complete()

        merged = merge_stream_with_heartbeat(
            stream,
            lambda: transport.heartbeat_message(self.encode_json_string),
            interval=transport.heartbeat_interval,
            send_initial_heartbeat=transport.send_initial_heartbeat,
        )
        if not isinstance(transport, MultipartSubscriptionTransport):
            return merged

        async def opened() -> AsyncGenerator[str, None]:
            # Multipart: the body opens with the first boundary (every part ends with one).
            yield f"--{transport.separator}"
            async with aclosing(merged()) as chunks:
                async for chunk in chunks:
                    yield chunk

        return opened

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
        if state.settings.graphql_executor_switch:
            # Differential tests only: ``X-Gateway-Executor: graphql-core`` runs the request
            # without its plan (schema/plans.py).
            context.reference_executor = request.headers.get(EXECUTOR_HEADER) == REFERENCE
        if isinstance(request, Request):
            try:
                context.principal = await authenticate_connection(
                    request, request.headers.get("authorization"), request.headers.get("x-api-key")
                )
            except Unauthenticated as exc:
                context.auth_error = exc
            if self.stream_transport(request) is not None:
                # A stream, as a WebSocket, needs credentials before it starts (401).
                context.who  # noqa: B018
                context.resume_after = request.headers.get("last-event-id") or None
            request.state.graphql_context = context
        return context

    async def on_ws_connect(self, context: Context) -> None:
        """Subscriptions need valid credentials in the ``connection_init`` payload
        (``{"Authorization": "Bearer ..."}`` or ``{"X-API-Key": ...}``: what GraphiQL's
        Headers tab holds) or the upgrade request's headers."""
        params = getattr(context, "connection_params", None) or {}
        header, api_key = (
            (
                params.get("Authorization") or params.get("authorization"),
                params.get("X-API-Key") or params.get("x-api-key"),
            )
            if isinstance(params, dict)
            else (None, None)
        )
        websocket: WebSocket = context.request
        if header is None:
            header = websocket.headers.get("authorization")
        if api_key is None:
            api_key = websocket.headers.get("x-api-key")
        if api_key is not None and not isinstance(api_key, str):
            api_key = None
        try:
            principal = await authenticate_connection(websocket, header, api_key)
        except (Unauthenticated, RateLimited) as exc:
            _log_rejection(exc.detail)
            raise ConnectionRejectionError({"code": exc.code, "message": exc.detail}) from None
        if principal is None:
            _log_rejection("token required")
            raise ConnectionRejectionError({"code": "UNAUTHENTICATED", "message": "token required"})
        context.principal = principal


def _sse_next(data: str, event_id: str | None) -> str:
    """A graphql-sse ``next`` event, with ``id:`` when the result has an event id."""
    head = "" if event_id is None or any(c in event_id for c in "\r\n") else f"id: {event_id}\r\n"
    return f"{head}event: next\r\ndata: {data}\r\n\r\n"


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
