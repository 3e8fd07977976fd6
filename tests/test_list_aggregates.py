"""``aggregates`` and ``groupedAggregates`` on the activities connections, through the real
app on both databases: equal to what the REST list adds up to for several roles, equal to
grouping in Python (every dimension, date buckets included), over the filtered list, the
same for a page of hubs at a constant number of statements, and bounded (more groups
than asked for is an error, never a cut list)."""

from __future__ import annotations

import itertools
from collections import defaultdict
from typing import Any

import httpx
import pytest

from tests.helpers import Auth, gql
from tests.listing_support import (
    BUCKETS,
    Row,
    calendar_bucket,
    day,
    instant,
    matches,
    same_statements_for_sizes,
)

AGGREGATES = """query($filter: ActivityFilter) { activities(first: 0, filter: $filter) {
  totalCount aggregates { keys count sum { durationMinutes } avg { durationMinutes }
    min { durationMinutes date createdAt } max { durationMinutes date createdAt } } } }"""

GROUPED = """query($groupBy: [ActivityGroupBy!]!, $filter: ActivityFilter) {
  activities(first: 0, filter: $filter) { groupedAggregates(groupBy: $groupBy, first: 250) {
    keys count sum { durationMinutes } min { date } max { date } } } }"""

NODES = """query($after: String) { activities(first: 100, after: $after) {
  nodes { legacyId date durationMinutes status activityTypeId peerMentorId createdAt }
  pageInfo { hasNextPage endCursor } } }"""


