"""Cross-worker transports for ``app.events.EventBroker``: PostgreSQL LISTEN/NOTIFY and
Redis pub/sub. Each keeps one listening connection per worker and reconnects after a loss."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import asyncpg
from redis.asyncio import Redis
from sqlalchemy.engine import make_url

from app.events import Event, EventBroker, Transport
from app.settings import ConfigurationError, Settings

log = logging.getLogger("gateway.events")
CHANNEL = "gateway_events"
_RETRY_SECONDS = 1.0


class PostgresTransport:
    def __init__(self, database_url: str) -> None:
        url = make_url(database_url).set(drivername="postgresql")
        self._dsn = url.render_as_string(hide_password=False)
        self._listener: asyncpg.Connection | None = None
        self._sender: asyncpg.Connection | None = None
        self._lock = asyncio.Lock()

    async def start(self, deliver: Callable[[Event], None]) -> None:
        def on_notify(_conn: object, _pid: int, _channel: str, payload: str) -> None:
            try:
                deliver(Event.decode(payload))
            except Exception:
                log.exception("undecodable event on %s", CHANNEL)

        self._listener = await asyncpg.connect(self._dsn)
        await self._listener.add_listener(CHANNEL, on_notify)

    async def send(self, event: Event) -> None:
        async with self._lock:
            if self._sender is None or self._sender.is_closed():
                self._sender = await asyncpg.connect(self._dsn)
            await self._sender.execute("SELECT pg_notify($1, $2)", CHANNEL, event.encode().decode())

    async def stop(self) -> None:
        for conn in (self._listener, self._sender):
            if conn is not None and not conn.is_closed():
                await conn.close()


class RedisTransport:
    def __init__(self, redis_url: str, prefix: str) -> None:
        self._redis: Redis = Redis.from_url(redis_url)
        self._channel = f"{prefix}:{CHANNEL}"
        self._task: asyncio.Task[None] | None = None

    async def start(self, deliver: Callable[[Event], None]) -> None:
        pubsub = self._redis.pubsub()
        await pubsub.subscribe(self._channel)

        async def listen() -> None:
            async for message in pubsub.listen():
                if message.get("type") != "message":
                    continue
                try:
                    deliver(Event.decode(message["data"]))
                except Exception:
                    log.exception("undecodable event on %s", self._channel)

        self._pubsub = pubsub
        self._task = asyncio.get_running_loop().create_task(listen())

    async def send(self, event: Event) -> None:
        await self._redis.publish(self._channel, event.encode())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._pubsub.aclose()  # type: ignore[no-untyped-call]
        await self._redis.aclose()


def build_broker(settings: Settings) -> EventBroker:
    transport: Transport | None = None
    backend = settings.events_backend_for(1)  # `gateway serve` resolves it for its workers
    if backend == "postgres":
        if settings.is_sqlite:
            raise ConfigurationError("GATEWAY_EVENTS_BACKEND=postgres needs a PostgreSQL database")
        transport = PostgresTransport(settings.database_url)
    elif backend == "redis":
        if not settings.redis_url:
            raise ConfigurationError("GATEWAY_EVENTS_BACKEND=redis needs GATEWAY_REDIS_URL")
        transport = RedisTransport(settings.redis_url, settings.redis_key_prefix)
    return EventBroker(transport=transport)
