"""The authorization matrix of GraphQL subscriptions: every Subscription root field by every
role, over graphql-transport-ws against a real server.

All seven callers subscribe at once; once the server has registered every subscription
that is allowed, changes are made to the world's org_03 and org_05 records (through the
same server, so its event broker carries them). Each cell is the error code a caller got
at subscription time, or which of the two records' events reached them
(``both``/``o3``/``o5``/``none``). Anonymous callers are refused at ``connection_init``
(close code 4403).

"Heard nothing" is proven, not waited for: after the trigger, a fence makes one more
change per caller that this caller must hear (``Fence``). Events reach a subscriber in the
order they were published, so what a caller heard of the trigger is exactly what arrived
before its fence; a caller that never hears its fence shows ``no fence``.
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
from tests.authz_support import OTHER_MENTOR, OWNER, ROLES, World, build_world, seen, unique
from tests.conftest import LiveServer
from tests.helpers import Auth, wait_for_subscribers, wait_for_unsubscribed

PROTOCOL = Subprotocol("graphql-transport-ws")
DENIED, ANON = "FORBIDDEN", "UNAUTHENTICATED"
NO_FENCE = "no fence"  # the outcome of a caller that never heard its fence
Trigger = Callable[[World], Awaitable[None]]


@dataclass(frozen=True)
class Fence:
    """What each caller must hear after the trigger: ``ends[who]`` is a text found only in
    the event that ends what ``who`` heard; an event holding any of ``marks`` is a fence
    event (for another caller), not part of the outcome."""

    ends: dict[str, str]
    marks: frozenset[str]


FenceMaker = Callable[[World], Awaitable[Fence]]


def _fence(ends: dict[str, str], *marks: str) -> Fence:
    """A fence; a caller without an end of its own (one expected to be refused) waits for
    the admin's, the last fence event."""
    return Fence(ends | {who: ends["admin"] for who in ROLES if who not in ends}, frozenset(marks))


# --- triggers (the o3 and o5 records change) and fences (one more change per caller) ----


async def _rename_people(world: World) -> None:
    for person in (world.o3["person"], world.o5["person"]):
        await world.gql(
            "mutation($id: String!) { updatePerson(id: $id, input: {email: null}) { name } }",
            {"id": person},
        )


async def _people_fence(world: World) -> Fence:
    # Everyone but admins hears only themselves; the owner *is* the o3 person, so their
    # fence is another kind of change (their deletion), last so admins end with it too.
    others = {"coordinator": "user_007", "other_coordinator": "user_201"}
    others |= {"other_mentor": OTHER_MENTOR, "editor": "editor_001"}
    for person in others.values():
        await world.gql(
            "mutation($id: String!) { updatePerson(id: $id, input: {email: null}) { name } }",
            {"id": person},
        )
    deleted = await world.gql("mutation($id: String!) { deletePerson(id: $id) }", {"id": OWNER})
    assert deleted == {"deletePerson": True}
    ends = {who: f'"{person}"' for who, person in others.items()}
    return _fence(ends | {"admin": '"deleted"', "owner": '"deleted"'}, *ends.values())


async def _take_locks(world: World) -> None:
    # Locks are not organisational: the o3 record is one lock, the o5 one another.
    for side in (world.o3, world.o5):
        uuid = await world.new_editorial()
        side["srn"] = f"srn:tsn:ceo-core/assignment:{uuid}"
        await world.ok("POST", "/v3/lock-request", "editor", {"srn": side["srn"]})


async def _locks_fence(world: World) -> Fence:
    srn = f"srn:tsn:ceo-core/assignment:{await world.new_editorial()}"
    await world.ok("POST", "/v3/lock-request", "editor", {"srn": srn})
    return _fence({"admin": srn}, srn)


async def _confirm_activities(world: World) -> None:
    for activity in (world.o3["activity"], world.o5["activity"]):
        await world.gql(
            "mutation($id: String!) { confirmActivity(id: $id) { status } }", {"id": activity}
        )


