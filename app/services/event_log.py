"""The event log: the outbox read in commit order, for subscriptions that resume.

Every change event is an outbox entry whose id is its place in commit order (writers take
their ids and commit one after another: SQLite's write lock, an advisory lock on
PostgreSQL, ``app/repositories/outbox.py``). Each serving process runs one follower: when
its broker hears of an event (published here, or by another worker through the transport)
or every ``outbox_relay_seconds``, it reads the entries after the last one it handed out
and dispatches them to the local subscribers in id order. So every subscriber of every
process gets every committed change once and in order, whichever process made it (the CLI
included), and a subscriber that names the last event id it saw (``after``, SSE
``Last-Event-ID``) first gets what it missed from the log, then live events, with nothing
repeated or skipped between the two. An id older than the log keeps
(``outbox_retention_seconds``) is refused: the client must refetch.

While no one subscribes, the follower reads nothing: it only notes the newest id it has
heard of, so the next subscriber starts from there.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field

from app.db import Database
from app.errors import InvalidInput
from app.events import Event, EventBroker, EventKind
from app.repositories import outbox as repo
from app.services.background import round_failed
from app.settings import Settings

log = logging.getLogger("gateway.events")

# Entries read per statement.
PAGE = 500


def event_id(event: Event) -> str:
    """The id a client sees (``eventId``, SSE ``id:``) and sends back as ``after``."""
    return str(event.id)


def _kinds(topics: Sequence[str]) -> list[str]:
    return [kind.value for kind in EventKind if kind.topic in topics]


def _events(rows: Sequence[repo.EntryRow]) -> list[Event]:
    known = {kind.value: kind for kind in EventKind}
    return [
        Event(known[kind], key, payload, entry_id)
        for entry_id, kind, key, payload in rows
        if kind in known
    ]


class EventLog:
    def __init__(self, db: Database, settings: Settings, broker: EventBroker) -> None:
        self.db = db
        self.settings = settings
        self.broker = broker
        # The last id handed to subscribers (or heard of while idle); read from the log
        # when first needed (the database may be down when the process starts).
        self.position: int | None = None
        self._heard = 0
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.broker.follow(self._hear)
        self._task = asyncio.create_task(self._follow(), name="event-log")

    async def stop(self) -> None:
        self.broker.follow(None)
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    def _hear(self, event: Event) -> None:
        assert event.id is not None
        self._heard = max(self._heard, event.id)
        self._wake.set()

    async def _follow(self) -> None:
        while True:
            with suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.settings.outbox_relay_seconds)
            self._wake.clear()
            try:
                await self.catch_up()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                round_failed(log, exc, "could not read the event log; retrying")

    async def _position(self) -> int:
        if self.position is None:
            async with self.db.read() as session:
                newest = (await repo.bounds(session))[1] or 0
            if self.position is None:
                self.position = max(newest, self._heard)
        return self.position

    async def catch_up(self) -> None:
        """Dispatch every committed entry after ``position`` (nothing while no one listens)."""
        if not self.broker.subscriber_count:
            if self.position is not None:
                self.position = max(self.position, self._heard)
            return
        position = await self._position()
        while True:
            async with self.db.read() as session:
                rows = await repo.entries_after(session, position, limit=PAGE)
            for event in _events(rows):  # no await in between: a new subscriber sees all
                self.broker.dispatch(event)  # or none of a page
            if rows:
                position = self.position = max(position, rows[-1][0])
            if len(rows) < PAGE:
                return

    @asynccontextmanager
    async def subscribe(
        self, topics: Sequence[str], after: str | None = None
    ) -> AsyncIterator[AsyncIterator[Event]]:
        """The events of ``topics``: those after the event id ``after`` first (from the
        log), then live ones, each once and in commit order."""
        await self._position()
        floor = 0
        if after is None:
            # Live only: not what was committed before this moment and not handed out yet
            # by a follower that was idle until this subscriber came (read before
            # subscribing, so nothing committed after it is left out).
            async with self.db.read() as session:
                floor = (await repo.bounds(session))[1] or 0
        if self.position is not None and floor < self.position and after is None:
            # The log starts over (the table was recreated: its ids begin again).
            self.position = floor
            self.broker.forget_delivered()
        if not self.broker.subscriber_count and self.position is not None:
            # No one else listens: what lies before the floor is no one's to hand out
            # (skip it rather than read a backlog other processes wrote meanwhile).
            self.position = max(self.position, floor)
        async with self.broker.subscribe(*topics) as queue:
            start = self.position or 0  # everything after it reaches the queue
            first = None if after is None else await self._checked(after, start)
            yield _Stream(self, queue, _kinds(topics), first, start, floor=floor)

    async def _checked(self, after: str, start: int) -> int:
        try:
            value = int(after)
        except ValueError:
            value = -1
        if value < 0 or str(value) != after.strip():
            raise InvalidInput.field("after", "must be an eventId this API gave out")
        async with self.db.read() as session:
            oldest, newest = await repo.bounds(session)
        if value > max(start, newest or 0):
            raise InvalidInput.field("after", "names no event of this API (from the future)")
        if oldest is not None and value < oldest - 1:
            raise InvalidInput.field(
                "after",
                "is older than the event log keeps; refetch, then subscribe without after",
            )
        return value


@dataclass(slots=True)
class _Stream:
    log: EventLog
    queue: asyncio.Queue[Event]
    kinds: list[str]
    after: int | None  # the backlog still to read: after < id <= start
    start: int
    backlog: list[Event] = field(default_factory=list)
    floor: int = 0  # live events up to this id were committed before it subscribed

    def __aiter__(self) -> _Stream:
        return self

    async def __anext__(self) -> Event:
        while not self.backlog and self.after is not None and self.after < self.start:
            async with self.log.db.read() as session:
                rows = await repo.entries_after(
                    session, self.after, upto=self.start, kinds=self.kinds, limit=PAGE
                )
            self.after = rows[-1][0] if len(rows) == PAGE else None
            self.backlog = _events(rows)[::-1]
        if self.backlog:
            return self.backlog.pop()
        while True:
            event = await self.queue.get()
            if (event.id or 0) > self.floor:
                return event
