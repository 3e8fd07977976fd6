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
from app.db import Database, retry_races
from app.errors import BadRequest, InvalidInput
from app.pagination import DEFAULT_LIMIT, MAX_PAGE, PageRequest, rest_page
from app.rest.http import (
    UNSAFE_TEXT,
    UNSAFE_TEXT_MESSAGE,
    json_response,
    length_error,
    read_json_object,
    replied,
    text_schema,
    validate_model,
)
from app.services import idempotency
from app.services.policy import require_principal
from app.services.work import Work
from app.settings import Settings
from app.versioning import none_match

M = TypeVar("M", bound=BaseModel)


@dataclass(slots=True)
class Call:
    """What a handler gets: the request, who is asking, and the app's parts."""

    request: Request
    principal: Principal
    db: Database
    settings: Settings
    # The unit of work every write handler goes through (``app/services/work.py``).
    work: Work
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
    """A query (or path) parameter: its OpenAPI entry and the bound the edge checks
    (``maxLength``, in ``_check_query``). Page numbers and sizes are checked by
    ``Call.page`` from the same constant (``MAX_PAGE``) and setting (``maximum_setting``,
    which the document states as the ``maximum``)."""

    name: str
    description: str
    schema: dict[str, Any] = field(default_factory=text_schema)
    required: bool = False
    maximum_setting: str | None = None

    def schema_for(self, settings: Settings) -> dict[str, Any]:
        if self.maximum_setting is None:
            return self.schema
        return {**self.schema, "maximum": getattr(settings, self.maximum_setting)}


PAGE = QueryParam(
    "page", "Page number, from 1", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}
)


def page_size(name: str = "limit", default: int = DEFAULT_LIMIT) -> QueryParam:
    """A page size: 1 to the configured ``max_page_size`` (100 unless configured)."""
    return QueryParam(
        name,
        f"Page size, from 1 (default {default})",
        {"type": "integer", "minimum": 1},
        maximum_setting="max_page_size",
    )


PAGE_PARAMS = (PAGE, page_size())


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
    # Path parameters that are not plain bounded text (e.g. a uuid pattern).
    path_params: tuple[QueryParam, ...] = ()
    # Other successful answers than ``status``, e.g. {200: "the original record of a retry"}.
    also: Mapping[int, str] = field(default_factory=dict)
    # A single versioned record: the answer carries an ``ETag``; a GET honours
    # ``If-None-Match`` (304).
    etag: bool = False

    def path_param(self, name: str) -> QueryParam:
        for param in self.path_params:
            if param.name == name:
                return param
        return QueryParam(name, "")


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
    the path or the query (``%00``); 422 naming the parameter and its bound for text longer
    than its declared ``maxLength``."""
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
    given = [
        *((endpoint.path_param(k), str(v)) for k, v in request.path_params.items()),
        *((declared[k], v) for k, v in request.query_params.multi_items()),
    ]
    errors = [
        error
        for param, value in given
        if "maxLength" in param.schema
        and (error := length_error(param.name, value, param.schema["maxLength"])) is not None
    ]
    InvalidInput.raise_if_any(errors)


# What a 304 keeps of the 200 it stands for (RFC 9110 section 15.4.5).
_NOT_MODIFIED_KEEPS = ("etag", "vary", "content-language", "cache-control")


def _conditional(request: Request, response: Response) -> Response:
    """A GET whose ``If-None-Match`` holds the answer's ``ETag`` gets ``304 Not Modified``:
    no body, the same ETag. Every route's ETag passes here, so every route honours it."""
    tag = response.headers.get("etag")
    if (
        tag is None
        or request.method not in ("GET", "HEAD")
        or response.status_code != 200
        or none_match(request.headers.get("if-none-match"), tag)
    ):
        return response
    kept = {k: v for k, v in response.headers.items() if k in _NOT_MODIFIED_KEEPS}
    return Response(status_code=304, headers=kept)


def _by_method(endpoints: Mapping[str, Endpoint]) -> Callable[[Request], Awaitable[Response]]:
    handlers = {method: _wrap(endpoint) for method, endpoint in endpoints.items()}
    name = "_or_".join(handler.__name__ for handler in handlers.values())
    if "GET" in handlers:
        handlers["HEAD"] = handlers["GET"]  # the route allows HEAD with GET

    async def run(request: Request) -> Response:
        return await handlers[request.method](request)

    run.__name__ = name
    return run


_READS = frozenset({"GET", "HEAD"})


def _answer(endpoint: Endpoint, request: Request, result: Any) -> Response:
    if isinstance(result, Response):
        return _conditional(request, result)
    return json_response(result, endpoint.status)


def _wrap(endpoint: Endpoint) -> Callable[[Request], Awaitable[Response]]:
    async def run(request: Request) -> Response:
        state = request.app.state
        principal = require_principal(
            await authenticate_connection(
                request, request.headers.get("authorization"), request.headers.get("x-api-key")
            )
        )
        _check_query(endpoint, request)
        call = Call(request, principal, state.db, state.settings, state.work)
        if endpoint.body is not None:
            call.body = await read_json_object(request)
        if request.method in _READS:
            return _answer(endpoint, request, await endpoint.handler(call))
        key = idempotency.parse_key(request.headers.get(idempotency.HEADER))
        attempts = call.settings.write_attempts
        if key is None:
            result = await retry_races(lambda: endpoint.handler(call), attempts=attempts)
            return _answer(endpoint, request, result)
        claim = idempotency.Claim(
            principal.person_id,
            key,
            idempotency.fingerprint(
                request.method,
                request.url.path + (f"?{request.url.query}" if request.url.query else ""),
                call.body if endpoint.body is not None else None,
            ),
        )

        async def answered() -> idempotency.Reply:
            response = _answer(endpoint, request, await endpoint.handler(call))
            return idempotency.Reply(response.status_code, response.headers, bytes(response.body))

        reply = await retry_races(
            lambda: idempotency.once(call.work, claim, answered), attempts=attempts
        )
        return replied(reply)

    run.__name__ = endpoint.operation_id or endpoint.handler.__name__
    return run
