"""``filter:`` and ``orderBy:`` on the milestones connections (``milestones``,
``newMilestones``, ``milestonesInProgress``, a person's ``milestones``), property-tested
through the real app on both databases: a random filter keeps exactly the visible items the
same filter keeps when evaluated here, in Python, over every item the caller may see
(fetched unfiltered), for several roles; a random order sorts the items as sorting them
here does, across pages; the named arguments keep narrowing; the hub answers as the root."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from app.db import Database
from app.models.milestones import Milestone
from tests.helpers import Auth, gql
from tests.listing_support import Row, combined, day, every_page, instant, matches, ops, sorted_ids

FIELDS = (
    "legacyId mentorId type status threshold currentValue periodStart periodEnd achievedAt"
    " detectedAt"
)
LIST = (
    "query($filter: MilestoneFilter, $orderBy: [MilestoneOrder!], $after: String,"
    " $mentorId: String, $status: MilestoneStatus) {"
    " milestones(first: 25, after: $after, filter: $filter, orderBy: $orderBy,"
    " mentorId: $mentorId, status: $status) {"
    f" totalCount nodes {{ {FIELDS} }} pageInfo {{ hasNextPage endCursor }} }} }}"
)
PARSERS = {
    "periodStart": day,
    "periodEnd": day,
    "achievedAt": instant,
    "detectedAt": instant,
}

# (mentor, period, summary): records of several mentors, periods and statuses.
DETECTIONS: list[tuple[str, dict[str, Any], tuple[float, int, int]]] = [
    ("user_042", {"year": 2025}, (60.5, 12, 30)),
    ("user_042", {"year": 2024}, (5, 3, 10)),
    ("user_019", {"year": 2025}, (150, 26, 55)),
    ("user_202", {"year": 2025}, (20, 5, 12)),  # org_05: not the coordinator's
    ("mentor_001", {"year": 2024}, (600, 60, 260)),
    ("mentor_4b8c21", {"startDate": "2026-01-01", "endDate": "2026-06-30"}, (11, 0, 9)),
]
_BASE = datetime(2025, 2, 1, 9, 0, tzinfo=UTC)


async def _all(
    client: httpx.AsyncClient, headers: dict[str, str], variables: dict[str, Any]
) -> tuple[list[Row], int]:
    rows, total = await every_page(client, LIST, "milestones", headers, variables)
    return rows, total


async def _whole_seconds(db: Database) -> None:
    """Whole-second detection and achievement times, spread with ties (and a few never
    detected): the door shows date-times to the second, so the values compared here are
    exactly the stored ones."""
    async with db.write() as session:
        rows = (await session.execute(select(Milestone.id, Milestone.status))).all()
        for index, (key, status) in enumerate(sorted(rows)):
            detected = None if index % 7 == 3 else _BASE + timedelta(days=index % 5)
            achieved = _BASE + timedelta(days=index % 11, seconds=index % 3)
            await session.execute(
                update(Milestone)
                .where(Milestone.id == key)
                .values(
                    detected_at=detected, achieved_at=achieved if status == "achieved" else None
                )
            )


@pytest.fixture
async def roles(
    client: httpx.AsyncClient, demo, auth: Auth, db: Database
) -> dict[str, tuple[dict[str, str], list[Row]]]:
    """Each role's headers and every milestone it may see, unfiltered, in list order."""
    for mentor, period, (hours, contacts, activities) in DETECTIONS:
        body = await gql(
            client,
            "mutation($input: DetectMilestonesInput!) { detectMilestones(input: $input)"
            " { created } }",
            {
                "input": {
                    "mentorId": mentor,
                    "period": period,
                    "summary": {
                        "totalHours": hours,
                        "uniqueContactsHelped": contacts,
                        "activityCount": activities,
                    },
                }
            },
            auth.admin,
        )
        assert "errors" not in body, body
    await _whole_seconds(db)
    found = {}
    for name, headers in {
        "admin": auth.admin,
        "coordinator": auth.coordinator,
        "mentor": auth.mentor("mentor_001"),
    }.items():
        rows, total = await _all(client, headers, {})
        assert len(rows) == total
        found[name] = (headers, rows)
    assert found["mentor"][1]
    assert len(found["mentor"][1]) < len(found["coordinator"][1]) < len(found["admin"][1])
    return found


_PROPERTY = hypothesis_settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

