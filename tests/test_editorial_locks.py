"""Exclusive locks (CEO lock requests): one holder per srn, renewal, expiry, release, the
admin break, 423 on PUT/DELETE without the lock, and races between two users."""

from __future__ import annotations

import asyncio
import contextvars
import re
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from app.db import Database
from app.models.outbox import OutboxEntry
from tests.editorial_support import (
    EXAMPLE,
    EXAMPLE_BODY,
    EXAMPLE_SRN,
    OTHER,
    expire_lock,
    srn_of,
    take_lock,
)
from tests.helpers import Auth, writer_waits

LOCK_KEYS = ["uuid", "srn", "state", "user_id", "user", "created_at", "modified_at", "expires_at"]
UPDATE_MESSAGE = "Exclusive lock is required to update an assignment"
DELETE_MESSAGE = "Exclusive lock is required to delete an assignment"


def _time(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S")


def second_editor(auth: Auth) -> dict[str, str]:
    return auth("user_019", "editor")


async def test_lock_request_is_accepted_with_the_ceo_shape(client, demo, auth: Auth, settings):
    lock = await take_lock(client, auth.editor)
    assert list(lock) == LOCK_KEYS
    assert lock["srn"] == EXAMPLE_SRN
    assert lock["state"] == "accepted"
    assert lock["user_id"] == "1"
    assert lock["user"]["person_id"] == "editor_001"
    assert re.match(r"^[A-Z0-9]{8}-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{12}$", lock["uuid"])
    lifetime = _time(lock["expires_at"]) - _time(lock["created_at"])
    assert (
        lifetime == timedelta(seconds=settings.editorial_lock_ttl_seconds) == timedelta(hours=0.5)
    )
    fetched = await client.get(f"/v3/lock-request/{lock['uuid']}", headers=second_editor(auth))
    assert fetched.status_code == 200
    assert fetched.json() == lock
    item = (await client.get(f"/v3/assignment/{EXAMPLE}", headers=auth.editor)).json()
    assert item["lock"] == lock


async def test_another_users_request_is_refused_while_held(client, demo, auth: Auth):
    lock = await take_lock(client, auth.editor)
    refused = await client.post(
        "/v3/lock-request", json={"srn": EXAMPLE_SRN}, headers=second_editor(auth)
    )
    assert refused.status_code == 409
    assert refused.json()["code"] == "CONFLICT"
    assert "locked by another user" in refused.json()["message"]
    other = await take_lock(client, second_editor(auth), OTHER)  # other srns are free
    assert other["uuid"] != lock["uuid"]


async def test_the_holders_repeated_request_renews_the_lock(client, demo, auth: Auth, db):
    first = await take_lock(client, auth.editor)
    await expire_lock(db, EXAMPLE_SRN, seconds_ago=-60)  # one minute left
    renewed = await take_lock(client, auth.editor, EXAMPLE.lower())
    assert renewed["uuid"] == first["uuid"]
    assert renewed["created_at"] == first["created_at"]
    assert _time(renewed["expires_at"]) >= _time(first["expires_at"])
    assert _time(renewed["expires_at"]) - _time(renewed["modified_at"]) == timedelta(minutes=30)


async def test_expired_lock_stops_counting_without_any_job(client, demo, auth: Auth, db):
    lock = await take_lock(client, auth.editor)
    await expire_lock(db, EXAMPLE_SRN)
    item = (await client.get(f"/v3/assignment/{EXAMPLE}", headers=auth.editor)).json()
    assert item["lock"] is False
    gone = await client.get(f"/v3/lock-request/{lock['uuid']}", headers=auth.editor)
    assert gone.status_code == 404
    stale = await client.put(f"/v3/assignment/{EXAMPLE}", json={"title": "x"}, headers=auth.editor)
    assert stale.status_code == 423
    taken = await take_lock(client, second_editor(auth))
    assert taken["uuid"] != lock["uuid"]
    assert taken["user"]["person_id"] == "user_019"
    late = await client.put(f"/v3/assignment/{EXAMPLE}", json={"title": "x"}, headers=auth.editor)
    assert late.status_code == 423
    again = await client.post("/v3/lock-request", json={"srn": EXAMPLE_SRN}, headers=auth.editor)
    assert again.status_code == 409


async def test_put_and_delete_without_the_lock_are_423(client, demo, auth: Auth):
    for headers in (auth.editor, auth.admin):
        put = await client.put(f"/v3/assignment/{EXAMPLE}", json=EXAMPLE_BODY, headers=headers)
        assert put.status_code == 423
        assert put.json()["message"] == UPDATE_MESSAGE
        assert put.json()["code"] == "LOCKED"
        delete = await client.delete(f"/v3/assignment/{EXAMPLE}", headers=headers)
        assert delete.status_code == 423
        assert delete.json()["message"] == DELETE_MESSAGE
    await take_lock(client, second_editor(auth))  # somebody else's lock is not enough
    put = await client.put(f"/v3/assignment/{EXAMPLE}", json=EXAMPLE_BODY, headers=auth.editor)
    assert (put.status_code, put.json()["message"]) == (423, UPDATE_MESSAGE)
    delete = await client.delete(f"/v3/assignment/{EXAMPLE}", headers=auth.editor)
    assert (delete.status_code, delete.json()["message"]) == (423, DELETE_MESSAGE)
    still = (await client.get(f"/v3/assignment/{EXAMPLE}", headers=auth.editor)).json()
    assert still["title"] == "A title"


async def test_holder_releases_the_lock(client, demo, auth: Auth):
    lock = await take_lock(client, auth.editor)
    response = await client.delete(f"/v3/lock-request/{lock['uuid']}", headers=auth.editor)
    assert response.status_code == 200
    assert response.json() == {"message": "ok"}
    assert (
        await client.get(f"/v3/lock-request/{lock['uuid']}", headers=auth.editor)
    ).status_code == 404
    item = (await client.get(f"/v3/assignment/{EXAMPLE}", headers=auth.editor)).json()
    assert item["lock"] is False
    put = await client.put(f"/v3/assignment/{EXAMPLE}", json={"title": "x"}, headers=auth.editor)
    assert put.status_code == 423
    taken = await take_lock(client, second_editor(auth))
    assert taken["user"]["person_id"] == "user_019"


async def test_releasing_someone_elses_lock_is_403_and_admin_breaks_it(client, demo, auth: Auth):
    lock = await take_lock(client, auth.editor)
    refused = await client.delete(f"/v3/lock-request/{lock['uuid']}", headers=second_editor(auth))
    assert refused.status_code == 403
    assert "only an admin may break it" in refused.json()["message"]
    assert (
        await client.get(f"/v3/lock-request/{lock['uuid']}", headers=auth.editor)
    ).status_code == 200
    broken = await client.delete(f"/v3/lock-request/{lock['uuid']}", headers=auth.admin)
    assert broken.status_code == 200
    assert broken.json() == {"message": "ok"}
    put = await client.put(f"/v3/assignment/{EXAMPLE}", json={"title": "x"}, headers=auth.editor)
    assert put.status_code == 423
    mine = await take_lock(client, auth.admin)
    updated = await client.put(f"/v3/assignment/{EXAMPLE}", json={"title": "x"}, headers=auth.admin)
    assert updated.status_code == 200
    assert updated.json()["lock"]["uuid"] == mine["uuid"]


@pytest.mark.parametrize(
    "srn",
    [
        "srn:tsn:ceo-core/article:UUUUUUUU-1234-4567-7890-BBBBBBBBBBBB",
        "srn:tsn:ceo-core/issue:IIIIIIII-1234-4567-7890-000000000002",
        "srn:tsn:ceo-core/user:PPPPPPPP-1234-4567-7890-BBBBBBBBBBBB",
        "srn:tsn:ceo-core/assignment:ZZZZZZZZ-1234-4567-7890-BBBBBBBBBBBB",
        "srn:tsn:ceo-core/assignment:not-a-uuid",
        "srn:other:assignment:AAAAAAAA-1234-4567-7890-BBBBBBBBBBBB",
        EXAMPLE,
        "",
    ],
)
async def test_srn_must_name_an_existing_assignment(client, demo, auth: Auth, srn):
    response = await client.post("/v3/lock-request", json={"srn": srn}, headers=auth.editor)
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["srn"]


@pytest.mark.parametrize("body", [{}, {"srn": 5}, {"srn": EXAMPLE_SRN, "ttl": 60}])
async def test_lock_request_body_is_checked(client, demo, auth: Auth, body):
    response = await client.post("/v3/lock-request", json=body, headers=auth.editor)
    assert response.status_code == 422


async def test_deleted_assignment_cannot_be_locked(client, demo, auth: Auth):
    await take_lock(client, auth.editor)
    await client.delete(f"/v3/assignment/{EXAMPLE}", headers=auth.editor)
    response = await client.post("/v3/lock-request", json={"srn": EXAMPLE_SRN}, headers=auth.editor)
    assert response.status_code == 422


async def _outbox_after(db: Database, after: int) -> list[tuple[str, str, dict[str, Any]]]:
    async with db.read() as session:
        rows = await session.execute(
            select(OutboxEntry.kind, OutboxEntry.key, OutboxEntry.payload)
            .where(OutboxEntry.id > after)
            .order_by(OutboxEntry.id)
        )
        return [(kind, key, payload) for kind, key, payload in rows]


async def test_lock_changes_are_recorded_with_their_writes(client, demo, auth: Auth, db):
    """Every lock change is in the outbox, committed with it (deleting a locked assignment
    records its lock's release); a refused request and an assignment update record none."""
    async with db.read() as session:
        after = await session.scalar(select(func.coalesce(func.max(OutboxEntry.id), 0)))
    lock = await take_lock(client, auth.editor)
    refused = await client.post(
        "/v3/lock-request", json={"srn": EXAMPLE_SRN}, headers=second_editor(auth)
    )
    assert refused.status_code == 409
    put = await client.put(f"/v3/assignment/{EXAMPLE}", json={"title": "x"}, headers=auth.editor)
    assert put.status_code == 200
    renewed = await take_lock(client, auth.editor)
    assert (
        await client.delete(f"/v3/assignment/{EXAMPLE}", headers=auth.editor)
    ).status_code == 200
    entries = await _outbox_after(db, after)
    assert [(kind, key) for kind, key, _ in entries] == [
        ("editorial.lock/acquired", EXAMPLE_SRN),
        ("editorial.lock/renewed", EXAMPLE_SRN),
        ("editorial.lock/released", EXAMPLE_SRN),
    ]
    for (_, _, payload), shown in zip(entries, (lock, renewed), strict=False):
        assert set(payload) == {"uuid", "person_id", "expires_at"}
        assert (payload["uuid"], payload["person_id"]) == (lock["uuid"], "editor_001")
        assert payload["expires_at"].startswith(shown["expires_at"].replace(" ", "T"))
    assert entries[2][2] == {"uuid": lock["uuid"], "person_id": "editor_001", "expires_at": None}


async def _race(client: httpx.AsyncClient, auth: Auth, srn: str) -> list[httpx.Response]:
    one, two = auth.editor, second_editor(auth)
    return list(
        await asyncio.gather(
            client.post("/v3/lock-request", json={"srn": srn}, headers=one),
            client.post("/v3/lock-request", json={"srn": srn}, headers=two),
        )
    )


def _exactly_one_holder(responses: list[httpx.Response]) -> str:
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 409], [r.text for r in responses]
    winner = next(r for r in responses if r.status_code == 200).json()
    return str(winner["user"]["person_id"])


