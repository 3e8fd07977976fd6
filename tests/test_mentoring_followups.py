"""The follow-up sweep: reminders to mentors, escalations to coordinators, once per contact
gap, per-organisation thresholds, the outbox in GraphQL, concurrent sweeps, the CLI and the
periodic task inside ``serve``."""

from __future__ import annotations

import argparse
import asyncio
import json
from collections import Counter
from datetime import timedelta

from sqlalchemy import func, select

from app.cli import cmd_followups
from app.db import Database
from app.main import create_app
from app.models.mentoring import ESCALATION, REMINDER, Notification
from app.services import followups
from app.services.work import Work
from app.settings import Settings
from app.timeutil import as_utc, format_datetime, utcnow
from tests.helpers import Auth, error_codes, gql

BASE = "/api/v1/assignments"
SWEEP = """mutation { runFollowUpSweep {
  reminders escalations notifications { kind assignment { legacyId } recipient { legacyId } }
} }"""

# What one sweep raises on the demo data (fixed dates, or whole days before the seeding day
# from the seed's fixed random numbers, none of them on a threshold's day): 47 open
# assignments are past their 10-day reminder threshold, each gets a reminder except
# asgn_001 (reminded in its current gap already); the 42 past 20 days get an escalation.
DEMO_REMINDERS = 46
DEMO_ESCALATIONS = 42


def work(db: Database, settings: Settings) -> Work:
    """A writer outside a request, as the CLI has (it publishes nothing itself)."""
    return Work(db, settings, None)


async def outbox(db: Database) -> list[Notification]:
    async with db.read() as session:
        rows = await session.scalars(select(Notification).order_by(Notification.id))
        return list(rows.all())


async def test_sweep_raises_each_once_to_the_right_people(client, demo, auth: Auth, db):
    assert error_codes(await gql(client, SWEEP, headers=auth.coordinator)) == ["FORBIDDEN"]
    before = await client.get(f"{BASE}/asgn_002", headers=auth.admin)
    first = (await gql(client, SWEEP, headers=auth.admin))["data"]["runFollowUpSweep"]
    assert (first["reminders"], first["escalations"]) == (DEMO_REMINDERS, DEMO_ESCALATIONS)
    raised = {
        (n["assignment"]["legacyId"], n["kind"]): n["recipient"]["legacyId"]
        for n in first["notifications"]
    }
    # asgn_001 was already reminded in its current gap: only the escalation is new
    assert ("asgn_001", "REMINDER") not in raised
    assert raised[("asgn_001", "ESCALATION")] == "user_007"
    assert raised[("asgn_002", "REMINDER")] == "user_019"
    assert raised[("asgn_002", "ESCALATION")] == "user_007"
    # no coordinator named: the organisation's coordinator is alerted
    assert raised[("assign_001aa", "ESCALATION")] == "user_007"
    assert ("assign_000zz", "REMINDER") not in raised, "closed assignments are not followed up"

    after = await client.get(f"{BASE}/asgn_002", headers=auth.admin)
    assert after.json()["reminder_sent_at"] is not None
    assert after.json()["escalation_sent_at"] is not None
    assert after.headers["etag"] != before.headers["etag"]

    second = (await gql(client, SWEEP, headers=auth.admin))["data"]["runFollowUpSweep"]
    assert (second["reminders"], second["escalations"]) == (0, 0)
    rows = await outbox(db)
    assert len(rows) == len(first["notifications"]) + 1  # + the demo's earlier reminder
    assert max(Counter((r.assignment_id, r.kind, r.gap_start) for r in rows).values()) == 1


async def test_a_new_contact_starts_a_new_gap(client, demo, auth: Auth, db, settings):
    await followups.sweep_once(work(db, settings))
    contact = await client.put(
        f"{BASE}/asgn_002/last-contact", json={"contact_type": "call"}, headers=auth.coordinator
    )
    body = contact.json()
    assert (body["reminder_sent_at"], body["escalation_sent_at"]) == (None, None)
    nothing = await followups.sweep_once(work(db, settings))
    assert "asgn_002" not in {n.assignment_id for n in nothing.notifications}

    # eleven days later, still no contact
    later = await work(db, settings).run(
        followups.sweep, settings, now=utcnow() + timedelta(days=11)
    )
    kinds = {n.kind for n in later.notifications if n.assignment_id == "asgn_002"}
    assert kinds == {"reminder"}
    reminders = [r for r in await outbox(db) if r.assignment_id == "asgn_002"]
    assert len({r.gap_start for r in reminders if r.kind == "reminder"}) == 2
    # twenty-one days later: the coordinator hears of it
    much_later = await work(db, settings).run(
        followups.sweep, settings, now=utcnow() + timedelta(days=21)
    )
    assert {n.kind for n in much_later.notifications if n.assignment_id == "asgn_002"} == {
        "escalation"
    }


async def test_thresholds_are_per_organisation(client, demo, auth: Auth, db, settings):
    started = (utcnow() - timedelta(days=8)).date().isoformat()
    created = await client.post(
        BASE,
        json={
            "mentor_id": "user_202",
            "contact_id": "user_088",
            "org_id": "org_05",
            "assigned_date": started,
        },
        headers=auth.admin,
    )
    assert created.status_code == 201, created.text
    key = created.json()["assignment_id"]
    overdue = await client.get(f"{BASE}/overdue?org_id=org_05", headers=auth.other_coordinator)
    assert [i["assignment_id"] for i in overdue.json()["data"]] == [key]  # 8 days > 7
    result = await followups.sweep_once(work(db, settings))
    mine = [(n.kind, n.recipient_id) for n in result.notifications if n.assignment_id == key]
    assert mine == [("reminder", "user_202")]  # 8 days: past org_05's 7, short of its 14
    # the same age in org_03 (10 days) is not yet due
    same_age = await client.post(
        BASE,
        json={"mentor_id": "user_055", "contact_id": "user_088", "assigned_date": started},
        headers=auth.coordinator,
    )
    result = await followups.sweep_once(work(db, settings))
    assert same_age.json()["assignment_id"] not in {n.assignment_id for n in result.notifications}