_statuses = st.sampled_from(["ACHIEVED", "IN_PROGRESS"])
_types = st.sampled_from(["HOURS_LOGGED", "CONTACTS_HELPED", "ACTIVITIES_LOGGED"])
_mentors = st.sampled_from(["mentor_001", "user_042", "user_019", "user_202", "nobody"])
_thresholds = st.sampled_from([1, 5, 10, 25, 50, 100, 250, 300, 500, 7])
_values = st.sampled_from([0.0, 5.0, 11.0, 20.0, 47.0, 60.5, 150.0, 312.5, 600.0, 3.25])
_days = st.sampled_from(
    ["2023-12-31", "2024-01-01", "2024-12-31", "2025-01-01", "2025-06-30", "2026-01-01"]
)


def _instants() -> st.SearchStrategy[str]:
    moments = [
        _BASE + timedelta(days=days, seconds=seconds)
        for days in range(-1, 12)
        for seconds in (-1, 0, 1, 2)
    ]
    return st.sampled_from(moments).map(lambda at: at.strftime("%Y-%m-%dT%H:%M:%SZ"))


_leaf = st.one_of(
    st.fixed_dictionaries({"status": ops(_statuses, ranges=False)}),
    st.fixed_dictionaries({"type": ops(_types, ranges=False)}),
    st.fixed_dictionaries({"mentorId": ops(_mentors, ranges=False)}),
    st.fixed_dictionaries({"threshold": ops(_thresholds, ranges=True)}),
    st.fixed_dictionaries({"currentValue": ops(_values, ranges=True)}),
    st.fixed_dictionaries({"periodStart": ops(_days, ranges=True)}),
    st.fixed_dictionaries({"periodEnd": ops(_days, ranges=True)}),
    st.fixed_dictionaries({"achievedAt": ops(_instants(), ranges=True, lists=False)}),
    st.fixed_dictionaries({"detectedAt": ops(_instants(), ranges=True, lists=False)}),
)
filters = combined(_leaf)


@_PROPERTY
@given(condition=filters, role=st.sampled_from(["admin", "coordinator", "mentor"]))
async def test_a_filter_keeps_exactly_the_visible_milestones_it_matches(
    client: httpx.AsyncClient, roles: dict[str, Any], condition: dict[str, Any], role: str
):
    headers, visible = roles[role]
    expected = [row["legacyId"] for row in visible if matches(condition, row, PARSERS)]
    rows, total = await _all(client, headers, {"filter": condition})
    assert [row["legacyId"] for row in rows] == expected, condition
    assert total == len(expected)


_ORDER_FIELDS = {
    "STATUS": "status",
    "TYPE": "type",
    "MENTOR_ID": "mentorId",
    "THRESHOLD": "threshold",
    "CURRENT_VALUE": "currentValue",
    "PERIOD_START": "periodStart",
    "PERIOD_END": "periodEnd",
    "ACHIEVED_AT": "achievedAt",
    "DETECTED_AT": "detectedAt",
}
_orders = st.lists(
    st.fixed_dictionaries(
        {
            "field": st.sampled_from(sorted(_ORDER_FIELDS)),
            "direction": st.sampled_from(["ASC", "DESC"]),
        }
    ),
    min_size=1,
    max_size=3,
    unique_by=lambda key: key["field"],
)


@_PROPERTY
@given(keys=_orders, role=st.sampled_from(["admin", "coordinator"]))
async def test_an_order_sorts_every_page_and_its_cursors_follow(
    client: httpx.AsyncClient, roles: dict[str, Any], keys: list[dict[str, str]], role: str
):
    """Paging 25 at a time through the ordered list gives the visible milestones sorted by
    the keys (the id breaking ties, nulls greatest)."""
    headers, visible = roles[role]
    rows, _ = await _all(client, headers, {"orderBy": keys})
    expected = sorted_ids(visible, keys, _ORDER_FIELDS, PARSERS)
    assert [row["legacyId"] for row in rows] == expected, keys


@_PROPERTY
@given(condition=filters, keys=_orders)
async def test_the_named_arguments_still_narrow_the_filtered_list(
    client: httpx.AsyncClient, roles: dict[str, Any], condition: dict[str, Any], keys: Any
):
    headers, visible = roles["coordinator"]
    named = {"mentorId": "user_042", "status": "ACHIEVED"}
    kept = [
        row
        for row in visible
        if row["mentorId"] == "user_042" and row["status"] == "ACHIEVED"
        if matches(condition, row, PARSERS)
    ]
    rows, total = await _all(client, headers, {**named, "filter": condition, "orderBy": keys})
    assert [row["legacyId"] for row in rows] == sorted_ids(kept, keys, _ORDER_FIELDS, PARSERS)
    assert total == len(kept)


