"""The statement budget: realistic dashboard queries, one request each, run at page sizes
1, 10 and 100, cost the same number of SQL statements at every size (no N+1 anywhere), fit
the query cost budget, and return the right data.

The dashboards: an organisation's (open assignments with mentor, mentee, last contacts
and the overdue flag; the overdue list; notifications), a mentor's profile (this month's
activities, milestones, yearly summary, assignments), a coordinator's mentors overview
(every mentor with their hub fields) and the editorial desk (assignments with issue,
users, children, creator and lock holder).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import insert

from app.db import Database
from app.models.activities import Activity
from app.seed import seed_demo
from app.timeutil import utcnow
from tests.helpers import Auth, count_statements, executions, gql, known_caller

SIZES = (1, 10, 100)

ORGANISATION = """query($n: Int!) { organisation(id: "org_03") {
    name reminderDays
    assignments(first: $n) { totalCount nodes {
        legacyId status lastContactAt daysSinceContact overdue
        mentor { legacyId name } mentee { legacyId name }
        contacts(last: 3) { contactAt contactType } } }
} }"""

FOLLOW_UP = """query($n: Int!) { organisation(id: "org_03") {
    reminderDays
    overdueAssignments(first: $n) { totalCount nodes {
        legacyId daysSinceContact lastContactAt mentor { name } mentee { name } } }
} }"""

NOTIFICATIONS = """query($n: Int!) { organisation(id: "org_03") {
    notifications(first: $n) { totalCount nodes { legacyId kind daysWithoutContact
        recipient { name } assignment { legacyId status } } }
} }"""

MENTOR = """query($n: Int!, $from: Date!, $to: Date!) { person(id: "mentor_s00000") {
    name openAssignmentCount
    activities(first: $n, from: $from, to: $to) { totalCount nodes {
        legacyId date durationMinutes status activityType { name } } }
    milestones(first: $n) { totalCount nodes { legacyId name status progressPercentage
        definition { badge } } }
    yearlySummary { year hours activityCount peopleHelped }
    assignments(first: $n, status: ALL) { totalCount nodes { legacyId mentee { name } } }
} }"""

MENTORS = """query($n: Int!) { organisation(id: "org_03") {
    people(first: $n, role: "peer_mentor") { totalCount nodes {
        legacyId name openAssignmentCount
        yearlySummary(year: 2025) { hours activityCount peopleHelped }
        activities(first: 3) { totalCount nodes { date activityType { name } } }
        milestones(first: 3) { totalCount nodes { name } }
        assignments(first: 3) { totalCount nodes { mentee { name } } } } }
} }"""

DESK = """query($n: Int!) { editorialAssignments(first: $n) { totalCount nodes {
    uuid title dueAt issue { label } users { name } children { title } creator { name }
    lock { expiresAt holder { legacyId name } } } } }"""


async def _run(
    client: httpx.AsyncClient, query: str, variables: dict[str, Any], headers: dict[str, str]
) -> tuple[int, dict[str, Any]]:
    direct = executions("anonymous", "direct")
    with count_statements() as counter:
        body = await gql(client, query, variables, headers)
    assert "errors" not in body, body["errors"]
    # Every dashboard is answered by its direct plan (schema/direct.py), not graphql-core.
    assert executions("anonymous", "direct") == direct + 1
    return counter.count, body["data"]


async def _budget(
    client: httpx.AsyncClient, query: str, variables: dict[str, Any], headers: dict[str, str]
) -> dict[int, dict[str, Any]]:
    """Run ``query`` at every page size; assert one statement count for all."""
    counts: dict[int, int] = {}
    answers: dict[int, dict[str, Any]] = {}
    await known_caller(client, headers)
    for size in SIZES:
        counts[size], answers[size] = await _run(client, query, {**variables, "n": size}, headers)
    assert counts[1] > 0
    assert len(set(counts.values())) == 1, counts
    return answers


async def _add_activities_this_month(db: Database, mentor_id: str, count: int) -> tuple[date, date]:
    """``count`` confirmed activities of the mentor dated this month (up to today)."""
    today = utcnow().date()
    first = today.replace(day=1)
    now = datetime.now(UTC)
    rows = [
        {
            "id": f"act_budget{i:04d}",
            "local_id": f"budget-{i}",
            "peer_mentor_id": mentor_id,
            "activity_type_id": ("type_running", "type_walking", "type_meeting")[i % 3],
            "date": first + timedelta(days=i % today.day),
            "duration_minutes": 30 + i % 60,
            "status": "confirmed",
            "notes": None,
            "created_by": mentor_id,
            "request_hash": f"budget-{i}",
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
        for i in range(count)
    ]
    async with db.write() as session:
        await session.execute(insert(Activity.__table__), rows)  # type: ignore[arg-type]
    return first, today


@pytest.fixture
async def volume(db: Database) -> None:
    """Demo data at scale 5: 100 generated mentors and 300 assignments in org_03, 400 more
    editorial assignments; and a follow-up sweep's notifications."""
    await seed_demo(db, scale=5)


