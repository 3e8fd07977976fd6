"""The OpenAPI 3.1 document of the REST shim, built from the same ``Endpoint`` records that
serve the routes, so the document cannot drift from what is served: parameters and bodies
carry the bounds the edge checks (``maxLength``, ``minimum``/``maximum`` with the configured
page size, patterns), and every status a route answers, the replay 200 and the 304 of a
conditional GET among them."""

from __future__ import annotations

from collections.abc import Sequence
from http import HTTPStatus
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from app.rest.registry import CONTRACTS
from app.rest.routing import Contract, Endpoint, QueryParam
from app.settings import Settings

_REF = "#/components/schemas/{model}"

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "instance": {"type": "string"},
        "request_id": {"type": "string"},
        "message": {"type": "string", "description": "On /v3 routes: the CEO error message."},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}

PAGINATION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["page", "limit", "total"],
    "properties": {
        "page": {"type": "integer", "minimum": 1},
        "limit": {"type": "integer", "minimum": 1},
        "total": {"type": "integer", "minimum": 0},
    },
}


Mode = Literal["validation", "serialization"]


class _Schemas:
    """Component schemas of every model the endpoints name, built in one pass so that two
    models with the same class name (``AssignmentOut`` of two contracts) get distinct
    components, and a model's request (validation) and response (serialization) forms
    do not overwrite each other."""

    def __init__(self, contracts: Sequence[Contract]) -> None:
        wanted: dict[tuple[type[BaseModel], Mode], None] = {}
        for contract in contracts:
            for endpoint in contract.endpoints:
                if endpoint.body is not None:
                    wanted[(endpoint.body, "validation")] = None
                for model in (endpoint.response, endpoint.list_of):
                    if model is not None:
                        wanted[(model, "serialization")] = None
        refs, top = models_json_schema(list(wanted), ref_template=_REF)
        self.refs = refs
        self.components: dict[str, Any] = dict(top.get("$defs", {}))

    def ref(self, model: type[BaseModel], mode: Mode) -> dict[str, Any]:
        return dict(self.refs[(model, mode)])


_ETAG_HEADER = {
    "ETag": {
        "description": "The record's version in quotes; send it back as If-Match or If-None-Match.",
        "schema": {"type": "string"},
    }
}
_IF_NONE_MATCH = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "description": "ETags the client holds (a list, weak or strong, or *): 304 when one "
    "matches the record's.",
    "schema": {"type": "string"},
}


_IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Makes a retry safe (IETF httpapi Idempotency-Key draft): the first "
    "request that changed something is run once per caller and key, its answer stored with "
    "its effect and replayed to every retry with the same key (marked Idempotent-Replayed: "
    "true) for 24 hours. The same key with another method, path or body is 422; a retry "
    "sent while the first is running waits for it. A request refused or failed is not "
    "stored: its retry runs. 1 to 255 printable ASCII characters, bare or in quotes (a UUID "
    "is a good key).",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
}
_REPLAYED_HEADER = {
    "Idempotent-Replayed": {
        "description": "true on an answer replayed for an Idempotency-Key already used.",
        "schema": {"type": "string", "enum": ["true"]},
    }
}
_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _edge_errors(endpoint: Endpoint, path: str) -> set[int]:
    """What the edge answers on any route before its handler runs: 401 without credentials,
    400 for an undeclared query parameter or a NUL, 422 for text over its bound."""
    texts = [endpoint.path_param(name) for name in _path_params(path)] + list(endpoint.query)
    edge = {400, 401}
    if any("maxLength" in param.schema for param in texts):
        edge.add(422)
    return edge


def _parameter(param: QueryParam, where: str, settings: Settings) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": param.name, "in": where, "required": param.required}
    if param.description:
        entry["description"] = param.description
    entry["schema"] = param.schema_for(settings)
    return entry


