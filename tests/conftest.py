"""Test fixtures: the real ASGI app on a real database.

``GATEWAY_TEST_DATABASE=sqlite`` (default) runs on a temporary SQLite file;
``GATEWAY_TEST_DATABASE=postgres`` creates a fresh PostgreSQL database for the session on
the server of ``GATEWAY_TEST_PG_URL`` and drops it afterwards. Either way the schema is
built by the Alembic migrations, and every test starts from empty tables.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from starlette.applications import Starlette

from app.auth import TokenService
from app.db import Database, WriteRace
from app.main import create_app
from app.migrate import upgrade
from app.models import Base
from app.seed import seed_demo
from app.settings import Settings
from tests.helpers import Auth, serve_in_thread

BACKEND = os.environ.get("GATEWAY_TEST_DATABASE", "sqlite")
PG_URL = os.environ.get("GATEWAY_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")


def _in_thread(fn: object, *args: object) -> None:
    with ThreadPoolExecutor(1) as pool:
        pool.submit(fn, *args).result()  # type: ignore[arg-type]


def _pg_admin_dsn() -> str:
    url = make_url(PG_URL)
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


async def _pg_exec(sql: str) -> None:
    conn = await asyncpg.connect(_pg_admin_dsn())
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if BACKEND == "sqlite":
        path: Path = tmp_path_factory.mktemp("db") / "test.db"
        yield f"sqlite+aiosqlite:///{path}"
        return
    if BACKEND != "postgres":
        raise RuntimeError(f"unknown GATEWAY_TEST_DATABASE {BACKEND!r}")
    name = f"gw_test_{uuid.uuid4().hex[:10]}"
    asyncio.run(_pg_exec(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_pg_exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    settings = Settings(
        database_url=database_url,
        jwt_secret="test-secret-" + "x" * 40,
        env="development",
        rate_limit_enabled=False,  # the suite is one client; tests/test_rate_limits.py enables it
        configure_logging=False,  # keep pytest's log capture
        db_pool_size=5,  # several apps share one PostgreSQL server in the suite
        db_max_overflow=5,
        graphql_executor_switch=True,  # tests/helpers.gql runs every query on both executors
        _env_file=None,
    )
    _in_thread(upgrade, settings)
    return settings


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[Starlette]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture(scope="session")
def db(app: Starlette) -> Database:
    database: Database = app.state.db
    return database


@pytest.fixture(autouse=True)
async def _clean_tables(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """Every test starts from empty tables and an empty persisted-query (APQ) store."""
    if "app" not in request.fixturenames:
        yield
        return
    database: Database = request.getfixturevalue("db")
    application: Starlette = request.getfixturevalue("app")
    yield
    await application.state.persisted.clear()
    application.state.known_people.forget_all()  # the people go with the tables
    # Work the test left running in the background (an event's deliveries, the outbox
    # relay) may still hold a row the cleanup wants: PostgreSQL then breaks the deadlock
    # by refusing one of the two (a WriteRace here), and the cleanup tries again.
    for attempt in range(5):
        try:
            await _empty_tables(database)
            break
        except WriteRace:
            if attempt == 4:
                raise
            await asyncio.sleep(0.1 * (attempt + 1))


async def _empty_tables(database: Database) -> None:
    async with database.write() as session:
        if database.engine.dialect.name == "postgresql":
            # Outbox ids keep growing, as in production: the app's broker remembers the ids
            # it delivered, and a restarted sequence would hand them out again.
            tables = [t for t in Base.metadata.sorted_tables if t.name != "event_outbox"]
            names = ", ".join(f'"{t.name}"' for t in tables)
            await session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            await session.execute(text('TRUNCATE "event_outbox" CONTINUE IDENTITY'))
        else:
            for table in reversed(Base.metadata.sorted_tables):
                await session.execute(table.delete())


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as c:
        yield c


@pytest.fixture
def auth(settings: Settings) -> Auth:
    return Auth(TokenService(settings))


@pytest.fixture
async def demo(db: Database) -> None:
    """The demo data set (every id the contracts' examples use)."""
    await seed_demo(db)


@dataclass(frozen=True, slots=True)
class LiveServer:
    url: str  # host:port
    app: Starlette  # what it serves (e.g. to wait until its event broker has subscribers)


@pytest.fixture(scope="session")
def live_url(live_server: LiveServer) -> str:
    return live_server.url


@pytest.fixture(scope="session")
def live_server(settings: Settings) -> Iterator[LiveServer]:
    """The gateway served by a real uvicorn server on a free loopback port, in a thread of
    its own (so blocking clients such as a browser driver cannot stall it)."""
    served = create_app(settings)
    with serve_in_thread(served) as url:
        yield LiveServer(url, served)
