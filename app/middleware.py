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
        if scope["type"] == "http":
            declared = headers.get("content-length")
            if (
                declared
                and declared.isascii()
                and declared.isdigit()
                and int(declared) > self.max_body_bytes
            ):
                response = problem_response(
                    PayloadTooLarge(f"The body exceeds {self.max_body_bytes} bytes"),
                    path,
                    request_id,
                )
                response.headers["x-request-id"] = request_id
                await response(scope, receive, send)
                log.info(
                    "%s %s 413 (declared body too large)",
                    scope.get("method", ""),
                    path,
                    extra={"status": 413, "request_id": request_id},
                )
                return
        started = time.perf_counter()
        status = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        if scope["type"] == "websocket":
            await self.app(scope, receive, send_with_id)
            return
        try:
            async with asyncio.timeout(self.timeout_seconds):
                await self.app(scope, receive, send_with_id)
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
