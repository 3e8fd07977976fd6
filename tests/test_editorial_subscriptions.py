"""``lockChanged`` over graphql-transport-ws against a real server: lock changes made through
either door reach subscribers, filtered by srn; the ACL action is checked."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from tests.conftest import LiveServer
from tests.editorial_support import EXAMPLE_SRN, OTHER, srn_of
from tests.helpers import Auth, wait_for_subscribers

PROTOCOL = Subprotocol("graphql-transport-ws")
QUERY = (
    "subscription($srn: String) { lockChanged(srn: $srn) { kind srn lockUuid holderId expiresAt } }"
)


async def _receive(ws: ClientConnection) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), timeout=5))
    return message


async def _subscribe(ws: ClientConnection, headers: dict[str, str], srn: str | None = None) -> None:
    await ws.send(json.dumps({"type": "connection_init", "payload": headers}))
    assert (await _receive(ws))["type"] == "connection_ack"
    payload = {"query": QUERY, "variables": {"srn": srn}}
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))


async def _next(ws: ClientConnection) -> dict[str, Any]:
    message = await _receive(ws)
    assert message["type"] == "next", message
    change: dict[str, Any] = message["payload"]["data"]["lockChanged"]
    return change


async def test_lock_changes_reach_subscribers(live_server: LiveServer, demo, auth: Auth):
    live_url = live_server.url
    url = f"ws://{live_url}/graphql"
    before = live_server.app.state.events.subscriber_count
    async with (
        connect(url, subprotocols=[PROTOCOL]) as everything,
        connect(url, subprotocols=[PROTOCOL]) as other_only,
        httpx.AsyncClient(base_url=f"http://{live_url}") as http,
    ):
        await _subscribe(everything, auth.editor)
        await _subscribe(other_only, auth("user_019", "editor"), srn_of(OTHER.lower()))
        await wait_for_subscribers(live_server.app, before + 2)
        taken = await http.post("/v3/lock-request", json={"srn": EXAMPLE_SRN}, headers=auth.editor)
        lock = taken.json()
        acquired = await _next(everything)
        assert acquired["kind"] == "ACQUIRED"
        assert (acquired["srn"], acquired["lockUuid"]) == (EXAMPLE_SRN, lock["uuid"])
        assert acquired["holderId"] == "editor_001"
        assert acquired["expiresAt"].startswith(lock["expires_at"].replace(" ", "T"))

        renew = {"query": f'mutation {{ renewEditorialLock(uuid: "{lock["uuid"]}") {{ uuid }} }}'}
        await http.post("/graphql", json=renew, headers=auth.editor)
        assert (await _next(everything))["kind"] == "RENEWED"

        await http.delete(f"/v3/lock-request/{lock['uuid']}", headers=auth.admin)
        broken = await _next(everything)
        assert (broken["kind"], broken["holderId"], broken["expiresAt"]) == (
            "BROKEN",
            "editor_001",
            None,
        )

        other = await http.post(
            "/v3/lock-request", json={"srn": srn_of(OTHER)}, headers=auth("user_019", "editor")
        )
        assert other.status_code == 200
        # The first event this subscriber hears is the later one on OTHER: the three
        # EXAMPLE events before it were filtered out (no waiting for silence needed).
        filtered = await _next(other_only)
        assert (filtered["kind"], filtered["srn"]) == ("ACQUIRED", srn_of(OTHER))
        assert (await _next(everything))["srn"] == srn_of(OTHER)


async def test_subscription_needs_the_acl_action(live_url: str, demo, auth: Auth):
    async with connect(f"ws://{live_url}/graphql", subprotocols=[PROTOCOL]) as ws:
        await _subscribe(ws, auth.coordinator)
        message = await _receive(ws)
        assert message["type"] == "next", message
        assert message["payload"]["data"] is None
        error = message["payload"]["errors"][0]
        assert error["extensions"]["code"] == "FORBIDDEN"
        assert "LOCKREQUEST get" in error["message"]
