"""Detection from recorded data: confirmed activities (hours, count) and mentoring
assignments (distinct mentees), the day a running total crossed a threshold, idempotence,
and that it matches detection from the equivalent summary."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from typing import Any

import httpx
from sqlalchemy import select, update

from app.db import Database
from app.ids import new_id
from app.models.activities import Activity
from app.models.mentoring import Assignment
from app.models.outbox import OutboxEntry
from app.models.people import Membership, Person
from tests.helpers import Auth

BASE = "/api/v1/milestones"
PERIOD_2024 = {"year": 2024}
# What the recorded 2024 data below adds up to.
EQUIVALENT = {"total_hours": 125.5, "unique_contacts_helped": 5, "activity_count": 10}


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _activity(
    mentor: str, day: date, minutes: int, status: str = "confirmed", **extra: Any
) -> Activity:
    return Activity(
        id=new_id("act"),
        local_id=new_id("local"),
        peer_mentor_id=mentor,
        activity_type_id="type_meeting",
        date=day,
        duration_minutes=minutes,
        status=status,
        created_by=mentor,
        request_hash="0" * 64,
        **extra,
    )


def _assignment(
    mentor: str, mentee: str, start: str, closed: str | None = None, **extra: Any
) -> Assignment:
    return Assignment(
        id=new_id("asgn"),
        mentor_id=mentor,
        mentee_id=mentee,
        org_id="org_03",
        status="closed" if closed else "open",
        started_at=_at(start),
        closed_at=_at(closed) if closed else None,
        **extra,
    )


def recorded_2024(mentor: str) -> list[Any]:
    """125.5 hours in 10 confirmed activities, 5 distinct mentees, plus what must not count."""
    rows: list[Any] = [
        _activity(mentor, date(2024, 1, 10), 600),  # 10 h: crosses 10 h on Jan 10
        *[_activity(mentor, date(2024, 3, 15), 800) for _ in range(3)],  # 50 h on Mar 15
        *[_activity(mentor, date(2024, 6, 20), 750) for _ in range(4)],  # 100 h on Jun 20
        *[_activity(mentor, date(2024, 9, 1), 765) for _ in range(2)],  # 125.5 h, 10th activity
        _activity(mentor, date(2024, 9, 2), 600, "pending"),
        _activity(mentor, date(2024, 9, 3), 600, "rejected"),
        _activity(mentor, date(2024, 9, 4), 600, deleted_at=_at("2024-09-05T00:00:00")),
        _activity(mentor, date(2023, 12, 31), 600),  # before the period
        _activity(mentor, date(2025, 1, 1), 600),  # after it
        # Mentees: user_088 from before the period, then four who started in it.
        _assignment(mentor, "user_088", "2023-11-01T00:00:00", "2024-02-01T00:00:00"),
        _assignment(mentor, "user_101", "2024-02-10T09:00:00"),
        _assignment(mentor, "user_102", "2024-03-05T10:00:00", "2024-04-01T00:00:00"),
        _assignment(mentor, "user_102", "2024-08-01T10:00:00"),  # the same mentee again
        _assignment(mentor, "contact_xyz123", "2024-05-20T14:30:00"),
        _assignment(mentor, "contact_abc456", "2024-07-02T08:15:00"),  # the 5th
        _assignment(mentor, "contact_def789", "2023-01-01T00:00:00", "2023-12-31T00:00:00"),
        _assignment(
            mentor, "contact_old001", "2024-10-01T00:00:00", deleted_at=_at("2024-10-02T00:00:00")
        ),
    ]
    return rows


async def add_mentor(db: Database, mentor: str, rows: list[Any] | None = None) -> None:
    async with db.write() as session:
        session.add(Person(id=mentor, name=f"Test {mentor}", roles=["peer_mentor"]))
        await session.flush()
        session.add(Membership(person_id=mentor, org_id="org_03", role="peer_mentor"))
        session.add_all(rows or [])


async def _detect(
    client: httpx.AsyncClient,
    auth: Auth,
    mentor: str,
    summary: dict[str, Any] | None = None,
    **period: Any,
) -> httpx.Response:
    body: dict[str, Any] = {"mentor_id": mentor, "period": period or PERIOD_2024}
    if summary is not None:
        body["summary"] = summary
    response = await client.post(BASE, json=body, headers=auth.coordinator)
    assert response.status_code in (200, 201), response.text
    return response


def _shape(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The items without what names the record (id, mentor)."""
    return [
        {k: v for k, v in item.items() if k not in ("id", "mentor_id")} for item in body["data"]
    ]


