"""Assignments over GraphQL: types, relations through DataLoaders, lists, mutations,
optimistic concurrency and bad input."""

from __future__ import annotations

from datetime import timedelta

from app.timeutil import format_datetime, utcnow
from tests.helpers import Auth, count_statements, error_codes, gql

FULL = """
query($id: String!) {
  assignment(id: $id) {
    id legacyId status legacyStatus notes startDate lastContactAt daysSinceContact closedAt
    reminderSentAt escalationSentAt createdAt updatedAt version
    mentor { legacyId name } mentee { legacyId name } coordinator { legacyId name }
    organisation { legacyId name reminderDays escalationDays }
    contacts(last: 3) { contactAt contactType recordedById }
    statusChanges { fromStatus toStatus reason changedById }
    notifications { legacyId kind gapStart recipient { legacyId } }
  }
}
"""

OPEN_WITH_CONTACTS = """
query($first: Int, $org: String) {
  assignments(first: $first, orgId: $org, status: OPEN) {
    totalCount
    nodes {
      legacyId
      mentor { name }
      mentee { name }
      contacts(last: 3) { contactAt contactType }
    }
  }
}
"""


async def test_assignment_with_every_relation(client, demo, auth: Auth):
    body = await gql(client, FULL, {"id": "asgn_001"}, auth.coordinator)
    assert "errors" not in body, body
    a = body["data"]["assignment"]
    assert a["legacyId"] == "asgn_001"
    assert (a["status"], a["legacyStatus"]) == ("OPEN", "active")
    assert a["mentor"] == {"legacyId": "user_042", "name": "Ola Hansen"}
    assert a["mentee"] == {"legacyId": "user_101", "name": "Lars Eriksson"}
    assert a["coordinator"]["legacyId"] == "user_007"
    assert a["organisation"]["legacyId"] == "org_03"
    assert a["lastContactAt"].startswith("2026-03-10T14:30:00")
    assert a["reminderSentAt"].startswith("2026-03-18T08:00:00")
    assert isinstance(a["daysSinceContact"], int)
    assert a["contacts"] == [
        {"contactAt": a["lastContactAt"], "contactType": "MEETING", "recordedById": "user_042"}
    ]
    assert a["notifications"][0]["kind"] == "REMINDER"
    assert a["notifications"][0]["recipient"] == {"legacyId": "user_042"}
    assert a["version"] == 1
    closed = await gql(client, FULL, {"id": "assign_000zz"}, auth.coordinator)
    changes = closed["data"]["assignment"]["statusChanges"]
    assert changes[0]["fromStatus"] == "OPEN"
    assert changes[0]["toStatus"] == "CLOSED"
    assert closed["data"]["assignment"]["coordinator"] is None


async def test_node_lookup_respects_visibility(client, demo, auth: Auth):
    global_id = (await gql(client, FULL, {"id": "asgn_001"}, auth.admin))["data"]["assignment"][
        "id"
    ]
    query = "query($id: ID!) { node(id: $id) { legacyId ... on Assignment { status } } }"
    found = await gql(client, query, {"id": global_id}, auth.mentor("user_042"))
    assert found["data"]["node"] == {"legacyId": "asgn_001", "status": "OPEN"}
    hidden = await gql(client, query, {"id": global_id}, auth.other_coordinator)
    assert hidden["data"]["node"] is None


async def test_statements_do_not_grow_with_page_size(client, demo, auth: Auth):
    """Open assignments of an organisation with mentor name, mentee name and last 3
    contacts: a constant number of SQL statements whatever the page size."""
    counts = []
    for size in (1, 10, 50):
        with count_statements() as counter:
            body = await gql(
                client, OPEN_WITH_CONTACTS, {"first": size, "org": "org_03"}, auth.coordinator
            )
        assert "errors" not in body, body
        nodes = body["data"]["assignments"]["nodes"]
        assert len(nodes) == size
        assert all(n["mentor"]["name"] and n["mentee"]["name"] for n in nodes)
        assert all(len(n["contacts"]) <= 3 for n in nodes)
        counts.append(counter.count)
    assert any(len(n["contacts"]) == 3 for n in nodes), "the demo data has longer histories"
    # docs/mentoring.md promises 4 statements, 5 on a caller's first request (it looks
    # them up in the directory)
    assert counts == [5, 4, 4], counts


async def test_contacts_are_newest_first_and_bounded(client, demo, auth: Auth):
    query = """query { assignments(first: 50, status: ALL) {
      nodes { lastContactAt contacts(last: 2) { contactAt } } } }"""
    nodes = (await gql(client, query, headers=auth.admin))["data"]["assignments"]["nodes"]
    for node in nodes:
        times = [c["contactAt"] for c in node["contacts"]]
        assert times == sorted(times, reverse=True)
        if times:
            assert times[0] == node["lastContactAt"]
    too_many = '{ assignment(id: "asgn_001") { contacts(last: 101) { contactAt } } }'
    assert error_codes(await gql(client, too_many, headers=auth.admin)) == ["BAD_USER_INPUT"]
    none = '{ assignment(id: "asgn_001") { contacts(last: 0) { contactAt } } }'
    assert error_codes(await gql(client, none, headers=auth.admin)) == ["BAD_USER_INPUT"]