async def _activity_of(world: World, mentor: str) -> str:
    body = {
        "local_id": unique("fence-"),
        "peer_mentor_id": mentor,
        "activity_type_id": "type_call",
        "date": "2026-11-03",
        "duration_minutes": 30,
    }
    return str((await world.ok("POST", "/api/v1/activities", body=body))["id"])


async def _activities_fence(world: World) -> Fence:
    made = {
        mentor: await _activity_of(world, mentor) for mentor in (OWNER, OTHER_MENTOR, "user_202")
    }
    for activity in made.values():
        confirmed = await world.gql(
            "mutation($id: String!) { confirmActivity(id: $id) { status } }", {"id": activity}
        )
        assert confirmed == {"confirmActivity": {"status": "CONFIRMED"}}
    return _by_mentor(made)


def _by_mentor(made: dict[str, str]) -> Fence:
    """Fence events, in this order, of the owner's, the other mentor's and an org_05
    mentor's records: each caller ends with the first one it may see (admins the last)."""
    ends = {"owner": made[OWNER], "coordinator": made[OWNER], "other_mentor": made[OTHER_MENTOR]}
    ends |= {"other_coordinator": made["user_202"], "admin": made["user_202"]}
    return _fence({who: f'"{key}"' for who, key in ends.items()}, *made.values())


async def _touch_assignments(world: World) -> None:
    for assignment in (world.o3["assignment"], world.o5["assignment"]):
        await world.ok("PUT", f"/api/v1/assignments/{assignment}", body={"notes": unique("n")})


async def _assignment_of(world: World, mentor: str, org: str) -> str:
    mentee = await world.new_mentee(org)
    body = {"mentor_id": mentor, "contact_id": mentee, "org_id": org}
    return str((await world.ok("POST", "/api/v1/assignments", body=body))["assignment_id"])


async def _assignments_fence(world: World) -> Fence:
    made: dict[str, str] = {}
    for mentor, org in ((OWNER, "org_03"), (OTHER_MENTOR, "org_03"), ("user_202", "org_05")):
        made[mentor] = await _assignment_of(world, mentor, org)  # its "created" event
    return _by_mentor(made)


async def _sweep_due_assignments(world: World) -> None:
    for side, org in ((world.o3, "org_03"), (world.o5, "org_05")):
        key = await world.new_assignment(org)
        await world.ok("PUT", f"/api/v1/assignments/{key}", body={"start_date": "2026-01-01"})
        side["due"] = key
    swept = await world.gql("mutation { runFollowUpSweep { reminders } }", {})
    assert swept["runFollowUpSweep"]["reminders"] >= 2, swept


async def _notifications_fence(world: World) -> Fence:
    made: dict[str, str] = {}
    for mentor, org in ((OWNER, "org_03"), (OTHER_MENTOR, "org_03"), ("user_202", "org_05")):
        key = await _assignment_of(world, mentor, org)
        await world.ok("PUT", f"/api/v1/assignments/{key}", body={"start_date": "2026-01-01"})
        made[mentor] = key
    swept = await world.gql("mutation { runFollowUpSweep { reminders } }", {})
    assert swept == {"runFollowUpSweep": {"reminders": 3}}, swept
    return _by_mentor(made)


async def _detect(world: World) -> None:
    for side, org in ((world.o3, "org_03"), (world.o5, "org_05")):
        side["achieved"] = await world.new_milestone(org)


async def _milestones_fence(world: World) -> Fence:
    made: dict[str, str] = {}
    for mentor in (OWNER, OTHER_MENTOR, "user_202"):
        detected = await world.ok(
            "POST", "/api/v1/milestones?limit=100", body=world.detect_body(mentor)
        )
        made[mentor] = str(next(m["id"] for m in detected["data"] if m["threshold"] == 10))
    return _by_mentor(made)


@dataclass(frozen=True)
class Sub:
    field: str
    doc: str
    expect: tuple[str, ...]
    kind: str  # the world's record kind the events name
    trigger: Trigger
    fence: FenceMaker


def sub(field: str, doc: str, *expect: str, kind: str, trigger: Trigger, fence: FenceMaker) -> Sub:
    assert len(expect) == len(ROLES), field
    return Sub(field, doc, expect, kind, trigger, fence)


