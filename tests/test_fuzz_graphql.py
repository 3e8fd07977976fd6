"""Schemathesis against the GraphQL schema (its introspection, in-process over ASGI): every
Query and Mutation field with generated arguments and selections, as an admin and without
credentials. Whatever the document, the answer is an HTTP 200 or a 4xx problem, never a
5xx, no error is ``INTERNAL_SERVER_ERROR``, every error carries a code, and the data has
the shape the document selected (``tests/graphql_shape.py``).

Generated documents rarely name a record that exists, so every root field also runs its
written success document (``tests/fuzz_graphql_support.py``) as an admin: each must answer
without errors, in the selected shape.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from graphql import GraphQLSchema, build_client_schema, get_introspection_query
from starlette.applications import Starlette

from app.auth import TokenService
from app.settings import Settings
from tests.fuzz_graphql_support import RECIPES, Learnt, document
from tests.fuzz_support import (
    EXAMPLES,
    REPLAY,
    Case,
    announce,
    fuzz_app,
    operations,
    run_operations,
)
from tests.graphql_shape import shape_problems
from tests.helpers import Auth, gql


@pytest.fixture
def gateway(settings: Settings, demo: None) -> Iterator[Starlette]:
    yield from fuzz_app(settings)


async def _introspected(client: httpx.AsyncClient) -> GraphQLSchema:
    body = await gql(client, get_introspection_query())
    return build_client_schema(body["data"])


def _checked(schema: GraphQLSchema, clean: set[str]) -> Any:
    """The check of a generated document; ``clean`` collects the fields answered without
    errors."""

    def check(case: Case) -> int:
        response = case.call()
        assert response.status_code < 500, response.text
        body: Any = response.json()
        if response.status_code != 200:
            assert body["code"], body  # a problem+json refusal (limits, malformed input)
            return response.status_code
        for error in body.get("errors") or []:
            assert error.get("extensions", {}).get("code") != "INTERNAL_SERVER_ERROR", (
                case.body,
                error,
            )
        sent: Any = case.body
        query = sent.get("query") if isinstance(sent, dict) else None
        if isinstance(query, str):
            problems = shape_problems(schema, query, body, sent.get("operationName"))
            assert problems == [], (query, problems)
        if not body.get("errors"):
            clean.add(case.operation.label)
        return response.status_code

    return check


def _root_fields(schema: GraphQLSchema) -> list[str]:
    roots = [("Query", schema.query_type), ("Mutation", schema.mutation_type)]
    return [f"{name}.{field}" for name, kind in roots if kind for field in kind.fields]


async def test_every_root_field_is_fuzzed_and_has_a_recipe(client: httpx.AsyncClient) -> None:
    schema = await _introspected(client)
    fields = _root_fields(schema)
    assert {"Query.assignments", "Mutation.detectMilestones"} <= set(fields)
    assert sorted(RECIPES) == sorted(fields), "a root field without its success recipe"


async def test_every_root_field_answers(
    client: httpx.AsyncClient, demo: None, auth: Auth, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each root field's success document, as an admin: no errors, the selected shape."""
    announce(capsys)
    schema = await _introspected(client)
    learnt = Learnt()
    failed: dict[str, Any] = {}
    for label, recipe in RECIPES.items():
        root, name = label.split(".")
        for setup in recipe.setup:
            step = document(schema, "Mutation", learnt.fill(setup))
            learnt.learn((await gql(client, step, headers=auth.admin)).get("data"))
        call = f"{name}({learnt.fill(recipe.args)})" if recipe.args else name
        query = document(schema, root, call)
        body = await gql(client, query, headers=auth.admin)
        learnt.learn(body.get("data"))
        problems = shape_problems(schema, query, body)
        if body.get("errors") or problems:
            errors = [(e.get("message"), e.get("extensions")) for e in body.get("errors") or []]
            failed[label] = f"{label}: {errors} {problems[:5]}\n  {query[:300]}"
    assert failed == {}, f"root fields that did not answer: {list(failed)}\n" + "\n".join(
        failed.values()
    )


@pytest.mark.parametrize("who", ["admin", "anonymous"])
async def test_no_internal_errors(
    gateway: Starlette,
    settings: Settings,
    client: httpx.AsyncClient,
    who: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    announce(capsys)
    introspected = await _introspected(client)
    schema = schemathesis.graphql.from_asgi("/graphql", gateway)
    headers, examples = None, 5  # anonymous: every field refuses alike, a few cases do
    if who == "admin":
        token = TokenService(settings).issue("admin_001", ["admin"])
        headers, examples = {"Authorization": f"Bearer {token}"}, EXAMPLES
    clean: set[str] = set()
    check = _checked(introspected, clean)
    tally = run_operations(schema, check, headers=headers, examples=examples)
    with capsys.disabled():
        named = sorted(clean) if who == "anonymous" else len(clean)
        print(f"[fuzz] GraphQL {who}: {tally.summary()}; fields answered clean: {named}")
    assert tally.failures == {}, tally.report()
    assert tally.unsatisfiable == [], f"root fields with no generated document ({REPLAY})"
    assert sorted(tally.cases) == sorted(o.label for o in operations(schema))
