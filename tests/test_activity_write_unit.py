"""Logging an activity holds the write unit (SQLite's write lock) for its insert and its
event only: the look-ups (the mentor, the ``local_id``, the type, the mentor's
organisations) run before the unit begins, and a replay opens no write unit at all; on
both doors. The statements are watched where they reach the database."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from sqlalchemy import event, func, select

from app.db import Database
from app.models.outbox import OutboxEntry
from tests.helpers import Auth, gql, once

MENTOR = "mentor_4b8c21"
REST_BODY = {
    "local_id": "local_unit_1",
    "activity_type_id": "type_running",
    "date": "2026-03-25",
    "duration_minutes": 45,
}
LOG = """mutation($input: LogActivityInput!) {
  logActivity(input: $input) { created activity { legacyId } }
}"""
GRAPHQL_INPUT = {
    "input": {
        "localId": "local_unit_2",
        "activityTypeId": "type_running",
        "date": "2026-03-25",
        "durationMinutes": 45,
    }
}


@contextmanager
def write_unit_statements(db: Database) -> Iterator[list[str]]:
    """The statements run on write-unit connections while the block runs (their first
    words: ``INSERT INTO activities`` ...)."""
    seen: list[str] = []

    def watch(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if conn.get_execution_options().get("gateway_write"):
            seen.append(" ".join(statement.split()[:3]))

    engine = db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", watch)
    try:
        with once():  # the differential rerun of a query is not this request's
            yield seen
    finally:
        event.remove(engine, "before_cursor_execute", watch)


def _inserts_only(seen: list[str]) -> list[str]:
    """The unit's statements but BEGIN/COMMIT (SQLite sends them as statements)."""
    return [s for s in seen if not s.startswith(("BEGIN", "COMMIT", "ROLLBACK"))]


def _insert_and_event(db: Database) -> list[str]:
    """The activity's insert, then its event's: on PostgreSQL the outbox first takes the
    lock that orders its entries by commit (``app/repositories/outbox.py``)."""
    ordering = (
        ["SELECT pg_advisory_xact_lock($1)"] if db.engine.dialect.name == "postgresql" else []
    )
    return ["INSERT INTO activities", *ordering, "INSERT INTO event_outbox"]


async def test_a_new_activity_holds_the_unit_for_its_insert_and_event_only(
    client: httpx.AsyncClient, demo, auth: Auth, db: Database
):
    headers = auth.mentor(MENTOR)
    with write_unit_statements(db) as seen:
        created = await client.post("/api/v1/activities", json=REST_BODY, headers=headers)
    assert created.status_code == 201, created.text
    assert _inserts_only(seen) == _insert_and_event(db), seen
    with write_unit_statements(db) as seen:
        body = await gql(client, LOG, GRAPHQL_INPUT, headers)
    assert body["data"]["logActivity"]["created"] is True, body
    assert _inserts_only(seen) == _insert_and_event(db), seen


async def _all_published(db: Database) -> None:
    """Wait until the outbox holds no unpublished entry: marking the earlier writes'
    events published (a write unit of the publisher or a relay, which may run after their
    response) is not the replay's."""
    for _ in range(200):
        async with db.read() as session:
            waiting = await session.scalar(
                select(func.count())
                .select_from(OutboxEntry)
                .where(OutboxEntry.published_at.is_(None))
            )
        if not waiting:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the outbox kept unpublished entries for 10 s")


async def test_a_replay_opens_no_write_unit(
    client: httpx.AsyncClient, demo, auth: Auth, db: Database
):
    headers = auth.mentor(MENTOR)
    first = await client.post("/api/v1/activities", json=REST_BODY, headers=headers)
    assert first.status_code == 201, first.text
    await gql(client, LOG, GRAPHQL_INPUT, headers)
    await _all_published(db)
    with write_unit_statements(db) as seen:
        again = await client.post("/api/v1/activities", json=REST_BODY, headers=headers)
        replayed = await gql(client, LOG, GRAPHQL_INPUT, headers)
    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    assert replayed["data"]["logActivity"]["created"] is False
    assert seen == []
