"""Who may do what with assignments; the same rule answers on both doors."""

from __future__ import annotations

import pytest

from tests.helpers import Auth, error_codes, gql

BASE = "/api/v1/assignments"
GET = "query($id: String!) { assignment(id: $id) { legacyId status mentor { legacyId } } }"
RECORD = """mutation($id: String!) {
  recordContact(id: $id, contactType: CALL) { legacyId lastContactAt daysSinceContact }
}"""
REASSIGN = """mutation($id: String!) {
  updateAssignment(id: $id, input: {mentorId: "user_055"}) { legacyId }
}"""
NOTES = """mutation($id: String!) {
  updateAssignment(id: $id, input: {notes: "Met at the library"}) { notes version }
}"""
DELETE = "mutation($id: String!) { deleteAssignment(id: $id) }"
CLOSE = """mutation($id: String!) {
  changeAssignmentStatus(id: $id, status: CLOSED, reason: "done") { status }
}"""
CREATE = (
    """mutation($input: CreateAssignmentInput!) { createAssignment(input: $input) { legacyId } }"""
)
LIST = "{ assignments(first: 100, status: ALL) { totalCount nodes { legacyId } } }"


async def test_peer_mentor_reads_own_only(client, demo, auth: Auth):
    mentor = auth.mentor("user_042")
    own = await client.get(f"{BASE}/asgn_001", headers=mentor)
    assert own.status_code == 200
    other = await client.get(f"{BASE}/asgn_002", headers=mentor)
    assert other.status_code == 404
    assert (await gql(client, GET, {"id": "asgn_001"}, mentor))["data"]["assignment"][
        "legacyId"
    ] == "asgn_001"
    assert error_codes(await gql(client, GET, {"id": "asgn_002"}, mentor)) == ["NOT_FOUND"]
    listed = (await client.get(f"{BASE}?status=all", headers=mentor)).json()
    assert [i["assignment_id"] for i in listed["data"]] == ["asgn_001"]
    connection = (await gql(client, LIST, headers=mentor))["data"]["assignments"]
    assert [n["legacyId"] for n in connection["nodes"]] == ["asgn_001"]


async def test_peer_mentor_records_contacts_on_own_only(client, demo, auth: Auth):
    mentor = auth.mentor("mentor_a1b2c3")
    rest = await client.put(
        f"{BASE}/assign_001aa/last-contact", json={"contact_type": "meeting"}, headers=mentor
    )
    assert rest.status_code == 200
    graphql = await gql(client, RECORD, {"id": "assign_002bb"}, mentor)
    assert graphql["data"]["recordContact"]["daysSinceContact"] == 0
    not_theirs = await client.put(
        f"{BASE}/asgn_001/last-contact", json={"contact_type": "call"}, headers=mentor
    )
    assert not_theirs.status_code == 404
    assert error_codes(await gql(client, RECORD, {"id": "asgn_001"}, mentor)) == ["NOT_FOUND"]


async def test_peer_mentor_edits_notes_but_cannot_reassign_close_or_delete(
    client, demo, auth: Auth
):
    mentor = auth.mentor("user_042")
    notes = await client.put(f"{BASE}/asgn_001", json={"notes": "ok"}, headers=mentor)
    assert notes.status_code == 200
    assert (await gql(client, NOTES, {"id": "asgn_001"}, mentor))["data"]["updateAssignment"][
        "notes"
    ] == "Met at the library"

    reassign = await client.put(
        f"{BASE}/asgn_001", json={"peer_mentor_id": "user_055"}, headers=mentor
    )
    assert reassign.status_code == 403
    assert error_codes(await gql(client, REASSIGN, {"id": "asgn_001"}, mentor)) == ["FORBIDDEN"]

    close = await client.patch(
        f"{BASE}/asgn_001/status", json={"status": "completed"}, headers=mentor
    )
    assert close.status_code == 403
    assert error_codes(await gql(client, CLOSE, {"id": "asgn_001"}, mentor)) == ["FORBIDDEN"]

    delete = await client.delete(f"{BASE}/asgn_001", headers=mentor)
    assert delete.status_code == 403
    assert error_codes(await gql(client, DELETE, {"id": "asgn_001"}, mentor)) == ["FORBIDDEN"]

    create = await client.post(
        BASE, json={"mentor_id": "user_042", "contact_id": "user_088"}, headers=mentor
    )
    assert create.status_code == 403
    body = await gql(
        client, CREATE, {"input": {"mentorId": "user_042", "menteeId": "user_088"}}, mentor
    )
    assert error_codes(body) == ["FORBIDDEN"]
    # echoing unchanged fields is not a reassignment
    same = await client.put(
        f"{BASE}/asgn_001", json={"peer_mentor_id": "user_042", "notes": "x"}, headers=mentor
    )
    assert same.status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/asgn_001", None),
        ("PUT", "/asgn_001", {"notes": "x"}),
        ("DELETE", "/asgn_001", None),
        ("PUT", "/asgn_001/last-contact", {"contact_type": "call"}),
        ("PATCH", "/asgn_001/status", {"status": "completed"}),
    ],
)
async def test_other_organisations_coordinator_gets_404(client, demo, auth, method, path, body):
    response = await client.request(method, BASE + path, json=body, headers=auth.other_coordinator)
    assert response.status_code == 404
    assert "asgn_001" in response.json()["detail"]
    assert response.json()["detail"] == (
        await client.get(f"{BASE}/asgn_nothing", headers=auth.admin)
    ).json()["detail"].replace("asgn_nothing", "asgn_001")


