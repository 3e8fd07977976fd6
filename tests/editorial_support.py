"""Shared pieces of the editorial tests: the contract's examples and lock helpers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select, update

from app.db import Database
from app.models.editorial import EditorialLock
from app.timeutil import utcnow

EXAMPLE = "AAAAAAAA-1234-4567-7890-BBBBBBBBBBBB"
EXAMPLE_SRN = f"srn:tsn:ceo-core/assignment:{EXAMPLE}"
OTHER = "AAAAAAAA-1234-4567-7890-000000000003"
UNKNOWN = "ZZZZZZZZ-1234-4567-7890-BBBBBBBBBBBB"

# The contract's example request body, verbatim.
EXAMPLE_BODY: dict[str, Any] = {
    "slug": "some-slug",
    "type": "article",
    "title": "A title",
    "content": "<p>something</p>",
    "published_at": None,
    "due_at": "2016-12-30 05:00:00",
    "issue_id": "2",
    "children": ["UUUUUUUU-1234-4567-7890-BBBBBBBBBBBB", "OOOOOOOO-1234-4567-7890-BBBBBBBBBBBB"],
    "users": ["PPPPPPPP-1234-4567-7890-BBBBBBBBBBBB"],
}

ITEM_KEYS = [
    "id", "uuid", "slug", "type", "title", "abstract", "content", "notes", "created_at",
    "modified_at", "published_at", "due_at", "creator_id", "issue_id", "srn", "children",
    "issue", "lock", "users",
]  # fmt: skip

ENVELOPE_KEYS = [
    "items", "first", "before", "current", "last", "next", "total_pages", "total_items", "limit",
]  # fmt: skip


def srn_of(uuid: str) -> str:
    return f"srn:tsn:ceo-core/assignment:{uuid}"


async def take_lock(
    client: httpx.AsyncClient, headers: dict[str, str], uuid: str = EXAMPLE
) -> dict[str, Any]:
    response = await client.post("/v3/lock-request", json={"srn": srn_of(uuid)}, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def expire_lock(db: Database, srn: str, *, seconds_ago: int = 1) -> None:
    """Move a lock's expiry into the past, as if its time had run out."""
    async with db.write() as session:
        await session.execute(
            update(EditorialLock)
            .where(EditorialLock.srn == srn)
            .values(expires_at=utcnow() - timedelta(seconds=seconds_ago))
        )


async def age_lock(db: Database, srn: str, *, seconds: int) -> None:
    """Let ``seconds`` pass for a lock: its times all move that far into the past."""
    delta = timedelta(seconds=seconds)
    async with db.write() as session:
        lock = await session.scalar(select(EditorialLock).where(EditorialLock.srn == srn))
        assert lock is not None, srn
        lock.created_at -= delta
        lock.modified_at -= delta
        lock.expires_at -= delta
