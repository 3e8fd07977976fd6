"""``aggregates`` and ``groupedAggregates`` on every connection of the schema, through the
real app on both databases: every connection type offers them; on each list (roots and
hub lists) and for several roles, the count is the list's ``totalCount``, the least and
greatest values, sums and averages are those of the items the list pages through, and each
dimension's groups are Python's grouping of those items. Hub aggregates of a page of owners
cost a constant number of statements."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import httpx
import pytest

from app.services.mentoring_rules import STATUS_WORDS
from app.settings import Settings
from schema import build_schema
from tests.helpers import Auth, gql
from tests.listing_support import BUCKETS, Row, calendar_bucket, same_statements_for_sizes


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _bucket_of(kind: str, name: str) -> Callable[[Row], str]:
    return lambda row: calendar_bucket(kind, row[name])


def _id_of(relation: str) -> Callable[[Row], str | None]:
    return lambda row: None if row[relation] is None else row[relation]["legacyId"]


def _word(name: str) -> Callable[[Row], str]:
    return lambda row: str(row[name]).lower()


@dataclass(frozen=True)
class Kind:
    """A record type's aggregates: its measures (as its nodes name them) and how each
    grouping dimension reads a node; ``select`` adds what the dimensions need."""

    numbers: tuple[str, ...]
    bounds: tuple[str, ...]
    dated: str  # the field date buckets group by
    dimensions: dict[str, Callable[[Row], Any]] = field(default_factory=dict)
    select: str = ""


KINDS = {
    "Assignment": Kind(
        (),
        ("startDate", "lastContactAt", "closedAt", "createdAt", "updatedAt"),
        "startDate",
        {
            "STATUS": _word("status"),
            "ORGANISATION": _id_of("organisation"),
            "MENTOR": _id_of("mentor"),
            "MENTEE": _id_of("mentee"),
            "COORDINATOR": _id_of("coordinator"),
        },
        "status organisation { legacyId } mentor { legacyId } mentee { legacyId } "
        "coordinator { legacyId }",
    ),
    "Notification": Kind(
        ("daysWithoutContact",),
        ("gapStart", "createdAt", "deliveredAt"),
        "createdAt",
        {
            "KIND": _word("kind"),
            "ASSIGNMENT": _id_of("assignment"),
            "RECIPIENT": _id_of("recipient"),
        },
        "kind assignment { legacyId } recipient { legacyId }",
    ),
    "Milestone": Kind(
        ("threshold", "currentValue"),
        ("periodStart", "periodEnd", "achievedAt", "detectedAt"),
        "periodStart",
        {"STATUS": _word("status"), "TYPE": _word("type"), "MENTOR": lambda row: row["mentorId"]},
        "status type mentorId",
    ),
    "Activity": Kind(
        ("durationMinutes",),
        ("date", "createdAt"),
        "date",
        {
            "STATUS": _word("status"),
            "ACTIVITY_TYPE": lambda row: row["activityTypeId"],
            "PEER_MENTOR": lambda row: row["peerMentorId"],
        },
        "status activityTypeId peerMentorId",
    ),
    "Person": Kind((), ("createdAt", "updatedAt"), "createdAt"),
    "Organisation": Kind((), ("createdAt",), "createdAt"),
    "EditorialAssignment": Kind(
        (),
        ("createdAt", "modifiedAt", "publishedAt", "dueAt"),
        "createdAt",
        {"TYPE": _word("type")},
        "type",
    ),
    "EditorialLock": Kind(
        (),
        ("createdAt", "modifiedAt", "expiresAt"),
        "createdAt",
        {"HOLDER": _id_of("holder")},
        "holder { legacyId }",
    ),
}


@dataclass(frozen=True)
class Case:
    """A list: ``kind`` of record, the query ``around`` its field (``{list}`` stands for
    ``field(args, <paging>) { ... }``) and the path to the connection in the answer."""

    kind: str
    around: str
    path: tuple[str, ...]
    field: str
    args: str = ""


CASES = [
    Case("Assignment", "{list}", ("assignments",), "assignments", "status: ALL"),
    Case("Assignment", "{list}", ("overdueAssignments",), "overdueAssignments", "days: 3"),
    Case(
        "Assignment",
        "{list}",
        ("mentorAssignments",),
        "mentorAssignments",
        'mentorId: "user_042", active: false',
    ),
    Case("Notification", "{list}", ("notifications",), "notifications"),
    Case("Milestone", "{list}", ("milestones",), "milestones"),
    Case("Activity", "{list}", ("activities",), "activities"),
    Case("Person", "{list}", ("people",), "people"),
    Case("Organisation", "{list}", ("organisations",), "organisations"),
    Case(
        "Assignment",
        'organisation(id: "org_03") { {list} }',
        ("organisation", "assignments"),
        "assignments",
    ),
    Case(
        "Assignment",
        'organisation(id: "org_03") { {list} }',
        ("organisation", "overdueAssignments"),
        "overdueAssignments",
        "days: 3",
    ),
    Case(
        "Notification",
        'organisation(id: "org_03") { {list} }',
        ("organisation", "notifications"),
        "notifications",
    ),
    Case("Person", 'organisation(id: "org_03") { {list} }', ("organisation", "people"), "people"),
    Case(
        "Assignment",
        'person(id: "user_042") { {list} }',
        ("person", "assignments"),
        "assignments",
        "status: ALL",
    ),
    Case(
        "Milestone", 'person(id: "mentor_001") { {list} }', ("person", "milestones"), "milestones"
    ),
    Case("Activity", 'person(id: "mentor_001") { {list} }', ("person", "activities"), "activities"),
]
EDITORIAL_ROOT = Case(
    "EditorialAssignment", "{list}", ("editorialAssignments",), "editorialAssignments"
)
EDITORIAL_HUBS = [
    Case(
        "EditorialAssignment",
        "person(id: $person) { {list} }",
        ("person", "editorialAssignments"),
        "editorialAssignments",
    ),
    Case("EditorialLock", "person(id: $person) { {list} }", ("person", "heldLocks"), "heldLocks"),
]


def _query(case: Case, inner: str, paging: str, variables: str = "") -> str:
    args = ", ".join(part for part in (case.args, paging) if part)
    listed = f"{case.field}({args}) {{ {inner} }}"
    return f"query{variables} {{ {case.around.replace('{list}', listed)} }}"


def _variables(extra: dict[str, Any]) -> str:
    return "($person: String!)" if extra else ""


def _dig(body: dict[str, Any], path: tuple[str, ...]) -> Any:
    assert "errors" not in body, body
    found: Any = body["data"]
    for step in path:
        found = found[step]
    return found


async def _items(
    client: httpx.AsyncClient, case: Case, headers: dict[str, str], extra: dict[str, Any]
) -> tuple[list[Row], int]:
    kind = KINDS[case.kind]
    fields = " ".join({*kind.numbers, *kind.bounds, kind.dated})
    inner = f"totalCount nodes {{ {fields} {kind.select} }} pageInfo {{ hasNextPage endCursor }}"
    variables = "($after: String" + (", $person: String!" if extra else "") + ")"
    rows: list[Row] = []
    after: str | None = None
    while True:
        body = await gql(
            client,
            _query(case, inner, "first: 100, after: $after", variables),
            {"after": after, **extra},
            headers,
        )
        page = _dig(body, case.path)
        rows += page["nodes"]
        if not page["pageInfo"]["hasNextPage"]:
            return rows, page["totalCount"]
        after = page["pageInfo"]["endCursor"]


def _value(name: str, raw: Any) -> Any:
    if isinstance(raw, str):
        return _at(raw) if "T" in raw else date.fromisoformat(raw)
    return raw


def _expected_whole(kind: Kind, rows: list[Row]) -> dict[str, Any]:
    least: dict[str, Any] = {}
    greatest: dict[str, Any] = {}
    for name in (*kind.numbers, *kind.bounds):
        values = [_value(name, row[name]) for row in rows if row[name] is not None]
        least[name] = min(values) if values else None
        greatest[name] = max(values) if values else None
    return {"count": len(rows), "min": least, "max": greatest}


def _found_whole(kind: Kind, found: dict[str, Any]) -> dict[str, Any]:
    return {
        "count": found["count"],
        "min": {name: _value(name, v) for name, v in found["min"].items()},
        "max": {name: _value(name, v) for name, v in found["max"].items()},
    }


def _hidden(body: dict[str, Any]) -> bool:
    """The list's subject (a mentor, a person ...) is not the caller's to see."""
    errors = body.get("errors") or []
    return bool(errors) and all(e["extensions"]["code"] == "NOT_FOUND" for e in errors)


async def _check(
    client: httpx.AsyncClient, case: Case, headers: dict[str, str], extra: dict[str, Any]
) -> int:
    """Compares the list's aggregates with its items; returns how many items it has (-1
    when the caller may not see the list's subject)."""
    kind = KINDS[case.kind]
    probe = await gql(
        client, _query(case, "totalCount", "first: 0", _variables(extra)), extra, headers
    )
    if _hidden(probe):
        return -1
    rows, total = await _items(client, case, headers, extra)
    measures = " ".join((*kind.numbers, *kind.bounds))
    parts = f"min {{ {measures} }} max {{ {measures} }}"
    if kind.numbers:
        numbers = " ".join(kind.numbers)
        parts += f" sum {{ {numbers} }} avg {{ {numbers} }}"
    body = await gql(
        client,
        _query(
            case, f"totalCount aggregates {{ keys count {parts} }}", "first: 0", _variables(extra)
        ),
        extra,
        headers,
    )
    connection = _dig(body, case.path)
    found = connection["aggregates"]
    assert found["keys"] == []
    assert connection["totalCount"] == total == len(rows), case
    assert _found_whole(kind, found) == _expected_whole(kind, rows), case
    for name in kind.numbers:
        values = [row[name] for row in rows]
        assert found["sum"][name] == pytest.approx(sum(values)), (case, name)
        average = sum(values) / len(values) if values else None
        assert found["avg"][name] == pytest.approx(average), (case, name)
    dimensions: dict[str, Callable[[Row], Any]] = {
        **kind.dimensions,
        **{b: _bucket_of(b, kind.dated) for b in BUCKETS},
    }
    grouped_vars = f"($groupBy: [{case.kind}GroupBy!]!" + (", $person: String!)" if extra else ")")
    inner = "groupedAggregates(groupBy: $groupBy, first: 1000) { keys count }"
    for name, key_of in dimensions.items():
        groups: dict[Any, int] = defaultdict(int)
        for row in rows:
            groups[key_of(row)] += 1
        ordered = sorted(groups.items(), key=lambda item: (item[0] is None, item[0] or ""))
        expected = [{"keys": [key], "count": count} for key, count in ordered]
        body = await gql(
            client,
            _query(case, inner, "first: 0", grouped_vars),
            {"groupBy": [name], **extra},
            headers,
        )
        assert _dig(body, case.path)["groupedAggregates"] == expected, (case, name)
    return len(rows)


