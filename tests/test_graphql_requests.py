"""GraphQL request semantics: which operation runs, and what errors say in production.

- A document of several operations needs ``operationName`` (GraphQL spec, "GetOperation"):
  without it nothing runs, over HTTP and WebSocket alike.
- Production never suggests names (fields, input-object fields, enum values), neither for
  literals in the document nor for variables; development keeps the suggestions.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from app.settings import Settings
from tests.helpers import Auth, app_client, gql

NAME_REQUIRED = {
    "message": "Must provide operationName if the query contains multiple operations",
    "extensions": {"code": "OPERATION_NAME_REQUIRED"},
}
DELETE_THEN_READ = """
mutation Delete { deletePerson(id: "user_042") }
query Read { person(id: "user_042") { name } }
"""


async def _name_of_user_042(client: httpx.AsyncClient, auth: Auth) -> str:
    body = await gql(client, '{ person(id: "user_042") { name } }', headers=auth.admin)
    name: str = body["data"]["person"]["name"]
    return name


async def test_several_queries_without_operation_name_are_refused(client, demo, auth: Auth):
    body = await gql(client, "query A { me { name } } query B { me { roles } }", headers=auth.admin)
    assert body == {"data": None, "errors": [NAME_REQUIRED]}


async def test_a_mutation_first_without_operation_name_does_not_run(client, demo, auth: Auth):
    body = await gql(client, DELETE_THEN_READ, headers=auth.admin)
    assert body == {"data": None, "errors": [NAME_REQUIRED]}
    assert await _name_of_user_042(client, auth) == "Ola Hansen"


async def test_a_query_over_get_without_operation_name_is_refused(client, demo, auth: Auth):
    response = await client.get(
        "/graphql",
        params={"query": "query A { me { name } } query B { me { roles } }"},
        headers=auth.admin,
    )
    assert response.status_code == 200
    assert response.json() == {"data": None, "errors": [NAME_REQUIRED]}


async def test_operation_name_picks_the_operation(client, demo, auth: Auth):
    read = await client.post(
        "/graphql",
        json={"query": DELETE_THEN_READ, "operationName": "Read"},
        headers=auth.admin,
    )
    assert read.json() == {"data": {"person": {"name": "Ola Hansen"}}}
    delete = await client.post(
        "/graphql",
        json={"query": DELETE_THEN_READ, "operationName": "Delete"},
        headers=auth.admin,
    )
    assert delete.json() == {"data": {"deletePerson": True}}
    gone = await gql(client, '{ person(id: "user_042") { name } }', headers=auth.admin)
    assert [e["extensions"]["code"] for e in gone["errors"]] == ["NOT_FOUND"]


async def test_a_batch_item_without_operation_name_is_refused_alone(client, demo, auth: Auth):
    response = await client.post(
        "/graphql",
        json=[{"query": DELETE_THEN_READ}, {"query": '{ person(id: "user_042") { name } }'}],
        headers=auth.admin,
    )
    assert response.status_code == 200
    assert response.json() == [
        {"data": None, "errors": [NAME_REQUIRED]},
        {"data": {"person": {"name": "Ola Hansen"}}},
    ]


async def test_a_websocket_document_without_operation_name_is_refused(
    live_url: str, demo, auth: Auth
):
    query = DELETE_THEN_READ + "subscription Changes { personChanged { kind } }"
    async with connect(
        f"ws://{live_url}/graphql", subprotocols=[Subprotocol("graphql-transport-ws")]
    ) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": auth.admin}))
        ack = json.loads(await asyncio.wait_for(ws.recv(), timeout=5))
        assert ack["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
        answer = json.loads(await asyncio.wait_for(ws.recv(), timeout=5))
    assert answer == {"id": "1", "type": "error", "payload": [NAME_REQUIRED]}
    async with httpx.AsyncClient(base_url=f"http://{live_url}") as http:
        assert await _name_of_user_042(http, auth) == "Ola Hansen"


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
