"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import make_url

from app.db import Database
from app.migrate import alembic_config
from app.models import Base
from app.settings import Settings
from tests.conftest import PG_URL, _pg_exec


async def test_models_and_migrations_agree(db: Database):
    def diff(connection):
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)

    async with db.engine.connect() as connection:
        differences = await connection.run_sync(diff)
    assert differences == []


async def test_sqlite_runs_in_wal_with_foreign_keys(db: Database):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite pragmas; the PostgreSQL run checks its own settings")
    async with db.engine.connect() as connection:
        assert (await connection.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
        assert (await connection.execute(text("PRAGMA foreign_keys"))).scalar() == 1
        assert (await connection.execute(text("PRAGMA synchronous"))).scalar() == 2


async def test_postgres_sessions_have_a_statement_timeout(db: Database):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL setting; the SQLite run checks its pragmas")

    async with db.read() as session:
        value = (await session.execute(text("SHOW statement_timeout"))).scalar()
    assert value == "15s"  # the default GATEWAY_DB_STATEMENT_TIMEOUT_MS of 15000


async def test_concurrent_migrate_runs_are_safe(settings: Settings):
    """Two deploys running ``gateway migrate`` at once on a fresh database both succeed."""

    if settings.is_sqlite:
        folder = tempfile.mkdtemp(prefix="gw-migrate-")
        url = f"sqlite+aiosqlite:///{folder}/fresh.db"
        name = None
    else:
        name = f"gw_migrate_{uuid.uuid4().hex[:10]}"
        await _pg_exec(f'CREATE DATABASE "{name}"')
        url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    env = {**os.environ, "GATEWAY_DATABASE_URL": url, "GATEWAY_JWT_SECRET": "x" * 40}
    try:
        runs = [
            await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "app.cli",
                "migrate",
                env=env,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
            )
            for _ in range(2)
        ]
        results = [await run.communicate() for run in runs]
        assert [run.returncode for run in runs] == [0, 0], [
            err.decode()[-800:] for _, err in results
        ]

        fresh = Database.from_settings(Settings(database_url=url, _env_file=None))
        try:
            async with fresh.read() as session:
                heads = set(
                    (
                        await session.execute(text("SELECT version_num FROM alembic_version"))
                    ).scalars()
                )
        finally:
            await fresh.dispose()
        expected = set(ScriptDirectory.from_config(alembic_config(settings)).get_heads())
        assert heads == expected
    finally:
        if name is not None:
            await _pg_exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