def test_every_connection_offers_aggregates(settings: Settings):
    """Every connection type of the schema has ``aggregates`` and ``groupedAggregates``, and
    every record type this file checks is one of them (a new connection must join KINDS)."""
    schema = build_schema(settings)._schema
    connections = {
        name[: -len("Connection")]
        for name, kind in schema.type_map.items()
        if name.endswith("Connection") and hasattr(kind, "fields")
    }
    assert connections == set(KINDS)
    for name in connections:
        fields = getattr(schema.type_map[f"{name}Connection"], "fields")
        assert {"aggregates", "groupedAggregates"} <= set(fields), name


@pytest.mark.parametrize("role", ["admin", "coordinator", "other coordinator", "mentor"])
async def test_every_list_aggregates_what_it_pages_through(
    client: httpx.AsyncClient, demo, auth: Auth, role: str
):
    headers = {
        "admin": auth.admin,
        "coordinator": auth.coordinator,
        "other coordinator": auth.other_coordinator,
        "mentor": auth.mentor("user_042"),
    }[role]
    sizes = {case: await _check(client, case, headers, {}) for case in CASES}
    if role == "admin":
        # the check must have had something to add up on every list
        assert all(size > 0 for size in sizes.values()), sizes
    else:
        assert sum(size > 0 for size in sizes.values()) >= 3, sizes


