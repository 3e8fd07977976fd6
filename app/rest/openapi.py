"""The OpenAPI 3.1 document of the REST shim, built from the same ``Endpoint`` records that
serve the routes, so the document cannot drift from what is served."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from http import HTTPStatus
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from app.rest.registry import CONTRACTS
from app.rest.routing import Contract, Endpoint

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


def _operation(
    contract: Contract, endpoint: Endpoint, path: str, schemas: _Schemas
) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    success: dict[str, Any] = {"description": HTTPStatus(endpoint.status).phrase}
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
    for status in sorted(set(endpoint.errors) | {401}):
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
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in _path_params(path)
    ] + [
        {
            "name": param.name,
            "in": "query",
            "required": param.required,
            "description": param.description,
            "schema": param.schema,
        }
        for param in endpoint.query
    ]
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


def build_openapi(contracts: Sequence[Contract]) -> dict[str, Any]:
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
                    contract, endpoint, path, schemas
                )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Gateway REST compatibility shim",
            "version": "1.0.0",
            "description": "The legacy REST contracts, served on the gateway's service layer. "
            "Errors are application/problem+json (RFC 9457).",
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


@lru_cache(maxsize=1)
def openapi_document() -> dict[str, Any]:
    return build_openapi(CONTRACTS)
