"""Run-once leases for scheduled work: at most one worker at a time runs a named job.

PostgreSQL: a session advisory lock (``pg_try_advisory_lock``) held for the job's duration.
SQLite (one machine): an exclusive, non-blocking ``flock`` on a file beside the database.
Whoever does not get the lease skips this tick; the jobs are idempotent besides.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import text

from app.db import Database
from app.settings import Settings


def _key(name: str) -> int:
    """A stable signed 64-bit advisory lock key for ``name``."""
    return int.from_bytes(
        hashlib.sha256(f"gateway:{name}".encode()).digest()[:8], "big", signed=True
    )


@asynccontextmanager
async def lease(db: Database, settings: Settings, name: str) -> AsyncIterator[bool]:
    """``True`` inside the block when this worker holds the lease for ``name``."""
    if not settings.is_sqlite:
        async with db.engine.connect() as conn:
            held = bool(
                await conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": _key(name)})
            )
            await conn.commit()
            try:
                yield held
            finally:
                if held:
                    await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _key(name)})
                    await conn.commit()
        return
    db_path = settings.database_url.split(":///", 1)[1]
    lock_path = Path(db_path).with_name(f"{Path(db_path).name}.{name}.lease")
    with lock_path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            with contextlib.suppress(OSError):
                fcntl.flock(handle, fcntl.LOCK_UN)