async def test_two_users_racing_for_a_lock_yield_one_holder(client, demo, auth: Auth, db):
    srns = [srn_of(f"AAAAAAAA-1234-4567-7890-00000000000{n}") for n in range(1, 5)]
    for srn in srns:
        holder = _exactly_one_holder(await _race(client, auth, srn))
        lock = await client.get(f"/v3/assignment/{srn.rsplit(':', 1)[1]}", headers=auth.editor)
        assert lock.json()["lock"]["user"]["person_id"] == holder
    for srn in srns:  # and racing for expired locks: one takes it over
        await expire_lock(db, srn)
        _exactly_one_holder(await _race(client, auth, srn))


async def test_race_through_a_real_server(live_url: str, demo, auth: Auth, db: Database):
    async with httpx.AsyncClient(base_url=f"http://{live_url}") as http:
        for n in range(1, 5):
            srn = srn_of(f"AAAAAAAA-1234-4567-7890-00000000000{n}")
            _exactly_one_holder(await _race(http, auth, srn))
            await expire_lock(db, srn)
            _exactly_one_holder(await _race(http, auth, srn))
        # Many concurrent requests by many users for one srn: still one holder.
        editors = [auth(pid, "editor") for pid in ("user_019", "user_042", "user_055", "user_101")]
        responses = await asyncio.gather(
            *(
                http.post("/v3/lock-request", json={"srn": EXAMPLE_SRN}, headers=h)
                for h in editors * 2
            )
        )
        accepted = [r for r in responses if r.status_code == 200]
        assert {r.status_code for r in responses} <= {200, 409}
        holders = {r.json()["user"]["person_id"] for r in accepted}
        assert len(holders) == 1  # the winner's own second request renews the same lock
        assert len({r.json()["uuid"] for r in accepted}) == 1