async def test_organisation_dashboard(client, volume, auth: Auth):
    answers = await _budget(client, ORGANISATION, {}, auth.coordinator)
    assignments = answers[100]["organisation"]["assignments"]
    assert len(assignments["nodes"]) == 100
    assert assignments["totalCount"] > 100
    for size in (1, 10):
        nodes = answers[size]["organisation"]["assignments"]["nodes"]
        assert nodes == assignments["nodes"][:size]
    overdue = await gql(
        client,
        '{ overdueAssignments(orgId: "org_03", first: 100) { nodes { legacyId } } }',
        None,
        auth.coordinator,
    )
    overdue_ids = {n["legacyId"] for n in overdue["data"]["overdueAssignments"]["nodes"]}
    for node in assignments["nodes"]:
        assert node["status"] == "OPEN"
        assert node["mentor"]["name"]
        assert node["mentee"]["name"]
        assert len(node["contacts"]) <= 3
        if node["contacts"]:
            assert node["contacts"][0]["contactAt"] == node["lastContactAt"]
        else:
            assert node["lastContactAt"] is None
        if node["legacyId"] in overdue_ids:
            assert node["overdue"] is True
    assert any(node["overdue"] for node in assignments["nodes"])
    direct = await gql(
        client,
        '{ assignments(orgId: "org_03", first: 100) { totalCount nodes { legacyId } } }',
        None,
        auth.coordinator,
    )
    assert direct["data"]["assignments"]["totalCount"] == assignments["totalCount"]
    assert [n["legacyId"] for n in direct["data"]["assignments"]["nodes"]] == [
        n["legacyId"] for n in assignments["nodes"]
    ]


async def test_follow_up_dashboard(client, volume, auth: Auth):
    sweep = await gql(client, "mutation { runFollowUpSweep { reminders } }", None, auth.admin)
    assert sweep["data"]["runFollowUpSweep"]["reminders"] > 100
    for query, field in ((FOLLOW_UP, "overdueAssignments"), (NOTIFICATIONS, "notifications")):
        answers = await _budget(client, query, {}, auth.coordinator)
        listed = answers[100]["organisation"][field]
        assert len(listed["nodes"]) == 100, field
        assert listed["totalCount"] > 100, field
        assert answers[10]["organisation"][field]["nodes"] == listed["nodes"][:10], field
        if field == "overdueAssignments":
            threshold = answers[100]["organisation"]["reminderDays"]
            for node in listed["nodes"]:
                assert node["mentor"]["name"]
                assert node["daysSinceContact"] is None or node["daysSinceContact"] >= threshold
        else:
            for node in listed["nodes"]:
                assert node["recipient"]["name"]
                assert node["assignment"]["status"] == "OPEN"


async def test_mentor_profile(client, volume, db: Database, auth: Auth):
    start, end = await _add_activities_this_month(db, "mentor_s00000", 120)
    variables = {"from": start.isoformat(), "to": end.isoformat()}
    answers = await _budget(client, MENTOR, variables, auth.coordinator)
    person = answers[100]["person"]
    activities = person["activities"]
    assert activities["totalCount"] >= 120
    assert len(activities["nodes"]) == 100
    days = [node["date"] for node in activities["nodes"]]
    assert days == sorted(days, reverse=True)
    assert all(start.isoformat() <= day <= end.isoformat() for day in days)
    assert all(node["activityType"]["name"] for node in activities["nodes"])
    assert answers[10]["person"]["activities"]["nodes"] == activities["nodes"][:10]
    assert person["assignments"]["totalCount"] == len(person["assignments"]["nodes"]) > 0
    summary = person["yearlySummary"]
    assert summary["year"] == end.year
    assert summary["activityCount"] >= 120
    # Same answer from the domain's own fields.
    direct = await gql(
        client,
        """query($from: Date!, $to: Date!) {
            openAssignmentCount(mentorId: "mentor_s00000")
            mentorActivityTotals(mentorId: "mentor_s00000", from: $from, to: $to) {
                hours activityCount } }""",
        {"from": f"{end.year}-01-01", "to": f"{end.year}-12-31"},
        auth.coordinator,
    )
    assert direct["data"]["openAssignmentCount"] == person["openAssignmentCount"]
    totals = direct["data"]["mentorActivityTotals"]
    assert (totals["hours"], totals["activityCount"]) == (
        summary["hours"],
        summary["activityCount"],
    )


async def test_mentors_overview(client, volume, auth: Auth):
    answers = await _budget(client, MENTORS, {}, auth.coordinator)
    people = answers[100]["organisation"]["people"]
    assert people["totalCount"] > 100
    assert len(people["nodes"]) == 100
    names = [(node["name"], node["legacyId"]) for node in people["nodes"]]
    assert names == sorted(names)
    scaled = [node for node in people["nodes"] if node["legacyId"].startswith("mentor_s")]
    assert len(scaled) > 90
    for node in scaled:  # every generated mentor has 20 confirmed 2025 activities
        assert node["yearlySummary"]["activityCount"] == 20
        assert node["activities"]["totalCount"] == 20
        assert len(node["activities"]["nodes"]) == 3
        assert node["assignments"]["totalCount"] == node["openAssignmentCount"]


async def test_editorial_desk(client, volume, auth: Auth):
    first = await gql(
        client, "{ editorialAssignments(first: 5) { nodes { srn } } }", None, auth.editor
    )
    for node in first["data"]["editorialAssignments"]["nodes"]:
        taken = await gql(
            client, f'mutation {{ acquireEditorialLock(srn: "{node["srn"]}") {{ uuid }} }}', None,
            auth.editor,
        )  # fmt: skip
        assert "errors" not in taken, taken
    answers = await _budget(client, DESK, {}, auth.editor)
    desk = answers[100]["editorialAssignments"]
    assert desk["totalCount"] == 405
    assert len(desk["nodes"]) == 100
    locked = [node for node in desk["nodes"] if node["lock"] is not None]
    assert len(locked) == 5
    assert {node["lock"]["holder"]["legacyId"] for node in locked} == {"editor_001"}
    for node in desk["nodes"]:
        assert node["issue"]["label"]
        assert node["creator"]["name"]
        assert node["users"]
        assert node["children"]
    assert answers[10]["editorialAssignments"]["nodes"] == desk["nodes"][:10]