async def test_connection_filters_and_paging(client, demo, auth: Auth):
    query = """query($after: String, $mentor: String, $status: AssignmentStatusFilter!) {
      assignments(first: 1, after: $after, mentorId: $mentor, status: $status) {
        totalCount pageInfo { hasNextPage endCursor } nodes { legacyId status }
      }
    }"""
    variables = {"mentor": "mentor_a1b2c3", "status": "ALL"}
    first = (await gql(client, query, variables, auth.coordinator))["data"]["assignments"]
    assert first["totalCount"] == 3
    assert first["pageInfo"]["hasNextPage"] is True
    second = (
        await gql(
            client,
            query,
            {**variables, "after": first["pageInfo"]["endCursor"]},
            auth.coordinator,
        )
    )["data"]["assignments"]
    assert second["nodes"][0]["legacyId"] != first["nodes"][0]["legacyId"]
    closed = (await gql(client, query, {**variables, "status": "CLOSED"}, auth.coordinator))[
        "data"
    ]["assignments"]
    assert [n["legacyId"] for n in closed["nodes"]] == ["assign_000zz"]
    by_mentee = await gql(
        client,
        '{ assignments(menteeId: "user_102", coordinatorId: "user_007") { nodes { legacyId } } }',
        headers=auth.coordinator,
    )
    assert by_mentee["data"]["assignments"]["nodes"] == [{"legacyId": "asgn_002"}]
    too_big = await gql(client, "{ assignments(first: 101) { totalCount } }", headers=auth.admin)
    assert error_codes(too_big) == ["BAD_USER_INPUT"]


async def test_overdue_and_mentor_queries(client, demo, auth: Auth):
    overdue = """query($cutoff: String, $days: Int) {
      overdueAssignments(cutoff: $cutoff, days: $days, first: 100) {
        totalCount nodes { legacyId lastContactAt startDate }
      }
    }"""
    by_cutoff = await gql(client, overdue, {"cutoff": "2026-03-15"}, auth.coordinator)
    ids = [n["legacyId"] for n in by_cutoff["data"]["overdueAssignments"]["nodes"]]
    assert ids == ["asgn_002", "asgn_001"]
    by_days = await gql(client, overdue, {"days": 30}, auth.coordinator)
    assert by_days["data"]["overdueAssignments"]["totalCount"] >= 4
    default = await gql(client, overdue, {}, auth.coordinator)
    assert default["data"]["overdueAssignments"]["totalCount"] >= 4
    bad = await gql(client, overdue, {"cutoff": "next week"}, auth.coordinator)
    assert error_codes(bad) == ["BAD_USER_INPUT"]
    negative = await gql(client, overdue, {"days": -3}, auth.coordinator)
    assert error_codes(negative) == ["BAD_USER_INPUT"]

    mentor = """query($active: Boolean!) {
      mentorAssignments(mentorId: "mentor_a1b2c3", active: $active) {
        totalCount nodes { legacyId closedAt }
      }
      openAssignmentCount(mentorId: "mentor_a1b2c3")
    }"""
    active = (await gql(client, mentor, {"active": True}, auth.coordinator))["data"]
    assert [n["legacyId"] for n in active["mentorAssignments"]["nodes"]] == [
        "assign_001aa",
        "assign_002bb",
    ]
    assert active["openAssignmentCount"] == 2
    history = (await gql(client, mentor, {"active": False}, auth.coordinator))["data"]
    assert history["mentorAssignments"]["nodes"][-1]["legacyId"] == "assign_000zz"
    assert history["mentorAssignments"]["nodes"][-1]["closedAt"].startswith("2024-12-15")


