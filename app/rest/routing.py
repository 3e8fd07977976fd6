"""Declarative REST routes: one ``Endpoint`` describes a route, its OpenAPI entry and its
checks, so authentication and error rendering are the same on every route.

A ``Contract`` is one legacy contract: its base path and endpoints. Each endpoint is served
at ``base + path`` and, when ``doubled`` (the ``/api/v1`` catalogues), also at the literal
``base + base + path`` the catalogue printed.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.auth import Principal, authenticate_connection
from app.db import Database
from app.errors import BadRequest
from app.pagination import DEFAULT_LIMIT, PageRequest, rest_page
from app.rest.http import (
    UNSAFE_TEXT,
    UNSAFE_TEXT_MESSAGE,
    json_response,
    read_json_object,
    validate_model,
)
from app.services.authz import require_principal
from app.settings import Settings

M = TypeVar("M", bound=BaseModel)


@dataclass(slots=True)
class Call:
    """What a handler gets: the request, who is asking, and the app's parts."""

    request: Request
    principal: Principal
    db: Database
    settings: Settings
    body: dict[str, Any] = field(default_factory=dict)

    @property
    def path(self) -> Mapping[str, str]:
        return self.request.path_params

    @property
    def query(self) -> Mapping[str, str]:
        return self.request.query_params

    def parse(self, model: type[M], *, ignore: frozenset[str] = frozenset()) -> M:
        return validate_model(model, self.body, ignore=ignore)

    def page(self, default_limit: int = DEFAULT_LIMIT) -> PageRequest:
        """``?page=`` (from 1) and ``?limit=`` (1 to the configured maximum); 400 otherwise."""
        return rest_page(
            self.query_param("page"),
            self.query_param("limit"),
            max_limit=self.settings.max_page_size,
            default_limit=default_limit,
        )

    def query_param(self, name: str) -> str | None:
        values = self.request.query_params.getlist(name)
        if len(values) > 1:
            raise BadRequest(f"Query parameter '{name}' is given more than once")
        return values[0] if values else None


Handler = Callable[[Call], Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class QueryParam:
    name: str
    description: str
    schema: dict[str, Any] = field(default_factory=lambda: {"type": "string"})
    required: bool = False


@dataclass(frozen=True, slots=True)
class Endpoint:
    method: str
    path: str
    handler: Handler
    summary: str
    status: int = 200
    body: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    list_of: type[BaseModel] | None = None
    query: tuple[QueryParam, ...] = ()
    errors: tuple[int, ...] = (400, 401, 403, 404, 422)
    operation_id: str | None = None


@dataclass(frozen=True, slots=True)
class Contract:
    name: str
    base: str
    endpoints: tuple[Endpoint, ...]
    doubled: bool = True
    description: str = ""

    def paths(self, endpoint: Endpoint) -> list[str]:
        canonical = self.base + endpoint.path
        return [canonical, self.base + canonical] if self.doubled else [canonical]

    def routes(self) -> list[Route]:
        """One route per path serving all its methods, so a method the path does not serve
        is a 405 whose ``Allow`` names every method it does."""
        by_path: dict[str, dict[str, Endpoint]] = {}
        for endpoint in self.endpoints:
            for path in self.paths(endpoint):
                by_path.setdefault(path, {})[endpoint.method] = endpoint
        return [
            Route(path, _by_method(endpoints), methods=list(endpoints))
            for path, endpoints in by_path.items()
        ]


def _needs_value(param: QueryParam) -> bool:
    """An empty ``?name=`` is no number, date or enum member: only plain strings may be empty."""
    schema = param.schema
    if "pattern" in schema and re.search(schema["pattern"], "") is None:
        return True
    return schema.get("type") != "string" or any(k in schema for k in ("enum", "format"))


def _check_query(endpoint: Endpoint, request: Request) -> None:
    """400 for query parameters the endpoint does not declare (a misspelt filter must not
    silently widen a list), for empty values of typed parameters, and for NUL characters in
    the path or the query (``%00``)."""
    for where, text in (*request.path_params.items(), *request.query_params.multi_items()):
        if UNSAFE_TEXT.search(where) or UNSAFE_TEXT.search(str(text)):
            raise BadRequest(f"Path and query parameters {UNSAFE_TEXT_MESSAGE}")
    declared = {param.name: param for param in endpoint.query}
    unknown = sorted({name for name in request.query_params if name not in declared})
    if unknown:
        names = ", ".join(repr(name[:64]) for name in unknown[:5])
        raise BadRequest(f"Unknown query parameter {names}; see /openapi.json")
    for name, value in request.query_params.multi_items():
        if value == "" and _needs_value(declared[name]):
            raise BadRequest(f"Query parameter '{name}' may not be empty")


def _by_method(endpoints: Mapping[str, Endpoint]) -> Callable[[Request], Awaitable[Response]]:
    handlers = {method: _wrap(endpoint) for method, endpoint in endpoints.items()}
    name = "_or_".join(handler.__name__ for handler in handlers.values())
    if "GET" in handlers:
        handlers["HEAD"] = handlers["GET"]  # the route allows HEAD with GET

    async def run(request: Request) -> Response:
        return await handlers[request.method](request)

    run.__name__ = name
    return run


def _wrap(endpoint: Endpoint) -> Callable[[Request], Awaitable[Response]]:
    async def run(request: Request) -> Response:
        state = request.app.state
        principal = require_principal(
            await authenticate_connection(
                request, request.headers.get("authorization"), request.headers.get("x-api-key")
            )
        )
        _check_query(endpoint, request)
        call = Call(request, principal, state.db, state.settings)
        if endpoint.body is not None:
            call.body = await read_json_object(request)
        result = await endpoint.handler(call)
        if isinstance(result, Response):
            return result
        return json_response(result, endpoint.status)

    run.__name__ = endpoint.operation_id or endpoint.handler.__name__
    return run
