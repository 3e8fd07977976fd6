"""Run-once leases: of several workers asking at the same moment, exactly one holds it."""

from __future__ import annotations

import asyncio

from app.db import Database
from app.leases import lease
from app.settings import Settings


async def test_one_holder_at_a_time(db: Database, settings: Settings):
    inside = asyncio.Event()
    release = asyncio.Event()

    async def holder() -> bool:
        async with lease(db, settings, "job") as held:
            inside.set()
            await release.wait()
            return held

    first = asyncio.create_task(holder())
    await inside.wait()
    async with lease(db, settings, "job") as second:
        assert second is False  # held by the first worker
    async with lease(db, settings, "other-job") as other:
        assert other is True  # leases are per job
    release.set()
    assert await first is True
    async with lease(db, settings, "job") as again:
        assert again is True  # released after the first finished


async def test_concurrent_askers_get_exactly_one_lease(db: Database, settings: Settings):
    barrier = asyncio.Barrier(5)
    answers: list[bool] = []
    all_answered = asyncio.Event()

    async def ask() -> bool:
        await barrier.wait()
        async with lease(db, settings, "sweep") as held:
            answers.append(held)
            if len(answers) == 5:
                all_answered.set()
            # Nobody leaves (so the holder keeps its lease) until every asker has its
            # answer; the timeout only bounds a failure.
            await asyncio.wait_for(all_answered.wait(), timeout=10)
            return held

    results = await asyncio.gather(*(ask() for _ in range(5)))
    assert sorted(results) == [False, False, False, False, True]
