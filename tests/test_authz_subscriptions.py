"""The authorization matrix of GraphQL subscriptions: every Subscription root field by every
role, over graphql-transport-ws against a real server.

All seven callers subscribe at once; then changes are made to the world's org_03 and
org_05 records (through the same server, so its event broker carries them). Each cell is
the error code a caller got at subscription time, or which of the two records' events
reached them (``both``/``o3``/``o5``/``none``). Anonymous callers are refused at
``connection_init`` (close code 4403).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from app.settings import Settings
from schema import build_schema
from tests.authz_support import ROLES, World, build_world, seen, unique
from tests.helpers import Auth

PROTOCOL = Subprotocol("graphql-transport-ws")
DENIED, ANON = "FORBIDDEN", "UNAUTHENTICATED"
QUIET_SECONDS = 1.0  # a subscriber that heard nothing for this long has heard everything
Trigger = Callable[[World], Awaitable[None]]


async def _rename_people(world: World) -> None:
    for person in (world.o3["person"], world.o5["person"]):
        await world.gql(
            "mutation($id: String!) { updatePerson(id: $id, input: {email: null}) { name } }",
            {"id": person},
        )


async def _take_locks(world: World) -> None:
    # Locks are not organisational: the o3 record is one lock, the o5 one another.
    for side in (world.o3, world.o5):
        uuid = await world.new_editorial()
        side["srn"] = f"srn:tsn:ceo-core/assignment:{uuid}"
        await world.ok("POST", "/v3/lock-request", "editor", {"srn": side["srn"]})


async def _confirm_activities(world: World) -> None:
    for activity in (world.o3["activity"], world.o5["activity"]):
        await world.gql(
            "mutation($id: String!) { confirmActivity(id: $id) { status } }", {"id": activity}
        )


async def _touch_assignments(world: World) -> None:
    for assignment in (world.o3["assignment"], world.o5["assignment"]):
        await world.ok("PUT", f"/api/v1/assignments/{assignment}", body={"notes": unique("n")})


async def _sweep_due_assignments(world: World) -> None:
    for side, org in ((world.o3, "org_03"), (world.o5, "org_05")):
        key = await world.new_assignment(org)
        await world.ok("PUT", f"/api/v1/assignments/{key}", body={"start_date": "2026-01-01"})
        side["due"] = key
    await world.gql("mutation { runFollowUpSweep { reminders } }", {})


async def _detect(world: World) -> None:
    for org in ("org_03", "org_05"):
        await world.new_milestone(org)


@dataclass(frozen=True)
class Sub:
    field: str
    doc: str
    expect: tuple[str, ...]
    kind: str  # the world's record kind the events name
    trigger: Trigger


def sub(field: str, doc: str, *expect: str, kind: str, trigger: Trigger) -> Sub:
    assert len(expect) == len(ROLES), field
    return Sub(field, doc, expect, kind, trigger)


# fmt: off
SUBSCRIPTIONS: tuple[Sub, ...] = (
    #                                                           admin   coord   other   owner   peer    editor  anon
    sub("personChanged", "subscription { personChanged { personId } }",
                                                                "both", "none", "none", "o3",   "none", "none", ANON,
        kind="person", trigger=_rename_people),
    sub("lockChanged", "subscription { lockChanged { srn } }",
                                                                "both", DENIED, DENIED, DENIED, DENIED, "both", ANON,
        kind="srn", trigger=_take_locks),
    sub("activityStatusChanged", "subscription { activityStatusChanged { activityId } }",
                                                                "both", "o3",   "o5",   "o3",   "none", DENIED, ANON,
        kind="activity", trigger=_confirm_activities),
    sub("assignmentChanged", "subscription { assignmentChanged { assignmentId } }",
                                                                "both", "o3",   "o5",   "o3",   "none", DENIED, ANON,
        kind="assignment", trigger=_touch_assignments),
    sub("notificationRaised", "subscription { notificationRaised { assignment { legacyId } } }",
                                                                "both", "o3",   "o5",   "o3",   "none", DENIED, ANON,
        kind="due", trigger=_sweep_due_assignments),
    sub("milestoneAchieved", "subscription { milestoneAchieved { mentor { legacyId } } }",
                                                                "both", "o3",   "o5",   "o3",   "none", DENIED, ANON,
        kind="person", trigger=_detect),
)
# fmt: on

ROWS = {s.field: s for s in SUBSCRIPTIONS}


def test_every_subscription_has_a_row():
    graphql = build_schema(Settings(_env_file=None))._schema
    assert graphql.subscription_type is not None
    assert [s.field for s in SUBSCRIPTIONS] == list(graphql.subscription_type.fields)


async def _subscribe(ws: ClientConnection, headers: dict[str, str], doc: str) -> str | None:
    """Subscribe; ``ANON`` when the connection is refused."""
    await ws.send(json.dumps({"type": "connection_init", "payload": headers}))
    try:
        ack = json.loads(await asyncio.wait_for(ws.recv(), timeout=5))
    except ConnectionClosed as closed:
        code = closed.rcvd.code if closed.rcvd is not None else None
        return ANON if code == 4403 else f"closed {code}"
    assert ack["type"] == "connection_ack", ack
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": doc}}))
    return None


async def _heard(ws: ClientConnection) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    while True:
        try:
            messages.append(json.loads(await asyncio.wait_for(ws.recv(), QUIET_SECONDS)))
        except TimeoutError:
            return messages


def _outcome(world: World, kind: str, messages: list[dict[str, Any]]) -> str:
    for message in messages:
        errors = message.get("payload", {}).get("errors") if message["type"] == "next" else None
        if message["type"] == "error":
            errors = message["payload"]
        if errors:
            return str(errors[0].get("extensions", {}).get("code"))
    return seen(world, kind, [m["payload"] for m in messages])


@pytest.mark.parametrize("field", list(ROWS))
async def test_matrix(live_url: str, demo, auth: Auth, field: str):
    s = ROWS[field]
    async with AsyncExitStack() as stack:
        http = await stack.enter_async_context(httpx.AsyncClient(base_url=f"http://{live_url}"))
        world = await build_world(http, auth)
        sockets = {
            who: await stack.enter_async_context(
                connect(f"ws://{live_url}/graphql", subprotocols=[PROTOCOL])
            )
            for who in ROLES
        }
        refused = {
            who: await _subscribe(ws, world.headers[who], s.doc) for who, ws in sockets.items()
        }
        await asyncio.sleep(0.2)  # let the server register the subscriptions
        await s.trigger(world)
        listening = [who for who in ROLES if refused[who] is None]
        heard = await asyncio.gather(*(_heard(sockets[who]) for who in listening))
        outcomes = {who: refused[who] for who in ROLES if refused[who] is not None}
        outcomes |= {
            who: _outcome(world, s.kind, messages)
            for who, messages in zip(listening, heard, strict=True)
        }
    assert outcomes == dict(zip(ROLES, s.expect, strict=True))
