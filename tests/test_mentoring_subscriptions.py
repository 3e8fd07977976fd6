"""``assignmentChanged`` over graphql-transport-ws: changes from either door reach the
subscribers who may see the assignment, and nobody else."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from tests.authz_support import World, role_headers
from tests.conftest import LiveServer
from tests.helpers import Auth, wait_for_subscribers

PROTOCOL = Subprotocol("graphql-transport-ws")
QUERY = "subscription { assignmentChanged { kind assignmentId assignment { legacyId notes } } }"


async def _receive(ws: ClientConnection) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), timeout=5))
    return message


async def _subscribe(ws: ClientConnection, headers: dict[str, str]) -> None:
    await ws.send(json.dumps({"type": "connection_init", "payload": headers}))
    assert (await _receive(ws))["type"] == "connection_ack"
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": QUERY}}))


async def test_changes_from_both_doors_reach_who_may_see_them(
    live_server: LiveServer, demo, auth: Auth
):
    """Fails if ``may_see_event`` lets a mentor hear another mentor's assignment or a
    coordinator another organisation's (the fence would not be the next event heard),
    or forgets the previous mentor of a reassigned assignment."""
    live_url = live_server.url
    before = live_server.app.state.events.subscriber_count
    async with (
        connect(f"ws://{live_url}/graphql", subprotocols=[PROTOCOL]) as coordinator_ws,
        connect(f"ws://{live_url}/graphql", subprotocols=[PROTOCOL]) as mentor_ws,
        connect(f"ws://{live_url}/graphql", subprotocols=[PROTOCOL]) as stranger_ws,
        httpx.AsyncClient(base_url=f"http://{live_url}") as http,
    ):
        await _subscribe(coordinator_ws, auth.coordinator)
        await _subscribe(mentor_ws, auth.mentor("user_042"))
        await _subscribe(stranger_ws, auth.other_coordinator)
        await wait_for_subscribers(live_server.app, before + 3)

        rest = await http.put(
            "/api/v1/assignments/asgn_001", json={"notes": "via REST"}, headers=auth.coordinator
        )
        assert rest.status_code == 200, rest.text
        for ws in (coordinator_ws, mentor_ws):
            event = await _receive(ws)
            assert event["payload"]["data"]["assignmentChanged"] == {
                "kind": "updated",
                "assignmentId": "asgn_001",
                "assignment": {"legacyId": "asgn_001", "notes": "via REST"},
            }

        graphql = await http.post(
            "/graphql",
            json={
                "query": 'mutation { recordContact(id: "asgn_002", contactType: CALL) { version } }'
            },
            headers=auth.coordinator,
        )
        assert graphql.json() == {"data": {"recordContact": {"version": 2}}}, graphql.text
        event = await _receive(coordinator_ws)
        assert event["payload"]["data"]["assignmentChanged"]["kind"] == "contacted"
        assert event["payload"]["data"]["assignmentChanged"]["assignmentId"] == "asgn_002"

        # reassigned away from user_042: they still hear of it, but no longer see it
        moved = await http.put(
            "/api/v1/assignments/asgn_001",
            json={"peer_mentor_id": "user_055"},
            headers=auth.coordinator,
        )
        assert moved.status_code == 200, moved.text
        await _receive(coordinator_ws)
        event = await _receive(mentor_ws)
        change = event["payload"]["data"]["assignmentChanged"]
        assert change["kind"] == "updated"
        assert change["assignment"] is None

        # asgn_002 is not user_042's, and nothing of org_03 reaches org_05's coordinator:
        # the next event each hears is a later assignment made for them to see.
        world = World(http, auth, role_headers(auth))
        for ws, org in ((mentor_ws, "org_03"), (stranger_ws, "org_05")):
            fence = await world.new_assignment(org)  # org_03: user_042's
            event = (await _receive(ws))["payload"]["data"]["assignmentChanged"]
            assert (event["kind"], event["assignmentId"]) == ("created", fence), event
