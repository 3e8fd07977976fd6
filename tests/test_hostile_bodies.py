"""Hostile request bodies on every REST route that takes one (driven from the contracts):
JSON that is not an object, and numbers, lists or objects where the document says text."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from app.rest.openapi import openapi_document
from app.rest.registry import CONTRACTS
from app.settings import Settings
from tests.helpers import Auth

# An existing record for each path parameter, so a route reaches its body checks.
EXISTING = {
    "/v3/assignment/{uuid}": "AAAAAAAA-1234-4567-7890-BBBBBBBBBBBB",
    "/api/v1/activities/{id}": "act_9f3a12bc",
    "/api/v1/assignments/{id}": "asgn_001",
    "/api/v1/assignments/{id}/last-contact": "asgn_001",
    "/api/v1/assignments/{id}/status": "asgn_001",
    "/api/v1/milestones/{id}": "milestone_100h",
}
BODY_ROUTES = [
    (e.method, c.base + e.path) for c in CONTRACTS for e in c.endpoints if e.body is not None
]


def _url(path: str) -> str:
    if "{" not in path:
        return path
    return path.split("{")[0] + EXISTING[path] + path.split("}")[1]


def _text_fields(method: str, path: str, settings: Settings) -> list[str]:
    """Body properties the OpenAPI document types as text only."""
    document = openapi_document(settings)
    ref = document["paths"][path][method.lower()]["requestBody"]["content"]["application/json"]
    schema = document["components"]["schemas"][ref["schema"]["$ref"].split("/")[-1]]
    names = []
    for name, prop in schema.get("properties", {}).items():
        types: set[str] = set()
        for option in (prop, *prop.get("anyOf", [])):
            kind = option.get("type", [])
            types |= set(kind) if isinstance(kind, list) else {kind}
        if "string" in types and not types & {"integer", "number", "array", "object"}:
            names.append(name)
    return names


@pytest.mark.parametrize(("method", "path"), BODY_ROUTES)
async def test_json_that_is_not_an_object_is_400(
    client: httpx.AsyncClient, demo, auth: Auth, method: str, path: str
):
    for body in (b"[]", b'["title"]', b'"text"', b"12", b"null", b"true", b""):
        response = await client.request(
            method,
            _url(path),
            content=body,
            headers={**auth.admin, "content-type": "application/json"},
        )
        assert response.status_code == 400, (body, response.text)


@pytest.mark.parametrize(("method", "path"), BODY_ROUTES)
async def test_numbers_lists_and_objects_where_text_belongs_are_422(
    client: httpx.AsyncClient, demo, auth: Auth, settings: Settings, method: str, path: str
):
    fields = _text_fields(method, path, settings)
    assert fields, path
    for wrong in (12345, 1.5, True, ["x"], {"x": 1}):
        body: dict[str, Any] = dict.fromkeys(fields, wrong)
        response = await client.request(method, _url(path), json=body, headers=auth.admin)
        assert response.status_code == 422, (wrong, response.text)
        named = {e["field"] for e in response.json()["errors"]}
        assert set(fields) <= named, (wrong, named)
