"""The unit of work every writer goes through: REST, GraphQL, the CLI and the sweeps.

A use case is ``async def use_case(unit, ...)``; ``Work.run(use_case, ...)`` runs it in one
transaction: the use case validates and writes through ``unit.session`` and records its
change events with ``unit.record``; the events are inserted in the outbox table in the
same transaction, the transaction commits, then the events are published. Doors call
``Work.run`` (or a service function that does) and never open a write session or publish.

A unit opened inside another one (an idempotent request runs its use cases inside the unit
that stores its outcome, ``app/services/idempotency.py``) is a savepoint of it: its events
are published when the outermost unit commits.

The outbox makes delivery durable. A writer publishes its own events at once and marks
them published soon after; the relay of every serving process publishes what was committed
but not published within the lease (a process that crashed between commit and publish, a
CLI run, which publishes nothing itself), once: claiming an entry is a write that only one
relay wins, and a broker delivers an event id once. Published entries are kept for
``outbox_retention_seconds``; the relay purges older ones and expired idempotent outcomes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from app.db import Database
from app.events import Event, EventBroker, EventKind
from app.repositories import outbox as repo
from app.services.background import round_failed
from app.settings import Settings
from app.timeutil import utcnow

log = logging.getLogger("gateway.outbox")
P = ParamSpec("P")
T = TypeVar("T")

# How many entries one relay run claims at most.
RELAY_BATCH = 500
# The relay purges every this many runs.
_PURGE_EVERY = 60


@dataclass(slots=True)
class Unit:
    """One use case's transaction and the change events it records."""

    session: AsyncSession
    events: list[Event] = field(default_factory=list)
    # How many use cases completed in this unit (savepoints of it included).
    changes: int = 0

    def record(self, kind: EventKind, key: str, payload: dict[str, Any] | None = None) -> None:
        """An event to publish once this unit's changes are committed."""
        self.events.append(Event(kind, key, payload or {}))

    def record_all(self, events: Iterable[Event]) -> None:
        self.events.extend(events)


_current: ContextVar[tuple[Work, Unit] | None] = ContextVar("unit_of_work", default=None)


class Work:
    """The app's (or a CLI run's) writers: one per process, built with the database and,
    where events are heard, the broker."""

    def __init__(self, db: Database, settings: Settings, broker: EventBroker | None) -> None:
        self.db = db
        self.settings = settings
        self.broker = broker
        self._to_mark: list[int] = []
        self._relay: asyncio.Task[None] | None = None

    @asynccontextmanager
    async def unit(self) -> AsyncIterator[Unit]:
        """One unit of work (or, inside another of this ``Work``, a savepoint of it)."""
        outer = _current.get()
        if outer is not None and outer[0] is self:
            async with self.db.write() as session:
                inner = Unit(session)
                yield inner
            outer[1].events.extend(inner.events)
            outer[1].changes += 1
            return
        async with self.db.ambient() as session:
            unit = Unit(session)
            token = _current.set((self, unit))
            try:
                yield unit
            finally:
                _current.reset(token)
            ids = await repo.record(
                session,
                [(event.kind.value, event.key, event.payload) for event in unit.events],
                now=utcnow(),
                claimed=self.broker is not None,
            )
        self._publish(
            [Event(e.kind, e.key, e.payload, i) for e, i in zip(unit.events, ids, strict=True)]
        )

    async def run(
        self,
        use_case: Callable[Concatenate[Unit, P], Awaitable[T]],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """``use_case(unit, *args, **kwargs)`` in one unit of work; its result."""
        async with self.unit() as unit:
            return await use_case(unit, *args, **kwargs)

    def _publish(self, events: list[Event]) -> None:
        if self.broker is None or not events:
            return
        for event in events:
            self.broker.publish(event)
        self._to_mark.extend(event.id for event in events if event.id is not None)

    # --- the relay ------------------------------------------------------------------------

    def start_relay(self) -> None:
        """Run the relay every ``outbox_relay_seconds`` until ``stop_relay``."""
        if self.broker is not None and self._relay is None:
            self._relay = asyncio.create_task(self._relay_forever(), name="outbox-relay")

    async def stop_relay(self) -> None:
        task, self._relay = self._relay, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        try:
            await self._mark()
        except Exception as exc:
            round_failed(
                log, exc, "could not mark published events; the relay will publish them again"
            )

    async def _relay_forever(self) -> None:
        runs = 0
        while True:
            await asyncio.sleep(self.settings.outbox_relay_seconds)
            runs += 1
            try:
                await self.relay_once(purge=runs % _PURGE_EVERY == 0)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                round_failed(log, exc, "outbox relay failed; retrying at its next run")

    async def _mark(self) -> None:
        ids, self._to_mark = self._to_mark, []
        if not ids:
            return
        try:
            async with self.db.write() as session:
                await repo.mark_published(session, ids, utcnow())
        except BaseException:
            self._to_mark[:0] = ids
            raise

    async def relay_once(self, *, purge: bool = False) -> int:
        """Mark what this process published; publish what waits for a relay; purge when
        asked. How many entries it published."""
        await self._mark()
        now = utcnow()
        cutoff = now - timedelta(seconds=self.settings.outbox_lease_seconds)
        published = 0
        async with self.db.read() as session:
            waiting = await repo.any_to_relay(session, cutoff)
        if waiting and self.broker is not None:
            async with self.db.write() as session:
                claimed = await repo.claim(session, cutoff, now, RELAY_BATCH)
            events = [Event(EventKind(kind), key, payload, i) for i, kind, key, payload in claimed]
            self._publish(events)
            await self._mark()
            published = len(events)
            if published:
                log.info("outbox relay published %d events", published)
        if purge:
            before = now - timedelta(seconds=self.settings.outbox_retention_seconds)
            async with self.db.write() as session:
                await repo.purge(session, before, now)
        return published