MENTOR_LISTS = (
    "query($m: String!, $filter: MilestoneFilter, $orderBy: [MilestoneOrder!]) {"
    " newMilestones(mentorId: $m, year: 2025, first: 100, filter: $filter, orderBy: $orderBy)"
    f" {{ totalCount nodes {{ {FIELDS} }} }}"
    " milestonesInProgress(mentorId: $m, year: 2025, first: 100, filter: $filter,"
    f" orderBy: $orderBy) {{ totalCount nodes {{ {FIELDS} }} }} }}"
)


@hypothesis_settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    condition=st.one_of(st.none(), filters),
    keys=st.one_of(st.none(), _orders),
    mentor=st.sampled_from(["mentor_001", "user_042", "user_019"]),
)
async def test_a_mentors_new_and_in_progress_lists_take_filter_and_order(
    client: httpx.AsyncClient,
    roles: dict[str, Any],
    condition: dict[str, Any] | None,
    keys: list[dict[str, str]] | None,
    mentor: str,
):
    """``newMilestones`` and ``milestonesInProgress`` keep what their own arguments keep
    (asked unfiltered), narrowed by the filter, in the order asked (else their own)."""
    headers, _ = roles["coordinator"]
    plain = await gql(client, MENTOR_LISTS, {"m": mentor}, headers)
    assert "errors" not in plain, plain
    variables = {"m": mentor, "filter": condition, "orderBy": keys}
    body = await gql(client, MENTOR_LISTS, variables, headers)
    assert "errors" not in body, body
    for root in ("newMilestones", "milestonesInProgress"):
        every = plain["data"][root]["nodes"]
        kept = [row for row in every if condition is None or matches(condition, row, PARSERS)]
        expected = (
            [row["legacyId"] for row in kept]
            if keys is None
            else sorted_ids(kept, keys, _ORDER_FIELDS, PARSERS)
        )
        assert [row["legacyId"] for row in body["data"][root]["nodes"]] == expected, root
        assert body["data"][root]["totalCount"] == len(expected)


async def test_a_cursor_of_one_order_is_refused_by_another(
    client: httpx.AsyncClient, demo, auth: Auth
):
    body = await gql(client, LIST, {"orderBy": [{"field": "THRESHOLD"}]}, auth.admin)
    cursor = body["data"]["milestones"]["pageInfo"]["endCursor"]
    variables = {"orderBy": [{"field": "CURRENT_VALUE"}], "after": cursor}
    refused = await gql(client, LIST, variables, auth.admin)
    assert refused["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", refused
    assert "belongs to another list" in refused["errors"][0]["message"], refused


@pytest.mark.parametrize("role", ["admin", "coordinator"])
async def test_a_persons_milestones_take_the_same_filter_and_order(
    client: httpx.AsyncClient, roles: dict[str, Any], role: str
):
    """Every listed person's ``milestones`` (one statement for the page of people) with a
    filter and an order answers what ``milestones(mentorId: ...)`` answers."""
    headers, visible = roles[role]
    condition = {
        "or": [{"threshold": {"gte": 50}}, {"achievedAt": {"isNull": True}}],
        "not": {"type": {"eq": "CONTACTS_HELPED"}},
    }
    keys = [{"field": "CURRENT_VALUE", "direction": "DESC"}, {"field": "ACHIEVED_AT"}]
    mentors = sorted({row["mentorId"] for row in visible})
    query = (
        "query($ids: [String!], $filter: MilestoneFilter, $orderBy: [MilestoneOrder!]) {"
        " people(first: 10, filter: {legacyId: {in: $ids}}) { nodes { legacyId"
        " milestones(first: 50, filter: $filter, orderBy: $orderBy) { totalCount"
        " nodes { legacyId } } } } }"
    )
    variables = {"ids": mentors, "filter": condition, "orderBy": keys}
    body = await gql(client, query, variables, headers)
    assert "errors" not in body, body
    hubs = {node["legacyId"]: node["milestones"] for node in body["data"]["people"]["nodes"]}
    assert set(hubs) == set(mentors)
    seen = 0
    for mentor, hub in hubs.items():
        root, total = await _all(
            client, headers, {"filter": condition, "orderBy": keys, "mentorId": mentor}
        )
        assert [node["legacyId"] for node in hub["nodes"]] == [row["legacyId"] for row in root]
        assert hub["totalCount"] == total
        seen += total
    assert seen