async def test_detection_from_records_matches_the_equivalent_summary(
    client: httpx.AsyncClient, auth: Auth, demo, db: Database
):
    await add_mentor(db, "mentor_t1", recorded_2024("mentor_t1"))
    await add_mentor(db, "mentor_t2", recorded_2024("mentor_t2"))
    from_records = await _detect(client, auth, "mentor_t1")
    from_summary = await _detect(client, auth, "mentor_t2", EQUIVALENT)
    assert from_records.status_code == from_summary.status_code == 201
    assert _shape(from_records.json()) == _shape(from_summary.json())
    # The same mentor detected again with the summary: the same rows, the same values.
    again = await _detect(client, auth, "mentor_t1", EQUIVALENT)
    assert again.status_code == 200
    assert again.json() == from_records.json()

    items = {(i["type"], i["threshold"]): i for i in from_records.json()["data"]}
    assert {k: (v["status"], v.get("achieved_at")) for k, v in items.items()} == {
        ("hours_logged", 10): ("achieved", "2024-01-10T00:00:00Z"),
        ("hours_logged", 50): ("achieved", "2024-03-15T00:00:00Z"),
        ("hours_logged", 100): ("achieved", "2024-06-20T00:00:00Z"),
        ("hours_logged", 300): ("in_progress", None),
        ("contacts_helped", 5): ("achieved", "2024-07-02T08:15:00Z"),
        ("contacts_helped", 10): ("in_progress", None),
        ("activities_logged", 10): ("achieved", "2024-09-01T00:00:00Z"),
        ("activities_logged", 50): ("in_progress", None),
    }
    assert items[("hours_logged", 100)]["achieved_value"] == 125.5
    assert items[("hours_logged", 100)]["accessibility_label"] == (
        "You reached 100 hours of mentoring on June 20, 2024"
    )
    assert items[("hours_logged", 300)]["progress_percentage"] == 41
    assert items[("contacts_helped", 10)]["achieved_value"] == 5
    assert items[("activities_logged", 50)]["progress_percentage"] == 20


async def test_graphql_reports_the_totals_and_their_source(
    client: httpx.AsyncClient, auth: Auth, demo, db: Database
):
    await add_mentor(db, "mentor_t1", recorded_2024("mentor_t1"))
    query = """
    mutation ($input: DetectMilestonesInput!) {
      detectMilestones(input: $input) {
        source totals { totalHours uniqueContactsHelped activityCount } created
        newlyAchieved { legacyId threshold type }
      }
    }"""
    variables = {"input": {"mentorId": "mentor_t1", "period": {"year": 2024}}}
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=auth.coordinator
    )
    payload = response.json()["data"]["detectMilestones"]
    assert payload["source"] == "RECORDED"
    assert payload["totals"] == {
        "totalHours": 125.5,
        "uniqueContactsHelped": 5,
        "activityCount": 10,
    }
    assert payload["created"] == 8
    assert len(payload["newlyAchieved"]) == 5
    again = await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=auth.coordinator
    )
    assert again.json()["data"]["detectMilestones"]["created"] == 0
    assert again.json()["data"]["detectMilestones"]["newlyAchieved"] == []


async def test_without_records_achievements_are_dated_by_detection_capped_at_the_period_end(
    client: httpx.AsyncClient, auth: Auth, demo, db: Database
):
    await add_mentor(db, "mentor_t3")
    past = await _detect(client, auth, "mentor_t3", EQUIVALENT)
    achieved = [i for i in past.json()["data"] if i["status"] == "achieved"]
    assert {i["achieved_at"] for i in achieved} == {"2024-12-31T23:59:59Z"}
    # The statuses and values are those of detection from records.
    await add_mentor(db, "mentor_t1", recorded_2024("mentor_t1"))
    from_records = await _detect(client, auth, "mentor_t1")
    drop = ("id", "mentor_id", "achieved_at", "accessibility_label")
    assert [{k: v for k, v in i.items() if k not in drop} for i in past.json()["data"]] == [
        {k: v for k, v in i.items() if k not in drop} for i in from_records.json()["data"]
    ]
    # In a period still running, the detection time.
    this_year = datetime.now(UTC).year
    running = await _detect(
        client,
        auth,
        "mentor_t3",
        {"total_hours": 12, "unique_contacts_helped": 0, "activity_count": 0},
        year=this_year,
    )
    first = running.json()["data"][0]
    assert first["status"] == "achieved"
    stamped = datetime.fromisoformat(first["achieved_at"].replace("Z", "+00:00"))
    assert abs((datetime.now(UTC) - stamped).total_seconds()) < 60