async def test_notifications_in_graphql_follow_visibility(client, demo, auth: Auth, db, settings):
    await followups.sweep_once(work(db, settings))
    query = """query($kind: NotificationKind) {
      notifications(first: 100, kind: $kind) {
        totalCount nodes { kind daysWithoutContact gapStart deliveredAt assignment { legacyId } }
      }
    }"""
    everything = (await gql(client, query, {}, auth.coordinator))["data"]["notifications"]
    assert everything["totalCount"] == len(await outbox(db))
    escalations = (await gql(client, query, {"kind": "ESCALATION"}, auth.coordinator))["data"][
        "notifications"
    ]
    assert {n["kind"] for n in escalations["nodes"]} == {"ESCALATION"}
    assert all(n["daysWithoutContact"] >= 20 for n in escalations["nodes"])
    own = (await gql(client, query, {}, auth.mentor("user_019")))["data"]["notifications"]
    assert {n["assignment"]["legacyId"] for n in own["nodes"]} == {"asgn_002"}
    other = (await gql(client, query, {}, auth.other_coordinator))["data"]["notifications"]
    assert other["totalCount"] == 0
    by_assignment = await gql(
        client,
        '{ notifications(assignmentId: "asgn_001", recipientId: "user_042") { nodes { kind } } }',
        headers=auth.admin,
    )
    assert by_assignment["data"]["notifications"]["nodes"] == [{"kind": "REMINDER"}]


async def test_concurrent_sweeps_raise_each_notification_exactly_once(demo, db, settings):
    """Two (and more) workers sweeping at the same moment, each with its own engine.
    Mutation: ``sweep_once`` returning an empty result (and raising nothing) fails the
    counts."""
    earlier = {(r.assignment_id, r.kind, as_utc(r.gap_start)) for r in await outbox(db)}
    assert len(earlier) == 1  # the demo's earlier reminder of asgn_001
    workers = [Database.from_settings(settings) for _ in range(2)]
    try:
        results = await asyncio.gather(
            *(followups.sweep_once(work(w, settings)) for w in workers for _ in range(2))
        )
    finally:
        for worker in workers:
            await worker.dispose()
    raised = [n for result in results for n in result.notifications]
    assert sum(r.count(REMINDER) for r in results) == DEMO_REMINDERS
    assert sum(r.count(ESCALATION) for r in results) == DEMO_ESCALATIONS
    who = {(n.assignment_id, n.kind): n.recipient_id for n in raised}
    assert who[("asgn_002", REMINDER)] == "user_019"
    assert who[("asgn_002", ESCALATION)] == "user_007"
    assert who[("asgn_001", ESCALATION)] == "user_007"
    assert ("asgn_001", REMINDER) not in who
    keys = [(n.assignment_id, n.kind, as_utc(n.gap_start)) for n in raised]
    assert len(keys) == len(set(keys)), "a notification was raised twice"
    rows = await outbox(db)
    assert len(rows) == DEMO_REMINDERS + DEMO_ESCALATIONS + 1
    assert {(r.assignment_id, r.kind, as_utc(r.gap_start)) for r in rows} == earlier | set(keys)
    # every due reminder and escalation was raised by exactly one of them
    async with db.read() as session:
        pending = await session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.delivered_at.is_(None))
        )
    assert pending == len(rows)
    again = await followups.sweep_once(work(db, settings))
    assert again.notifications == []


async def test_cli_runs_one_sweep(demo, db, settings, capsys):
    args = argparse.Namespace(action="run")
    assert await asyncio.to_thread(cmd_followups, args, settings) == 0
    first = json.loads(capsys.readouterr().out)
    assert first == {"reminders": DEMO_REMINDERS, "escalations": DEMO_ESCALATIONS}
    assert await asyncio.to_thread(cmd_followups, args, settings) == 0
    assert json.loads(capsys.readouterr().out) == {"reminders": 0, "escalations": 0}


async def test_periodic_sweep_inside_serve(demo, db, settings: Settings):
    periodic = settings.model_copy(update={"followup_interval_seconds": 1})
    app = create_app(periodic)
    async with app.router.lifespan_context(app):
        for _ in range(100):
            if len(await outbox(db)) > 1:
                break
            await asyncio.sleep(0.1)  # poll interval until the rows are visible (10 s bound)
    assert len(await outbox(db)) > 1
    off = create_app(settings)
    async with off.router.lifespan_context(off):
        assert followups.start_periodic(off.state.work) is None


async def test_overdue_default_uses_reminder_threshold(client, demo, auth: Auth):
    recent = format_datetime(utcnow() - timedelta(days=3))
    await client.put(
        f"{BASE}/asgn_001/last-contact",
        json={"contact_date": recent, "contact_type": "email"},
        headers=auth.coordinator,
    )
    listed = await client.get(f"{BASE}/overdue?limit=100", headers=auth.coordinator)
    ids = [i["assignment_id"] for i in listed.json()["data"]]
    assert "asgn_001" not in ids  # 3 days < org_03's 10
    assert "asgn_002" in ids
    three = await client.get(f"{BASE}/overdue?days=2&limit=100", headers=auth.coordinator)
    assert "asgn_001" in {i["assignment_id"] for i in three.json()["data"]}
