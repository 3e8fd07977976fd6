"""Guarantee 6: an acknowledged write survives a crash of the server process.

A real ``gateway serve`` process takes activity inserts (REST and a GraphQL sync batch);
right after the last acknowledgement it is killed with SIGKILL, so nothing gets a chance
to flush or shut down cleanly. A new server process on the same database must then
answer every acknowledged record.

What this proves is commit-before-answer: a write is acknowledged only after its
transaction committed, so a crash of the *process* loses nothing acknowledged. It does not
prove disk durability (the operating system and the disk keep running, so a power cut that
drops the page cache is not simulated); that rests on ``synchronous=FULL`` and
PostgreSQL's fsync.

SQLite: a fresh migrated file (WAL, ``synchronous=FULL``). PostgreSQL: the suite's test
database.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from app.db import Database
from app.migrate import upgrade
from app.models.activities import Activity
from app.seed import seed_demo
from app.settings import Settings
from tests.helpers import Auth

MENTOR = "mentor_4b8c21"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@asynccontextmanager
async def _server(database_url: str, secret: str, workdir: Path) -> AsyncIterator[tuple[Any, str]]:
    """A ``gateway serve`` subprocess; yields (process, base URL) once it is ready."""
    port = _free_port()
    env = {
        **os.environ,
        "GATEWAY_DATABASE_URL": database_url,
        "GATEWAY_JWT_SECRET": secret,
        "GATEWAY_ENV": "development",
        "GATEWAY_RATE_LIMIT_ENABLED": "false",
        "GATEWAY_DB_POOL_SIZE": "5",
        "GATEWAY_DB_MAX_OVERFLOW": "5",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app.cli",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        cwd=workdir,  # no stray .env from the checkout
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=url, timeout=5) as http:
            for _ in range(300):
                if process.returncode is not None:
                    raise RuntimeError(f"gateway serve exited with {process.returncode}")
                try:
                    if (await http.get("/readyz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
            else:
                raise RuntimeError("gateway serve did not become ready")
        yield process, url
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


def _body(n: int) -> dict[str, Any]:
    return {
        "local_id": f"crash_{n:03d}",
        "peer_mentor_id": MENTOR,
        "activity_type_id": "type_walking",
        "date": "2026-11-03",
        "duration_minutes": 20 + n,
        "notes": f"Acknowledged write number {n}",
    }


SYNC = """mutation($items: [LogActivityInput!]!) {
  syncActivities(items: $items) { createdCount results { activity { legacyId } } }
}"""


async def _crash_and_recover(database_url: str, secret: str, workdir: Path, auth: Auth) -> None:
    headers = auth.mentor(MENTOR)
    acknowledged: dict[str, dict[str, Any]] = {}
    async with _server(database_url, secret, workdir) as (process, url):
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            responses = await asyncio.gather(
                *(
                    http.post("/api/v1/activities", json=_body(n), headers=headers)
                    for n in range(24)
                )
            )
            batch = [
                {
                    "localId": f"crash_sync_{n}",
                    "activityTypeId": "type_call",
                    "date": "2026-11-04",
                    "durationMinutes": 10 + n,
                }
                for n in range(8)
            ]
            synced = await http.post(
                "/graphql", json={"query": SYNC, "variables": {"items": batch}}, headers=headers
            )
            # SIGKILL right after the last acknowledgement: no shutdown, no flush.
            process.kill()
            await process.wait()
        assert [r.status_code for r in responses] == [201] * 24, [r.text for r in responses]
        for response in responses:
            acknowledged[response.json()["id"]] = response.json()
        payload = synced.json()["data"]["syncActivities"]
        assert payload["createdCount"] == 8
        for result in payload["results"]:
            acknowledged[result["activity"]["legacyId"]] = {}
    if database_url.startswith("sqlite"):
        # The writes were still only in the write-ahead log when the process died.
        wal = Path(database_url.split(":///", 1)[1] + "-wal")
        wal_size = await asyncio.to_thread(lambda: wal.stat().st_size)
        assert wal_size > 0

    # A new server process on the same database answers every acknowledged record.
    async with (
        _server(database_url, secret, workdir) as (_process, url),
        httpx.AsyncClient(base_url=url, timeout=30) as http,
    ):
        for activity_id, body in acknowledged.items():
            response = await http.get(f"/api/v1/activities/{activity_id}", headers=headers)
            assert response.status_code == 200, (activity_id, response.text)
            if body:
                assert response.json() == body
        # Retrying the acknowledged inserts after the crash creates nothing new.
        replay = await http.post("/api/v1/activities", json=_body(0), headers=headers)
        assert replay.status_code == 200


async def _count_crash_rows(database_url: str) -> int:
    db = Database.from_settings(Settings(database_url=database_url, _env_file=None))
    try:
        async with db.read() as session:
            count = await session.scalar(
                select(func.count()).where(Activity.local_id.like("crash_%"))
            )
        return int(count or 0)
    finally:
        await db.dispose()


@pytest.mark.slow
async def test_guarantee_6_acknowledged_writes_survive_sigkill(
    settings: Settings, auth: Auth, tmp_path: Path
):
    assert settings.jwt_secret is not None
    secret = settings.jwt_secret.get_secret_value()
    if settings.is_sqlite:
        database_url = f"sqlite+aiosqlite:///{tmp_path / 'crash.db'}"
        fresh = Settings(database_url=database_url, jwt_secret=secret, _env_file=None)
        await asyncio.to_thread(upgrade, fresh)
    else:
        database_url = settings.database_url
    db = Database.from_settings(Settings(database_url=database_url, _env_file=None))
    try:
        await seed_demo(db)
    finally:
        await db.dispose()
    try:
        await _crash_and_recover(database_url, secret, tmp_path, auth)
        assert await _count_crash_rows(database_url) == 32
    finally:
        if not settings.is_sqlite:
            await _empty_tables(database_url)


async def _empty_tables(database_url: str) -> None:
    """The PostgreSQL run shares the suite's database: leave it empty for the next test."""
    from sqlalchemy import text

    from app.models import Base

    db = Database.from_settings(Settings(database_url=database_url, _env_file=None))
    try:
        async with db.write() as session:
            names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
            await session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    finally:
        await db.dispose()
