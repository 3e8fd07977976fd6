"""A server killed (SIGKILL) after it committed a write and before its client read the
answer: the client's retry with the same ``Idempotency-Key``, on a new server, replays the
stored outcome, so the effect happens exactly once; without a key the retry repeats it.

On PostgreSQL a deferred trigger holds the COMMIT for two seconds and the server is killed
inside it: the transaction still commits and no answer ever leaves the server. On SQLite
the server is killed as soon as the write is visible in the database, and the client
never reads its answer.

What makes these fail: the outcome stored in another transaction than the effect (then
the retry finds no outcome and records a second contact), or not stored at all.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import func, select, text

from app.db import Database
from app.models.mentoring import ContactEvent
from app.settings import Settings
from tests.helpers import Auth, Served, gateway_serve

CONTACT = "/api/v1/assignments/asgn_001/last-contact"

_SLOW_COMMIT = (
    """CREATE FUNCTION gw_test_slow_commit() RETURNS trigger LANGUAGE plpgsql AS
    $$ BEGIN PERFORM pg_sleep(2); RETURN NULL; END $$""",
    """CREATE CONSTRAINT TRIGGER gw_test_slow_commit AFTER INSERT ON assignment_contacts
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION gw_test_slow_commit()""",
)
_FAST_COMMIT = (
    "DROP TRIGGER IF EXISTS gw_test_slow_commit ON assignment_contacts",
    "DROP FUNCTION IF EXISTS gw_test_slow_commit()",
)


async def _contacts(db: Database) -> int:
    async with db.read() as session:
        found = await session.scalar(
            select(func.count())
            .select_from(ContactEvent)
            .where(ContactEvent.assignment_id == "asgn_001")
        )
    return int(found or 0)


@pytest.fixture
async def slow_commits(db: Database) -> AsyncIterator[bool]:
    """On PostgreSQL, every COMMIT that recorded a contact takes two seconds."""
    if db.engine.dialect.name != "postgresql":
        yield False
        return
    async with db.write() as session:
        for statement in _SLOW_COMMIT:
            await session.execute(text(statement))
    try:
        yield True
    finally:
        async with db.write() as session:
            for statement in _FAST_COMMIT:
                await session.execute(text(statement))


def _send_unread(base: str, headers: dict[str, str], body: bytes) -> socket.socket:
    """Send ``PUT CONTACT`` and return the socket without reading the answer."""
    host, port = base.split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    sock.sendall(
        (
            f"PUT {CONTACT} HTTP/1.1\r\nHost: {base}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n{head}\r\n"
        ).encode()
        + body
    )
    return sock


async def _until(condition_met: object, what: str, bound: float = 15.0) -> None:
    deadline = time.monotonic() + bound
    while not await condition_met():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)  # polling another process's writes: no event to await


def _kill(served: Served) -> None:
    served.process.kill()
    served.process.wait(timeout=30)


def _received(sock: socket.socket) -> bytes:
    sock.settimeout(5)
    try:
        return sock.recv(65536)
    except (ConnectionResetError, TimeoutError):
        return b""
    finally:
        sock.close()


@pytest.mark.parametrize("keyed", [True, False], ids=["with-key", "without-key"])
async def test_a_retry_after_a_kill_between_commit_and_answer(
    settings: Settings, demo, db: Database, auth: Auth, slow_commits: bool, keyed: bool
):
    before = await _contacts(db)
    key = {"Idempotency-Key": "crash-between-commit-and-answer"} if keyed else {}
    headers = {**auth.coordinator, **key}
    body = json.dumps({"contact_type": "call"}).encode()
    with gateway_serve(settings, "--log-level", "warning") as first:
        sock = _send_unread(first.base, headers, body)
        if slow_commits:
            await asyncio.sleep(1.0)  # the COMMIT is under way (it takes 2 s)
            assert await _contacts(db) == before  # not committed yet
        else:

            async def committed() -> bool:
                return await _contacts(db) == before + 1

            await _until(committed, "the contact to be committed")
        _kill(first)
        answer = _received(sock)
    if slow_commits:
        assert answer == b""  # the server died before it could answer

        async def committed_anyway() -> bool:
            return await _contacts(db) == before + 1

        await _until(committed_anyway, "the killed server's commit")
    with gateway_serve(settings, "--log-level", "warning") as second:
        async with httpx.AsyncClient(base_url=f"http://{second.base}") as http:
            retry = await http.put(
                CONTACT, content=body, headers={**headers, "Content-Type": "application/json"}
            )
    assert retry.status_code == 200, retry.text
    if keyed:
        assert retry.headers["idempotent-replayed"] == "true"
        assert await _contacts(db) == before + 1
    else:
        assert await _contacts(db) == before + 2
