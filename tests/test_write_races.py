"""Concurrent writes: no spurious conflicts, and a stale precondition is always refused as
stale (REST 412, GraphQL ``CONFLICT``), on both databases.

What makes these fail: the REST write routes or the mutation fields calling the use case
without ``retry_races`` and the PostgreSQL write units reading without their row lock
(then concurrent PUTs without ``If-Match`` answer 409 on PostgreSQL, and the losers of an
``If-Match`` race 409 instead of 412); ``retry_races`` running a use case again after it
committed a unit (``test_a_race_after_a_committed_unit_is_not_run_again``); the lock alone
(``test_a_write_unit_locks_what_it_reads_on_postgres``).
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.orm.exc import StaleDataError

from app.db import Database, WriteRace, retry_races
from app.errors import ServiceUnavailable
from app.models.mentoring import Assignment
from tests.conftest import BACKEND
from tests.helpers import Auth, error_codes, gql

BASE = "/api/v1/assignments"
WRITERS = 8


async def _version(client: httpx.AsyncClient, auth: Auth, key: str = "asgn_001") -> int:
    response = await client.get(f"{BASE}/{key}", headers=auth.coordinator)
    assert response.status_code == 200, response.text
    return int(response.headers["etag"].strip('"'))


async def _contacts(client: httpx.AsyncClient, auth: Auth) -> int:
    body = await gql(
        client,
        '{ assignment(id: "asgn_001") { contacts(last: 100) { contactAt } } }',
        headers=auth.coordinator,
    )
    assert "errors" not in body, body
    return len(body["data"]["assignment"]["contacts"])


async def test_concurrent_puts_without_if_match_all_succeed(client, demo, auth: Auth):
    before = await _version(client, auth)
    notes = [f"writer {i}" for i in range(WRITERS)]
    answers = await asyncio.gather(
        *(
            client.put(f"{BASE}/asgn_001", json={"notes": note}, headers=auth.coordinator)
            for note in notes
        )
    )
    assert [a.status_code for a in answers] == [200] * WRITERS, [a.text for a in answers]
    assert await _version(client, auth) == before + WRITERS
    final = await client.get(f"{BASE}/asgn_001", headers=auth.coordinator)
    assert final.json()["notes"] in notes


async def test_concurrent_contacts_without_if_match_are_all_recorded(client, demo, auth: Auth):
    before = await _contacts(client, auth)
    answers = await asyncio.gather(
        *(
            client.put(
                f"{BASE}/asgn_001/last-contact",
                json={"contact_type": "call"},
                headers=auth.coordinator,
            )
            for _ in range(WRITERS)
        )
    )
    assert [a.status_code for a in answers] == [200] * WRITERS, [a.text for a in answers]
    assert await _contacts(client, auth) == before + WRITERS


async def test_an_if_match_race_has_one_winner_and_412s(client, demo, auth: Auth):
    version = await _version(client, auth)
    headers = {**auth.coordinator, "If-Match": f'"{version}"'}
    answers = await asyncio.gather(
        *(
            client.put(f"{BASE}/asgn_001", json={"notes": f"racer {i}"}, headers=headers)
            for i in range(WRITERS)
        )
    )
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200] + [412] * (WRITERS - 1), [a.text for a in answers]
    assert {a.json()["code"] for a in answers if a.status_code == 412} == {"PRECONDITION_FAILED"}
    assert await _version(client, auth) == version + 1


UPDATE = """mutation($note: String!, $v: Int) {
  updateAssignment(id: "asgn_001", input: {notes: $note}, expectedVersion: $v) { version }
}"""


async def test_concurrent_mutations_without_expected_version_all_succeed(client, demo, auth: Auth):
    before = await _version(client, auth)
    bodies = await asyncio.gather(
        *(
            gql(client, UPDATE, {"note": f"writer {i}"}, headers=auth.coordinator)
            for i in range(WRITERS)
        )
    )
    assert [error_codes(body) for body in bodies] == [[]] * WRITERS, bodies
    versions = sorted(body["data"]["updateAssignment"]["version"] for body in bodies)
    assert versions == list(range(before + 1, before + WRITERS + 1))


async def test_an_expected_version_race_has_one_winner_and_conflicts(client, demo, auth: Auth):
    version = await _version(client, auth)
    bodies: list[dict[str, Any]] = await asyncio.gather(
        *(
            gql(client, UPDATE, {"note": f"racer {i}", "v": version}, headers=auth.coordinator)
            for i in range(WRITERS)
        )
    )
    codes = sorted(tuple(error_codes(body)) for body in bodies)
    assert codes == [()] + [("CONFLICT",)] * (WRITERS - 1), bodies
    assert await _version(client, auth) == version + 1


# --- the mechanism -----------------------------------------------------------------------


async def test_a_lost_race_runs_again(db: Database):
    calls = 0

    async def use_case() -> str:
        nonlocal calls
        calls += 1
        async with db.write():
            if calls < 3:
                raise StaleDataError("another request changed it")  # becomes a WriteRace
        return "done"

    assert await retry_races(use_case, attempts=5, base_delay=0) == "done"
    assert calls == 3


async def test_a_race_after_a_committed_unit_is_not_run_again(db: Database):
    calls = 0

    async def use_case() -> None:
        nonlocal calls
        calls += 1
        async with db.write():
            pass  # committed: running the use case again would repeat this effect
        async with db.write():
            raise StaleDataError("lost in the second unit")

    with pytest.raises(WriteRace):
        await retry_races(use_case, attempts=5, base_delay=0)
    assert calls == 1


async def test_a_write_that_loses_every_race_is_503(db: Database):
    calls = 0

    async def use_case() -> None:
        nonlocal calls
        calls += 1
        raise WriteRace("always lost")

    with pytest.raises(ServiceUnavailable) as refused:
        await retry_races(use_case, attempts=4, base_delay=0)
    assert calls == 4
    assert refused.value.headers == {"Retry-After": "1"}


@pytest.mark.skipif(
    BACKEND != "postgres", reason="SQLite queues every write unit at BEGIN IMMEDIATE"
)
async def test_a_write_unit_locks_what_it_reads_on_postgres(db: Database, demo):
    """A second write unit reading the same assignment waits until the first commits, then
    reads the version the first wrote (without the lock it would read the old one)."""
    order: list[str] = []
    async with db.write() as first:
        row = await first.get(Assignment, "asgn_001")
        assert row is not None
        version = row.version

        async def second() -> int:
            async with db.write() as session:
                other = await session.get(Assignment, "asgn_001")
                order.append("second read")
                assert other is not None
                return other.version

        waiting = asyncio.create_task(second())
        async with db.read() as probe:  # the second unit is blocked on the row lock
            for _ in range(500):
                waits = await probe.scalar(
                    text(
                        "select count(*) from pg_stat_activity "
                        "where wait_event_type = 'Lock' and datname = current_database()"
                    )
                )
                if waits:
                    break
                await asyncio.sleep(0.01)  # poll interval: the server has no wait event
            assert waits == 1
        row.notes = "changed by the first"
        await first.flush()
        order.append("first commits")
    assert await asyncio.wait_for(waiting, timeout=10) == version + 1
    assert order == ["first commits", "second read"]
