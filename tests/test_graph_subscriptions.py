"""``notificationRaised`` over graphql-transport-ws: the follow-up sweep's reminders and
escalations reach the coordinators of the assignment's organisation and its mentor, and
nobody else. (The other subscriptions have their tests next to their domains.)"""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from app.timeutil import utcnow
from tests.authz_support import World, role_headers
from tests.conftest import LiveServer
from tests.helpers import Auth, wait_for_subscribers

PROTOCOL = Subprotocol("graphql-transport-ws")
RAISED = """subscription($kind: NotificationKind) { notificationRaised(kind: $kind) {
    legacyId kind assignment { legacyId mentor { legacyId } organisation { legacyId } } } }"""
SWEEP = """mutation { runFollowUpSweep { reminders escalations
    notifications { legacyId kind assignment { mentor { legacyId } } } } }"""


async def _receive(ws: ClientConnection) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), timeout=5))
    assert message["type"] == "next", message
    raised: dict[str, Any] = message["payload"]["data"]["notificationRaised"]
    return raised


async def _subscribe(
    ws: ClientConnection, headers: dict[str, str], variables: dict[str, Any]
) -> None:
    await ws.send(json.dumps({"type": "connection_init", "payload": headers}))
    assert json.loads(await asyncio.wait_for(ws.recv(), timeout=5))["type"] == "connection_ack"
    payload = {"query": RAISED, "variables": variables}
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))


async def test_sweep_notifications_reach_coordinators_and_the_mentor(
    live_server: LiveServer, demo, auth: Auth
):
    """Each notification reaches its organisation's coordinators and (reminders) its
    mentor, once. Fails if ``may_see_event``/``visible_notification`` lets org_05's
    coordinator hear org_03's, if the ``kind`` filter is dropped (the mentor would hear
    an escalation before the fence), or if a sweep raises or publishes anything twice."""
    live_url = live_server.url
    url = f"ws://{live_url}/graphql"
    before = live_server.app.state.events.subscriber_count
    async with (
        connect(url, subprotocols=[PROTOCOL]) as coordinator_ws,
        connect(url, subprotocols=[PROTOCOL]) as mentor_ws,
        connect(url, subprotocols=[PROTOCOL]) as stranger_ws,
        httpx.AsyncClient(base_url=f"http://{live_url}") as http,
    ):
        await _subscribe(coordinator_ws, auth.coordinator, {})
        await _subscribe(mentor_ws, auth.mentor("user_019"), {"kind": "REMINDER"})
        await _subscribe(stranger_ws, auth.other_coordinator, {})  # org_05: nothing due
        await wait_for_subscribers(live_server.app, before + 3)

        response = await http.post("/graphql", json={"query": SWEEP}, headers=auth.admin)
        assert response.status_code == 200, response.text
        assert "errors" not in response.json(), response.text
        sweep = response.json()["data"]["runFollowUpSweep"]
        raised = sweep["notifications"]
        assert len(raised) == sweep["reminders"] + sweep["escalations"] > 0

        seen = [await _receive(coordinator_ws) for _ in raised]
        assert {event["legacyId"] for event in seen} == {n["legacyId"] for n in raised}
        assert {event["assignment"]["organisation"]["legacyId"] for event in seen} == {"org_03"}

        mine = [
            n["legacyId"]
            for n in raised
            if n["kind"] == "REMINDER" and n["assignment"]["mentor"]["legacyId"] == "user_019"
        ]
        assert len(mine) == 1
        event = await _receive(mentor_ws)
        assert (event["legacyId"], event["kind"]) == (mine[0], "REMINDER")
        assert event["assignment"]["mentor"] == {"legacyId": "user_019"}

        # A second sweep raises nothing new.
        again = await http.post("/graphql", json={"query": SWEEP}, headers=auth.admin)
        assert again.json()["data"]["runFollowUpSweep"]["notifications"] == []

        # Nobody heard more than the above: the next event each one hears is a reminder of
        # a later sweep, raised for an assignment made due after the second sweep.
        world = World(http, auth, role_headers(auth))
        mine_later = await _due(world, "user_019", "org_03", days=15)  # org_03 reminds at 10
        theirs = await _due(world, "user_202", "org_05", days=10)  # org_05 reminds at 7
        third = await http.post("/graphql", json={"query": SWEEP}, headers=auth.admin)
        fences = third.json()["data"]["runFollowUpSweep"]
        assert (fences["reminders"], fences["escalations"]) == (2, 0), fences
        for ws, fence in (
            (coordinator_ws, mine_later),
            (mentor_ws, mine_later),
            (stranger_ws, theirs),
        ):
            event = await _receive(ws)
            assert (event["kind"], event["assignment"]["legacyId"]) == ("REMINDER", fence), event


async def _due(world: World, mentor: str, org: str, *, days: int) -> str:
    """A new assignment of ``mentor`` in ``org`` whose contact gap began ``days`` ago."""
    mentee = await world.new_mentee(org)
    body = {"mentor_id": mentor, "contact_id": mentee, "org_id": org}
    key = str((await world.ok("POST", "/api/v1/assignments", body=body))["assignment_id"])
    start = (utcnow() - timedelta(days=days)).date().isoformat()
    await world.ok("PUT", f"/api/v1/assignments/{key}", body={"start_date": start})
    return key
