"""Alembic environment: runs migrations on the async engine of the configured database."""

from __future__ import annotations

import asyncio
import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection

import app.models  # noqa: F401  (registers every table)
from app.db import create_engine
from app.models.base import Base
from app.settings import Settings

_ADVISORY_LOCK_KEY = 72_617_001  # any fixed number: one migrator at a time per database


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


@contextmanager
def _sqlite_migration_lock(settings: Settings) -> Iterator[None]:
    """SQLite has no advisory locks: concurrent migrators queue on a file lock instead."""
    db_path = settings.database_url.split(":///", 1)[1]
    with Path(f"{db_path}.migrate.lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


async def _run_online(settings: Settings) -> None:
    if settings.is_sqlite:
        with _sqlite_migration_lock(settings):
            await _migrate(settings)
    else:
        await _migrate(settings)


async def _migrate(settings: Settings) -> None:
    engine = create_engine(settings)
    try:
        async with engine.connect() as connection:
            postgres = connection.dialect.name == "postgresql"
            if postgres:
                await connection.execute(text(f"SELECT pg_advisory_lock({_ADVISORY_LOCK_KEY})"))
                await connection.commit()
            try:
                await connection.run_sync(_run)
                await connection.commit()
            finally:
                if postgres:
                    await connection.execute(
                        text(f"SELECT pg_advisory_unlock({_ADVISORY_LOCK_KEY})")
                    )
                    await connection.commit()
    finally:
        await engine.dispose()


settings = context.config.attributes.get("settings") or Settings(
    database_url=context.config.get_main_option("sqlalchemy.url") or Settings().database_url
)
asyncio.run(_run_online(settings))
