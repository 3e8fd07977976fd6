"""People seen through a relation (docs/decisions.md): in full for the callers who may open
the person at ``/api/v1/people/{id}``, else as a directory card (id and name; email, roles,
memberships and timestamps null), the same rule on both doors."""

from __future__ import annotations

from typing import Any

import httpx

from tests.helpers import Auth, error_codes, gql

MENTOR_VIEW = """{ assignments(first: 3) { nodes {
    coordinator { email }
    mentee { email memberships { role organisation { name } } } } } }"""

WITH_NAMES = """{ assignments(first: 3) { nodes {
    mentor { legacyId name email }
    coordinator { legacyId name email roles createdAt updatedAt }
    mentee { legacyId name email roles createdAt memberships { role } } } } }"""

ONE = """query($id: String!) { assignment(id: $id) {
    mentor { legacyId name email roles memberships { role organisation { name } } }
    mentee { id legacyId name email roles createdAt updatedAt
             memberships { role organisation { name } } } } }"""

OSLO_MENTOR = {"role": "peer_mentor", "organisation": {"name": "Oslo Peer Support"}}
BERGEN_MENTOR = {"role": "peer_mentor", "organisation": {"name": "Bergen Peer Support"}}


async def _cross_org_assignment(client: httpx.AsyncClient, auth: Auth) -> str:
    """An org_03 assignment whose mentee (``user_202``) belongs only to org_05."""
    created = await gql(
        client,
        "mutation($i: CreateAssignmentInput!) { createAssignment(input: $i) { legacyId } }",
        {"i": {"mentorId": "user_042", "menteeId": "user_202", "orgId": "org_03"}},
        headers=auth.admin,
    )
    assert "errors" not in created, created
    legacy_id: str = created["data"]["createAssignment"]["legacyId"]
    return legacy_id


async def _assignment(
    client: httpx.AsyncClient, assignment_id: str, headers: dict[str, str]
) -> dict[str, Any]:
    body = await gql(client, ONE, {"id": assignment_id}, headers)
    assert "errors" not in body, body
    found: dict[str, Any] = body["data"]["assignment"]
    return found


async def test_a_peer_mentor_sees_their_mentees_and_coordinator_as_cards(
    client: httpx.AsyncClient, demo: None, auth: Auth
) -> None:
    body = await gql(client, MENTOR_VIEW, headers=auth.mentor())
    assert "errors" not in body, body
    nodes = body["data"]["assignments"]["nodes"]
    assert nodes
    for node in nodes:
        assert node["mentee"] == {"email": None, "memberships": None}
        assert node["coordinator"] in (None, {"email": None})
    assert any(node["coordinator"] is not None for node in nodes)


async def test_a_card_keeps_the_name_and_the_mentor_sees_themselves_in_full(
    client: httpx.AsyncClient, demo: None, auth: Auth
) -> None:
    body = await gql(client, WITH_NAMES, headers=auth.mentor())
    assert "errors" not in body, body
    for node in body["data"]["assignments"]["nodes"]:
        assert node["mentor"] == {
            "legacyId": "user_042",
            "name": "Ola Hansen",
            "email": "user_042@example.org",
        }
        mentee = node["mentee"]
        assert mentee["name"]
        assert {k: mentee[k] for k in ("email", "roles", "createdAt", "memberships")} == {
            "email": None,
            "roles": None,
            "createdAt": None,
            "memberships": None,
        }
        if node["coordinator"] is not None:
            assert node["coordinator"] == {
                "legacyId": "user_007",
                "name": "Kari Nordmann",
                "email": None,
                "roles": None,
                "createdAt": None,
                "updatedAt": None,
            }


async def test_the_peer_mentor_may_not_open_their_mentee(
    client: httpx.AsyncClient, demo: None, auth: Auth
) -> None:
    mentor = auth.mentor()
    mentee = (await _assignment(client, "asgn_001", mentor))["mentee"]
    assert mentee["legacyId"] == "user_101"
    assert mentee["name"] == "Lars Eriksson"
    response = await client.get("/api/v1/people/user_101", headers=mentor)
    assert response.status_code == 404
    person = await gql(client, '{ person(id: "user_101") { name } }', headers=mentor)
    assert error_codes(person) == ["NOT_FOUND"]
    node = await gql(
        client, "query($id: ID!) { node(id: $id) { id } }", {"id": mentee["id"]}, mentor
    )
    assert node["data"] == {"node": None}


async def test_rest_still_names_the_mentee(
    client: httpx.AsyncClient, demo: None, auth: Auth
) -> None:
    response = await client.get("/api/v1/assignments/asgn_001", headers=auth.mentor())
    assert response.status_code == 200
    assert response.json()["mentee_name"] == "Lars Eriksson"


async def test_a_coordinator_sees_their_organisations_members_in_full(
    client: httpx.AsyncClient, demo: None, auth: Auth
) -> None:
    found = await _assignment(client, "asgn_001", auth.coordinator)
    assert found["mentor"] == {
        "legacyId": "user_042",
        "name": "Ola Hansen",
        "email": "user_042@example.org",
        "roles": ["peer_mentor"],
        "memberships": [OSLO_MENTOR],
    }
    mentee = found["mentee"]
    assert mentee["email"] == "user_101@example.org"
    assert mentee["roles"] == ["mentee"]
    assert mentee["createdAt"] is not None
    assert mentee["updatedAt"] is not None
    assert mentee["memberships"] == [
        {"role": "mentee", "organisation": {"name": "Oslo Peer Support"}}
    ]
    opened = await client.get("/api/v1/people/user_101", headers=auth.coordinator)
    assert opened.status_code == 200
    assert opened.json()["email"] == mentee["email"]


async def test_a_coordinator_sees_a_person_outside_their_organisations_as_a_card(
    client: httpx.AsyncClient, demo: None, auth: Auth
) -> None:
    assignment_id = await _cross_org_assignment(client, auth)
    found = await _assignment(client, assignment_id, auth.coordinator)
    assert found["mentor"]["email"] == "user_042@example.org"
    mentee = found["mentee"]
    assert {k: v for k, v in mentee.items() if k != "id"} == {
        "legacyId": "user_202",
        "name": "Eva Moen",
        "email": None,
        "roles": None,
        "createdAt": None,
        "updatedAt": None,
        "memberships": None,
    }
    response = await client.get("/api/v1/people/user_202", headers=auth.coordinator)
    assert response.status_code == 404
    node = await gql(
        client, "query($id: ID!) { node(id: $id) { id } }", {"id": mentee["id"]}, auth.coordinator
    )
    assert node["data"] == {"node": None}


async def test_an_admin_sees_everyone_in_full(
    client: httpx.AsyncClient, demo: None, auth: Auth
) -> None:
    assignment_id = await _cross_org_assignment(client, auth)
    found = await _assignment(client, assignment_id, auth.admin)
    mentee = found["mentee"]
    assert mentee["name"] == "Eva Moen"
    assert mentee["email"] == "user_202@example.org"
    assert mentee["roles"] == ["peer_mentor"]
    assert mentee["createdAt"] is not None
    assert mentee["memberships"] == [BERGEN_MENTOR]
    response = await client.get("/api/v1/people/user_202", headers=auth.admin)
    assert response.status_code == 200
    assert response.json()["email"] == "user_202@example.org"
    body = await gql(client, MENTOR_VIEW, headers=auth.admin)
    for node in body["data"]["assignments"]["nodes"]:
        assert node["mentee"]["email"] is not None
        assert node["mentee"]["memberships"]