async def _rest_rows(client: httpx.AsyncClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for page in itertools.count(1):
        answer = await client.get(f"/api/v1/activities?limit=100&page={page}", headers=headers)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        rows += body["data"]
        if len(rows) >= body["pagination"]["total"]:
            break
    return rows


async def _nodes(client: httpx.AsyncClient, headers: dict[str, str]) -> list[Row]:
    rows: list[Row] = []
    after: str | None = None
    while True:
        body = await gql(client, NODES, {"after": after}, headers)
        page = body["data"]["activities"]
        rows += page["nodes"]
        if not page["pageInfo"]["hasNextPage"]:
            return rows
        after = page["pageInfo"]["endCursor"]


def _roles(auth: Auth) -> dict[str, dict[str, str]]:
    return {
        "admin": auth.admin,
        "coordinator": auth.coordinator,
        "other coordinator": auth.other_coordinator,
        "mentor": auth.mentor("mentor_4b8c21"),
    }


@pytest.mark.parametrize("role", ["admin", "coordinator", "other coordinator", "mentor"])
async def test_aggregates_add_up_what_the_rest_list_holds(
    client: httpx.AsyncClient, demo, auth: Auth, role: str
):
    headers = _roles(auth)[role]
    rows = await _rest_rows(client, headers)
    body = await gql(client, AGGREGATES, {}, headers)
    assert "errors" not in body, body
    found = body["data"]["activities"]["aggregates"]
    minutes = [row["duration_minutes"] for row in rows]
    days = [row["date"] for row in rows]
    stored = [instant(row["created_at"]) for row in rows]
    assert found["keys"] == []
    assert found["count"] == len(rows) == body["data"]["activities"]["totalCount"]
    assert found["sum"]["durationMinutes"] == sum(minutes)
    if not rows:
        assert found["avg"]["durationMinutes"] is None
        assert found["min"] == {"durationMinutes": None, "date": None, "createdAt": None}
        return
    assert found["avg"]["durationMinutes"] == pytest.approx(sum(minutes) / len(minutes))
    assert found["min"]["durationMinutes"] == min(minutes)
    assert found["max"]["durationMinutes"] == max(minutes)
    assert (found["min"]["date"], found["max"]["date"]) == (min(days), max(days))
    assert instant(found["min"]["createdAt"]) == min(stored)
    assert instant(found["max"]["createdAt"]) == max(stored)


_DIMENSIONS: dict[str, Any] = {
    "ACTIVITY_TYPE": lambda row: row["activityTypeId"],
    "STATUS": lambda row: row["status"].lower(),
    "PEER_MENTOR": lambda row: row["peerMentorId"],
    **{kind: (lambda row, k=kind: calendar_bucket(k, row["date"])) for kind in BUCKETS},
}


@pytest.mark.parametrize(
    "group_by",
    [
        ["ACTIVITY_TYPE"],
        ["STATUS"],
        ["PEER_MENTOR", "MONTH"],
        ["WEEK"],
        ["YEAR", "STATUS"],
        ["DAY"],
    ],
)
async def test_grouped_aggregates_are_pythons_grouping(
    client: httpx.AsyncClient, demo, auth: Auth, group_by: list[str]
):
    """For the coordinator, filtered and not: each group's keys, count, minutes and date
    bounds are those of grouping the visible (filtered) items here; groups come ordered by
    their keys. Fails if a bucket is computed differently on a database, a group is lost,
    or the filter or visibility is not applied."""
    headers = auth.coordinator
    rows = await _nodes(client, headers)
    recent = {"date": {"gte": "2026-01-01"}}  # days: fewer than 250 of them
    condition = {"durationMinutes": {"gte": 45}, "not": {"status": {"eq": "REJECTED"}}}
    cases: list[dict[str, Any] | None] = (
        [recent, {**condition, **recent}] if "DAY" in group_by else [None, condition]
    )
    for where in cases:
        kept = [row for row in rows if where is None or matches(where, row, {"date": day})]
        groups: dict[tuple[str, ...], list[Row]] = defaultdict(list)
        for row in kept:
            groups[tuple(_DIMENSIONS[name](row) for name in group_by)].append(row)
        expected = [
            {
                "keys": list(keys),
                "count": len(members),
                "sum": {"durationMinutes": sum(m["durationMinutes"] for m in members)},
                "min": {"date": min(m["date"] for m in members)},
                "max": {"date": max(m["date"] for m in members)},
            }
            for keys, members in sorted(groups.items())
        ]
        body = await gql(client, GROUPED, {"groupBy": group_by, "filter": where}, headers)
        assert "errors" not in body, body
        assert body["data"]["activities"]["groupedAggregates"] == expected, (group_by, where)
        assert expected


async def test_hub_aggregates_match_the_root_and_cost_constant_statements(
    client: httpx.AsyncClient, demo, auth: Auth
):
    """A page of people, each with their activities' aggregates and grouped aggregates:
    each person's equal the root list's for that mentor, and 3 people or 12 cost the same
    number of statements."""
    query = """query($first: Int) { people(first: $first) { nodes { legacyId
      activities(first: 1) { aggregates { count sum { durationMinutes } }
        groupedAggregates(groupBy: [STATUS]) { keys count } } } } }"""
    body = await same_statements_for_sizes(client, query, auth.admin)
    people = body["data"]["people"]["nodes"]
    with_activities = [p for p in people if p["activities"]["aggregates"]["count"]]
    assert with_activities
    for person in with_activities[:5]:
        root = await gql(
            client,
            """query($id: String) { activities(first: 0, peerMentorId: $id) {
              aggregates { count sum { durationMinutes } }
              groupedAggregates(groupBy: [STATUS]) { keys count } } }""",
            {"id": person["legacyId"]},
            auth.admin,
        )
        assert root["data"]["activities"] == {
            "aggregates": person["activities"]["aggregates"],
            "groupedAggregates": person["activities"]["groupedAggregates"],
        }


async def test_grouped_aggregates_are_bounded_never_cut(
    client: httpx.AsyncClient, demo, auth: Auth
):
    query = """query($first: Int!, $groupBy: [ActivityGroupBy!]!) { activities(first: 0) {
      groupedAggregates(groupBy: $groupBy, first: $first) { keys } } }"""
    body = await gql(client, query, {"first": 2, "groupBy": ["DAY"]}, auth.admin)
    assert body["data"] is None, body
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert body["errors"][0]["message"].startswith("More than 2 groups"), body
    for first, group_by, message in [
        (0, ["DAY"], "'first' must be between 1 and 1000"),
        (1001, ["DAY"], "'first' must be between 1 and 1000"),
        (10, ["DAY", "DAY"], "groupBy: each dimension at most once"),
        (10, [], "groupBy: name at least one dimension"),
    ]:
        body = await gql(client, query, {"first": first, "groupBy": group_by}, auth.admin)
        assert body["errors"][0]["message"] == message, body
    enough = await gql(client, query, {"first": 3, "groupBy": ["STATUS"]}, auth.admin)
    assert len(enough["data"]["activities"]["groupedAggregates"]) == 3