async def test_other_organisations_coordinator_on_graphql(client, demo, auth: Auth):
    other = auth.other_coordinator
    for query in (GET, RECORD, NOTES, DELETE, CLOSE):
        assert error_codes(await gql(client, query, {"id": "asgn_001"}, other)) == ["NOT_FOUND"]
    connection = (await gql(client, LIST, headers=other))["data"]["assignments"]
    assert connection["totalCount"] == 0
    rest = (await client.get(f"{BASE}?status=all", headers=other)).json()
    assert rest["pagination"]["total"] == 0
    hidden_mentor = await client.get(f"{BASE}/mentor/mentor_a1b2c3/open-count", headers=other)
    assert hidden_mentor.status_code == 404
    count = await gql(client, '{ openAssignmentCount(mentorId: "mentor_a1b2c3") }', headers=other)
    assert error_codes(count) == ["NOT_FOUND"]


async def test_coordinator_manages_own_organisation(client, demo, auth: Auth):
    coordinator = auth.coordinator
    assert error_codes(await gql(client, CLOSE, {"id": "asgn_001"}, coordinator)) == []
    created = await gql(
        client,
        CREATE,
        {"input": {"mentorId": "user_019", "menteeId": "user_088"}},
        coordinator,
    )
    assert created["data"]["createAssignment"]["legacyId"].startswith("asgn_")
    elsewhere = await client.post(
        BASE,
        json={"mentor_id": "user_019", "contact_id": "user_101", "org_id": "org_05"},
        headers=coordinator,
    )
    assert elsewhere.status_code == 403
    moved = await client.put(f"{BASE}/asgn_002", json={"org_id": "org_05"}, headers=coordinator)
    assert moved.status_code == 403
    # people of another organisation are as unknown to a coordinator as nobody at all
    stranger = await client.post(
        BASE, json={"mentor_id": "user_202", "contact_id": "user_088"}, headers=coordinator
    )
    assert stranger.status_code == 422
    assert stranger.json()["errors"] == [
        {"field": "mentor_id", "message": "unknown person 'user_202'"}
    ]


async def test_other_roles_get_nothing(client, demo, auth: Auth):
    editor = auth.editor
    assert (await client.get(BASE, headers=editor)).status_code == 403
    assert (await client.get(f"{BASE}/asgn_001", headers=editor)).status_code == 403
    assert (await client.get(f"{BASE}/overdue", headers=editor)).status_code == 403
    assert error_codes(await gql(client, GET, {"id": "asgn_001"}, editor)) == ["FORBIDDEN"]
    assert error_codes(await gql(client, LIST, headers=editor)) == ["FORBIDDEN"]
    assert error_codes(await gql(client, LIST)) == ["UNAUTHENTICATED"]


async def test_admin_everything_and_restore(client, demo, auth: Auth):
    admin = auth.admin
    assert (await client.delete(f"{BASE}/asgn_002", headers=admin)).status_code == 200
    restore = 'mutation { restoreAssignment(id: "asgn_002") { legacyId status } }'
    assert error_codes(await gql(client, restore, headers=auth.coordinator)) == ["FORBIDDEN"]
    restored = await gql(client, restore, headers=admin)
    assert restored["data"]["restoreAssignment"] == {"legacyId": "asgn_002", "status": "OPEN"}
    assert (await client.get(f"{BASE}/asgn_002", headers=auth.coordinator)).status_code == 200
    again = await gql(client, restore, headers=admin)
    assert error_codes(again) == ["NOT_FOUND"]
