"""Lists in the graph: every list that can grow is a connection or takes a bounded
``first``/``last``; the others are fixed or small by construction (and named here, with
why). Filters match the REST filters; page sizes beyond 100 are refused."""

from __future__ import annotations

import httpx
import pytest
from graphql import GraphQLList, GraphQLObjectType, get_nullable_type

from app.settings import Settings
from schema import build_schema
from tests.helpers import Auth, error_codes, gql

# Plain lists without a size argument, and why each stays one.
FIXED_LISTS = {
    "Person.roles": "a person's directory roles (five at most)",
    "Person.memberships": "a person's organisations (a handful)",
    "ApiKey.orgs": "the organisations one key is scoped to",
    "EditorialAssignment.users": "at most 100, checked on every write",
    "EditorialAssignment.children": "at most 100, checked on every write",
    "Query.nodes": "as many as the ids asked for (at most 100)",
    "Query.apiKeys": "admin-issued credentials of service clients (admin only)",
    "Query.activityTypes": "the activity-type catalogue (admin-managed)",
    "Query.milestoneDefinitions": "the milestone catalogue (admin-managed)",
    "Query.notificationChannels": "an organisation's delivery channels (admin-managed)",
    "DetectMilestonesPayload.milestones": "one period's milestones (one per definition)",
    "DetectMilestonesPayload.newlyAchieved": "a subset of the above",
    "FollowUpSweepResult.notifications": "what one admin-run sweep raised",
    "SyncActivitiesPayload.results": "one per item sent (at most the sync batch limit)",
    "SyncItemError.fields": "one per invalid input field",
    **{
        f"{kind}Aggregates.keys": "one value per groupBy dimension (each at most once)"
        for kind in (
            "Activity",
            "Assignment",
            "Notification",
            "Milestone",
            "Person",
            "Organisation",
            "EditorialAssignment",
            "EditorialLock",
        )
    },
}


def test_every_growing_list_is_paged(settings: Settings):
    schema = build_schema(settings)._schema
    unpaged = set()
    for name, kind in schema.type_map.items():
        if name.startswith("__") or not isinstance(kind, GraphQLObjectType):
            continue
        if name.endswith(("Connection", "Edge")):
            continue  # a connection's page is sized by the field that returned it
        for field_name, field in kind.fields.items():
            is_list = isinstance(get_nullable_type(field.type), GraphQLList)
            if is_list and not {"first", "last"} & set(field.args):
                unpaged.add(f"{name}.{field_name}")
    assert unpaged == set(FIXED_LISTS)


async def _ids(client: httpx.AsyncClient, query: str, headers: dict[str, str]) -> list[str]:
    body = await gql(client, query, headers=headers)
    assert "errors" not in body, body
    return [node["legacyId"] for node in body["data"]["milestones"]["nodes"]]


async def test_milestone_period_filter_matches_rest(client, demo, auth: Auth):
    graphql = await _ids(
        client,
        '{ milestones(mentorId: "mentor_001", startDate: "2025-06-01", endDate: "2025-06-30",'
        " first: 100) { nodes { legacyId } } }",
        auth.coordinator,
    )
    rest = await client.get(
        "/api/v1/milestones",
        params={"mentor_id": "mentor_001", "start_date": "2025-06-01", "end_date": "2025-06-30"},
        headers=auth.coordinator,
    )
    assert rest.status_code == 200, rest.text
    assert graphql == [item["id"] for item in rest.json()["data"]]
    assert graphql
    outside = await _ids(
        client,
        '{ milestones(startDate: "2024-01-01", endDate: "2024-12-31") { nodes { legacyId } } }',
        auth.coordinator,
    )
    assert outside == []
    half = await gql(
        client, '{ milestones(startDate: "2025-01-01") { totalCount } }', headers=auth.coordinator
    )
    assert error_codes(half) == ["BAD_USER_INPUT"]
    assert half["errors"][0]["extensions"]["errors"][0]["field"] == "endDate"


async def test_assignment_histories_take_the_latest(client, demo, auth: Auth):
    for status in ("CLOSED", "OPEN", "CLOSED"):
        changed = await gql(
            client,
            f'mutation {{ changeAssignmentStatus(id: "asgn_001", status: {status}, '
            f'reason: "{status}") {{ status }} }}',
            headers=auth.coordinator,
        )
        assert "errors" not in changed, changed
    body = await gql(
        client,
        """{ assignment(id: "asgn_001") {
            all: statusChanges { reason } last: statusChanges(last: 2) { reason }
            notifications(last: 1) { legacyId } } }""",
        headers=auth.coordinator,
    )
    assignment = body["data"]["assignment"]
    assert [c["reason"] for c in assignment["all"]] == ["CLOSED", "OPEN", "CLOSED"]
    assert [c["reason"] for c in assignment["last"]] == ["OPEN", "CLOSED"]
    assert assignment["notifications"] == [{"legacyId": "ntf_asgn001rem"}]


@pytest.mark.parametrize(
    "field",
    ["statusChanges(last: 0) { reason }", "notifications(last: 101) { legacyId }",
     "contacts(last: 0) { contactAt }"],
)  # fmt: skip
async def test_history_sizes_are_bounded(client, demo, auth: Auth, field: str):
    body = await gql(
        client, f'{{ assignment(id: "asgn_001") {{ {field} }} }}', headers=auth.coordinator
    )
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert "between 1 and 100" in body["errors"][0]["message"]


@pytest.mark.parametrize(
    "query",
    [
        "{ people(first: 101) { totalCount } }",
        "{ assignments(first: 101) { totalCount } }",
        "{ activities(first: 101) { totalCount } }",
        "{ milestones(first: 101) { totalCount } }",
        "{ notifications(first: 101) { totalCount } }",
        "{ organisations(first: 101) { totalCount } }",
        "{ me { assignments(first: 101) { totalCount } } }",
    ],
)
async def test_page_size_beyond_100_is_refused(client, demo, auth: Auth, query: str):
    body = await gql(client, query, headers=auth.admin)
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert "'first' must be between 0 and 100" in body["errors"][0]["message"]
