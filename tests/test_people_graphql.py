"""The directory over GraphQL: visibility, connections, mutations, node ids, no N+1."""

from __future__ import annotations

from sqlalchemy import select

from app.db import Database
from app.models.outbox import OutboxEntry
from tests.helpers import Auth, app_client, count_statements, error_codes, gql, known_caller

PEOPLE_PAGE = """
query($first: Int, $after: String, $org: String) {
  people(first: $first, after: $after, orgId: $org) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage endCursor }
    edges { cursor node { legacyId name memberships { role organisation { legacyId name } } } }
  }
}
"""


async def test_unauthenticated_field_has_code(client, demo):
    body = await gql(client, "{ me { legacyId } }")
    assert error_codes(body) == ["UNAUTHENTICATED"]


async def test_bad_token_on_graphql_is_unauthenticated(client, demo):
    body = await gql(client, "{ me { legacyId } }", headers={"Authorization": "Bearer junk"})
    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert body["errors"][0]["message"] == "Invalid token"


async def test_me_with_memberships(client, demo, auth: Auth):
    body = await gql(
        client,
        "{ me { id legacyId name memberships { orgId role organisation { name reminderDays } } } }",
        headers=auth.coordinator,
    )
    me = body["data"]["me"]
    assert me["legacyId"] == "user_007"
    assert me["memberships"] == [
        {
            "orgId": "org_03",
            "role": "coordinator",
            "organisation": {"name": "Oslo Peer Support", "reminderDays": 10},
        }
    ]


async def test_people_connection_pages_with_cursors(client, demo, auth: Auth):
    first = (await gql(client, PEOPLE_PAGE, {"first": 3}, auth.coordinator))["data"]["people"]
    assert len(first["edges"]) == 3
    assert first["pageInfo"]["hasNextPage"] is True
    assert first["pageInfo"]["hasPreviousPage"] is False
    second = (
        await gql(
            client,
            PEOPLE_PAGE,
            {"first": 3, "after": first["pageInfo"]["endCursor"]},
            auth.coordinator,
        )
    )["data"]["people"]
    assert second["pageInfo"]["hasPreviousPage"] is True
    assert second["totalCount"] == first["totalCount"]
    names_1 = [e["node"]["legacyId"] for e in first["edges"]]
    names_2 = [e["node"]["legacyId"] for e in second["edges"]]
    assert set(names_1).isdisjoint(names_2)


async def test_page_size_over_maximum_is_refused(client, demo, auth: Auth):
    body = await gql(client, "{ people(first: 101) { totalCount } }", headers=auth.admin)
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert "100" in body["errors"][0]["message"]


async def test_garbage_cursor_is_refused(client, demo, auth: Auth):
    body = await gql(client, PEOPLE_PAGE, {"first": 3, "after": "!!nope"}, auth.admin)
    assert error_codes(body) == ["BAD_USER_INPUT"]


async def test_statements_do_not_grow_with_page_size(client, demo, auth: Auth):
    await known_caller(client, auth.admin)
    counts = []
    for size in (1, 10, 50):
        with count_statements() as counter:
            body = await gql(client, PEOPLE_PAGE, {"first": size, "org": "org_03"}, auth.admin)
        assert "errors" not in body
        assert len(body["data"]["people"]["edges"]) == size
        counts.append(counter.count)
    assert counts[0] > 0
    assert counts[0] == counts[1] == counts[2], counts


async def test_coordinator_cannot_see_other_organisations_people(client, demo, auth: Auth):
    body = await gql(client, '{ person(id: "user_042") { name } }', headers=auth.other_coordinator)
    assert error_codes(body) == ["NOT_FOUND"]


async def test_create_update_delete_person(client, demo, auth: Auth):
    create = """mutation($input: CreatePersonInput!) { createPerson(input: $input) { id legacyId roles } }"""
    variables = {"input": {"id": "user_600", "name": "Siri Aas", "roles": ["peer_mentor"]}}
    denied = await gql(client, create, variables, auth.coordinator)
    assert error_codes(denied) == ["FORBIDDEN"]
    created = (await gql(client, create, variables, auth.admin))["data"]["createPerson"]
    assert created["legacyId"] == "user_600"
    duplicate = await gql(client, create, variables, auth.admin)
    assert error_codes(duplicate) == ["CONFLICT"]

    update = """mutation { updatePerson(id: "user_600", input: {name: "Siri Aas-Berg", email: null}) { name email } }"""
    updated = (await gql(client, update, headers=auth.admin))["data"]["updatePerson"]
    assert updated == {"name": "Siri Aas-Berg", "email": None}

    deleted = await gql(client, 'mutation { deletePerson(id: "user_600") }', headers=auth.admin)
    assert deleted["data"]["deletePerson"] is True
    gone = await gql(client, '{ person(id: "user_600") { name } }', headers=auth.admin)
    assert error_codes(gone) == ["NOT_FOUND"]


