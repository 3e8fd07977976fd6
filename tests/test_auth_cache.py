"""Authentication remembers who exists (``app.auth.KnownPeople``): a caller's later requests
skip the directory look-up, and a deletion is refused at once all the same, on both doors.
(Across workers: tests/test_multiworker.py.)"""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette

from app.auth import KnownPeople
from app.db import Database
from app.events import Event, EventKind
from app.repositories.people import person_exists
from tests.helpers import Auth, count_statements, gql, known_caller
from tests.test_api_keys import _issue as issue_api_key

PERSON = "user_600"


async def _create(client: httpx.AsyncClient, auth: Auth) -> dict[str, str]:
    created = await client.post(
        "/api/v1/people",
        json={"id": PERSON, "name": "Siri Aas", "roles": ["peer_mentor"]},
        headers=auth.admin,
    )
    assert created.status_code == 201, created.text
    return auth.mentor(PERSON)


async def _statements_of_me(client: httpx.AsyncClient, headers: dict[str, str]) -> int:
    with count_statements() as counter:
        await known_caller(client, headers)
    return counter.count


async def test_a_callers_later_requests_skip_the_person_look_up(
    client: httpx.AsyncClient, demo, auth: Auth
):
    headers = await _create(client, auth)
    first = await _statements_of_me(client, headers)
    assert await _statements_of_me(client, headers) == first - 1


async def test_a_deleted_person_is_refused_at_once_on_both_doors_though_remembered(
    client: httpx.AsyncClient, demo, auth: Auth
):
    """People are deleted over GraphQL (the people contract has no DELETE)."""
    headers = await _create(client, auth)
    await _statements_of_me(client, headers)  # remembered now
    body = await gql(client, f'mutation {{ deletePerson(id: "{PERSON}") }}', headers=auth.admin)
    assert body["data"]["deletePerson"] is True, body
    refused = await client.get("/api/v1/me", headers=headers)
    assert refused.status_code == 401
    assert "does not exist" in refused.text
    over_graphql = await client.post(
        "/graphql", json={"query": "{ me { legacyId } }"}, headers=headers
    )
    assert over_graphql.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_an_api_keys_person_is_remembered_its_row_read_each_time(
    client: httpx.AsyncClient, demo, auth: Auth
):
    """Only the key's person is remembered (read in the same session as the key): the key's
    row is read on every request, so a revoked key is refused at once
    (tests/test_api_keys.py revokes one after using it)."""
    key = {"X-API-Key": (await issue_api_key(client, auth))["key"]}
    first = await _statements_of_me(client, key)
    assert await _statements_of_me(client, key) == first - 1 >= 1


async def _lookups(known: KnownPeople, db: Database, person: str) -> int:
    """How many statements ``known.exists`` ran for ``person`` (0: remembered); asserts the
    person exists."""
    with count_statements() as counter:
        async with db.read() as session:
            assert await known.exists(session, person)
    return counter.count


async def test_what_is_remembered_expires_and_is_bounded(db: Database, demo):
    now = [1000.0]
    known = KnownPeople(30, size=2, clock=lambda: now[0])
    assert await _lookups(known, db, "user_042") == 1
    assert await _lookups(known, db, "user_042") == 0
    now[0] += 31
    assert await _lookups(known, db, "user_042") == 1  # expired, looked up again
    await _lookups(known, db, "user_007")
    await _lookups(known, db, "user_201")  # the third person pushes out the oldest
    assert not known.remembers("user_042")
    assert known.remembers("user_007")
    assert known.remembers("user_201")
    never = KnownPeople(0)
    assert await _lookups(never, db, "user_042") == 1
    assert await _lookups(never, db, "user_042") == 1


async def test_a_look_up_that_overlaps_a_deletion_is_not_remembered(
    db: Database, demo, monkeypatch: pytest.MonkeyPatch
):
    """The directory said "exists" before the deletion committed, the deletion is heard
    while that answer is on its way: the answer holds for this request only."""
    known = KnownPeople(30)

    async def deleted_meanwhile(session: AsyncSession, person_id: str) -> bool:
        found = await person_exists(session, person_id)
        known.forget(person_id)
        return found

    monkeypatch.setattr("app.auth.person_exists", deleted_meanwhile)
    async with db.read() as session:
        assert await known.exists(session, "user_042")
    assert not known.remembers("user_042")


async def test_the_apps_broker_tells_the_cache_of_deletions(app: Starlette, demo):
    known: KnownPeople = app.state.known_people
    async with app.state.db.read() as session:
        assert await known.exists(session, "user_042")
    assert known.remembers("user_042")
    app.state.events.publish(Event(EventKind.PERSON_UPDATED, "user_042", {}))
    assert known.remembers("user_042")  # an update changes nothing authentication checks
    app.state.events.publish(Event(EventKind.PERSON_DELETED, "user_042", {}))
    assert not known.remembers("user_042")
    await asyncio.sleep(0)
