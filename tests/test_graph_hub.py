"""Person and Organisation as hubs: each hub list answers what the domain's own list field
answers for the same caller (same rows, order and total), never more, and refuses bad
arguments as the domain does."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.helpers import Auth, error_codes, gql


def _ids(connection: dict[str, Any]) -> list[str]:
    return [node["legacyId"] for node in connection["nodes"]]


async def _data(client: httpx.AsyncClient, query: str, headers: dict[str, str]) -> Any:
    body = await gql(client, query, headers=headers)
    assert "errors" not in body, body["errors"]
    return body["data"]


async def test_mentor_profile_matches_the_domain_lists(client, demo, auth: Auth):
    hub = await _data(
        client,
        """{ person(id: "mentor_001") {
            openAssignmentCount
            assignments(status: ALL, first: 100) { totalCount nodes { legacyId } }
            activities(first: 30, from: "2025-03-01", to: "2025-06-30", status: CONFIRMED) {
                totalCount nodes { legacyId } }
            milestones(first: 100, year: 2025) { totalCount nodes { legacyId } }
            yearlySummary(year: 2025) { year from to minutes hours activityCount peopleHelped }
        } }""",
        auth.coordinator,
    )
    direct = await _data(
        client,
        """{ openAssignmentCount(mentorId: "mentor_001")
            assignments(mentorId: "mentor_001", status: ALL, first: 100) {
                totalCount nodes { legacyId } }
            activities(peerMentorId: "mentor_001", first: 30, from: "2025-03-01",
                to: "2025-06-30", status: CONFIRMED) { totalCount nodes { legacyId } }
            milestones(mentorId: "mentor_001", first: 100, year: 2025) {
                totalCount nodes { legacyId } }
            mentorActivityTotals(mentorId: "mentor_001", from: "2025-01-01", to: "2025-12-31") {
                minutes hours activityCount }
        }""",
        auth.coordinator,
    )
    person = hub["person"]
    assert person["openAssignmentCount"] == direct["openAssignmentCount"]
    for field in ("assignments", "activities", "milestones"):
        assert person[field] == direct[field], field
    assert person["activities"]["totalCount"] > 30  # the page is a real page of a longer list
    assert len(person["milestones"]["nodes"]) == 13
    totals = direct["mentorActivityTotals"]
    assert person["yearlySummary"] == {
        "year": 2025,
        "from": "2025-01-01",
        "to": "2025-12-31",
        "minutes": totals["minutes"],
        "hours": totals["hours"],
        "activityCount": totals["activityCount"],
        "peopleHelped": person["yearlySummary"]["peopleHelped"],
    }
    assert totals["minutes"] == 18_750


async def test_people_helped_is_what_milestone_detection_counts(client, demo, auth: Auth):
    year = 2026
    summary = await _data(
        client,
        f'{{ person(id: "user_042") {{ yearlySummary(year: {year}) {{ peopleHelped }} }} }}',
        auth.coordinator,
    )
    detected = await gql(
        client,
        f"""mutation {{ detectMilestones(input: {{mentorId: "user_042",
            period: {{year: {year}}}}}) {{ source totals {{ uniqueContactsHelped }} }} }}""",
        headers=auth.admin,
    )
    assert "errors" not in detected, detected
    payload = detected["data"]["detectMilestones"]
    assert payload["source"] == "RECORDED"
    helped = summary["person"]["yearlySummary"]["peopleHelped"]
    assert helped == payload["totals"]["uniqueContactsHelped"]
    assert helped > 0


async def test_the_same_page_through_the_hub_and_the_root_field(client, demo, auth: Auth):
    """Cursors walk a hub list exactly as they walk the root list (each list's cursors
    its own: a cursor of one is refused by the other)."""
    query = """query($hubAfter: String, $rootAfter: String) {
        organisation(id: "org_03") {
            assignments(first: 5, after: $hubAfter, status: ALL) {
                totalCount pageInfo { hasNextPage hasPreviousPage endCursor } nodes { legacyId }
            } }
        assignments(orgId: "org_03", first: 5, after: $rootAfter, status: ALL) {
            totalCount pageInfo { hasNextPage hasPreviousPage endCursor } nodes { legacyId } }
    }"""
    cursors: dict[str, str | None] = {"hubAfter": None, "rootAfter": None}
    for _ in range(3):
        body = await gql(client, query, cursors, auth.coordinator)
        data = body["data"]
        hub, root = data["organisation"]["assignments"], data["assignments"]
        assert hub["nodes"] == root["nodes"]
        assert hub["totalCount"] == root["totalCount"]
        for flag in ("hasNextPage", "hasPreviousPage"):
            assert hub["pageInfo"][flag] == root["pageInfo"][flag]
        cursors = {
            "hubAfter": hub["pageInfo"]["endCursor"],
            "rootAfter": root["pageInfo"]["endCursor"],
        }
    assert data["assignments"]["pageInfo"]["hasPreviousPage"] is True
    swapped = await gql(
        client,
        query,
        {"hubAfter": cursors["rootAfter"], "rootAfter": cursors["rootAfter"]},
        auth.coordinator,
    )
    assert error_codes(swapped) == ["BAD_USER_INPUT"], swapped


async def test_organisation_dashboard_lists_match_the_domain(client, demo, auth: Auth):
    hub = await _data(
        client,
        """{ organisation(id: "org_03") {
            people(first: 100) { totalCount nodes { legacyId } }
            overdueAssignments(first: 100) { totalCount nodes { legacyId } }
            notifications(first: 100) { totalCount nodes { legacyId } }
            days: overdueAssignments(days: 3, first: 100) { totalCount nodes { legacyId } }
        } }""",
        auth.coordinator,
    )
    direct = await _data(
        client,
        """{ people(orgId: "org_03", first: 100) { totalCount nodes { legacyId } }
            overdueAssignments(orgId: "org_03", first: 100) { totalCount nodes { legacyId } }
            notifications(first: 100) { totalCount nodes { legacyId } }
            days: overdueAssignments(orgId: "org_03", days: 3, first: 100) {
                totalCount nodes { legacyId } }
        }""",
        auth.coordinator,
    )
    org = hub["organisation"]
    for field in ("people", "overdueAssignments", "notifications", "days"):
        assert org[field] == direct[field], field
    assert org["overdueAssignments"]["totalCount"] > 0
    assert org["days"]["totalCount"] >= org["overdueAssignments"]["totalCount"]


async def test_hub_lists_show_a_peer_mentor_only_their_own(client, demo, auth: Auth):
    """A mentor reaches their mentee and coordinator through their own assignment; the
    mentee's and coordinator's lists still show only what the mentor may see."""
    data = await _data(
        client,
        """{ assignment(id: "asgn_001") {
            mentee { legacyId
                assignments(role: MENTEE, status: ALL) { totalCount nodes { mentor { legacyId } } }
                activities { totalCount } milestones { totalCount } yearlySummary { hours } }
            coordinator { legacyId
                assignments(role: COORDINATOR, status: ALL) { totalCount nodes { mentor { legacyId } } }
                yearlySummary { hours } }
            organisation { legacyId
                assignments(status: ALL, first: 100) { totalCount nodes { mentor { legacyId } } }
                people(first: 100) { nodes { legacyId } }
                notifications { totalCount } }
        } }""",
        auth.mentor("user_042"),
    )
    assignment = data["assignment"]
    own = {"mentor": {"legacyId": "user_042"}}
    for holder, field in (("mentee", "assignments"), ("coordinator", "assignments")):
        nodes = assignment[holder][field]["nodes"]
        assert nodes, holder
        assert all(node == own for node in nodes), holder
    org_nodes = assignment["organisation"]["assignments"]["nodes"]
    assert org_nodes
    assert all(node == own for node in org_nodes)
    mine = await _data(
        client,
        "{ assignments(status: ALL, first: 100) { totalCount } }",
        auth.mentor("user_042"),
    )
    assert (
        assignment["organisation"]["assignments"]["totalCount"] == mine["assignments"]["totalCount"]
    )
    assert assignment["organisation"]["people"]["nodes"] == [{"legacyId": "user_042"}]
    assert assignment["mentee"]["activities"]["totalCount"] == 0
    assert assignment["mentee"]["milestones"]["totalCount"] == 0
    assert assignment["mentee"]["yearlySummary"] is None
    assert assignment["coordinator"]["yearlySummary"] is None


async def test_another_organisation_reached_through_a_shared_member_is_not_shown(
    client, demo, auth: Auth
):
    """org_05's coordinator sees a member of both organisations in full, memberships
    included, but not org_03 through them: an organisation reached through a relation is
    shown only to those who may open it (docs/decisions.md), so its hub lists are not
    reachable either. Fails if ``people_reads.orgs_by_ids`` stops marking what the caller
    may not open."""
    added = await gql(
        client,
        'mutation { addMembership(personId: "user_088", orgId: "org_05", role: "mentee") { role } }',
        headers=auth.admin,
    )
    assert "errors" not in added, added
    data = await _data(
        client,
        """{ person(id: "user_088") {
            assignments(role: MENTEE, status: ALL) { totalCount }
            memberships { orgId organisation {
                people { totalCount nodes { legacyId } }
                assignments(status: ALL) { totalCount }
                overdueAssignments(days: 0) { totalCount }
                notifications { totalCount } } } } }""",
        auth.other_coordinator,
    )
    person = data["person"]
    assert person["assignments"]["totalCount"] == 0
    orgs = {m["orgId"]: m["organisation"] for m in person["memberships"]}
    assert set(orgs) == {"org_03", "org_05"}
    assert orgs["org_03"] is None
    assert {"legacyId": "user_088"} in orgs["org_05"]["people"]["nodes"]


async def test_editorial_fields_of_a_person(client, demo, auth: Auth):
    lock = await gql(
        client,
        'mutation { acquireEditorialLock(srn: "srn:tsn:ceo-core/assignment:'
        'AAAAAAAA-1234-4567-7890-000000000001") { uuid } }',
        headers=auth.editor,
    )
    assert "errors" not in lock, lock
    query = """{ person(id: "editor_001") {
        editorialAssignments(first: 100, orderBy: ID, direction: ASC) {
            totalCount nodes { uuid users { legacyId } } }
        heldLocks { totalCount nodes { srn holder { legacyId } } } } }"""
    admin = await _data(client, query, auth.admin)
    assigned = admin["person"]["editorialAssignments"]
    assert assigned["totalCount"] > 0
    for node in assigned["nodes"]:
        assert {"legacyId": "editor_001"} in node["users"]
    uuids = [node["uuid"] for node in assigned["nodes"]]
    assert uuids == sorted(uuids)
    assert admin["person"]["heldLocks"] == {
        "totalCount": 1,
        "nodes": [
            {
                "srn": "srn:tsn:ceo-core/assignment:AAAAAAAA-1234-4567-7890-000000000001",
                "holder": {"legacyId": "editor_001"},
            }
        ],
    }
    editor = await _data(client, query, auth.editor)
    assert editor == admin
    # Without the ACL actions the editorial fields are null, the rest of the answer intact.
    me = await _data(
        client,
        "{ me { legacyId editorialAssignments { totalCount } heldLocks { totalCount } } }",
        auth.coordinator,
    )
    assert me["me"] == {"legacyId": "user_007", "editorialAssignments": None, "heldLocks": None}


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("{ me { activities(first: 101) { totalCount } } }", "BAD_USER_INPUT"),
        ("{ me { assignments(first: -1) { totalCount } } }", "BAD_USER_INPUT"),
        ('{ me { milestones(after: "bm9wZQ==") { totalCount } } }', "BAD_USER_INPUT"),
        (
            '{ me { activities(from: "2025-02-01", to: "2025-01-01") { totalCount } } }',
            "BAD_USER_INPUT",
        ),
        ('{ me { milestones(startDate: "2025-01-01") { totalCount } } }', "BAD_USER_INPUT"),
        ("{ me { milestones(year: 1999) { totalCount } } }", "BAD_USER_INPUT"),
        ("{ me { yearlySummary(year: 3000) { hours } } }", "BAD_USER_INPUT"),
        (
            '{ organisation(id: "org_03") { overdueAssignments(days: -1) { totalCount } } }',
            "BAD_USER_INPUT",
        ),
        (
            '{ organisation(id: "org_03") { overdueAssignments(cutoff: "soon") { totalCount } } }',
            "BAD_USER_INPUT",
        ),
        (
            '{ organisation(id: "org_03") { overdueAssignments(cutoff: "2025-01-01", days: 3) { totalCount } } }',
            "BAD_USER_INPUT",
        ),
        ('{ organisation(id: "org_03") { people(first: 1000) { totalCount } } }', "BAD_USER_INPUT"),
        (
            '{ organisation(id: "org_03") { notifications(kind: SOMETIMES) { totalCount } } }',
            "BAD_USER_INPUT",
        ),
        ("{ me { assignments(role: BOSS) { totalCount } } }", "BAD_USER_INPUT"),
    ],
)
async def test_bad_hub_arguments_are_refused(client, demo, auth: Auth, query: str, code: str):
    body = await gql(client, query, headers=auth.coordinator)
    assert error_codes(body) == [code], body


async def test_page_size_error_names_the_limit(client, demo, auth: Auth):
    body = await gql(
        client, "{ me { activities(first: 101) { totalCount } } }", headers=auth.coordinator
    )
    assert "between 0 and 100" in body["errors"][0]["message"]


async def test_overdue_flag_agrees_with_the_overdue_list(client, demo, auth: Auth):
    data = await _data(
        client,
        """{ organisation(id: "org_03") {
            assignments(status: ALL, first: 100) { totalCount nodes { legacyId overdue } }
            overdueAssignments(first: 100) { totalCount nodes { legacyId } } } }""",
        auth.coordinator,
    )
    org = data["organisation"]
    assert org["assignments"]["totalCount"] <= 100
    flagged = {node["legacyId"] for node in org["assignments"]["nodes"] if node["overdue"]}
    assert flagged == {node["legacyId"] for node in org["overdueAssignments"]["nodes"]}
    assert 0 < len(flagged) < org["assignments"]["totalCount"]
