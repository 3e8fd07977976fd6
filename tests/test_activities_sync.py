"""The sync guarantees of activities (README, "Activities: sync guarantees"), each proven
on the real app and database. Guarantee 6 (crash safety) is in test_activities_crash.py."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
from sqlalchemy import select

from app.db import Database
from app.models.activities import Activity
from tests.helpers import Auth, error_codes, gql, writer_waits

BASE = "/api/v1/activities"
MENTOR = "mentor_4b8c21"


def item(local_id: str, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "local_id": local_id,
        "peer_mentor_id": MENTOR,
        "activity_type_id": "type_running",
        "date": "2026-11-02",
        "duration_minutes": 45,
        "notes": "Intervals by the lake",
    }
    body.update(changes)
    return body


async def rows_with(db: Database, local_id: str) -> list[Activity]:
    async with db.read() as session:
        return list(
            (await session.scalars(select(Activity).where(Activity.local_id == local_id))).all()
        )


async def snapshot(db: Database) -> list[tuple[Any, ...]]:
    """Every activity as stored, deleted ones included."""
    async with db.read() as session:
        rows = await session.scalars(select(Activity).order_by(Activity.id))
        return [
            (
                *(r.id, r.local_id, r.peer_mentor_id, r.activity_type_id, r.date),
                *(r.duration_minutes, r.status, r.notes, r.version),
                *(r.created_at, r.updated_at, r.deleted_at),
            )
            for r in rows
        ]


# --- 1. No duplicates on retry -------------------------------------------------------------


async def test_guarantee_1_retry_returns_the_original_record(client, demo, db, auth: Auth):
    headers = auth.mentor(MENTOR)
    first = await client.post(BASE, json=item("g1_retry"), headers=headers)
    assert first.status_code == 201
    again = await client.post(BASE, json=item("g1_retry"), headers=headers)
    assert again.status_code == 200
    assert again.json() == first.json()
    # Through the doubled path and GraphQL too: still the same record.
    doubled = await client.post(BASE + BASE, json=item("g1_retry"), headers=headers)
    assert doubled.status_code == 200
    assert doubled.json()["id"] == first.json()["id"]
    assert len(await rows_with(db, "g1_retry")) == 1


async def test_guarantee_1_retry_after_edit_and_decision_still_replays(
    client, demo, db, auth: Auth
):
    headers = auth.mentor(MENTOR)
    first = (await client.post(BASE, json=item("g1_late"), headers=headers)).json()
    path = f"{BASE}/{first['id']}"
    await client.put(path, json={"duration_minutes": 60}, headers=headers)
    await client.put(path, json={"status": "confirmed"}, headers=auth.coordinator)
    await gql(
        client,
        'mutation { updateActivityType(id: "type_running", input: {active: false}) { active } }',
        headers=auth.admin,
    )
    late = await client.post(BASE, json=item("g1_late"), headers=headers)
    assert late.status_code == 200, late.text
    assert late.json()["id"] == first["id"]
    assert (late.json()["status"], late.json()["duration_minutes"]) == ("confirmed", 60)
    assert len(await rows_with(db, "g1_late")) == 1


async def test_guarantee_1_concurrent_retries_create_one_row(client, demo, db, auth: Auth):
    headers = auth.mentor(MENTOR)
    responses = await asyncio.gather(
        *(client.post(BASE, json=item("g1_race"), headers=headers) for _ in range(20))
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * 19 + [201], [r.text for r in responses if r.status_code >= 300]
    assert len({r.json()["id"] for r in responses}) == 1
    assert len(await rows_with(db, "g1_race")) == 1


async def test_guarantee_1_concurrent_retries_over_real_http(live_url, demo, db, auth: Auth):
    headers = auth.mentor(MENTOR)
    async with httpx.AsyncClient(base_url=f"http://{live_url}", timeout=60) as http:
        responses = await asyncio.gather(
            *(http.post(BASE, json=item("g1_http"), headers=headers) for _ in range(20))
        )
    assert sorted(r.status_code for r in responses) == [200] * 19 + [201]
    assert len({r.json()["id"] for r in responses}) == 1
    assert len(await rows_with(db, "g1_http")) == 1


async def test_guarantee_1_concurrent_graphql_batches_create_one_row_each(
    live_url, demo, db, auth: Auth
):
    batch = [item(f"g1_batch_{n}") for n in range(5)]
    query = "mutation($items: [LogActivityInput!]!) { syncActivities(items: $items) { createdCount existingCount rejectedCount } }"
    variables = {"items": [_camel(i) for i in batch]}
    async with httpx.AsyncClient(base_url=f"http://{live_url}", timeout=60) as http:
        responses = await asyncio.gather(
            *(
                http.post(
                    "/graphql",
                    json={"query": query, "variables": variables},
                    headers=auth.mentor(MENTOR),
                )
                for _ in range(10)
            )
        )
    payloads = [r.json()["data"]["syncActivities"] for r in responses]
    assert sum(p["createdCount"] for p in payloads) == 5
    assert sum(p["existingCount"] for p in payloads) == 45
    assert all(p["rejectedCount"] == 0 for p in payloads)
    for n in range(5):
        assert len(await rows_with(db, f"g1_batch_{n}")) == 1


# --- 2. Same local_id, different payload: refused, nothing changes --------------------------


async def test_guarantee_2_different_payload_is_refused(client, demo, db, auth: Auth):
    headers = auth.mentor(MENTOR)
    first = await client.post(BASE, json=item("g2_key"), headers=headers)
    assert first.status_code == 201
    before = await snapshot(db)
    for changed in (
        {"duration_minutes": 46},
        {"notes": "Intervals by the sea"},
        {"notes": None},
        {"date": "2026-11-01"},
        {"activity_type_id": "type_cycling"},
    ):
        response = await client.post(BASE, json=item("g2_key", **changed), headers=headers)
        assert response.status_code == 422, (changed, response.text)
        assert [e["field"] for e in response.json()["errors"]] == ["local_id"]
    body = await gql(
        client,
        "mutation($input: LogActivityInput!) { logActivity(input: $input) { created } }",
        {"input": _camel(item("g2_key", duration_minutes=90))},
        auth.mentor(MENTOR),
    )
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["errors"][0]["field"] == "localId"
    assert await snapshot(db) == before


async def test_guarantee_2_deleted_record_is_not_revived(client, demo, db, auth: Auth):
    headers = auth.mentor(MENTOR)
    first = (await client.post(BASE, json=item("g2_gone"), headers=headers)).json()
    assert (await client.delete(f"{BASE}/{first['id']}", headers=headers)).status_code == 200
    before = await snapshot(db)
    retry = await client.post(BASE, json=item("g2_gone"), headers=headers)
    assert retry.status_code == 409
    assert await snapshot(db) == before


# --- 3. The client's id binds to the authenticated mentor -----------------------------------


async def test_guarantee_3_local_id_cannot_reach_another_mentors_record(
    client, demo, db, auth: Auth
):
    mine = (await client.post(BASE, json=item("g3_shared"), headers=auth.mentor(MENTOR))).json()
    before = await snapshot(db)
    # Another mentor naming the first mentor: refused (403), whatever the payload.
    for payload in (item("g3_shared"), item("g3_shared", duration_minutes=5)):
        response = await client.post(BASE, json=payload, headers=auth.mentor("user_042"))
        assert response.status_code == 403, response.text
        assert mine["id"] not in response.text
    assert await snapshot(db) == before
    # The same local_id of another mentor is another key: their own, new record.
    theirs = await client.post(
        BASE, json=item("g3_shared", peer_mentor_id="user_042"), headers=auth.mentor("user_042")
    )
    assert theirs.status_code == 201
    assert theirs.json()["id"] != mine["id"]
    assert theirs.json()["peer_mentor_id"] == "user_042"
    # Without peer_mentor_id the key is the caller's own.
    implicit = item("g3_shared")
    del implicit["peer_mentor_id"]
    replay = await client.post(BASE, json=implicit, headers=auth.mentor("user_042"))
    assert replay.status_code == 200
    assert replay.json()["id"] == theirs.json()["id"]
    # A coordinator of another organisation cannot reach it either; GraphQL agrees.
    other = await client.post(BASE, json=item("g3_shared"), headers=auth.other_coordinator)
    assert other.status_code == 403
    body = await gql(
        client,
        "mutation($input: LogActivityInput!) { logActivity(input: $input) { activity { legacyId } } }",
        {"input": _camel(item("g3_shared"))},
        auth.mentor("user_042"),
    )
    assert error_codes(body) == ["FORBIDDEN"]
    assert len(await rows_with(db, "g3_shared")) == 2


# --- 4. Batch sync answers per item -------------------------------------------------------

SYNC = """
mutation($items: [LogActivityInput!]!) {
  syncActivities(items: $items) {
    createdCount existingCount rejectedCount
    results {
      index localId outcome
      activity { legacyId status durationMinutes }
      error { code message fields { field message } }
    }
  }
}
"""


def _camel(body: dict[str, Any]) -> dict[str, Any]:
    names = {
        "local_id": "localId",
        "peer_mentor_id": "peerMentorId",
        "activity_type_id": "activityTypeId",
        "duration_minutes": "durationMinutes",
    }
    return {names.get(k, k): v for k, v in body.items()}


async def test_guarantee_4_batch_answers_per_item(client, demo, db, auth: Auth):
    headers = auth.mentor(MENTOR)
    earlier = (await client.post(BASE, json=item("g4_earlier"), headers=headers)).json()
    items = [
        item("g4_a"),
        item("g4_b", duration_minutes=0),
        item("g4_c", activity_type_id="type_unknown"),
        item("g4_d", peer_mentor_id="user_042"),
        item("g4_earlier"),
        item("g4_earlier", duration_minutes=5),
        item("g4_a"),
        item("g4_e", date="2026-02-30", notes="x" * 4001),
        item("g4_f", activity_type_id="type_call", duration_minutes=15),
    ]
    body = await gql(client, SYNC, {"items": [_camel(i) for i in items]}, headers)
    assert "errors" not in body, body
    payload = body["data"]["syncActivities"]
    outcomes = [(r["index"], r["localId"], r["outcome"]) for r in payload["results"]]
    assert outcomes == [
        (0, "g4_a", "CREATED"),
        (1, "g4_b", "REJECTED"),
        (2, "g4_c", "REJECTED"),
        (3, "g4_d", "REJECTED"),
        (4, "g4_earlier", "EXISTING"),
        (5, "g4_earlier", "REJECTED"),
        (6, "g4_a", "EXISTING"),
        (7, "g4_e", "REJECTED"),
        (8, "g4_f", "CREATED"),
    ]
    results = payload["results"]
    assert (payload["createdCount"], payload["existingCount"], payload["rejectedCount"]) == (
        2,
        2,
        5,
    )
    assert results[0]["activity"]["status"] == "PENDING"
    assert results[4]["activity"]["legacyId"] == earlier["id"]
    assert results[6]["activity"]["legacyId"] == results[0]["activity"]["legacyId"]
    errors = {r["index"]: r["error"] for r in results if r["error"]}
    assert errors[1]["code"] == "BAD_USER_INPUT"
    assert [f["field"] for f in errors[1]["fields"]] == ["durationMinutes"]
    assert [f["field"] for f in errors[2]["fields"]] == ["activityTypeId"]
    assert errors[3]["code"] == "FORBIDDEN"
    assert [f["field"] for f in errors[5]["fields"]] == ["localId"]
    assert {f["field"] for f in errors[7]["fields"]} == {"date", "notes"}
    for local_id, count in (("g4_a", 1), ("g4_b", 0), ("g4_c", 0), ("g4_d", 0), ("g4_f", 1)):
        assert len(await rows_with(db, local_id)) == count, local_id


async def test_guarantee_4_retried_batch_changes_nothing(client, demo, db, auth: Auth):
    headers = auth.mentor(MENTOR)
    items = [_camel(item(f"g4_retry_{n}", duration_minutes=30 + n)) for n in range(6)]
    items.append(_camel(item("g4_retry_bad", duration_minutes=1441)))
    first = (await gql(client, SYNC, {"items": items}, headers))["data"]["syncActivities"]
    assert (first["createdCount"], first["rejectedCount"]) == (6, 1)
    before = await snapshot(db)
    second = (await gql(client, SYNC, {"items": items}, headers))["data"]["syncActivities"]
    assert (second["createdCount"], second["existingCount"], second["rejectedCount"]) == (0, 6, 1)
    assert [r["activity"] for r in second["results"]] == [r["activity"] for r in first["results"]]
    assert await snapshot(db) == before


async def test_guarantee_4_batch_size_is_limited(client, demo, auth: Auth, settings):
    items = [_camel(item(f"g4_many_{n}")) for n in range(settings.activity_sync_max_items + 1)]
    body = await gql(client, SYNC, {"items": items}, auth.mentor(MENTOR))
    assert error_codes(body) == ["BAD_USER_INPUT"]


# --- 5. Server-authoritative fields ---------------------------------------------------------


async def test_guarantee_5_server_fields_are_not_taken_from_the_client(
    client, demo, db, auth: Auth
):
    headers = auth.mentor(MENTOR)
    forged = item(
        "g5_forged",
        id="act_mine",
        status="confirmed",
        rejection_reason="none",
        version=42,
        created_at="2001-01-01T00:00:00Z",
        updated_at="2001-01-01T00:00:00Z",
    )
    response = await client.post(BASE, json=forged, headers=headers)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["id"] != "act_mine"
    assert re.fullmatch(r"act_[0-9a-f]{12}", body["id"])
    assert (body["status"], body["version"], body["rejection_reason"]) == ("pending", 1, None)
    assert body["created_at"] > "2026-01-01"
    # The mentor cannot move their own activity's status; only a coordinator can.
    path = f"{BASE}/{body['id']}"
    refused = await client.put(path, json={"status": "confirmed"}, headers=headers)
    assert refused.status_code == 403
    confirm = await gql(
        client, f'mutation {{ confirmActivity(id: "{body["id"]}") {{ status }} }}', headers=headers
    )
    assert error_codes(confirm) == ["FORBIDDEN"]
    assert (await client.get(path, headers=headers)).json()["status"] == "pending"
    confirmed = await client.put(path, json={"status": "confirmed"}, headers=auth.coordinator)
    assert confirmed.json()["status"] == "confirmed"
    # A later change by the mentor to what counts hands the decision back.
    edited = await client.put(
        path,
        json={"duration_minutes": 500, "status": "confirmed", "updated_at": "2001-01-01T00:00:00Z"},
        headers={**headers, "If-Match": confirmed.headers["etag"]},
    )
    assert edited.status_code == 200
    assert edited.json()["status"] == "pending"
    assert edited.json()["updated_at"] > "2026-01-01"


async def test_guarantee_5_graphql_inputs_have_no_server_fields(client, demo, auth: Auth):
    body = await gql(
        client,
        '{ __type(name: "LogActivityInput") { inputFields { name } } }',
        headers=auth.admin,
    )
    names = {f["name"] for f in body["data"]["__type"]["inputFields"]}
    assert names == {
        "localId",
        "peerMentorId",
        "activityTypeId",
        "date",
        "durationMinutes",
        "notes",
    }


async def test_guarantee_1_insert_race_between_open_transactions(demo, app):
    """The second insert runs while the first one's row is not committed yet: on
    PostgreSQL its ON CONFLICT waits for the first commit, on SQLite its BEGIN IMMEDIATE
    does; either way it ends as a replay of the first."""
    from app.auth import Principal, Role
    from app.services import activities as service
    from app.services.activity_rules import NewActivity
    from app.services.work import Unit, Work

    work: Work = app.state.work
    db = work.db
    who = Principal(MENTOR, frozenset({Role.PEER_MENTOR}), frozenset({"org_03"}))
    new = NewActivity("g1_tx", "type_running", "2026-11-02", 45, None, MENTOR)
    first_inserted = asyncio.Event()

    async def log_then_hold(unit: Unit) -> service.Logged:
        logged = await service.log_activity(unit, who, new)
        with writer_waits(db) as blocked:
            first_inserted.set()
            await blocked()  # keep the row uncommitted until the second waits for it
        return logged

    async def first() -> service.Logged:
        return await work.run(log_then_hold)

    async def second() -> service.Logged:
        await first_inserted.wait()
        return await work.run(service.log_activity, who, new)

    a, b = await asyncio.gather(first(), second())
    assert (a.created, b.created) == (True, False)
    assert a.activity.id == b.activity.id
    assert len(await rows_with(db, "g1_tx")) == 1


async def test_a_batch_records_the_events_of_its_logged_items_in_its_one_unit(demo, db, settings):
    """The items that were created, and only they, have their ``activity/created`` event
    recorded in the batch's unit (and so in the outbox, with the batch's commit); a failed
    item's savepoint takes its event with it, and a retried batch records none."""
    from app.auth import Principal, Role
    from app.events import Event, EventKind
    from app.models.outbox import OutboxEntry
    from app.services import activities as service
    from app.services.activity_rules import NewActivity
    from app.services.work import Unit, Work

    who = Principal(MENTOR, frozenset({Role.PEER_MENTOR}), frozenset({"org_03"}))
    items = [
        NewActivity("g7_a", "type_running", "2026-11-02", 45, None, MENTOR),
        NewActivity("g7_bad", "type_unknown", "2026-11-02", 45, None, MENTOR),
        NewActivity("g7_b", "type_walking", "2026-11-03", 30, None, MENTOR),
    ]

    async def batch(unit: Unit) -> tuple[list[service.SyncResult], list[Event]]:
        results = await service.sync_activities(unit, who, items, max_items=10)
        return results, list(unit.events)

    work = Work(db, settings, None)
    results, events = await work.run(batch)
    assert [r.created for r in results] == [True, False, True]
    assert results[1].error is not None
    created = [r.activity.id for r in results if r.activity is not None]
    assert [(e.kind, e.key) for e in events] == [(EventKind.ACTIVITY_CREATED, i) for i in created]
    assert all(e.payload["peer_mentor_id"] == MENTOR for e in events)
    assert all(e.payload["org_ids"] and e.payload["status"] == "pending" for e in events)
    async with db.read() as session:
        stored = (await session.execute(select(OutboxEntry.kind, OutboxEntry.key))).all()
    assert [tuple(row) for row in stored] == [("activity/created", i) for i in created]

    again, replayed = await work.run(batch)
    assert [r.created for r in again] == [False, False, False]
    assert replayed == []