# fmt: off
SUBSCRIPTIONS: tuple[Sub, ...] = (
    #                                                           admin   coord   other   owner   peer    editor  anon
    sub("personChanged", "subscription { personChanged { kind personId } }",
                                                                "both", "none", "none", "o3",   "none", "none", ANON,
        kind="person", trigger=_rename_people, fence=_people_fence),
    sub("lockChanged", "subscription { lockChanged { srn } }",
                                                                "both", DENIED, DENIED, DENIED, DENIED, "both", ANON,
        kind="srn", trigger=_take_locks, fence=_locks_fence),
    sub("activityStatusChanged", "subscription { activityStatusChanged { activityId } }",
                                                                "both", "o3",   "o5",   "o3",   "none", DENIED, ANON,
        kind="activity", trigger=_confirm_activities, fence=_activities_fence),
    sub("assignmentChanged", "subscription { assignmentChanged { assignmentId } }",
                                                                "both", "o3",   "o5",   "o3",   "none", DENIED, ANON,
        kind="assignment", trigger=_touch_assignments, fence=_assignments_fence),
    sub("notificationRaised", "subscription { notificationRaised { assignment { legacyId } } }",
                                                                "both", "o3",   "o5",   "o3",   "none", DENIED, ANON,
        kind="due", trigger=_sweep_due_assignments, fence=_notifications_fence),
    sub("milestoneAchieved", "subscription { milestoneAchieved { legacyId mentor { legacyId } } }",
                                                                "both", "o3",   "o5",   "o3",   "none", DENIED, ANON,
        kind="achieved", trigger=_detect, fence=_milestones_fence),
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


async def _heard(ws: ClientConnection, end: str, marks: frozenset[str]) -> list[dict[str, Any]]:
    """What arrived before the event holding ``end`` (fence events left out), or before
    the subscription ended (an error). A caller that hears no fence within 5 s (the
    failure bound) gets a ``NO_FENCE`` message last."""
    messages: list[dict[str, Any]] = []
    while True:
        try:
            raw = await asyncio.wait_for(ws.recv(), timeout=5)
        except TimeoutError:
            return [*messages, {"type": NO_FENCE}]
        message = json.loads(raw)
        if message["type"] != "next":
            return [*messages, message]
        text = json.dumps(message["payload"])
        if end in text:
            return messages
        if not any(mark in text for mark in marks):
            messages.append(message)


def _outcome(world: World, kind: str, messages: list[dict[str, Any]]) -> str:
    for message in messages:
        errors = message.get("payload", {}).get("errors") if message["type"] == "next" else None
        if message["type"] == "error":
            errors = message["payload"]
        if errors:
            return str(errors[0].get("extensions", {}).get("code"))
        if message["type"] == NO_FENCE:
            return NO_FENCE
    return seen(world, kind, [m["payload"] for m in messages])


@pytest.mark.parametrize("field", list(ROWS))
async def test_matrix(live_server: LiveServer, demo, auth: Auth, field: str):
    """Fails if a subscription's check (``require``/``may_see_event``) is removed or
    widened (a denied caller subscribes, a caller hears the other organisation's record),
    or narrowed (an allowed caller is refused or misses its record or its fence)."""
    s = ROWS[field]
    live_url, app = live_server.url, live_server.app
    before = app.state.events.subscriber_count
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
        allowed = [cell for cell in s.expect if cell not in (DENIED, ANON)]
        await wait_for_subscribers(app, before + len(allowed))
        await s.trigger(world)
        fence = await s.fence(world)
        listening = [who for who in ROLES if refused[who] is None]
        heard = await asyncio.gather(
            *(_heard(sockets[who], fence.ends[who], fence.marks) for who in listening)
        )
        outcomes = {who: refused[who] for who in ROLES if refused[who] is not None}
        outcomes |= {
            who: _outcome(world, s.kind, messages)
            for who, messages in zip(listening, heard, strict=True)
        }
    await wait_for_unsubscribed(app, before)  # the next test counts from here again
    assert outcomes == dict(zip(ROLES, s.expect, strict=True))
