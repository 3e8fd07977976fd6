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
from contextlib import AbstractContextManager
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
from tests.helpers import Auth, Served, gateway_serve

MENTOR = "mentor_4b8c21"


def _server(database_url: str, secret: str) -> AbstractContextManager[Served]:
    """A ``gateway serve`` subprocess on ``database_url``, once it is ready (in an empty
    directory: no stray ``.env`` from the checkout)."""
    settings = Settings(database_url=database_url, jwt_secret=secret, _env_file=None)
    return gateway_serve(settings, "--log-level", "warning")


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


async def _crash_and_recover(database_url: str, secret: str, auth: Auth) -> None:
    headers = auth.mentor(MENTOR)
    acknowledged: dict[str, dict[str, Any]] = {}
    with _server(database_url, secret) as served:
        async with httpx.AsyncClient(base_url=f"http://{served.base}", timeout=30) as http:
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
            served.process.kill()
            await asyncio.to_thread(served.process.wait)
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
    with _server(database_url, secret) as served:
        async with httpx.AsyncClient(base_url=f"http://{served.base}", timeout=30) as http:
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
    """Fails if a write is answered before its transaction commits (the killed server's
    acknowledged records would then be missing from the new one)."""
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
        await _crash_and_recover(database_url, secret, auth)
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
