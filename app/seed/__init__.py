"""Demo data for ``gateway seed --demo``: every id the contracts' examples use.

Each domain adds its seeder to ``SEEDERS`` (run in order, in one transaction).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import Database
from app.models.people import Person
from app.seed import activities, editorial, mentoring, milestones, people

Seeder = Callable[[AsyncSession, int], Awaitable[None]]

SEEDERS: tuple[Seeder, ...] = (
    people.seed,
    editorial.seed,
    activities.seed,
    mentoring.seed,
    milestones.seed,
)


async def is_empty(db: Database) -> bool:
    async with db.read() as session:
        return not await session.scalar(select(func.count()).select_from(Person))


async def seed_demo(db: Database, scale: int = 1) -> None:
    async with db.write() as session:
        for seeder in SEEDERS:
            await seeder(session, scale)