async def test_directory_writes_record_person_events_in_their_transaction(
    client, demo, auth: Auth, db: Database
):
    """Each person write records one ``person`` event keyed by the person (on both doors);
    refused writes and organisation or membership writes record none."""
    create = 'mutation { createPerson(input: {id: "user_600", name: "Siri Aas"}) { id } }'
    assert error_codes(await gql(client, create, headers=auth.coordinator)) == ["FORBIDDEN"]
    writes: tuple[tuple[str, list[str]], ...] = (
        (create, []),
        (create, ["CONFLICT"]),
        ('mutation { updatePerson(id: "user_600", input: {name: "Siri Aas-Berg"}) { name } }', []),
        ('mutation { createOrganisation(input: {id: "org_60", name: "Vik"}) { legacyId } }', []),
        (
            'mutation { updateOrganisation(id: "org_60", input: {reminderDays: 5}) { legacyId } }',
            [],
        ),
        ('mutation { addMembership(personId: "user_600", orgId: "org_60") { role } }', []),
        ('mutation { removeMembership(personId: "user_600", orgId: "org_60") }', []),
        ('mutation { deletePerson(id: "user_600") }', []),
    )
    for mutation, codes in writes:
        assert error_codes(await gql(client, mutation, headers=auth.admin)) == codes, mutation
    rest = await client.post(
        "/api/v1/people", json={"id": "user_601", "name": "Ola Vik"}, headers=auth.admin
    )
    assert rest.status_code == 201
    async with db.read() as session:
        rows = (await session.scalars(select(OutboxEntry).order_by(OutboxEntry.id))).all()
    assert [(row.kind, row.key, row.payload) for row in rows] == [
        ("person/created", "user_600", {}),
        ("person/updated", "user_600", {}),
        ("person/deleted", "user_600", {}),
        ("person/created", "user_601", {}),
    ]


async def test_invalid_person_input_names_fields(client, demo, auth: Auth):
    body = await gql(
        client,
        """mutation { createPerson(input: {id: "has space", name: "", roles: ["wizard"]}) { id } }""",
        headers=auth.admin,
    )
    assert error_codes(body) == ["BAD_USER_INPUT"]
    fields = {e["field"] for e in body["errors"][0]["extensions"]["errors"]}
    assert fields == {"id", "name", "roles"}


async def test_coordinator_sets_own_org_thresholds_only(client, demo, auth: Auth):
    mutation = """mutation($id: String!) {
      updateOrganisation(id: $id, input: {reminderDays: 5, escalationDays: 9}) { reminderDays escalationDays }
    }"""
    own = await gql(client, mutation, {"id": "org_03"}, auth.coordinator)
    assert own["data"]["updateOrganisation"] == {"reminderDays": 5, "escalationDays": 9}
    other = await gql(client, mutation, {"id": "org_05"}, auth.coordinator)
    assert error_codes(other) == ["NOT_FOUND"]
    inverted = await gql(
        client,
        'mutation { updateOrganisation(id: "org_03", input: {reminderDays: 30, escalationDays: 10}) { reminderDays } }',
        headers=auth.admin,
    )
    assert error_codes(inverted) == ["BAD_USER_INPUT"]


async def test_node_lookup_respects_visibility(client, demo, auth: Auth):
    me = (await gql(client, "{ me { id } }", headers=auth.mentor()))["data"]["me"]
    query = "query($id: ID!) { node(id: $id) { id legacyId ... on Person { name } } }"
    found = (await gql(client, query, {"id": me["id"]}, auth.coordinator))["data"]["node"]
    assert found["legacyId"] == "user_042"
    hidden = (await gql(client, query, {"id": me["id"]}, auth.other_coordinator))["data"]["node"]
    assert hidden is None
    bad = await gql(client, query, {"id": "%%%"}, auth.admin)
    assert error_codes(bad) == ["BAD_USER_INPUT"]


async def test_memberships_managed_by_admin(client, demo, auth: Auth):
    add = 'mutation { addMembership(personId: "user_202", orgId: "org_03", role: "peer_mentor") { orgId role } }'
    assert error_codes(await gql(client, add, headers=auth.coordinator)) == ["FORBIDDEN"]
    added = await gql(client, add, headers=auth.admin)
    assert added["data"]["addMembership"] == {"orgId": "org_03", "role": "peer_mentor"}
    visible = await gql(client, '{ person(id: "user_202") { name } }', headers=auth.coordinator)
    assert visible["data"]["person"]["name"] == "Eva Moen"
    unknown = await gql(
        client,
        'mutation { addMembership(personId: "nobody", orgId: "org_03") { role } }',
        headers=auth.admin,
    )
    assert error_codes(unknown) == ["BAD_USER_INPUT"]


async def test_without_batching_statements_grow_with_the_page(settings, demo, auth: Auth):
    # The benchmark's "no DataLoaders" mode really is N+1: what the loaders save.
    counts = []
    async with app_client(settings, dataloader_batching=False) as unbatched:
        for size in (1, 10):
            with count_statements() as counter:
                body = await gql(
                    unbatched, PEOPLE_PAGE, {"first": size, "org": "org_03"}, auth.admin
                )
            assert len(body["data"]["people"]["edges"]) == size
            counts.append(counter.count)
    assert counts[1] > counts[0] + 9