async def test_mutation_lifecycle(client, demo, auth: Auth):
    create = """mutation($input: CreateAssignmentInput!) {
      createAssignment(input: $input) {
        legacyId status legacyStatus version startDate organisation { legacyId }
      }
    }"""
    created = await gql(
        client,
        create,
        {
            "input": {
                "mentorId": "mentor_4b8c21",
                "menteeId": "contact_def789",
                "coordinatorId": "user_007",
                "startDate": "2026-03-26T00:00:00Z",
                "notes": "From GraphQL",
            }
        },
        auth.coordinator,
    )
    assert "errors" not in created, created
    a = created["data"]["createAssignment"]
    assert (a["status"], a["legacyStatus"], a["version"]) == ("OPEN", "open", 1)
    assert a["organisation"] == {"legacyId": "org_03"}
    key = a["legacyId"]

    update = """mutation($id: String!, $v: Int) {
      updateAssignment(id: $id, input: {notes: "Changed", coordinatorId: null}, expectedVersion: $v) {
        notes version coordinator { legacyId }
      }
    }"""
    stale = await gql(client, update, {"id": key, "v": 7}, auth.coordinator)
    assert error_codes(stale) == ["CONFLICT"]
    updated = (await gql(client, update, {"id": key, "v": 1}, auth.coordinator))["data"][
        "updateAssignment"
    ]
    assert updated == {"notes": "Changed", "version": 2, "coordinator": None}

    contact_at = format_datetime(utcnow() - timedelta(days=2))
    record = """mutation($id: String!, $at: DateTime) {
      recordContact(id: $id, contactType: VISIT, contactAt: $at) {
        lastContactAt daysSinceContact contacts { contactType }
      }
    }"""
    recorded = (await gql(client, record, {"id": key, "at": contact_at}, auth.coordinator))["data"][
        "recordContact"
    ]
    assert recorded["daysSinceContact"] == 2
    assert recorded["contacts"] == [{"contactType": "VISIT"}]
    future = format_datetime(utcnow() + timedelta(days=1))
    refused = await gql(client, record, {"id": key, "at": future}, auth.coordinator)
    assert error_codes(refused) == ["BAD_USER_INPUT"]
    assert refused["errors"][0]["extensions"]["errors"][0]["field"] == "contactAt"

    status = """mutation($id: String!, $reason: String) {
      changeAssignmentStatus(id: $id, status: CLOSED, reason: $reason, expectedVersion: 3) {
        status closedAt statusChanges { toStatus reason }
      }
    }"""
    too_long = await gql(client, status, {"id": key, "reason": "r" * 2001}, auth.coordinator)
    assert error_codes(too_long) == ["BAD_USER_INPUT"]
    closed = (await gql(client, status, {"id": key, "reason": "Done"}, auth.coordinator))["data"][
        "changeAssignmentStatus"
    ]
    assert closed["status"] == "CLOSED"
    assert closed["closedAt"] is not None
    assert closed["statusChanges"] == [{"toStatus": "CLOSED", "reason": "Done"}]

    delete = "mutation($id: String!) { deleteAssignment(id: $id, expectedVersion: 1) }"
    assert error_codes(await gql(client, delete, {"id": key}, auth.coordinator)) == ["CONFLICT"]
    deleted = await gql(
        client, "mutation($id: String!) { deleteAssignment(id: $id) }", {"id": key}, auth.admin
    )
    assert deleted["data"]["deleteAssignment"] is True
    gone = await gql(client, FULL, {"id": key}, auth.admin)
    assert error_codes(gone) == ["NOT_FOUND"]


async def test_graphql_bad_input_names_fields(client, demo, auth: Auth):
    create = """mutation($input: CreateAssignmentInput!) { createAssignment(input: $input) { legacyId } }"""
    unknown = await gql(
        client,
        create,
        {"input": {"mentorId": "nobody", "menteeId": "user_088", "orgId": "org_99"}},
        auth.admin,
    )
    assert error_codes(unknown) == ["BAD_USER_INPUT"]
    assert {e["field"] for e in unknown["errors"][0]["extensions"]["errors"]} == {"mentorId"}
    no_org = await gql(
        client,
        create,
        {"input": {"mentorId": "user_019", "menteeId": "user_088", "orgId": "org_99"}},
        auth.admin,
    )
    assert no_org["errors"][0]["extensions"]["errors"] == [
        {"field": "orgId", "message": "unknown organisation 'org_99'"}
    ]
    duplicate = await gql(
        client, create, {"input": {"mentorId": "user_042", "menteeId": "user_101"}}, auth.admin
    )
    assert error_codes(duplicate) == ["CONFLICT"]
    null_mentor = await gql(
        client,
        'mutation { updateAssignment(id: "asgn_001", input: {mentorId: null}) { legacyId } }',
        headers=auth.admin,
    )
    assert error_codes(null_mentor) == ["BAD_USER_INPUT"]
    bad_status = await gql(
        client,
        'mutation { changeAssignmentStatus(id: "asgn_001", status: PAUSED) { status } }',
        headers=auth.admin,
    )
    assert error_codes(bad_status) == ["BAD_USER_INPUT"]
    missing = await gql(client, FULL, {"id": "asgn_nope"}, auth.admin)
    assert error_codes(missing) == ["NOT_FOUND"]


async def test_rest_and_graphql_show_the_same_record(client, demo, auth: Auth):
    changed = await client.put(
        "/api/v1/assignments/assign_001aa",
        json={"notes": "Shared", "last_contact_date": "2026-03-25T00:00:00Z"},
        headers=auth.coordinator,
    )
    assert changed.status_code == 200
    a = (await gql(client, FULL, {"id": "assign_001aa"}, auth.coordinator))["data"]["assignment"]
    assert a["notes"] == "Shared"
    assert a["lastContactAt"].startswith("2026-03-25T00:00:00")
    assert a["contacts"][0]["contactType"] == "OTHER"
    assert f'"{a["version"]}"' == changed.headers["etag"]
