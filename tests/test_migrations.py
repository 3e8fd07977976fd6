"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from app.db import Database
from app.models import Base


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
