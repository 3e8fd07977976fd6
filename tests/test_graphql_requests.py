"""GraphQL request semantics: what errors say in production.

- Production never suggests names (fields, input-object fields, enum values), neither for
  literals in the document nor for variables; development keeps the suggestions.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from app.settings import Settings
from tests.helpers import Auth, app_client, gql

# (query, variables, message in development, message in production)
SUGGESTING: list[tuple[str, dict[str, Any] | None, str, str]] = [
    (
        "{ mee { name } }",
        None,
        "Cannot query field 'mee' on type 'Query'. Did you mean 'me'?",
        "Cannot query field 'mee' on type 'Query'.",
    ),
    (
        'mutation { updatePerson(id: "user_042", input: {rolez: ["admin"]}) { name } }',
        None,
        "Expected value of type 'UpdatePersonInput' not to include unknown field 'rolez'."
        " Did you mean 'roles'? Found: { rolez: [\"admin\"] }.",
        "Expected value of type 'UpdatePersonInput' not to include unknown field 'rolez',"
        ' found: { rolez: ["admin"] }.',
    ),
    (
        'mutation ($i: UpdatePersonInput!) { updatePerson(id: "user_042", input: $i) { name } }',
        {"i": {"rolez": ["admin"]}},
        "Variable '$i' has invalid value: Expected value of type 'UpdatePersonInput' not to"
        " include unknown field 'rolez'. Did you mean 'roles'? Found: {'rolez': ['admin']}.",
        "Variable '$i' has invalid value: Expected value of type 'UpdatePersonInput' not to"
        " include unknown field 'rolez', found: {'rolez': ['admin']}.",
    ),
    (
        "{ assignments(status: OPEM) { totalCount } }",
        None,
        "Value 'OPEM' does not exist in 'AssignmentStatusFilter' enum."
        " Did you mean the enum value 'OPEN'?",
        "Value 'OPEM' does not exist in 'AssignmentStatusFilter' enum.",
    ),
    (
        "query ($s: AssignmentStatusFilter!) { assignments(status: $s) { totalCount } }",
        {"s": "OPEM"},
        "Variable '$s' has invalid value: Value 'OPEM' does not exist in"
        " 'AssignmentStatusFilter' enum. Did you mean the enum value 'OPEN'?",
        "Variable '$s' has invalid value: Value 'OPEM' does not exist in"
        " 'AssignmentStatusFilter' enum.",
    ),
]


@pytest.fixture(scope="module", params=["development", "production"])
async def env_client(
    request: pytest.FixtureRequest, settings: Settings
) -> AsyncIterator[tuple[str, httpx.AsyncClient]]:
    async with app_client(settings, env=request.param, graphiql=None, introspection=None) as c:
        yield request.param, c


@pytest.mark.parametrize(("query", "variables", "development", "production"), SUGGESTING)
async def test_names_are_suggested_in_development_only(
    env_client: tuple[str, httpx.AsyncClient],
    demo,
    auth: Auth,
    query: str,
    variables: dict[str, Any] | None,
    development: str,
    production: str,
):
    env, client = env_client
    body = await gql(client, query, variables, headers=auth.admin)
    assert body["data"] is None
    assert [e["message"] for e in body["errors"]] == [
        development if env == "development" else production
    ]
