"""On SQLite, a process's write units queue in the process, one at a time in the order they
came, instead of in SQLite's busy handler (which polls the write lock with sleeps of up to
100 ms); one that waited its busy timeout answers 503, as SQLite's own wait would.
PostgreSQL has no such queue: its writers wait on row locks."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import event, text

from app.db import Database
from app.errors import ServiceUnavailable


def _sqlite(db: Database) -> None:
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL writers wait on row locks, not in a queue of the process")


async def _until(condition: Any, within: float = 10) -> None:
    """Polls ``condition`` (``within`` seconds bound a failure only)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not condition():
        assert loop.time() < deadline, "the condition never held"
        await asyncio.sleep(0.01)


async def test_write_units_queue_in_the_process_in_arrival_order(db: Database):
    _sqlite(db)
    begun: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement == "BEGIN IMMEDIATE":
            begun.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", seen)
    order: list[str] = []
    release = asyncio.Event()

    async def unit(name: str, hold: bool = False) -> None:
        async with db.write() as session:
            await session.execute(text("SELECT 1"))
            order.append(name)
            if hold:
                await release.wait()

    try:
        first = asyncio.create_task(unit("first", hold=True))
        await _until(lambda: order == ["first"])
        second = asyncio.create_task(unit("second"))
        await _until(lambda: db.queued_writers == 1)
        third = asyncio.create_task(unit("third"))
        await _until(lambda: db.queued_writers == 2)
        assert len(begun) == 1  # only the open unit has asked SQLite for its write lock
        release.set()
        await asyncio.gather(first, second, third)
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", seen)
    assert order == ["first", "second", "third"]
    assert db.queued_writers == 0


async def test_a_unit_that_waits_past_the_busy_timeout_answers_503(
    db: Database, monkeypatch: pytest.MonkeyPatch
):
    _sqlite(db)
    monkeypatch.setattr("app.db._BUSY_TIMEOUT_SECONDS", 0.2)
    release = asyncio.Event()
    held = asyncio.Event()

    async def holder() -> None:
        async with db.write() as session:
            await session.execute(text("SELECT 1"))
            held.set()
            await release.wait()

    task = asyncio.create_task(holder())
    await held.wait()
    with pytest.raises(ServiceUnavailable) as refused:
        async with db.write() as session:
            await session.execute(text("SELECT 1"))
    assert refused.value.headers == {"Retry-After": "5"}
    assert db.queued_writers == 0
    release.set()
    await task
