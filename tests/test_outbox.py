"""The unit of work and its outbox: an event is recorded in the transaction of its change,
published after the commit, once per subscriber, and published by a relay when its writer
did not (a CLI run, a process that died between commit and publish).

What makes these fail: events published before the commit or for a rolled-back unit; the
outbox insert outside the unit's transaction; the relay publishing an entry its writer
still holds within the lease, or two relays both publishing one entry; the broker
delivering a re-published id twice; the purge keeping what it should drop.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from starlette.applications import Starlette

from app.db import Database
from app.events import Event, EventBroker, EventKind
from app.models.outbox import IdempotentOutcome, OutboxEntry
from app.services.work import Unit, Work
from app.settings import Settings
from app.timeutil import utcnow


class Boom(Exception):
    pass


async def _created(unit: Unit, key: str) -> str:
    unit.record(EventKind.PERSON_CREATED, key, {"n": key})
    return key


async def _created_then_fails(unit: Unit, key: str) -> str:
    unit.record(EventKind.PERSON_CREATED, key)
    await unit.session.flush()
    raise Boom


async def _entries(db: Database) -> list[OutboxEntry]:
    async with db.read() as session:
        return list((await session.scalars(select(OutboxEntry).order_by(OutboxEntry.id))).all())


def _drain(queue: asyncio.Queue[Event]) -> list[Event]:
    seen = []
    while not queue.empty():
        seen.append(queue.get_nowait())
    return seen


@pytest.fixture
async def work(app: Starlette, db: Database, settings: Settings) -> AsyncIterator[Work]:
    """A writer whose broker delivers at once (the app's broker follows the event log,
    tests/test_event_log.py); the app's own relay is paused meanwhile, so only the
    relays a test runs claim entries."""
    served: Work = app.state.work
    await served.stop_relay()
    try:
        yield Work(db, settings, EventBroker())
    finally:
        served.start_relay()


async def test_a_committed_unit_publishes_its_events_once_with_their_outbox_ids(
    work: Work, db: Database
):
    broker = work.broker
    assert broker is not None
    async with broker.subscribe("person") as queue:
        await work.run(_created, "p1")
        [heard] = _drain(queue)
        [entry] = await _entries(db)
        assert (heard.kind, heard.key, heard.payload, heard.id) == (
            EventKind.PERSON_CREATED,
            "p1",
            {"n": "p1"},
            entry.id,
        )
        assert entry.kind == "person/created"
        assert entry.claimed_at is not None
        assert entry.published_at is None  # marked by the relay's next run
        await work.relay_once()
        [marked] = await _entries(db)
        assert marked.published_at is not None
        # The same id published again (a relay after a lost mark) is not delivered again.
        broker.deliver(heard)
        assert _drain(queue) == []


async def test_a_rolled_back_unit_records_and_publishes_nothing(work: Work, db: Database):
    assert work.broker is not None
    async with work.broker.subscribe("person") as queue:
        with pytest.raises(Boom):
            await work.run(_created_then_fails, "p2")
        assert _drain(queue) == []
    assert await _entries(db) == []


async def test_a_unit_inside_another_is_published_when_the_outer_one_commits(
    work: Work, db: Database
):
    assert work.broker is not None
    async with work.broker.subscribe("person") as queue:
        async with work.unit():
            await work.run(_created, "inner")
            with pytest.raises(Boom):
                await work.run(_created_then_fails, "failed")  # its savepoint rolls back
            assert _drain(queue) == []
        assert [e.key for e in _drain(queue)] == ["inner"]
    assert [e.key for e in await _entries(db)] == ["inner"]


async def test_the_relay_publishes_what_a_process_without_a_broker_committed(
    work: Work, db: Database, settings: Settings
):
    cli = Work(db, settings, None)  # as `gateway followups run` does
    await cli.run(_created, "from-cli")
    [entry] = await _entries(db)
    assert entry.claimed_at is None
    assert entry.published_at is None
    assert work.broker is not None
    async with work.broker.subscribe("person") as queue:
        assert await work.relay_once() == 1
        assert [(e.key, e.id) for e in _drain(queue)] == [("from-cli", entry.id)]
        assert await work.relay_once() == 0
        assert _drain(queue) == []
    [published] = await _entries(db)
    assert published.published_at is not None


async def test_the_relay_leaves_a_writer_its_lease_then_publishes_its_events(
    work: Work, db: Database, settings: Settings
):
    """A writer that died between commit and publish: its claimed entry is published by a
    relay once the lease is over, not before."""
    silent = Work(db, settings, EventBroker())  # claims its entries; never publishes them
    silent._publish = lambda events: None  # type: ignore[method-assign]
    await silent.run(_created, "orphan")
    assert work.broker is not None
    async with work.broker.subscribe("person") as queue:
        assert await work.relay_once() == 0
        lease = timedelta(seconds=settings.outbox_lease_seconds + 1)
        async with db.write() as session:
            await session.execute(update(OutboxEntry).values(claimed_at=utcnow() - lease))
        assert await work.relay_once() == 1
        assert [e.key for e in _drain(queue)] == ["orphan"]


async def test_two_relays_publish_each_waiting_entry_once(
    work: Work, db: Database, settings: Settings
):
    """Each entry once, whichever relay takes it. A relay of another gateway serving this
    database in the same test session (the live server) may take some of them, or on a
    busy machine all of them: the round is run again, with new entries, until these two
    relays took part (never an entry twice in any round)."""
    cli = Work(db, settings, None)
    heard: list[str] = []
    for round_ in range(5):
        keys = {f"k{round_}-{n}" for n in range(30)}
        for key in sorted(keys):
            await cli.run(_created, key)
        first, second = EventBroker(), EventBroker()
        relays = [Work(db, settings, first), Work(db, settings, second)]
        async with first.subscribe("person") as a, second.subscribe("person") as b:
            await asyncio.gather(*(relay.relay_once() for relay in relays))
            heard = [e.key for e in _drain(a)] + [e.key for e in _drain(b)]
        assert len(heard) == len(set(heard))
        assert set(heard) <= keys
        if heard:
            break
    assert heard  # these two relays took part
    published = {e.key for e in await _entries(db) if e.published_at is not None}
    assert set(heard) <= published


async def test_the_purge_drops_old_published_entries_and_expired_outcomes(
    work: Work, db: Database, settings: Settings
):
    await work.run(_created, "old")
    await work.run(_created, "recent")
    await work.relay_once()
    long_ago = utcnow() - timedelta(seconds=settings.outbox_retention_seconds + 60)
    now = utcnow()
    async with db.write() as session:
        await session.execute(
            update(OutboxEntry).where(OutboxEntry.key == "old").values(published_at=long_ago)
        )
        for key, expires in (("gone", now - timedelta(seconds=1)), ("kept", now + timedelta(1))):
            session.add(
                IdempotentOutcome(
                    caller="p",
                    key=key,
                    fingerprint="f",
                    status=200,
                    headers={},
                    body=b"{}",
                    created_at=now,
                    expires_at=expires,
                )
            )
    await work.relay_once(purge=True)
    assert [e.key for e in await _entries(db)] == ["recent"]
    async with db.read() as session:
        kept = await session.scalars(select(IdempotentOutcome.key))
        assert list(kept) == ["kept"]
        assert await session.scalar(select(func.count()).select_from(OutboxEntry)) == 1
