"""Lock expiry on ``lockChanged``: a lock whose time runs out is announced ``EXPIRED`` to its
holder and the other subscribers, once, by the expiry scheduler of whichever of two
serving gateways on one database wakes first (they share a cross-worker events backend:
Redis on SQLite, LISTEN/NOTIFY on PostgreSQL); a renewed lock expires at its new time, a
released one announces no expiry. The tests fail if no expiry is announced, if one is
announced twice (two subscribers' events or two outbox entries), early, or for a lock that
was released.

The module runs on a database of its own, so that no other test's gateway (whose
scheduler would announce these expiries to its own, in-process subscribers) shares it.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from app.db import Database
from app.events import EventBroker, EventKind
from app.main import create_app
from app.migrate import upgrade
from app.models.outbox import OutboxEntry
from app.seed import seed_demo
from app.services.editorial_locks import announce_expired
from app.services.work import Work
from app.settings import Settings
from app.timeutil import parse_datetime, utcnow
from tests.conftest import BACKEND, PG_URL, _in_thread, _pg_exec
from tests.editorial_support import EXAMPLE, EXAMPLE_SRN, OTHER, expire_lock, srn_of, take_lock
from tests.helpers import Auth, serve_in_thread, wait_for_subscribers

PROTOCOL = Subprotocol("graphql-transport-ws")
QUERY = "subscription { lockChanged { kind srn lockUuid holderId expiresAt } }"
TTL = 2  # seconds (GATEWAY_EDITORIAL_LOCK_TTL_SECONDS; its minimum is 1)
EXPIRED = EventKind.LOCK_EXPIRED.value


@pytest.fixture(scope="module")
def own_settings(
    settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Settings]:
    """The suite's settings on a fresh, migrated database with the demo data, served with
    a short lock TTL and a cross-worker events backend."""
    name = f"gw_expiry_{uuid.uuid4().hex[:10]}"
    if BACKEND == "sqlite":
        path: Path = tmp_path_factory.mktemp("expiry") / "expiry.db"
        url = f"sqlite+aiosqlite:///{path}"
        events: dict[str, Any] = {
            "events_backend": "redis",
            "redis_url": "redis://127.0.0.1:6379/0",
            "redis_key_prefix": f"gateway-test-{uuid.uuid4().hex}",
        }
    else:
        asyncio.run(_pg_exec(f'CREATE DATABASE "{name}"'))
        url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
        events = {"events_backend": "postgres"}
    own = settings.model_copy(
        update={"database_url": url, "editorial_lock_ttl_seconds": TTL, **events}
    )

    async def seed() -> None:
        db = Database.from_settings(own)
        try:
            await seed_demo(db)
        finally:
            await db.dispose()

    try:
        _in_thread(upgrade, own)
        _in_thread(asyncio.run, seed())
        yield own
    finally:
        if BACKEND != "sqlite":
            asyncio.run(_pg_exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="module")
def servers(own_settings: Settings) -> Iterator[list[tuple[str, Any]]]:
    """Two gateways (each with its expiry scheduler) on the one database: (url, app)."""
    first, second = create_app(own_settings), create_app(own_settings)
    with serve_in_thread(first) as url_a, serve_in_thread(second) as url_b:
        yield [(url_a, first), (url_b, second)]


@pytest.fixture
async def own_db(own_settings: Settings) -> AsyncIterator[Database]:
    db = Database.from_settings(own_settings)
    try:
        yield db
    finally:
        await db.dispose()


async def _receive(ws: ClientConnection, within: float = 10) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), timeout=within))
    return message


async def _subscribe(ws: ClientConnection, headers: dict[str, str]) -> None:
    await ws.send(json.dumps({"type": "connection_init", "payload": headers}))
    assert (await _receive(ws))["type"] == "connection_ack"
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": QUERY}}))


async def _next(ws: ClientConnection) -> dict[str, Any]:
    message = await _receive(ws)
    assert message["type"] == "next", message
    change: dict[str, Any] = message["payload"]["data"]["lockChanged"]
    return change


@pytest.fixture
async def since(own_db: Database) -> int:
    """The last outbox entry before the test (the module's tests share the database)."""
    async with own_db.read() as session:
        return int(await session.scalar(select(func.max(OutboxEntry.id))) or 0)


async def _expiries(db: Database, srn: str, since: int) -> int:
    """How many expiries of ``srn`` were announced (recorded) since outbox entry ``since``."""
    async with db.read() as session:
        found = await session.scalar(
            select(func.count())
            .select_from(OutboxEntry)
            .where(OutboxEntry.kind == EXPIRED, OutboxEntry.key == srn, OutboxEntry.id > since)
        )
    return int(found or 0)


def _moment(text: str) -> datetime:
    return parse_datetime(text)


async def test_an_expiry_reaches_the_holder_and_watchers_once(
    servers: list[tuple[str, Any]], own_db: Database, auth: Auth, since: int
):
    (url_a, app_a), (url_b, app_b) = servers
    before_a, before_b = app_a.state.events.subscriber_count, app_b.state.events.subscriber_count
    async with (
        connect(f"ws://{url_a}/graphql", subprotocols=[PROTOCOL]) as holder,
        connect(f"ws://{url_b}/graphql", subprotocols=[PROTOCOL]) as watcher,
        httpx.AsyncClient(base_url=f"http://{url_b}") as http,
    ):
        await _subscribe(holder, auth.editor)
        await _subscribe(watcher, auth("user_019", "editor"))
        await wait_for_subscribers(app_a, before_a + 1)
        await wait_for_subscribers(app_b, before_b + 1)
        lock = await take_lock(http, auth.editor)
        for ws in (holder, watcher):
            acquired = await _next(ws)
            assert (acquired["kind"], acquired["lockUuid"]) == ("ACQUIRED", lock["uuid"])
        for ws in (holder, watcher):
            expired = await _next(ws)
            heard_at = utcnow()
            assert expired == {
                "kind": "EXPIRED",
                "srn": EXAMPLE_SRN,
                "lockUuid": lock["uuid"],
                "holderId": "editor_001",
                "expiresAt": acquired["expiresAt"],
            }
            assert heard_at >= _moment(acquired["expiresAt"])  # not early
        # The lock stopped counting at its expiry, as without the announcement.
        gone = await http.get(f"/v3/lock-request/{lock['uuid']}", headers=auth.editor)
        assert gone.status_code == 404

        # Nothing twice: the next events are the next lock's, its expiry included.
        other = await take_lock(http, auth("user_019", "editor"), OTHER)
        for ws in (holder, watcher):
            assert [(await _next(ws))["kind"] for _ in range(2)] == ["ACQUIRED", "EXPIRED"]
    assert await _expiries(own_db, EXAMPLE_SRN, since) == 1
    assert await _expiries(own_db, srn_of(OTHER), since) == 1
    assert other["uuid"] != lock["uuid"]


async def test_a_renewed_lock_expires_at_its_new_time(
    servers: list[tuple[str, Any]], own_db: Database, auth: Auth, since: int
):
    (url_a, app_a), (url_b, _app_b) = servers
    before = app_a.state.events.subscriber_count
    async with (
        connect(f"ws://{url_a}/graphql", subprotocols=[PROTOCOL]) as ws,
        httpx.AsyncClient(base_url=f"http://{url_a}") as on_a,
        httpx.AsyncClient(base_url=f"http://{url_b}") as on_b,
    ):
        await _subscribe(ws, auth.admin)
        await wait_for_subscribers(app_a, before + 1)
        lock = await take_lock(on_a, auth.editor, EXAMPLE)
        acquired = await _next(ws)
        assert acquired["kind"] == "ACQUIRED"
        await asyncio.sleep(TTL / 2)  # time passing (half the lifetime), not a synchronisation
        renew = {"query": f'mutation {{ renewEditorialLock(uuid: "{lock["uuid"]}") {{ uuid }} }}'}
        assert (await on_b.post("/graphql", json=renew, headers=auth.editor)).status_code == 200
        renewed = await _next(ws)
        assert renewed["kind"] == "RENEWED"
        old, new = _moment(acquired["expiresAt"]), _moment(renewed["expiresAt"])
        assert (new - old).total_seconds() >= TTL / 2
        expired = await _next(ws)
        heard_at = utcnow()
        assert (expired["kind"], expired["expiresAt"]) == ("EXPIRED", renewed["expiresAt"])
        assert heard_at >= new
    assert await _expiries(own_db, EXAMPLE_SRN, since) == 1


async def test_a_released_lock_announces_no_expiry(
    servers: list[tuple[str, Any]], own_db: Database, auth: Auth, since: int
):
    (url_a, app_a), _second = servers
    before = app_a.state.events.subscriber_count
    async with (
        connect(f"ws://{url_a}/graphql", subprotocols=[PROTOCOL]) as ws,
        httpx.AsyncClient(base_url=f"http://{url_a}") as http,
    ):
        await _subscribe(ws, auth.admin)
        await wait_for_subscribers(app_a, before + 1)
        lock = await take_lock(http, auth.editor, EXAMPLE)
        released = await http.delete(f"/v3/lock-request/{lock['uuid']}", headers=auth.editor)
        assert released.status_code in (200, 204), released.text
        await take_lock(http, auth.editor, OTHER)
        # The released lock would have expired first: its expiry would come before OTHER's.
        heard = [await _next(ws) for _ in range(4)]
        assert [(change["kind"], change["srn"]) for change in heard] == [
            ("ACQUIRED", EXAMPLE_SRN),
            ("RELEASED", EXAMPLE_SRN),
            ("ACQUIRED", srn_of(OTHER)),
            ("EXPIRED", srn_of(OTHER)),
        ]
    assert await _expiries(own_db, EXAMPLE_SRN, since) == 0


async def test_two_announcers_announce_one_expiry_once(
    servers: list[tuple[str, Any]], own_settings: Settings, own_db: Database, auth: Auth, since: int
):
    (url_a, _app_a), _second = servers
    async with httpx.AsyncClient(base_url=f"http://{url_a}") as http:
        await take_lock(http, auth.editor, EXAMPLE)
    # Expired at once (a direct write: the schedulers are asleep until the TTL is up).
    await expire_lock(own_db, EXAMPLE_SRN)
    other_db = Database.from_settings(own_settings)
    try:
        # Each with a broker of its own nobody hears (so the serving gateways' relays do
        # not publish these events later: they are marked published).
        first = Work(own_db, own_settings, EventBroker())
        second = Work(other_db, own_settings, EventBroker())
        results = await asyncio.gather(first.run(announce_expired), second.run(announce_expired))
        await first.stop_relay()
        await second.stop_relay()
    finally:
        await other_db.dispose()
    assert sorted(results[0] + results[1]) == [EXAMPLE_SRN]
    assert await _expiries(own_db, EXAMPLE_SRN, since) == 1


async def test_taking_over_an_unannounced_expired_lock_announces_its_expiry(
    servers: list[tuple[str, Any]], own_db: Database, auth: Auth, since: int
):
    (url_a, app_a), (url_b, _app_b) = servers
    before = app_a.state.events.subscriber_count
    async with (
        connect(f"ws://{url_a}/graphql", subprotocols=[PROTOCOL]) as ws,
        httpx.AsyncClient(base_url=f"http://{url_a}") as on_a,
        httpx.AsyncClient(base_url=f"http://{url_b}") as on_b,
    ):
        await _subscribe(ws, auth.admin)
        await wait_for_subscribers(app_a, before + 1)
        old = await take_lock(on_a, auth.editor, EXAMPLE)
        assert (await _next(ws))["kind"] == "ACQUIRED"
        # Expired at once (a direct write: the schedulers are asleep until the TTL is up),
        # then taken over before they wake.
        await expire_lock(own_db, EXAMPLE_SRN)
        new = await take_lock(on_b, auth("user_019", "editor"), EXAMPLE)
        heard = [await _next(ws) for _ in range(3)]
        assert [(c["kind"], c["lockUuid"], c["holderId"]) for c in heard] == [
            ("EXPIRED", old["uuid"], "editor_001"),
            ("ACQUIRED", new["uuid"], "user_019"),
            ("EXPIRED", new["uuid"], "user_019"),  # the old one is not announced again
        ]
    assert await _expiries(own_db, EXAMPLE_SRN, since) == 2
