"""Publish/subscribe for GraphQL subscriptions, across workers.

Topics are strings (``"person"``, ``"assignment"`` ...); a subscriber gets every event
published after it subscribed, through a bounded queue (a slow subscriber loses its oldest
events rather than growing memory without bound).

``GATEWAY_EVENTS_BACKEND``: ``memory`` delivers within the process; ``postgres``
(LISTEN/NOTIFY on the gateway's database) and ``redis`` (pub/sub on ``GATEWAY_REDIS_URL``)
deliver every event to the subscribers of every worker, the publishing one included.
Payloads are JSON objects.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import orjson

from app.metrics import ACTIVE_SUBSCRIPTIONS

log = logging.getLogger("gateway.events")


@dataclass(frozen=True, slots=True)
class Event:
    topic: str
    kind: str
    key: str
    payload: dict[str, Any]

    def encode(self) -> bytes:
        return orjson.dumps([self.topic, self.kind, self.key, self.payload])

    @classmethod
    def decode(cls, raw: bytes | str) -> Event:
        topic, kind, key, payload = orjson.loads(raw)
        return cls(topic, kind, key, payload)


class Transport(Protocol):
    """Carries events between workers; calls ``deliver`` for every event, own ones too."""

    async def start(self, deliver: Callable[[Event], None]) -> None: ...

    async def send(self, event: Event) -> None: ...

    async def stop(self) -> None: ...


class EventBroker:
    def __init__(self, queue_size: int = 256, transport: Transport | None = None) -> None:
        self._queue_size = queue_size
        self._subscribers: dict[str, set[asyncio.Queue[Event]]] = defaultdict(set)
        self._transport = transport
        self._sending: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        if self._transport is not None:
            await self._transport.start(self.deliver)

    async def stop(self) -> None:
        if self._sending:
            await asyncio.gather(*self._sending, return_exceptions=True)
        if self._transport is not None:
            await self._transport.stop()

    def publish(self, event: Event) -> None:
        """Publish after the change is committed; never blocks the caller."""
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
            log.exception(
                "could not publish %s/%s; delivering locally only", event.topic, event.kind
            )
            self.deliver(event)

    def deliver(self, event: Event) -> None:
        for queue in list(self._subscribers.get(event.topic, ())):
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(event)

    @property
    def subscriber_count(self) -> int:
        return sum(len(queues) for queues in self._subscribers.values())

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
