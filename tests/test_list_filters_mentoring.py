"""``filter:`` and ``orderBy:`` on the mentoring lists (assignments, overdue assignments, a
mentor's assignments, notifications and the hub lists), property-tested through the real
app on both databases: for random filters the list answers exactly the visible items the
same filter keeps when evaluated here, in Python, over every item the caller may see
(fetched unfiltered), for several roles; for random orders, the items come in the order
sorting them here gives, over pages whose cursors follow the order. Visibility applies
first: no filter reaches another organisation's or another mentor's assignments."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.db import Database
from app.models.mentoring import CLOSED, ESCALATION, OPEN, REMINDER, Assignment, Notification
from tests.helpers import Auth, gql
from tests.listing_support import Row, combined, instant, matches, ops, sorted_ids

PAGE = 40  # smaller than every list, so the walks cross pages

ASSIGNMENT_FIELDS = (
    "legacyId status startDate lastContactAt closedAt createdAt updatedAt"
    " mentor { legacyId } mentee { legacyId }"
)
ASSIGNMENTS = (
    "query($filter: AssignmentFilter, $orderBy: [AssignmentOrder!], $after: String) {"
    f" list: assignments(first: {PAGE}, after: $after, status: ALL, filter: $filter,"
    f" orderBy: $orderBy) {{ totalCount nodes {{ {ASSIGNMENT_FIELDS} }}"
    " pageInfo { hasNextPage endCursor } } }"
)
NOTIFICATIONS = (
    "query($filter: NotificationFilter, $orderBy: [NotificationOrder!], $after: String) {"
    f" list: notifications(first: {PAGE}, after: $after, filter: $filter, orderBy: $orderBy)"
    " { totalCount nodes { legacyId kind daysWithoutContact createdAt }"
    " pageInfo { hasNextPage endCursor } } }"
)
OVERDUE = (
    "query($filter: AssignmentFilter, $orderBy: [AssignmentOrder!], $after: String) {"
    f' list: overdueAssignments(first: {PAGE}, after: $after, cutoff: "2030-01-01",'
    " filter: $filter, orderBy: $orderBy)"
    f" {{ totalCount nodes {{ {ASSIGNMENT_FIELDS} }} pageInfo {{ hasNextPage endCursor }} }} }}"
)

_MENTORS = ("user_202", "mentor_001", "mentor_4b8c21", "user_055")
_MENTEES = (
    "user_088",
    "contact_def789",
    "user_101",
    "user_102",
    "contact_xyz123",
    "contact_abc456",
    "contact_old001",
)


async def _add_rows(db: Database) -> None:
    """Beside the demo data (all of org_03): assignments of org_05 and of no organisation,
    with and without a coordinator, contact or close; and notifications of each kind,
    with and without a recipient, spread over those assignments and the demo's."""
    rng = random.Random(11)
    base = datetime(2025, 1, 1, tzinfo=UTC)
    extra: list[Assignment] = []
    for i in range(24):
        closed = i % 5 == 0
        started = base + timedelta(days=rng.randint(0, 500), hours=rng.randint(0, 23))
        contact = None if i % 3 == 1 else started + timedelta(days=rng.randint(1, 60))
        created = started + timedelta(hours=rng.randint(0, 30))
        extra.append(
            Assignment(
                id=f"asgn_x{i:03d}",
                mentor_id=_MENTORS[i % 4],
                mentee_id=_MENTEES[i // 4],
                coordinator_id=rng.choice((None, "user_201", "user_007")),
                org_id=("org_05", None, "org_03")[i % 3],
                status=CLOSED if closed else OPEN,
                started_at=started,
                last_contact_at=contact,
                closed_at=started + timedelta(days=rng.randint(30, 90)) if closed else None,
                created_at=created,
                updated_at=created + timedelta(days=rng.randint(0, 3)),
            )
        )
    async with db.write() as session:
        session.add_all(extra)
        await session.flush()
        owners = [row.id for row in extra] + ["asgn_001", "asgn_002", "assign_001aa"]
        owners += [f"asgn_s{i:06d}" for i in range(0, 60, 6)]
        for i in range(45):
            kind = (REMINDER, ESCALATION)[i % 2]
            session.add(
                Notification(
                    id=f"ntf_x{i:03d}",
                    assignment_id=owners[(i * 7) % len(owners)],
                    kind=kind,
                    recipient_id=rng.choice((None, "user_007", "user_201", "user_202")),
                    gap_start=base + timedelta(hours=i),
                    days_without_contact=rng.randint(0, 40),
                    created_at=base + timedelta(days=rng.randint(0, 600), minutes=i),
                )
            )


async def _walk(
    client: httpx.AsyncClient, query: str, headers: dict[str, str], variables: dict[str, Any]
) -> tuple[list[Row], int]:
    rows: list[Row] = []
    after: str | None = None
    while True:
        body = await gql(client, query, {**variables, "after": after}, headers)
        assert "errors" not in body, body
        page = body["data"]["list"]
        rows += page["nodes"]
        if not page["pageInfo"]["hasNextPage"]:
            return rows, page["totalCount"]
        after = page["pageInfo"]["endCursor"]


class Lists:
    """What each role sees: its headers and every assignment and notification, unfiltered,
    in list order, with the ids the answers name only through relations (from the rows)."""

    def __init__(self, client: httpx.AsyncClient, db: Database) -> None:
        self.client = client
        self.db = db
        self.assignment_ids: dict[str, dict[str, Any]] = {}
        self.notification_ids: dict[str, dict[str, Any]] = {}
        self.seen: dict[str, dict[str, tuple[dict[str, str], list[Row]]]] = {}

    async def load_ids(self) -> None:
        async with self.db.read() as session:
            for found in await session.scalars(select(Assignment)):
                self.assignment_ids[found.id] = {
                    "mentorId": found.mentor_id,
                    "menteeId": found.mentee_id,
                    "coordinatorId": found.coordinator_id,
                    "orgId": found.org_id,
                }
            for note in await session.scalars(select(Notification)):
                self.notification_ids[note.id] = {
                    "assignmentId": note.assignment_id,
                    "recipientId": note.recipient_id,
                }

    def complete(self, rows: list[Row], ids: dict[str, dict[str, Any]]) -> list[Row]:
        return [{**row, **ids[row["legacyId"]]} for row in rows]

    async def all(
        self, query: str, headers: dict[str, str], variables: dict[str, Any]
    ) -> tuple[list[Row], int]:
        rows, total = await _walk(self.client, query, headers, variables)
        ids = self.assignment_ids if query is not NOTIFICATIONS else self.notification_ids
        return self.complete(rows, ids), total


@pytest.fixture
async def lists(client: httpx.AsyncClient, db: Database, demo, auth: Auth) -> Lists:
    await _add_rows(db)
    found = Lists(client, db)
    await found.load_ids()
    roles = {
        "admin": auth.admin,
        "coordinator": auth.coordinator,
        "other_coordinator": auth.other_coordinator,
        "mentor": auth.mentor("user_202", "org_05"),
    }
    for query in (ASSIGNMENTS, NOTIFICATIONS, OVERDUE):
        found.seen[query] = {}
        for name, headers in roles.items():
            rows, total = await found.all(query, headers, {})
            assert len(rows) == total
            found.seen[query][name] = (headers, rows)
        seen = found.seen[query]
        assert seen["mentor"][1]
        assert seen["other_coordinator"][1]
        assert len(seen["mentor"][1]) < len(seen["coordinator"][1]) < len(seen["admin"][1])
    return found


ASSIGNMENT_PARSERS = {
    name: instant for name in ("startDate", "lastContactAt", "closedAt", "createdAt", "updatedAt")
}
NOTIFICATION_PARSERS = {"createdAt": instant}

# --- random filters -------------------------------------------------------------------------

_instants = st.datetimes(datetime(2024, 5, 1), datetime(2027, 3, 1)).map(
    lambda moment: moment.isoformat() + "Z"
)
_people = st.sampled_from(
    ["user_202", "mentor_001", "mentor_a1b2c3", "user_042", "user_101", "user_088", "nobody"]
)
_coordinators = st.sampled_from(["user_007", "user_201", "user_202", "nobody"])
_orgs = st.sampled_from(["org_03", "org_05", "org_99"])

_assignment_leaf = st.one_of(
    st.fixed_dictionaries({"status": ops(st.sampled_from(["OPEN", "CLOSED"]), ranges=False)}),
    st.fixed_dictionaries({"mentorId": ops(_people, ranges=False)}),
    st.fixed_dictionaries({"menteeId": ops(_people, ranges=False)}),
    st.fixed_dictionaries({"coordinatorId": ops(_coordinators, ranges=False)}),
    st.fixed_dictionaries({"orgId": ops(_orgs, ranges=False)}),
    *(
        st.fixed_dictionaries({name: ops(_instants, ranges=True, lists=False)})
        for name in ("startDate", "lastContactAt", "closedAt", "createdAt", "updatedAt")
    ),
)
assignment_filters = combined(_assignment_leaf)

_owners = st.sampled_from(["asgn_x000", "asgn_x001", "asgn_x004", "asgn_001", "asgn_s000006"])
_notification_leaf = st.one_of(
    st.fixed_dictionaries({"kind": ops(st.sampled_from(["REMINDER", "ESCALATION"]), ranges=False)}),
    st.fixed_dictionaries({"assignmentId": ops(_owners, ranges=False)}),
    st.fixed_dictionaries({"recipientId": ops(_coordinators, ranges=False)}),
    st.fixed_dictionaries({"daysWithoutContact": ops(st.integers(0, 41), ranges=True)}),
    st.fixed_dictionaries({"createdAt": ops(_instants, ranges=True, lists=False)}),
)
notification_filters = combined(_notification_leaf)

_PROPERTY = hypothesis_settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
_ROLES = st.sampled_from(["admin", "coordinator", "other_coordinator", "mentor"])


@_PROPERTY
@given(condition=assignment_filters, role=_ROLES)
async def test_an_assignment_filter_keeps_exactly_the_visible_ones_it_matches(
    lists: Lists, condition: dict[str, Any], role: str
):
    headers, visible = lists.seen[ASSIGNMENTS][role]
    expected = [row["legacyId"] for row in visible if matches(condition, row, ASSIGNMENT_PARSERS)]
    rows, total = await lists.all(ASSIGNMENTS, headers, {"filter": condition})
    assert [row["legacyId"] for row in rows] == expected, condition
    assert total == len(expected)


@_PROPERTY
@given(condition=notification_filters, role=_ROLES)
async def test_a_notification_filter_keeps_exactly_the_visible_ones_it_matches(
    lists: Lists, condition: dict[str, Any], role: str
):
    headers, visible = lists.seen[NOTIFICATIONS][role]
    expected = [row["legacyId"] for row in visible if matches(condition, row, NOTIFICATION_PARSERS)]
    rows, total = await lists.all(NOTIFICATIONS, headers, {"filter": condition})
    assert [row["legacyId"] for row in rows] == expected, condition
    assert total == len(expected)


_ASSIGNMENT_ORDER = {
    "STATUS": "status",
    "MENTOR_ID": "mentorId",
    "MENTEE_ID": "menteeId",
    "COORDINATOR_ID": "coordinatorId",
    "ORG_ID": "orgId",
    "START_DATE": "startDate",
    "LAST_CONTACT_AT": "lastContactAt",
    "CLOSED_AT": "closedAt",
    "CREATED_AT": "createdAt",
    "UPDATED_AT": "updatedAt",
}
_NOTIFICATION_ORDER = {
    "KIND": "kind",
    "ASSIGNMENT_ID": "assignmentId",
    "RECIPIENT_ID": "recipientId",
    "DAYS_WITHOUT_CONTACT": "daysWithoutContact",
    "CREATED_AT": "createdAt",
}


def _orders(fields: dict[str, str]) -> st.SearchStrategy[list[dict[str, str]]]:
    return st.lists(
        st.fixed_dictionaries(
            {
                "field": st.sampled_from(sorted(fields)),
                "direction": st.sampled_from(["ASC", "DESC"]),
            }
        ),
        min_size=1,
        max_size=3,
        unique_by=lambda key: key["field"],
    )


@_PROPERTY
@given(
    keys=_orders(_ASSIGNMENT_ORDER),
    role=st.sampled_from(["admin", "coordinator"]),
    query=st.sampled_from([ASSIGNMENTS, OVERDUE]),
)
async def test_an_assignment_order_sorts_every_page_and_its_cursors_follow(
    lists: Lists, keys: list[dict[str, str]], role: str, query: str
):
    """Paging through the ordered list (``assignments`` or ``overdueAssignments``) gives
    the visible items sorted by the keys, the id breaking ties. Fails if a key is ignored,
    a direction flipped, nulls misplaced or a cursor continues in another order."""
    headers, visible = lists.seen[query][role]
    rows, _ = await lists.all(query, headers, {"orderBy": keys})
    expected = sorted_ids(visible, keys, _ASSIGNMENT_ORDER, ASSIGNMENT_PARSERS)
    assert [row["legacyId"] for row in rows] == expected, keys


@_PROPERTY
@given(keys=_orders(_NOTIFICATION_ORDER), role=st.sampled_from(["admin", "coordinator"]))
async def test_a_notification_order_sorts_every_page_and_its_cursors_follow(
    lists: Lists, keys: list[dict[str, str]], role: str
):
    headers, visible = lists.seen[NOTIFICATIONS][role]
    rows, _ = await lists.all(NOTIFICATIONS, headers, {"orderBy": keys})
    expected = sorted_ids(visible, keys, _NOTIFICATION_ORDER, NOTIFICATION_PARSERS)
    assert [row["legacyId"] for row in rows] == expected, keys


async def test_overdue_takes_a_filter_within_its_own_rule(lists: Lists):
    """``overdueAssignments`` keeps its own rule (open ones only, its cutoff) and the
    filter narrows it; without ``orderBy`` it stays oldest contact first."""
    condition = {"or": [{"orgId": {"isNull": True}}, {"mentorId": {"eq": "user_202"}}]}
    for role in ("admin", "other_coordinator"):
        headers, visible = lists.seen[OVERDUE][role]
        assert all(row["status"] == "OPEN" for row in visible)
        rows, _ = await lists.all(OVERDUE, headers, {"filter": condition})
        expected = [row["legacyId"] for row in visible if matches(condition, row, {})]
        assert [row["legacyId"] for row in rows] == expected
        assert expected


async def test_filters_and_orders_are_bounded_and_checked(lists: Lists, auth: Auth):
    wide = {"mentorId": {"in": ["user_202"] * 101}}
    twice = [{"field": "START_DATE"}, {"field": "START_DATE", "direction": "DESC"}]
    cases: list[tuple[str, dict[str, Any], str]] = [
        (ASSIGNMENTS, {"filter": wide}, "filter: at most 100 values in 'mentor_id'"),
        (ASSIGNMENTS, {"orderBy": twice}, "orderBy: each field at most once"),
        (NOTIFICATIONS, {"orderBy": [{"field": "KIND"}] * 5}, "orderBy: at most 4 keys"),
    ]
    for query, variables, message in cases:
        body = await gql(lists.client, query, variables, auth.admin)
        assert body["data"] is None, body
        [error] = body["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT", body
        assert error["message"] == message, body
    # A cursor of one order is refused by another.
    body = await gql(lists.client, ASSIGNMENTS, {"orderBy": [{"field": "ORG_ID"}]}, auth.admin)
    cursor = body["data"]["list"]["pageInfo"]["endCursor"]
    other = await gql(
        lists.client,
        ASSIGNMENTS,
        {"orderBy": [{"field": "MENTOR_ID"}], "after": cursor},
        auth.admin,
    )
    assert other["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", other
    assert "belongs to another list" in other["errors"][0]["message"], other


# --- hub lists: one statement for a page of owners, the same answer as the root list --------

_HUB = (
    "query($id: String!, $filter: AssignmentFilter, $orderBy: [AssignmentOrder!],"
    " $notes: NotificationFilter, $notesBy: [NotificationOrder!]) {"
    " organisation(id: $id) {"
    "  assignments(first: 100, status: ALL, filter: $filter, orderBy: $orderBy)"
    "  { nodes { legacyId } }"
    '  overdueAssignments(first: 100, cutoff: "2030-01-01", filter: $filter,'
    "   orderBy: $orderBy) { nodes { legacyId } }"
    "  notifications(first: 100, filter: $notes, orderBy: $notesBy) { nodes { legacyId } } } }"
)
_PERSON_HUB = (
    "query($id: String!, $filter: AssignmentFilter, $orderBy: [AssignmentOrder!]) {"
    " person(id: $id) { assignments(first: 100, role: COORDINATOR, status: ALL,"
    " filter: $filter, orderBy: $orderBy) { nodes { legacyId } } } }"
)


def _ids(rows: list[Row]) -> list[str]:
    return [row["legacyId"] for row in rows]


@pytest.mark.parametrize("role", ["admin", "coordinator"])
async def test_the_hub_lists_take_the_same_filter_and_order(lists: Lists, role: str):
    """An organisation's ``assignments``, ``overdueAssignments`` and ``notifications`` and a
    person's ``assignments`` with a filter and an order answer what the root lists answer
    for that owner."""
    condition = {"not": {"lastContactAt": {"isNull": True}}, "mentorId": {"ne": "mentor_001"}}
    keys = [{"field": "MENTOR_ID", "direction": "DESC"}, {"field": "START_DATE"}]
    notes = {"daysWithoutContact": {"gte": 10}}
    notes_by = [{"field": "KIND"}, {"field": "CREATED_AT", "direction": "DESC"}]
    headers = lists.seen[ASSIGNMENTS][role][0]
    org = "org_03"
    variables = {"id": org, "filter": condition, "orderBy": keys}
    body = await gql(
        lists.client, _HUB, {**variables, "notes": notes, "notesBy": notes_by}, headers
    )
    assert "errors" not in body, body
    hub = body["data"]["organisation"]
    in_org = {**condition, "orgId": {"eq": org}}
    root, _ = await lists.all(ASSIGNMENTS, headers, {"filter": in_org, "orderBy": keys})
    assert _ids(hub["assignments"]["nodes"]) == _ids(root)
    assert root
    root, _ = await lists.all(OVERDUE, headers, {"filter": in_org, "orderBy": keys})
    assert _ids(hub["overdueAssignments"]["nodes"]) == _ids(root)
    assert root
    org_assignments = {
        row["legacyId"] for row in lists.seen[ASSIGNMENTS]["admin"][1] if row["orgId"] == org
    }
    root, _ = await lists.all(NOTIFICATIONS, headers, {"filter": notes, "orderBy": notes_by})
    in_hub = [row for row in root if row["assignmentId"] in org_assignments]
    assert _ids(hub["notifications"]["nodes"]) == _ids(in_hub)
    assert in_hub

    body = await gql(lists.client, _PERSON_HUB, {**variables, "id": "user_007"}, headers)
    assert "errors" not in body, body
    person = body["data"]["person"]["assignments"]["nodes"]
    by_them = {**condition, "coordinatorId": {"eq": "user_007"}}
    root, _ = await lists.all(ASSIGNMENTS, headers, {"filter": by_them, "orderBy": keys})
    assert _ids(person) == _ids(root)
    assert root


async def test_a_mentors_assignments_take_a_filter_and_an_order(lists: Lists, auth: Auth):
    """``mentorAssignments`` (open ones or the history) narrowed and ordered as the root
    list with ``mentorId`` answers."""
    condition = {"or": [{"orgId": {"eq": "org_05"}}, {"coordinatorId": {"isNull": True}}]}
    keys = [{"field": "CREATED_AT", "direction": "DESC"}]
    query = (
        "query($filter: AssignmentFilter, $orderBy: [AssignmentOrder!], $active: Boolean!) {"
        ' mentorAssignments(mentorId: "user_202", active: $active, first: 100,'
        " filter: $filter, orderBy: $orderBy) { nodes { legacyId } } }"
    )
    for active in (True, False):
        body = await gql(
            lists.client,
            query,
            {"filter": condition, "orderBy": keys, "active": active},
            auth.admin,
        )
        assert "errors" not in body, body
        found = _ids(body["data"]["mentorAssignments"]["nodes"])
        narrowed: dict[str, Any] = {**condition, "mentorId": {"eq": "user_202"}}
        if active:
            narrowed["status"] = {"eq": "OPEN"}
        root, _ = await lists.all(ASSIGNMENTS, auth.admin, {"filter": narrowed, "orderBy": keys})
        assert found == _ids(root)
        assert found
