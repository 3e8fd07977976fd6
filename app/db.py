"""Engine and units of work.

One ``Database`` per app, built in the lifespan. A unit of work is one ``async with``:
``db.read()`` for queries, ``db.write()`` for changes (committed on success, rolled back
on error). Inside ``db.ambient()`` (the unit of work of ``app/services/work.py``) every
read and write of the task, and of the tasks it starts, joins that one transaction: a
write as a savepoint, a read on the same session, so they see what it wrote.

On SQLite, write units begin with ``BEGIN IMMEDIATE`` so concurrent writers queue on the
database lock instead of failing on a read-to-write upgrade (a process's own write units
queue in the process first, in arrival order: ``Database._queued``); the database runs in WAL mode
with foreign keys on and synchronous writes (``synchronous=FULL``), so an acknowledged
write survives a crash of the process.

A read session (``db.read()`` outside a unit) runs each statement on its own, outside any
transaction: no BEGIN, no ROLLBACK, no round trip or thread hand-over for either. Each
statement sees what was committed when it started, which on PostgreSQL is what a READ
COMMITTED transaction gives every statement anyway; on SQLite, two statements of one read
session may see different commits between them, as they may on PostgreSQL. Write units run
in a transaction (PostgreSQL's READ COMMITTED) as before.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import Select, event, make_url, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.orm.exc import StaleDataError

from app import sqlite_driver
from app.errors import Conflict, ServiceUnavailable
from app.models.base import Versioned
from app.settings import Settings

_WRITE = "gateway_write"
_READ = "gateway_read"
log = logging.getLogger("gateway.db")
T = TypeVar("T")

# PostgreSQL's answers to two transactions racing for the same rows: serialization_failure
# and deadlock_detected. The loser's work is rolled back whole, so it can run again.
_RACE_SQLSTATES = frozenset({"40001", "40P01"})

# When the database cannot serve a request: 503, with this Retry-After (seconds).
RETRY_AFTER_SECONDS = 5
# PostgreSQL refusing a new connection: too_many_connections (the server's
# max_connections or a role's CONNECTION LIMIT), cannot_connect_now (starting or stopping).
_REFUSED_SQLSTATES = {"53300": "too many connections", "57P03": "not accepting connections"}

# Statements executed in the current request/task, when a counter has been started.
# The counters open around the current task (a request's, and a test's around it): each
# statement counts in all of them.
_statement_counts: ContextVar[tuple[list[int], ...]] = ContextVar("statement_counts", default=())


# How long a SQLite writer waits for the write lock (its busy timeout, and this process's
# queue of write units) before the request answers 503.
_BUSY_TIMEOUT_SECONDS = 30


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" hook emit BEGIN itself (pysqlite's implicit BEGIN is off).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_SECONDS * 1000}")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    options = conn.get_execution_options()
    if options.get(_READ, False):
        return  # a read session's statements run on their own (module docstring)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if options.get(_WRITE, False) else "BEGIN")


def _count_statement(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
    if statement.startswith("BEGIN"):
        return
    for cell in _statement_counts.get():
        cell[0] += 1


def create_engine(settings: Settings, *, autocommit: bool = False) -> AsyncEngine:
    """The engine for ``settings``; ``autocommit``: on PostgreSQL, connections outside a
    write unit run each statement on its own, without BEGIN and ROLLBACK round trips (the
    serving ``Database``; migrations keep their transactions)."""
    # Pooled connections on both databases: a connection opened past the pool (overflow)
    # is closed again when returned, and reopening costs a thread and the pragmas on
    # SQLite, a server process on PostgreSQL (docs/performance.md).
    kwargs: dict[str, Any] = {
        "echo": settings.db_echo,
        "pool_size": settings.db_pool_size,
        "max_overflow": settings.db_max_overflow,
        "pool_timeout": settings.db_pool_timeout_seconds,
    }
    if settings.is_sqlite:
        kwargs["connect_args"] = {"timeout": 30}
    else:
        kwargs.update(
            pool_recycle=settings.db_pool_recycle_seconds,
            pool_pre_ping=True,
            connect_args={
                "server_settings": {
                    "statement_timeout": str(settings.db_statement_timeout_ms),
                    "application_name": "gateway",
                }
            },
        )
        if autocommit:
            kwargs["isolation_level"] = "AUTOCOMMIT"
    url = make_url(settings.database_url)
    if settings.is_sqlite:
        # The stock aiosqlite dialect, one thread hand-over per statement (app/sqlite_driver.py).
        url = url.set(drivername=f"sqlite+{sqlite_driver.DRIVER}")
    engine = create_async_engine(url, **kwargs)
    if settings.is_sqlite:
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
    event.listen(engine.sync_engine, "before_cursor_execute", _count_statement)
    return engine


def open_statement_counters() -> int:
    """How many counters the current context counts in (0 outside any request)."""
    return len(_statement_counts.get())


class StatementCounter:
    """Counts SQL statements run by the current task and the tasks it starts, from
    ``start()`` until ``stop()`` with the token ``start()`` returned."""

    def __init__(self) -> None:
        self._cell = [0]

    @property
    def count(self) -> int:
        return self._cell[0]

    def start(self) -> Token[tuple[list[int], ...]]:
        return _statement_counts.set((*_statement_counts.get(), self._cell))

    @staticmethod
    def stop(token: Token[tuple[list[int], ...]]) -> None:
        _statement_counts.reset(token)


def unavailable_reason(exc: BaseException) -> str | None:
    """Why the database cannot take this request now (``None``: another error)."""
    if isinstance(exc, PoolTimeout):
        return "no pooled connection became free within the pool timeout"
    if isinstance(exc, ConnectionRefusedError):
        return "the database server refused the connection"
    if isinstance(exc, DBAPIError):
        refused = _REFUSED_SQLSTATES.get(str(getattr(exc.orig, "sqlstate", "")))
        if refused is not None:
            return f"the database refused the connection ({refused})"
    return None


class WriteRace(Conflict):
    """A unit of work lost a race with another one that changed the same record at the same
    moment (the version it read was gone when it wrote, or the database chose it as the
    loser of a serialization conflict or a deadlock). Nothing of it was committed.
    ``retry_races`` runs such a use case again; unretried, it is the 409 it always was."""


def is_write_race(exc: BaseException) -> bool:
    """Whether ``exc`` is the database refusing a write because of a concurrent one."""
    if isinstance(exc, StaleDataError):
        return True
    return isinstance(exc, DBAPIError) and (
        str(getattr(exc.orig, "sqlstate", "")) in _RACE_SQLSTATES
    )


# Units of work committed so far by the use case ``retry_races`` is running (a list, so
# the tasks a use case gathers count into it too).
_committed: ContextVar[list[int] | None] = ContextVar("committed_writes", default=None)


async def retry_races(
    run: Callable[[], Awaitable[T]], *, attempts: int, base_delay: float = 0.01
) -> T:
    """Run a write use case, again when it lost a race (``WriteRace``) before it committed
    anything, up to ``attempts`` times in all, with a growing, jittered pause between.

    So a write that states no precondition never fails because another request changed
    the record at the same moment; one that does (``If-Match``, ``expectedVersion``) runs
    again, finds the record changed and is refused as stale (412 / ``CONFLICT``), on both
    databases. A use case that committed a unit of work before losing a race in a later
    one is not run again (its first effect would repeat): that race stays a 409. When every
    attempt loses, the answer is 503 with ``Retry-After``."""
    for attempt in range(1, attempts + 1):
        committed: list[int] = [0]
        token = _committed.set(committed)
        try:
            return await run()
        except WriteRace:
            if committed[0]:
                raise
            if attempt == attempts:
                break
        finally:
            _committed.reset(token)
        await asyncio.sleep(random.uniform(0, base_delay * 2**attempt))  # noqa: S311 (jitter)
    log.warning("a write lost %d races in a row; answering 503", attempts)
    raise ServiceUnavailable(
        "The record is being changed by many requests at once; retry later",
        retry_after_seconds=1,
    )


class OutageLog:
    """Logs the database being unavailable at most once per ``interval`` seconds (with
    how many requests were refused in between), not once per refused request."""

    def __init__(self, interval: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self.clock = clock
        self._next: float | None = None
        self._unreported = 0

    def report(self, reason: str) -> None:
        now = self.clock()
        if self._next is not None and now < self._next:
            self._unreported += 1
            return
        log.error(
            "database unavailable: %s; answering 503 (%d more refused since the last report)",
            reason,
            self._unreported,
        )
        self._next = now + self.interval
        self._unreported = 0


class _WriteSession(Session):
    """The session of a write unit (``Database.write``)."""


@event.listens_for(_WriteSession, "do_orm_execute")
def _lock_what_a_write_reads(state: ORMExecuteState) -> None:
    """On PostgreSQL, a write unit's select of versioned records locks them (``FOR UPDATE
    OF`` their table) until it commits: concurrent changes of one record then queue on the
    row, as SQLite's ``BEGIN IMMEDIATE`` queues every writer, instead of racing on its
    version. (Races that remain, e.g. deadlocks, are run again by ``retry_races``.)"""
    statement = state.statement
    if (
        not state.is_select
        or state.is_relationship_load
        or state.session.get_bind().dialect.name != "postgresql"
        or not isinstance(statement, Select)
        or statement._for_update_arg is not None
        or statement._group_by_clauses
        or statement._distinct
    ):
        return
    described = statement.column_descriptions
    entity = described[0].get("entity") if len(described) == 1 else None
    if isinstance(entity, type) and issubclass(entity, Versioned):
        state.statement = statement.with_for_update(of=entity)


@asynccontextmanager
async def _races_refused() -> AsyncIterator[None]:
    """The database refusing a write because of a concurrent one, as a ``WriteRace``."""
    try:
        yield
    except (StaleDataError, DBAPIError) as exc:
        if not is_write_race(exc):
            raise
        raise WriteRace("The record was changed by another request; fetch it and retry") from None


class _TaskLock:
    """A lock the task holding it may take again (a read inside a write of one task)."""

    def __init__(self) -> None:
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task[Any] | None = None
        self._depth = 0

    @asynccontextmanager
    async def hold(self) -> AsyncIterator[None]:
        task = asyncio.current_task()
        if task is not None and self._owner is task:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        async with self._lock:
            self._owner, self._depth = task, 1
            try:
                yield
            finally:
                self._owner, self._depth = None, 0


@dataclass(slots=True)
class _Ambient:
    db: Database
    session: AsyncSession
    # One statement at a time on the session (a request's loaders run concurrently).
    lock: _TaskLock = field(default_factory=_TaskLock)


_ambient: ContextVar[_Ambient | None] = ContextVar("ambient_unit", default=None)


class Database:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.outages = OutageLog()
        # SQLite: this process's write units one at a time (``_queued``); how many wait.
        self._writers = asyncio.Lock() if engine.dialect.name == "sqlite" else None
        self.queued_writers = 0
        postgres = engine.dialect.name == "postgresql"
        self._reader = async_sessionmaker(
            engine.execution_options(**{_READ: True}), expire_on_commit=False, autoflush=False
        )
        # PostgreSQL's default level, for a write unit on a connection that autocommits.
        writes: dict[str, Any] = {"isolation_level": "READ COMMITTED"} if postgres else {}
        self._writer = async_sessionmaker(
            engine.execution_options(**{_WRITE: True}, **writes),
            expire_on_commit=False,
            autoflush=True,
            sync_session_class=_WriteSession,
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        return cls(create_engine(settings, autocommit=True))

    @asynccontextmanager
    async def _available(self) -> AsyncIterator[None]:
        """503 with Retry-After when the database refuses connections or the pool is
        exhausted (a request cannot be served now; it can be retried)."""
        try:
            yield
        except (PoolTimeout, ConnectionRefusedError, DBAPIError) as exc:
            reason = unavailable_reason(exc)
            if reason is None:
                raise
            self.outages.report(reason)
            raise ServiceUnavailable(
                "The database is unavailable; retry later",
                retry_after_seconds=RETRY_AFTER_SECONDS,
            ) from exc

    @asynccontextmanager
    async def _queued(self) -> AsyncIterator[None]:
        """On SQLite, this process's write units one at a time, in the order they came.
        They queue here instead of in SQLite's busy handler, which polls the write lock
        with sleeps of up to 100 ms, so a writer that finds it taken sleeps on however
        soon it is free (writers of other processes still queue there). A unit that
        waited its busy timeout answers 503, as SQLite's own wait would have."""
        if self._writers is None:
            yield
            return
        self.queued_writers += 1
        try:
            async with asyncio.timeout(_BUSY_TIMEOUT_SECONDS):
                await self._writers.acquire()
        except TimeoutError:
            raise ServiceUnavailable(
                "The database is busy; retry later", retry_after_seconds=RETRY_AFTER_SECONDS
            ) from None
        finally:
            self.queued_writers -= 1
        try:
            yield
        finally:
            self._writers.release()

    def _joined(self) -> _Ambient | None:
        ambient = _ambient.get()
        return ambient if ambient is not None and ambient.db is self else None

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        ambient = self._joined()
        if ambient is not None:
            async with ambient.lock.hold():
                yield ambient.session
            return
        async with self._available(), self._reader() as session:
            yield session

    @asynccontextmanager
    async def ambient(self) -> AsyncIterator[AsyncSession]:
        """A write unit that the reads and writes of this task (and the tasks it starts)
        join until it ends; committed on success, rolled back on any error."""
        async with self.write() as session:
            token = _ambient.set(_Ambient(self, session))
            try:
                yield session
            finally:
                _ambient.reset(token)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: commit on success, roll back on any error. Inside
        ``ambient()``, a savepoint of that unit instead (released on success, rolled back
        on error, committed with the unit)."""
        ambient = self._joined()
        if ambient is not None:
            async with _races_refused(), ambient.lock.hold(), ambient.session.begin_nested():
                yield ambient.session
            return
        async with (
            _races_refused(),
            self._queued(),
            self._available(),
            self._writer() as session,
            session.begin(),
        ):
            yield session
        committed = _committed.get()
        if committed is not None:
            committed[0] += 1

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()