def _operation(
    contract: Contract, endpoint: Endpoint, path: str, schemas: _Schemas, settings: Settings
) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    success: dict[str, Any] = {"description": HTTPStatus(endpoint.status).phrase}
    headers = {**(_ETAG_HEADER if endpoint.etag else {})}
    if endpoint.method in _UNSAFE:
        headers.update(_REPLAYED_HEADER)
    if headers:
        success["headers"] = headers
    if endpoint.response is not None:
        success["content"] = {
            "application/json": {"schema": schemas.ref(endpoint.response, "serialization")}
        }
    elif endpoint.list_of is not None:
        item = schemas.ref(endpoint.list_of, "serialization")
        success["content"] = {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["data", "pagination"],
                    "properties": {
                        "data": {"type": "array", "items": item},
                        "pagination": {"$ref": _REF.format(model="Pagination")},
                    },
                }
            }
        }
    responses[str(endpoint.status)] = success
    for status, description in endpoint.also.items():
        responses[str(status)] = {**success, "description": description}
    if endpoint.etag and endpoint.method == "GET":
        responses["304"] = {
            "description": "Not Modified: If-None-Match holds the record's ETag (no body)",
            "headers": _ETAG_HEADER,
        }
    errors = set(endpoint.errors) | _edge_errors(endpoint, path)
    if endpoint.method in _UNSAFE:
        errors |= {400, 422}  # a malformed Idempotency-Key; a key used for another request
    for status in sorted(errors):
        responses[str(status)] = {
            "description": HTTPStatus(status).phrase,
            "content": {
                "application/problem+json": {"schema": {"$ref": _REF.format(model="Problem")}}
            },
        }
    operation: dict[str, Any] = {
        "tags": [contract.name],
        "summary": endpoint.summary,
        "operationId": _operation_id(endpoint, path),
        "responses": responses,
        "security": [{"bearerAuth": []}],
    }
    parameters = [
        {**_parameter(endpoint.path_param(name), "path", settings), "required": True}
        for name in _path_params(path)
    ] + [_parameter(param, "query", settings) for param in endpoint.query]
    if endpoint.etag and endpoint.method == "GET":
        parameters.append(_IF_NONE_MATCH)
    if endpoint.method in _UNSAFE:
        parameters.append(_IDEMPOTENCY_KEY)
    if parameters:
        operation["parameters"] = parameters
    if endpoint.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": schemas.ref(endpoint.body, "validation")}},
        }
    return operation


def _path_params(path: str) -> list[str]:
    return [part[1:-1].split(":")[0] for part in path.split("/") if part.startswith("{")]


def _operation_id(endpoint: Endpoint, path: str) -> str:
    slug = "".join(c if c.isalnum() else "_" for c in path).strip("_")
    return f"{endpoint.method.lower()}_{slug}"


def build_openapi(contracts: Sequence[Contract], settings: Settings) -> dict[str, Any]:
    schemas = _Schemas(contracts)
    paths: dict[str, dict[str, Any]] = {}
    for contract in contracts:
        for endpoint in contract.endpoints:
            for path in contract.paths(endpoint):
                openapi_path = "/".join(
                    "{" + p[1:-1].split(":")[0] + "}" if p.startswith("{") else p
                    for p in path.split("/")
                )
                paths.setdefault(openapi_path, {})[endpoint.method.lower()] = _operation(
                    contract, endpoint, path, schemas, settings
                )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Gateway REST compatibility shim",
            "version": "1.0.0",
            "description": "The legacy REST contracts, served on the gateway's service layer. "
            "Errors are application/problem+json (RFC 9457). No text may hold NUL characters "
            "or unpaired surrogates (400); text longer than its maxLength is a 422 naming the "
            "field and the bound.",
        },
        "paths": paths,
        "components": {
            "schemas": {
                **schemas.components,
                "Problem": PROBLEM_SCHEMA,
                "Pagination": PAGINATION_SCHEMA,
            },
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
        },
        "tags": [{"name": c.name, "description": c.description} for c in contracts],
    }


# The settings the document states (a parameter's ``maximum_setting``, e.g. max_page_size).
_SETTINGS_STATED = sorted(
    {
        param.maximum_setting
        for contract in CONTRACTS
        for endpoint in contract.endpoints
        for param in (*endpoint.query, *endpoint.path_params)
        if param.maximum_setting is not None
    }
)
_DOCUMENTS: dict[tuple[Any, ...], dict[str, Any]] = {}


def openapi_document(settings: Settings) -> dict[str, Any]:
    """The document for these settings, built once per distinct value of what it states."""
    key = tuple(getattr(settings, name) for name in _SETTINGS_STATED)
    if key not in _DOCUMENTS:
        _DOCUMENTS[key] = build_openapi(CONTRACTS, settings)
    return _DOCUMENTS[key]
