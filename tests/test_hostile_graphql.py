"""Hostile GraphQL documents through the real endpoint (the alias, batch and field bombs
are in tests/test_graphql_limits.py): deeply nested and circular fragments, huge page
sizes, values of the wrong type; and tokens of people deleted through the API."""

from __future__ import annotations

import asyncio
import json
import logging

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from tests.helpers import Auth, error_codes, gql


def _nested_fragments(levels: int) -> str:
    """``me`` then ``levels`` fragments, each one assignment-and-mentor hop (3 levels) deeper."""
    fragments = [
        f"fragment F{i} on Person {{ assignments(first: 1) {{ nodes {{ mentor {{ "
        + (f"...F{i + 1}" if i + 1 < levels else "name")
        + " } } } }"
        for i in range(levels)
    ]
    return "{ me { ...F0 } } " + " ".join(fragments)


async def test_deeply_nested_fragments_are_too_complex(client: httpx.AsyncClient, demo, auth):
    shallow = await gql(client, _nested_fragments(2), headers=auth.admin)
    assert "errors" not in shallow, shallow
    deep = await gql(client, _nested_fragments(4), headers=auth.admin)
    assert error_codes(deep) == ["QUERY_TOO_COMPLEX"]
    assert "deeper than" in deep["errors"][0]["message"]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            "{ me { ...A } } fragment A on Person { ...A }",
            "Cannot spread fragment 'A' within itself.",
        ),
        (
            "{ me { ...A } } fragment A on Person { name ...B } fragment B on Person { ...A }",
            "Cannot spread fragment 'A' within itself via 'B'.",
        ),
        (
            "{ me { ...A } } fragment A on Person { assignments(first: 1) { nodes { mentor "
            "{ ...B } } } } fragment B on Person { name ...A }",
            "Cannot spread fragment 'A' within itself via 'B'.",
        ),
    ],
)
async def test_circular_fragments_are_refused_quickly(
    client: httpx.AsyncClient, demo, auth: Auth, document: str, message: str
):
    body = await asyncio.wait_for(gql(client, document, headers=auth.admin), timeout=5)
    assert body["data"] is None
    assert error_codes(body) == ["GRAPHQL_VALIDATION_FAILED"], body
    assert body["errors"][0]["message"] == message


@pytest.mark.parametrize(
    ("first", "code"),
    [
        ("101", "BAD_USER_INPUT"),
        ("-1", "BAD_USER_INPUT"),
        ("1000000", "QUERY_TOO_COMPLEX"),
        ("2147483647", "QUERY_TOO_COMPLEX"),
        ("2147483648", "QUERY_TOO_COMPLEX"),  # not even a GraphQL Int
        ("99999999999999999999", "QUERY_TOO_COMPLEX"),
    ],
)
async def test_huge_first_is_refused(
    client: httpx.AsyncClient, demo, auth: Auth, first: str, code: str
):
    literal = await gql(
        client, f"{{ people(first: {first}) {{ totalCount }} }}", headers=auth.admin
    )
    assert error_codes(literal) == [code], literal
    variable = await gql(
        client, "query($n: Int) { people(first: $n) { totalCount } }", {"n": int(first)}, auth.admin
    )
    # The same answer as the literal: the cost is counted before the variable is coerced,
    # so even a value beyond 32 bits is refused as too costly.
    assert error_codes(variable) == [code], variable
    assert variable["errors"][0]["message"] == literal["errors"][0]["message"]


async def test_nested_pages_multiply_into_the_cost_budget(client: httpx.AsyncClient, demo, auth):
    document = """{ people(first: 100) { nodes { assignments(first: 100) { nodes {
        mentor { activities(first: 100) { totalCount } } } } } } }"""
    assert error_codes(await gql(client, document, headers=auth.admin)) == ["QUERY_TOO_COMPLEX"]


@pytest.mark.parametrize("value", [123, 1.5, True, ["asgn_001"], {"id": "asgn_001"}])
async def test_wrong_types_in_variables_are_bad_user_input(
    client: httpx.AsyncClient, demo, auth: Auth, value: object
):
    body = await gql(
        client,
        "query($id: String!) { assignment(id: $id) { legacyId } }",
        {"id": value},
        auth.admin,
    )
    assert error_codes(body) == ["BAD_USER_INPUT"], body


async def test_wrong_types_in_literals_are_bad_user_input(client: httpx.AsyncClient, demo, auth):
    # The same code as the same wrong value sent as a variable (tests/test_error_vocabulary.py).
    for document in (
        "{ assignment(id: 123) { legacyId } }",
        '{ people(first: "10") { totalCount } }',
        "{ assignments(status: 1) { totalCount } }",
    ):
        body = await gql(client, document, headers=auth.admin)
        assert error_codes(body) == ["BAD_USER_INPUT"], body


async def test_token_of_a_person_deleted_through_the_api_stops_working(
    client: httpx.AsyncClient, live_url: str, demo, auth: Auth, caplog: pytest.LogCaptureFixture
):
    mentor = auth.mentor("user_055")
    assert (await client.get("/api/v1/me", headers=mentor)).status_code == 200
    key = await gql(
        client,
        'mutation { createApiKey(input: {name: "k", personId: "user_055", role: "peer_mentor",'
        ' orgs: ["org_03"]}) { key } }',
        headers=auth.admin,
    )
    api_key = {"X-API-Key": key["data"]["createApiKey"]["key"]}
    assert (await client.get("/api/v1/me", headers=api_key)).status_code == 200

    deleted = await gql(client, 'mutation { deletePerson(id: "user_055") }', headers=auth.admin)
    assert deleted["data"] == {"deletePerson": True}

    for headers in (mentor, api_key):
        rest = await client.get("/api/v1/assignments", headers=headers)
        assert rest.status_code == 401
        assert rest.json()["code"] == "UNAUTHENTICATED"
        assert error_codes(await gql(client, "{ me { name } }", headers=headers)) == [
            "UNAUTHENTICATED"
        ]
    caplog.set_level(logging.INFO, logger="gateway.graphql")
    async with connect(
        f"ws://{live_url}/graphql", subprotocols=[Subprotocol("graphql-transport-ws")]
    ) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": mentor}))
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), timeout=5)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 4403
    refusals = [r for r in caplog.records if "websocket connection refused" in r.getMessage()]
    assert refusals
    assert getattr(refusals[0], "request_id", None)