async def test_editorial_lists_aggregate_what_they_page_through(
    client: httpx.AsyncClient, demo, auth: Auth
):
    people = await gql(client, "{ people(first: 100) { nodes { legacyId } } }", {}, auth.editor)
    sizes: dict[str, int] = defaultdict(int)
    sizes["root"] = await _check(client, EDITORIAL_ROOT, auth.editor, {})
    for person in people["data"]["people"]["nodes"]:
        for case in EDITORIAL_HUBS:
            extra = {"person": person["legacyId"]}
            sizes[case.field] += max(0, await _check(client, case, auth.editor, extra))
    assert sizes["root"] > 0, sizes
    assert sizes["editorialAssignments"] > 0, sizes


async def test_hub_aggregates_cost_constant_statements(client: httpx.AsyncClient, demo, auth: Auth):
    """A page of people, each with the aggregates of three of their lists: 3 people or 12
    cost the same number of statements."""
    query = """query($first: Int) { people(first: $first) { nodes { legacyId
      assignments(first: 1, status: ALL) { aggregates { count min { startDate } } }
      milestones(first: 1) { aggregates { count sum { threshold } } }
      activities(first: 1) { groupedAggregates(groupBy: [MONTH]) { keys count } } } } }"""
    await same_statements_for_sizes(client, query, auth.admin)


