"""The event log: subscribers get every committed change once and in commit order,
whichever process made it, and a subscriber that names the last event id it saw gets
what it missed, then live events, with nothing repeated or skipped.

What makes these fail: outbox ids out of commit order on PostgreSQL (concurrent writers
without the ordering lock: a reader that saw a higher id can miss a lower one committed
later; the 24 concurrent writers of the first test catch it in most runs); the follower delivering only what this process published (the CLI's events never
arrive); the backlog and the live queue overlapping or leaving a gap; a purged or unknown
``after`` accepted silently; the GraphQL subscription ignoring ``after``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx
import pytest
from sqlalchemy import delete
from starlette.applications import Starlette
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from app.db import Database
from app.errors import InvalidInput
from app.events import Event, EventKind
from app.models.outbox import OutboxEntry
from app.repositories import outbox as repo
from app.services.event_log import EventLog
from app.services.work import Unit, Work
from app.settings import Settings
from tests.conftest import LiveServer
from tests.helpers import Auth

PROTOCOL = Subprotocol("graphql-transport-ws")


async def _changed(unit: Unit, key: str) -> None:
    unit.record(EventKind.PERSON_UPDATED, key)


@pytest.fixture
def log(app: Starlette) -> EventLog:
    return app.state.event_log  # type: ignore[no-any-return]


@pytest.fixture
def work(app: Starlette) -> Work:
    return app.state.work  # type: ignore[no-any-return]


async def _take(events: AsyncIterator[Event], count: int) -> list[Event]:
    return [await asyncio.wait_for(anext(events), 10) for _ in range(count)]


async def test_every_change_once_and_in_commit_order_from_every_writer(
    log: EventLog, work: Work, db: Database, settings: Settings
):
    cli = Work(db, settings, None)  # publishes nothing itself, like `gateway followups run`
    async with log.subscribe(("person",)) as events:
        await asyncio.gather(
            *(
                (cli if n % 3 == 0 else work).run(_changed, f"p{n}")
                for n in range(24)  # concurrent writers, some of another "process"
            )
        )
        heard = await _take(events, 24)
    ids = [e.id or 0 for e in heard]
    assert ids == sorted(ids)
    assert len(set(ids)) == 24
    assert sorted(e.key for e in heard) == sorted(f"p{n}" for n in range(24))


async def test_a_subscriber_resumes_after_the_last_event_it_saw(log: EventLog, work: Work):
    async with log.subscribe(("person",)) as events:
        await work.run(_changed, "seen")
        [seen] = await _take(events, 1)
    for key in ("missed-1", "missed-2"):
        await work.run(_changed, key)
    async with log.subscribe(("person",), after=str(seen.id)) as events:
        missed = await _take(events, 2)
        await work.run(_changed, "live")
        [live] = await _take(events, 1)
        with pytest.raises(TimeoutError):  # nothing twice
            await asyncio.wait_for(anext(events), 0.5)
    assert [e.key for e in missed] == ["missed-1", "missed-2"]
    assert live.key == "live"
    assert (seen.id or 0) < (missed[0].id or 0) < (missed[1].id or 0) < (live.id or 0)


async def test_the_backlog_holds_only_the_subscribed_topics(log: EventLog, work: Work):
    async def other(unit: Unit) -> None:
        unit.record(EventKind.ASSIGNMENT_UPDATED, "asgn_x", {"org_id": None, "mentor_id": "m"})

    async with log.subscribe(("person",)) as events:
        await work.run(_changed, "first")
        [first] = await _take(events, 1)
    await work.run(other)
    await work.run(_changed, "second")
    async with log.subscribe(("person",), after=str(first.id)) as events:
        [second] = await _take(events, 1)
    assert second.key == "second"


@pytest.mark.parametrize("after", ["x1", "-1", "1.5", " 7", "999999999"])
async def test_an_unknown_event_id_is_refused(log: EventLog, work: Work, after: str):
    await work.run(_changed, "any")
    with pytest.raises(InvalidInput) as refused:
        async with log.subscribe(("person",), after=after):
            pass
    assert refused.value.errors[0].field == "after"


async def test_an_id_older_than_the_log_keeps_is_refused(log: EventLog, work: Work, db: Database):
    async with log.subscribe(("person",)) as events:
        for key in ("old", "purged", "kept"):
            await work.run(_changed, key)
        old, purged, _kept = await _take(events, 3)
    async with db.write() as session:  # what the relay's purge does to published entries
        await session.execute(delete(OutboxEntry).where(OutboxEntry.id <= purged.id))
    with pytest.raises(InvalidInput) as refused:
        async with log.subscribe(("person",), after=str(old.id)):
            pass
    assert "refetch" in refused.value.errors[0].message
    async with log.subscribe(("person",), after=str(purged.id)) as events:
        [kept] = await _take(events, 1)  # right after the purge: nothing is missing
    assert kept.key == "kept"


# --- through GraphQL --------------------------------------------------------------------


def _ws(live: LiveServer) -> AbstractAsyncContextManager[ClientConnection]:
    return connect(f"ws://{live.url}/graphql", subprotocols=[PROTOCOL])


async def _subscribe(ws: ClientConnection, auth: Auth, query: str) -> None:
    await ws.send(json.dumps({"type": "connection_init", "payload": auth.admin}))
    assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "connection_ack"
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))


async def _next(ws: ClientConnection) -> dict[str, Any]:
    message = json.loads(await asyncio.wait_for(ws.recv(), 10))
    assert message["type"] == "next", message
    return message["payload"]  # type: ignore[no-any-return]


async def _until_subscribers(live: LiveServer, count: int) -> None:
    broker = live.app.state.events
    for _ in range(500):
        if broker.subscriber_count >= count:
            return
        await asyncio.sleep(0.01)  # another thread's event loop: poll its broker
    raise AssertionError("the subscription did not start")


RENAME = """mutation($name: String!) {
  updatePerson(id: "user_019", input: {name: $name}) { name }
}"""


async def _rename(live: LiveServer, auth: Auth, name: str) -> None:
    async with httpx.AsyncClient(base_url=f"http://{live.url}") as http:
        answer = await http.post(
            "/graphql", json={"query": RENAME, "variables": {"name": name}}, headers=auth.admin
        )
        assert answer.json()["data"]["updatePerson"]["name"] == name, answer.text


async def test_a_graphql_subscriber_reconnects_and_gets_exactly_what_it_missed(
    live_server: LiveServer, demo, auth: Auth
):
    query = (
        "subscription($after: String) { personChanged(after: $after) { kind personId eventId } }"
    )
    async with _ws(live_server) as ws:
        await _subscribe(ws, auth, query)
        await _until_subscribers(live_server, 1)
        await _rename(live_server, auth, "Seen")
        seen = (await _next(ws))["data"]["personChanged"]
    await _rename(live_server, auth, "Missed one")
    await _rename(live_server, auth, "Missed two")
    async with _ws(live_server) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": auth.admin}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "connection_ack"
        await ws.send(
            json.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": query, "variables": {"after": seen["eventId"]}},
                }
            )
        )
        missed = [(await _next(ws))["data"]["personChanged"] for _ in range(2)]
        await _rename(live_server, auth, "Live")
        live = (await _next(ws))["data"]["personChanged"]
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(ws.recv(), 0.5)
    ids = [int(seen["eventId"])] + [int(m["eventId"]) for m in missed] + [int(live["eventId"])]
    assert ids == sorted(set(ids))
    assert [m["personId"] for m in [*missed, live]] == ["user_019"] * 3


async def test_a_graphql_subscription_with_a_purged_id_is_an_error_with_a_code(
    live_server: LiveServer, demo, auth: Auth
):
    query = 'subscription { personChanged(after: "not-an-id") { eventId } }'
    async with _ws(live_server) as ws:
        await _subscribe(ws, auth, query)
        message = json.loads(await asyncio.wait_for(ws.recv(), 10))
    assert message["type"] in ("next", "error"), message
    errors = message["payload"]["errors"] if message["type"] == "next" else message["payload"]
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_a_first_subscriber_does_not_wait_for_a_backlog_nobody_needs(
    log: EventLog, work: Work, db: Database, settings: Settings
):
    """Changes this process never heard of (another process's, without a cross-process
    backend) while no one listened are not read again when someone subscribes."""
    async with log.subscribe(("person",)) as events:
        await work.run(_changed, "before")
        await _take(events, 1)
    elsewhere = Work(db, settings, None)
    for n in range(30):
        await elsewhere.run(_changed, f"unheard-{n}")
    async with log.subscribe(("person",)) as events:
        assert log.position is not None
        async with db.read() as session:
            newest = (await repo.bounds(session))[1]
        assert log.position == newest  # the follower starts after the unheard backlog
        await work.run(_changed, "live")
        [live] = await _take(events, 1)
    assert live.key == "live"
