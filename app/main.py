"""The ASGI application: both doors (GraphQL, REST shim) on one service layer.

``create_app(settings=None)`` returns the Starlette app; its lifespan builds the database
engine and session factory, and disposes of them on shutdown.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from app.assets import STATIC, page
from app.auth import KnownPeople, TokenService
from app.db import Database
from app.errors import BadRequest, DomainError, MethodNotAllowed, NotFound
from app.event_transports import build_broker
from app.events import Event, EventKind
from app.logs import configure_logging
from app.metrics import metrics_endpoint
from app.middleware import RequestContextMiddleware
from app.ratelimit import RateLimiter, RateLimitMiddleware
from app.requestid import current_request_id
from app.rest.http import json_response, problem_response
from app.rest.openapi import openapi_document
from app.rest.registry import CONTRACTS
from app.services import background, deliveries, followups, lock_expiry
from app.services.event_log import EventLog
from app.services.work import Work
from app.settings import Settings, get_settings
from app.tracing import UNTRACED_URLS, span_details, tracer_provider
from schema import build_schema
from schema.http import HTTP_METHODS, GraphQLView
from schema.persisted import PersistedQueries

log = logging.getLogger("gateway")


async def healthz(_request: Request) -> Response:
    return json_response({"status": "ok"})


async def readyz(request: Request) -> Response:
    try:
        await request.app.state.db.ping()
    except Exception:
        log.exception("readiness check failed")
        return json_response({"status": "unavailable", "database": "unreachable"}, 503)
    return json_response({"status": "ok", "database": "reachable"})


async def openapi_json(request: Request) -> Response:
    return json_response(openapi_document(request.app.state.settings))


async def docs_page(_request: Request) -> Response:
    return page("docs.html", "The REST API docs")


async def domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    return problem_response(exc, request.url.path, current_request_id())


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    error: DomainError
    if exc.status_code == 404:
        error = NotFound(f"No route for {request.url.path}")
    elif exc.status_code == 405:
        # Starlette's Allow lists the route's methods in set order: sorted, every worker
        # sends the same header.
        allow = (exc.headers or {}).get("Allow")
        error = MethodNotAllowed(
            f"{request.method} is not allowed on {request.url.path}",
            headers={"Allow": ", ".join(sorted(m.strip() for m in allow.split(",")))}
            if allow
            else None,
        )
    else:
        error = BadRequest(exc.detail)
    return problem_response(error, request.url.path, current_request_id())


async def unexpected_error(request: Request, exc: Exception) -> Response:
    request_id = current_request_id()
    log.exception("unexpected error on %s (request %s)", request.url.path, request_id, exc_info=exc)
    response = problem_response(
        DomainError("An unexpected error occurred; quote the request id when reporting it"),
        request.url.path,
        request_id,
    )
    if request_id:  # answered outside the request middleware, which adds it to the others
        response.headers["x-request-id"] = request_id
    return response


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or get_settings()
    if settings.configure_logging:
        configure_logging(settings)
    tokens = TokenService(settings)
    persisted = PersistedQueries(settings)
    tracing = tracer_provider(settings)
    tracer = tracing.get_tracer("gateway") if tracing is not None else None
    graphql = GraphQLView(
        build_schema(settings, tracer),
        graphiql=settings.graphiql_enabled,
        persisted=persisted,
        sse_heartbeat_seconds=settings.sse_heartbeat_seconds,
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        db = Database.from_settings(settings)
        app.state.db = db
        work = app.state.work = Work(db, settings, app.state.events)
        event_log = app.state.event_log = EventLog(db, settings, app.state.events)
        await app.state.events.start()
        await event_log.start()
        work.start_relay()
        # Mentoring: the periodic follow-up sweep (off unless followup_interval_seconds > 0).
        sweeps = followups.start_periodic(work)
        # Notification delivery passes (off unless delivery_interval_seconds > 0).
        sending = deliveries.start_periodic(work)
        expiries = lock_expiry.start(work)  # announces editorial lock expiries
        try:
            yield
        finally:
            await background.stop(expiries)
            await background.stop(sending)
            await background.stop(sweeps)
            await work.stop_relay()
            await event_log.stop()
            await app.state.events.stop()
            await persisted.close()
            await db.dispose()
            if tracing is not None:
                tracing.shutdown()
            if app.state.rate_limiter is not None:
                await app.state.rate_limiter.close()

    graphql_route = Route("/graphql", graphql, methods=list(HTTP_METHODS))
    graphql_route.methods = set(HTTP_METHODS)  # not the HEAD Starlette adds: the view has none
    routes: list[BaseRoute] = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        graphql_route,
        WebSocketRoute("/graphql", graphql),
        Route("/openapi.json", openapi_json, methods=["GET"]),
        Route("/metrics", metrics_endpoint, methods=["GET"]),
        Route("/docs", docs_page, methods=["GET"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
        # Milestone badge images (public: every badge_image_url the API returns).
        Mount("/assets/badges", StaticFiles(directory=STATIC / "badges"), name="badges"),
    ]
    for contract in CONTRACTS:
        routes.extend(contract.routes())

    middleware = [
        Middleware(
            RequestContextMiddleware,
            max_body_bytes=settings.max_body_bytes,
            timeout_seconds=settings.request_timeout_seconds,
        )
    ]
    if tracing is not None:
        middleware.insert(
            0,
            Middleware(
                OpenTelemetryMiddleware,
                tracer_provider=tracing,
                excluded_urls=UNTRACED_URLS,
                exclude_spans=["receive", "send"],
                default_span_details=span_details(routes),
            ),
        )
    limiter = RateLimiter(settings, tokens) if settings.rate_limit_enabled else None
    if limiter is not None:
        middleware.append(Middleware(RateLimitMiddleware, limiter=limiter))

    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={
            DomainError: domain_error,
            HTTPException: http_error,
            Exception: unexpected_error,
        },
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.tokens = tokens
    app.state.events = build_broker(settings)
    known = app.state.known_people = KnownPeople(settings.auth_cache_seconds)

    def forget_deleted(event: Event) -> None:
        if event.kind is EventKind.PERSON_DELETED:
            known.forget(event.key)

    app.state.events.listen(EventKind.PERSON_DELETED.topic, forget_deleted)
    app.state.rate_limiter = limiter
    app.state.persisted = persisted
    app.state.tracer_provider = tracing
    return app
