"""In-process publish/subscribe for GraphQL subscriptions.

Topics are strings (``"person"``, ``"assignment"`` ...); a subscriber gets every event
published after it subscribed, through a bounded queue (a slow subscriber loses its oldest
events rather than growing memory without bound).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from app.metrics import ACTIVE_SUBSCRIPTIONS


@dataclass(frozen=True, slots=True)
class Event:
    topic: str
    kind: str
    key: str
    payload: dict[str, Any]


class EventBroker:
    def __init__(self, queue_size: int = 256) -> None:
        self._queue_size = queue_size
        self._subscribers: dict[str, set[asyncio.Queue[Event]]] = defaultdict(set)

    def publish(self, event: Event) -> None:
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