async def test_database_decides_between_interleaved_transactions(demo, db: Database, settings):
    """A second lock request made while the first one's transaction is still open waits
    for it (PostgreSQL: on the srn's primary key; SQLite: on BEGIN IMMEDIATE) and is then
    refused: the guarantee is the database's, not the order the requests happen to run."""
    from app.auth import Principal, Role
    from app.errors import Conflict
    from app.events import EventKind
    from app.services import editorial_locks as service
    from app.services.work import Work

    ttl = service.lock_ttl(settings)
    work = Work(db, settings, None)
    first = Principal("editor_001", frozenset({Role.EDITOR}))
    second = Principal("user_019", frozenset({Role.EDITOR}))
    # The second user's editorial identity exists already.
    await work.run(service.acquire, second, srn_of(OTHER), ttl=ttl)

    async def second_request() -> None:
        await work.run(service.acquire, second, EXAMPLE_SRN, ttl=ttl)

    # The second request runs as a request of its own would, not inside the first's unit.
    outside = contextvars.copy_context()
    async with work.unit() as unit:
        view = await service.acquire(unit, first, EXAMPLE_SRN, ttl=ttl)
        with writer_waits(db) as blocked:
            waiting = asyncio.create_task(second_request(), context=outside)
            await blocked()  # the second request has started and waits for this one
        assert not waiting.done()  # blocked until the first transaction ends
    with pytest.raises(Conflict):
        await waiting
    assert view.holder is not None
    assert view.holder.person_id == "editor_001"
    assert [(e.kind, e.key) for e in unit.events] == [(EventKind.LOCK_ACQUIRED, EXAMPLE_SRN)]
