"""Schemathesis against the GraphQL schema (its introspection, in-process over ASGI): every
Query and Mutation field with generated arguments and selections, as an admin and without
credentials. Whatever the document, the answer is an HTTP 200 or a 4xx problem, never a
5xx, and no error is ``INTERNAL_SERVER_ERROR``; every error carries a code.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from starlette.applications import Starlette

from app.auth import TokenService
from app.settings import Settings
from tests.fuzz_support import Case, fuzz_app, operations, run_operations


@pytest.fixture
def gateway(settings: Settings, demo) -> Iterator[Starlette]:
    yield from fuzz_app(settings)


def _no_internal_errors(case: Case) -> None:
    response = case.call()
    assert response.status_code < 500, response.text
    body: Any = response.json()
    if response.status_code != 200:
        assert body["code"], body  # a problem+json refusal (limits, malformed input)
        return
    for error in body.get("errors") or []:
        code = error.get("extensions", {}).get("code")
        assert code, error
        assert code != "INTERNAL_SERVER_ERROR", (case.body, error)


def test_every_root_field_is_fuzzed(gateway: Starlette):
    schema = schemathesis.graphql.from_asgi("/graphql", gateway)
    labels = {operation.label for operation in operations(schema)}
    assert {"Query.assignments", "Mutation.detectMilestones"} <= labels


@pytest.mark.parametrize("who", ["admin", "anonymous"])
def test_no_internal_errors(gateway: Starlette, settings: Settings, who: str):
    schema = schemathesis.graphql.from_asgi("/graphql", gateway)
    headers = None
    if who == "admin":
        token = TokenService(settings).issue("admin_001", ["admin"])
        headers = {"Authorization": f"Bearer {token}"}
    assert run_operations(schema, _no_internal_errors, headers=headers) == {}