@pytest.mark.parametrize("role", ["admin", "coordinator", "mentor"])
async def test_assignment_groups_add_up_what_the_rest_list_holds(
    client: httpx.AsyncClient, demo, auth: Auth, role: str
):
    """Assignments by status, organisation and mentor, and the overdue count, equal what
    the REST lists hold for the same caller."""
    headers = {"admin": auth.admin, "coordinator": auth.coordinator, "mentor": auth.mentor()}[role]
    rows: list[Row] = []
    for page in range(1, 1000):
        answer = await client.get(
            f"/api/v1/assignments?status=all&limit=100&page={page}", headers=headers
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        rows += body["data"]
        if len(rows) >= body["pagination"]["total"]:
            break
    assert rows
    readers: list[tuple[str, Callable[[Row], Any]]] = [
        ("STATUS", lambda row: STATUS_WORDS[row["status"]]),
        ("ORGANISATION", lambda row: row["org_id"]),
        ("MENTOR", lambda row: row["mentor_id"]),
    ]
    for dimension, key_of in readers:
        groups: dict[Any, int] = defaultdict(int)
        for row in rows:
            groups[key_of(row)] += 1
        ordered = sorted(groups.items(), key=lambda item: (item[0] is None, item[0] or ""))
        body = await gql(
            client,
            """query($g: [AssignmentGroupBy!]!) { assignments(status: ALL, first: 0) {
              aggregates { count } groupedAggregates(groupBy: $g, first: 1000) { keys count } } }""",
            {"g": [dimension]},
            headers,
        )
        found = _dig(body, ("assignments",))
        assert found["aggregates"]["count"] == len(rows)
        assert found["groupedAggregates"] == [
            {"keys": [key], "count": count} for key, count in ordered
        ], dimension
    overdue = await client.get("/api/v1/assignments/overdue?days=3&limit=100", headers=headers)
    assert overdue.status_code == 200, overdue.text
    total = overdue.json()["pagination"]["total"]
    body = await gql(
        client, "{ overdueAssignments(days: 3, first: 0) { aggregates { count } } }", {}, headers
    )
    assert _dig(body, ("overdueAssignments",))["aggregates"]["count"] == total