async def test_detecting_again_updates_the_same_rows(
    client: httpx.AsyncClient, auth: Auth, demo, db: Database
):
    await add_mentor(db, "mentor_t1")

    def summary(hours: float) -> dict[str, Any]:
        return {"total_hours": hours, "unique_contacts_helped": 0, "activity_count": 0}

    def hours(body: dict[str, Any]) -> dict[int, tuple[str, str, Any]]:
        return {
            i["threshold"]: (i["id"], i["status"], i["achieved_value"])
            for i in body["data"]
            if i["type"] == "hours_logged"
        }

    first = hours((await _detect(client, auth, "mentor_t1", summary(120))).json())
    assert [v[1] for v in first.values()] == ["achieved"] * 3 + ["in_progress"]
    second = hours((await _detect(client, auth, "mentor_t1", summary(320))).json())
    assert {t: second[t][0] for t in (10, 50, 100, 300)} == {t: first[t][0] for t in first}
    assert second[300][1:] == ("achieved", 320)
    assert second[500][1:] == ("in_progress", 320)
    # Fewer hours (activities rejected since): what was earned stays earned, with the
    # value it was earned with; the totals still reach 10 and 50 h.
    third = hours((await _detect(client, auth, "mentor_t1", summary(60))).json())
    assert {t: v[1:] for t, v in third.items()} == {
        10: ("achieved", 60),
        50: ("achieved", 60),
        100: ("achieved", 320),
        300: ("achieved", 320),
        500: ("in_progress", 60),
    }
    assert {t: v[0] for t, v in third.items()} == {t: v[0] for t, v in second.items()}
    # ... and more again: the same records, nothing newly achieved but 500 h.
    fourth = hours((await _detect(client, auth, "mentor_t1", summary(520))).json())
    assert {t: v[0] for t, v in fourth.items()} == {t: v[0] for t, v in second.items()} | {
        1000: fourth[1000][0]
    }
    assert fourth[500][1:] == ("achieved", 520)


async def test_detecting_again_with_fewer_contacts_keeps_the_earned_milestones(
    client: httpx.AsyncClient, auth: Auth, demo, db: Database
):
    """A badge a mentor earned does not disappear when a recount finds less (here 20 of
    26 mentees' assignments deleted since): detection only adds; withdrawing one is an
    explicit correction (PUT to in_progress, or DELETE)."""
    mentees = [f"user_m{n:03d}" for n in range(26)]
    async with db.write() as session:
        session.add_all(Person(id=m, name=f"Mentee {m}", roles=["contact"]) for m in mentees)
    rows: list[Any] = [
        _assignment("mentor_t1", mentee, f"2024-03-{1 + n:02d}T09:00:00")
        for n, mentee in enumerate(mentees)
    ]
    await add_mentor(db, "mentor_t1", rows)
    first = (await _detect(client, auth, "mentor_t1")).json()["data"]
    contacts = [i for i in first if i["type"] == "contacts_helped"]
    assert [(i["threshold"], i["status"], i["achieved_value"]) for i in contacts] == [
        (5, "achieved", 26),
        (10, "achieved", 26),
        (25, "achieved", 26),
        (50, "in_progress", 26),
    ]
    async with db.write() as session:
        await session.execute(
            update(Assignment)
            .where(Assignment.mentee_id.in_(mentees[6:]))
            .values(deleted_at=_at("2024-12-01T00:00:00"))
        )
    again = await client.post(
        BASE, json={"mentor_id": "mentor_t1", "period": PERIOD_2024}, headers=auth.coordinator
    )
    assert again.status_code == 200, again.text
    kept = [i for i in again.json()["data"] if i["type"] == "contacts_helped"]
    assert [(i["id"], i["status"], i.get("achieved_at")) for i in kept] == [
        (i["id"], i["status"], i.get("achieved_at")) for i in contacts
    ]
    assert [i["achieved_value"] for i in kept] == [6, 26, 26, 6]
    assert kept[3]["progress_percentage"] == 12
    listed = await client.get(f"{BASE}?mentor_id=mentor_t1", headers=auth.coordinator)
    assert listed.json()["pagination"]["total"] == len(first) == 6
    for item in contacts:
        one = await client.get(f"{BASE}/{item['id']}", headers=auth.coordinator)
        assert (one.status_code, one.json()["status"]) == (200, item["status"])
    # An explicit correction withdraws one; detection does not bring it back while the
    # totals do not reach it ...
    withdrawn = contacts[2]["id"]
    put = await client.put(
        f"{BASE}/{withdrawn}",
        json={"status": "in_progress", "achieved_value": 6},
        headers=auth.coordinator,
    )
    assert put.status_code == 200, put.text
    third = await client.post(
        BASE, json={"mentor_id": "mentor_t1", "period": PERIOD_2024}, headers=auth.coordinator
    )
    statuses = {
        i["threshold"]: (i["id"], i["status"])
        for i in third.json()["data"]
        if i["type"] == "contacts_helped"
    }
    assert statuses == {
        5: (contacts[0]["id"], "achieved"),
        10: (contacts[1]["id"], "achieved"),
        25: (withdrawn, "in_progress"),
    }
    # ... and the one no longer next is tombstoned (in progress, not earned).
    gone = await client.get(f"{BASE}/{contacts[3]['id']}", headers=auth.coordinator)
    assert gone.status_code == 404


