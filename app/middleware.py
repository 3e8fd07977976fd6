"""Pure-ASGI middleware for every request: a request id, the body-size limit, access logs."""

from __future__ import annotations

import asyncio
import logging
import time

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import logs, metrics
from app.db import StatementCounter
from app.errors import PayloadTooLarge, RequestTimeout
from app.requestid import start_request
from app.rest.http import problem_response

log = logging.getLogger("gateway.access")


class _LimitedBody:
    """The request's ``receive``, counting body bytes as they stream in (chunked bodies
    declare no length): past the limit it raises ``PayloadTooLarge`` and reads no more."""

    def __init__(self, receive: Receive, limit: int) -> None:
        self._receive = receive
        self.limit = limit
        self.received = 0
        self.refused = False

    def error(self) -> PayloadTooLarge:
        self.refused = True
        return PayloadTooLarge(f"The body exceeds {self.limit} bytes")

    def declared_too_large(self, headers: Headers) -> bool:
        declared = headers.get("content-length")
        return bool(
            declared and declared.isascii() and declared.isdigit() and int(declared) > self.limit
        )

    async def __call__(self) -> Message:
        if self.refused:
            raise self.error()
        message = await self._receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.limit:
                raise self.error()
        return message


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int, timeout_seconds: float) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.timeout_seconds = timeout_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        # Scoped to this request: a caller running many requests in one task (an ASGI
        # test client) must not collect one counter per request in its context.
        statements = StatementCounter()
        token = statements.start()
        try:
            await self._serve(scope, receive, send, statements)
        finally:
            statements.stop(token)

    async def _serve(
        self, scope: Scope, receive: Receive, send: Send, statements: StatementCounter
    ) -> None:
        headers = Headers(scope=scope)
        request_id = start_request(headers.get("x-request-id"))
        logs.clear()
        logs.bind(request_id=request_id)
        path = scope.get("path", "")
        started = time.perf_counter()
        status = 0
        body = _LimitedBody(receive, self.max_body_bytes)
        deadline: asyncio.Timeout | None = None

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                if deadline is not None and _is_stream(message["headers"]):
                    deadline.reschedule(None)  # the time limit is for a stream's start only
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        if scope["type"] == "websocket":
            await self.app(scope, receive, send_with_id)
            return
        try:
            if body.declared_too_large(headers):
                raise body.error()
            async with asyncio.timeout(self.timeout_seconds) as deadline:
                await self.app(scope, body, send_with_id)
        except PayloadTooLarge as too_large:
            # Raised by ``receive`` where nothing turned it into a response.
            if status:
                raise
            await problem_response(too_large, path, request_id)(scope, receive, send_with_id)
        except TimeoutError:
            log.error("request timed out path=%s request_id=%s", path, request_id)
            if status:
                raise
            error = RequestTimeout(f"The request took longer than {self.timeout_seconds} seconds")
            await problem_response(error, path, request_id)(scope, receive, send_with_id)
        elapsed = time.perf_counter() - started
        route = metrics.route_label(scope.get("route"), path)
        method = scope.get("method", "")
        metrics.HTTP_REQUESTS.labels(route, method, str(status)).inc()
        metrics.HTTP_LATENCY.labels(route, method).observe(elapsed)
        metrics.SQL_STATEMENTS.observe(statements.count)
        log.info(
            "%s %s %s %.1fms",
            method,
            path,
            status,
            elapsed * 1000,
            extra={
                "route": route,
                "status": status,
                "sql_statements": statements.count,
                "request_id": request_id,
            },
        )


_STREAM_TYPES = (b"text/event-stream", b"multipart/mixed")


def _is_stream(headers: list[tuple[bytes, bytes]]) -> bool:
    """A streamed answer (SSE, multipart subscription), which lasts as long as its client."""
    return any(
        name.lower() == b"content-type" and value.lower().startswith(_STREAM_TYPES)
        for name, value in headers
    )
