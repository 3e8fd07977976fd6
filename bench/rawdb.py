"""The raw drivers behind the baseline: one small interface over aiosqlite and asyncpg.

SQL is written once with ``?`` placeholders (asyncpg gets ``$1, $2 ...``). Every statement
is counted in ``stats["statements"]`` (BEGIN/COMMIT are not, as in the gateway's counter).
Values are stored as the gateway's SQLAlchemy types store them: on SQLite, naive UTC
``YYYY-MM-DD HH:MM:SS.ffffff`` strings and ISO dates; on PostgreSQL, ``timestamptz``.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

_PLACEHOLDER = re.compile(r"\?")


@lru_cache(maxsize=512)
def _numbered(sql: str) -> str:
    counter = iter(range(1, 10_000))
    return _PLACEHOLDER.sub(lambda _m: f"${next(counter)}", sql)


class RawDB:
    """One connection, for one request."""

    def __init__(self, conn: Any, stats: dict[str, int]) -> None:
        self.conn = conn
        self.stats = stats

    async def fetch(self, sql: str, *args: Any) -> list[Any]:
        raise NotImplementedError

    async def fetchrow(self, sql: str, *args: Any) -> Any:
        rows = await self.fetch(sql, *args)
        return rows[0] if rows else None

    async def fetchval(self, sql: str, *args: Any) -> Any:
        row = await self.fetchrow(sql, *args)
        return None if row is None else row[0]

    async def execute(self, sql: str, *args: Any) -> None:
        await self.fetch(sql, *args)

    def transaction(self) -> Any:
        raise NotImplementedError

    def ts(self, value: datetime) -> Any:
        return value

    def day(self, value: date) -> Any:
        return value


class SqliteDB(RawDB):
    async def fetch(self, sql: str, *args: Any) -> list[Any]:
        self.stats["statements"] += 1
        return list(await self.conn.execute_fetchall(sql, args))

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[RawDB]:
        await self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            await self.conn.execute("ROLLBACK")
            raise
        await self.conn.execute("COMMIT")

    def ts(self, value: datetime) -> Any:
        return value.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")

    def day(self, value: date) -> Any:
        return value.isoformat()


class PostgresDB(RawDB):
    async def fetch(self, sql: str, *args: Any) -> list[Any]:
        self.stats["statements"] += 1
        return list(await self.conn.fetch(_numbered(sql), *args))

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[RawDB]:
        async with self.conn.transaction():
            yield self


class Pool:
    def __init__(self, stats: dict[str, int]) -> None:
        self.stats = stats

    def acquire(self) -> Any:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError


class SqlitePool(Pool):
    """A fixed set of aiosqlite connections (each has its own thread), as the pragmas of
    the gateway set them up: WAL, foreign keys, ``synchronous=FULL``, a busy timeout."""

    def __init__(self, stats: dict[str, int], conns: list[Any]) -> None:
        super().__init__(stats)
        self.conns = conns
        self.free: asyncio.Queue[Any] = asyncio.Queue()
        for conn in conns:
            self.free.put_nowait(conn)

    @classmethod
    async def open(cls, path: str, stats: dict[str, int], size: int) -> SqlitePool:
        import aiosqlite

        conns = []
        for _ in range(size):
            conn = await aiosqlite.connect(path, isolation_level=None, timeout=30)
            for pragma in (
                "PRAGMA journal_mode=WAL",
                "PRAGMA foreign_keys=ON",
                "PRAGMA synchronous=FULL",
                "PRAGMA busy_timeout=30000",
            ):
                await conn.execute(pragma)
            conns.append(conn)
        return cls(stats, conns)

    @asynccontextmanager
    async def acquire(self) -> AsyncIterator[RawDB]:
        conn = await self.free.get()
        try:
            yield SqliteDB(conn, self.stats)
        finally:
            self.free.put_nowait(conn)

    async def close(self) -> None:
        for conn in self.conns:
            await conn.close()


class PostgresPool(Pool):
    def __init__(self, stats: dict[str, int], pool: Any) -> None:
        super().__init__(stats)
        self.pool = pool

    @asynccontextmanager
    async def acquire(self) -> AsyncIterator[RawDB]:
        async with self.pool.acquire() as conn:
            yield PostgresDB(conn, self.stats)

    async def close(self) -> None:
        await self.pool.close()


async def connect(url: str, stats: dict[str, int], *, pool_size: int) -> Pool:
    """``sqlite+aiosqlite:///path`` or ``postgresql+asyncpg://user@host:port/db``."""
    if url.startswith("sqlite"):
        return await SqlitePool.open(url.split(":///", 1)[1], stats, pool_size)
    import asyncpg

    dsn = url.replace("postgresql+asyncpg://", "postgresql://", 1)
    pool = await asyncpg.create_pool(dsn, min_size=pool_size, max_size=pool_size)
    return PostgresPool(stats, pool)
