"""Subscriptions over graphql-transport-ws against a real server: authenticated at
connection_init, events after mutations, filtered by what the subscriber may see."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from tests.conftest import LiveServer
from tests.helpers import Auth, wait_for_subscribers

PROTOCOL = Subprotocol("graphql-transport-ws")


async def _receive(ws: ClientConnection) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), timeout=5))
    return message


async def _subscribe(ws: ClientConnection, headers: dict[str, str], query: str) -> None:
    await ws.send(json.dumps({"type": "connection_init", "payload": headers}))
    ack = await _receive(ws)
    assert ack["type"] == "connection_ack", ack
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))


async def test_connection_without_token_is_rejected(live_url: str, demo):
    async with connect(f"ws://{live_url}/graphql", subprotocols=[PROTOCOL]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), timeout=5)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 4403


async def test_person_change_reaches_the_subscriber_who_may_see_it(
    live_server: LiveServer, demo, auth: Auth
):
    live_url = live_server.url
    query = "subscription { personChanged { kind personId } }"
    before = live_server.app.state.events.subscriber_count
    async with (
        connect(f"ws://{live_url}/graphql", subprotocols=[PROTOCOL]) as admin_ws,
        connect(f"ws://{live_url}/graphql", subprotocols=[PROTOCOL]) as mentor_ws,
        httpx.AsyncClient(base_url=f"http://{live_url}") as http,
    ):
        await _subscribe(admin_ws, auth.admin, query)
        await _subscribe(mentor_ws, auth.mentor("user_019"), query)
        await wait_for_subscribers(live_server.app, before + 2)
        response = await http.post(
            "/graphql",
            json={
                "query": 'mutation { updatePerson(id: "user_042", input: {name: "Ola H."}) { name } }'
            },
            headers=auth.admin,
        )
        assert response.json()["data"]["updatePerson"]["name"] == "Ola H."
        event = await _receive(admin_ws)
        assert event["type"] == "next"
        assert event["payload"]["data"]["personChanged"] == {
            "kind": "updated",
            "personId": "user_042",
        }
        # user_019 may not see user_042's changes: the first event they hear is a later
        # change to their own record.
        own = await http.post(
            "/graphql",
            json={
                "query": 'mutation { updatePerson(id: "user_019", input: {name: "Kari N."}) '
                "{ name } }"
            },
            headers=auth.admin,
        )
        assert own.json()["data"]["updatePerson"]["name"] == "Kari N.", own.text
        assert (await _receive(admin_ws))["payload"]["data"]["personChanged"]["personId"] == (
            "user_019"
        )
        heard = await _receive(mentor_ws)
        assert heard["type"] == "next", heard
        assert heard["payload"]["data"]["personChanged"] == {
            "kind": "updated",
            "personId": "user_019",
        }
