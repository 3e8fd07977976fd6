"""Publish/subscribe for GraphQL subscriptions, across workers.

Every change event is one of ``EventKind`` (a topic such as ``"assignment"`` and an action
such as ``"created"``); a subscriber gets every event on its topics committed after it
subscribed, through a bounded queue (a slow subscriber loses its oldest events rather than
growing memory without bound). Events come from the outbox (``app/services/work.py``): each
carries the outbox entry's ``id``, and a broker delivers an id once, however many times a
relay happens to publish it. In a serving process the broker follows the event log
(``app/services/event_log.py``): what it hears of only wakes the log's reader, which hands
the committed entries to the subscribers in commit order.

``GATEWAY_EVENTS_BACKEND``: ``memory`` carries events within the process; ``postgres``
(LISTEN/NOTIFY on the gateway's database) and ``redis`` (pub/sub on ``GATEWAY_REDIS_URL``)
carry every event to every worker, the publishing one included, so their subscribers hear
of it at once; ``auto`` (the default) is ``memory`` for one worker and ``postgres`` for
several on PostgreSQL (``gateway serve`` refuses several workers on ``memory``).
Payloads are JSON objects.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict, defaultdict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from enum import Enum
from typing import Any, Protocol

import orjson

from app.metrics import ACTIVE_SUBSCRIPTIONS

log = logging.getLogger("gateway.events")


class EventKind(Enum):
    """Every change event the gateway publishes: ``topic/action``."""

    PERSON_CREATED = "person/created"
    PERSON_UPDATED = "person/updated"
    PERSON_DELETED = "person/deleted"
    ASSIGNMENT_CREATED = "assignment/created"
    ASSIGNMENT_UPDATED = "assignment/updated"
    ASSIGNMENT_DELETED = "assignment/deleted"
    ASSIGNMENT_RESTORED = "assignment/restored"
    ASSIGNMENT_CONTACTED = "assignment/contacted"
    ASSIGNMENT_STATUS_CHANGED = "assignment/status_changed"
    ASSIGNMENT_REMINDED = "assignment/reminded"
    ASSIGNMENT_ESCALATED = "assignment/escalated"
    NOTIFICATION_REMINDER = "notification/reminder"
    NOTIFICATION_ESCALATION = "notification/escalation"
    ACTIVITY_CREATED = "activity/created"
    ACTIVITY_UPDATED = "activity/updated"
    ACTIVITY_STATUS_CHANGED = "activity/status_changed"
    ACTIVITY_DELETED = "activity/deleted"
    ACTIVITY_RESTORED = "activity/restored"
    MILESTONE_ACHIEVED = "milestone/achieved"
    LOCK_ACQUIRED = "editorial.lock/acquired"
    LOCK_RENEWED = "editorial.lock/renewed"
    LOCK_RELEASED = "editorial.lock/released"
    LOCK_BROKEN = "editorial.lock/broken"
    LOCK_EXPIRED = "editorial.lock/expired"

    @property
    def topic(self) -> str:
        return self.value.partition("/")[0]

    @property
    def action(self) -> str:
        return self.value.partition("/")[2]

    @classmethod
    def of(cls, topic: str, action: str) -> EventKind:
        """The kind for ``topic`` and ``action``; ``ValueError`` for one that is not."""
        return cls(f"{topic}/{action}")


@dataclass(frozen=True, slots=True)
class Event:
    kind: EventKind
    key: str
    payload: dict[str, Any]
    # The outbox entry's id once the event is recorded (None before).
    id: int | None = None

    @property
    def topic(self) -> str:
        return self.kind.topic

    @property
    def action(self) -> str:
        return self.kind.action

    def encode(self) -> bytes:
        return orjson.dumps([self.kind.value, self.key, self.payload, self.id])

    @classmethod
    def decode(cls, raw: bytes | str) -> Event:
        kind, key, payload, event_id = orjson.loads(raw)
        return cls(EventKind(kind), key, payload, event_id)


class Transport(Protocol):
    """Carries events between workers; calls ``deliver`` for every event, own ones too."""

    async def start(self, deliver: Callable[[Event], None]) -> None: ...

    async def send(self, event: Event) -> None: ...

    async def stop(self) -> None: ...


class EventBroker:
    # How many recent event ids a broker remembers to deliver each one once.
    REMEMBERED = 4096

    def __init__(self, queue_size: int = 256, transport: Transport | None = None) -> None:
        self._queue_size = queue_size
        self._delivered: OrderedDict[int, None] = OrderedDict()
        self._subscribers: dict[str, set[asyncio.Queue[Event]]] = defaultdict(set)
        self._transport = transport
        self._sending: set[asyncio.Task[None]] = set()
        self._hint: Callable[[Event], None] | None = None
        self._watchers: dict[str, set[asyncio.Queue[Event]]] = defaultdict(set)
        self._listeners: dict[str, list[Callable[[Event], None]]] = defaultdict(list)

    async def start(self) -> None:
        if self._transport is not None:
            await self._transport.start(self.deliver)

    async def stop(self) -> None:
        if self._sending:
            await asyncio.gather(*self._sending, return_exceptions=True)
        if self._transport is not None:
            await self._transport.stop()

    def publish(self, event: Event) -> None:
        """Publish after the change is committed; never blocks the caller. Only the unit
        of work (``app/services/work.py``) publishes."""
        self._tell(event)
        if self._transport is None:
            self.deliver(event)
            return
        task = asyncio.get_running_loop().create_task(self._send(event))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _send(self, event: Event) -> None:
        assert self._transport is not None
        try:
            await self._transport.send(event)
        except Exception:
            log.exception("could not publish %s; delivering locally only", event.kind.value)
            self.deliver(event)

    def follow(self, hint: Callable[[Event], None] | None) -> None:
        """From now on, hand every event that has an outbox id to ``hint`` (the event log,
        ``app/services/event_log.py``, which reads the log and ``dispatch``es its entries in
        commit order) instead of delivering it at once."""
        self._hint = hint

    def listen(self, topic: str, listener: Callable[[Event], None]) -> None:
        """Call ``listener`` with every event of ``topic`` this process publishes (at once,
        before ``publish`` returns) or hears of from another process: for caches that must
        drop what an event makes stale. It may hear an event twice, in no guaranteed order,
        and must not block."""
        self._listeners[topic].append(listener)

    def _tell(self, event: Event) -> None:
        for listener in self._listeners.get(event.topic, ()):
            listener(event)

    def deliver(self, event: Event) -> None:
        """An event published here or by another process (through the transport)."""
        if self._transport is not None:  # without one, publish has told the listeners
            self._tell(event)
        for queue in list(self._watchers.get(event.topic, ())):
            _put(queue, event)
        if self._hint is not None and event.id is not None:
            self._hint(event)
            return
        self.dispatch(event)

    def forget_delivered(self) -> None:
        """Forget the ids delivered so far (the event log started over with new ids)."""
        self._delivered.clear()

    def dispatch(self, event: Event) -> None:
        """Hand ``event`` to the subscribers of its topic (an outbox id once)."""
        if event.id is not None:
            if event.id in self._delivered:
                return
            self._delivered[event.id] = None
            if len(self._delivered) > self.REMEMBERED:
                self._delivered.popitem(last=False)
        for queue in list(self._subscribers.get(event.topic, ())):
            _put(queue, event)

    @property
    def subscriber_count(self) -> int:
        return sum(len(queues) for queues in self._subscribers.values())

    @asynccontextmanager
    async def watch(self, *topics: str) -> AsyncIterator[asyncio.Queue[Event]]:
        """The events of ``topics`` as this process hears of them, for the gateway's own
        background tasks (wake-ups): not read from the event log (so in no guaranteed
        order, possibly twice), and neither a subscriber nor in the subscriptions gauge."""
        queue: asyncio.Queue[Event] = asyncio.Queue(self._queue_size)
        for topic in topics:
            self._watchers[topic].add(queue)
        try:
            yield queue
        finally:
            for topic in topics:
                self._watchers[topic].discard(queue)

    @asynccontextmanager
    async def subscribe(self, *topics: str) -> AsyncIterator[asyncio.Queue[Event]]:
        queue: asyncio.Queue[Event] = asyncio.Queue(self._queue_size)
        for topic in topics:
            self._subscribers[topic].add(queue)
        ACTIVE_SUBSCRIPTIONS.inc()
        try:
            yield queue
        finally:
            ACTIVE_SUBSCRIPTIONS.dec()
            for topic in topics:
                self._subscribers[topic].discard(queue)


def _put(queue: asyncio.Queue[Event], event: Event) -> None:
    """Queue ``event``; a full queue loses its oldest event instead."""
    if queue.full():
        queue.get_nowait()
    queue.put_nowait(event)