async def _outbox(db: Database) -> list[tuple[str, str, dict[str, Any]]]:
    async with db.read() as session:
        rows = await session.execute(
            select(OutboxEntry.kind, OutboxEntry.key, OutboxEntry.payload).order_by(OutboxEntry.id)
        )
    return [(kind, key, payload) for kind, key, payload in rows]


async def test_detection_records_its_achievements_in_the_outbox(
    client: httpx.AsyncClient, auth: Auth, demo, db: Database
):
    """Each newly achieved milestone is one ``milestone/achieved`` entry, written with the
    records; detecting again achieves nothing new and records nothing; a refused detection
    records nothing."""
    await add_mentor(db, "mentor_t1", recorded_2024("mentor_t1"))
    before = await _outbox(db)
    first = (await _detect(client, auth, "mentor_t1")).json()["data"]
    achieved = [i["id"] for i in first if i["status"] == "achieved"]
    assert achieved
    recorded = (await _outbox(db))[len(before) :]
    assert [(kind, key) for kind, key, _ in recorded] == [
        ("milestone/achieved", key) for key in achieved
    ]
    assert {payload["mentor_id"] for _, _, payload in recorded} == {"mentor_t1"}
    assert {tuple(payload["org_ids"]) for _, _, payload in recorded} == {("org_03",)}
    await _detect(client, auth, "mentor_t1")
    refused = await client.post(
        BASE, json={"mentor_id": "mentor_t1", "period": {"year": 1999}}, headers=auth.coordinator
    )
    assert refused.status_code == 422, refused.text
    assert (await _outbox(db))[len(before) :] == recorded


async def test_achievement_dates_are_kept_across_detections(
    client: httpx.AsyncClient, auth: Auth, demo, db: Database
):
    await add_mentor(db, "mentor_t1", recorded_2024("mentor_t1"))
    first = await _detect(client, auth, "mentor_t1")
    corrected_id = next(i["id"] for i in first.json()["data"] if i["threshold"] == 100)
    put = await client.put(
        f"{BASE}/{corrected_id}",
        json={"achieved_at": "2024-06-19T18:00:00Z", "status": "achieved"},
        headers=auth.coordinator,
    )
    assert put.status_code == 200, put.text
    again = await _detect(client, auth, "mentor_t1")
    item = next(i for i in again.json()["data"] if i["id"] == corrected_id)
    assert item["achieved_at"] == "2024-06-19T18:00:00Z"


async def test_periods_are_separate_records(
    client: httpx.AsyncClient, auth: Auth, demo, db: Database
):
    await add_mentor(db, "mentor_t1", recorded_2024("mentor_t1"))
    year = await _detect(client, auth, "mentor_t1")
    half = await _detect(client, auth, "mentor_t1", start_date="2024-01-01", end_date="2024-06-30")
    assert not {i["id"] for i in year.json()["data"]} & {i["id"] for i in half.json()["data"]}
    half_hours = {
        i["threshold"]: i["status"] for i in half.json()["data"] if i["type"] == "hours_logged"
    }
    assert half_hours == {10: "achieved", 50: "achieved", 100: "achieved", 300: "in_progress"}
    contacts = [i for i in half.json()["data"] if i["type"] == "contacts_helped"]
    assert [(i["threshold"], i["achieved_value"]) for i in contacts] == [(5, 4)]


async def test_concurrent_detections_make_one_set_of_records(
    live_url: str, auth: Auth, demo, db: Database
):
    await add_mentor(db, "mentor_t1", recorded_2024("mentor_t1"))
    body = {"mentor_id": "mentor_t1", "period": PERIOD_2024}
    async with httpx.AsyncClient(base_url=f"http://{live_url}", timeout=30) as http:
        responses = await asyncio.gather(
            *(http.post(BASE, json=body, headers=auth.coordinator) for _ in range(6))
        )
        assert sorted(r.status_code for r in responses) == [200] * 5 + [201]
        ids = {tuple(i["id"] for i in r.json()["data"]) for r in responses}
        assert len(ids) == 1
        listed = await http.get(f"{BASE}?mentor_id=mentor_t1", headers=auth.coordinator)
        assert listed.json()["pagination"]["total"] == 8
