"""Editorial assignments over GraphQL: the same services, ACL actions and lock rule as the
REST /v3 door, relations through DataLoaders, mutations and errors."""

from __future__ import annotations

from typing import Any

import httpx

from app.db import Database
from app.seed.editorial import add_scaled_assignments
from app.services import editorial as service
from app.services.editorial_pages import ORDER_FIELDS
from schema.editorial_types import EditorialAssignmentOrderField, EditorialAssignmentType
from tests.editorial_support import EXAMPLE, EXAMPLE_SRN, UNKNOWN, take_lock
from tests.helpers import Auth, count_statements, error_codes, gql

ONE = """
query($uuid: String!) {
  editorialAssignment(uuid: $uuid) {
    id legacyId uuid ceoId slug type title content dueAt publishedAt srn
    issue { ceoId label srn }
    users { legacyId name }
    children { uuid type title srn }
    creator { legacyId }
    lock { uuid state expiresAt holder { legacyId } }
  }
}
"""

PAGE = """
query($first: Int, $after: String, $order: EditorialAssignmentOrderField, $dir: EditorialSortDirection) {
  editorialAssignments(first: $first, after: $after, orderBy: $order, direction: $dir) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes {
      uuid title modifiedAt
      issue { label }
      users { legacyId name }
      children { uuid }
      creator { name }
      lock { uuid holder { legacyId } }
    }
  }
}
"""

CREATE = """
mutation($input: CreateEditorialAssignmentInput!) {
  createEditorialAssignment(input: $input) { uuid ceoId title type dueAt users { legacyId } children { uuid } issue { ceoId } creator { legacyId } lock { uuid } }
}
"""
UPDATE = """
mutation($uuid: String!, $input: UpdateEditorialAssignmentInput!) {
  updateEditorialAssignment(uuid: $uuid, input: $input) { uuid title dueAt issue { ceoId } lock { uuid } }
}
"""
ACQUIRE = "mutation($srn: String!) { acquireEditorialLock(srn: $srn) { uuid srn state expiresAt holder { legacyId } } }"
RENEW = "mutation($uuid: String!) { renewEditorialLock(uuid: $uuid) { uuid expiresAt } }"
RELEASE = "mutation($uuid: String!) { releaseEditorialLock(uuid: $uuid) }"
DELETE = "mutation($uuid: String!) { deleteEditorialAssignment(uuid: $uuid) }"


def second_editor(auth: Auth) -> dict[str, str]:
    return auth("user_019", "editor")


async def _data(client: httpx.AsyncClient, query: str, variables: dict[str, Any], headers) -> Any:
    body = await gql(client, query, variables, headers)
    assert "errors" not in body, body
    return body["data"]


async def test_assignment_with_its_relations(client, demo, auth: Auth):
    item = (await _data(client, ONE, {"uuid": EXAMPLE}, auth.editor))["editorialAssignment"]
    assert item["legacyId"] == item["uuid"] == EXAMPLE
    assert (item["ceoId"], item["slug"], item["type"], item["title"]) == (
        "5",
        "some-slug",
        "ARTICLE",
        "A title",
    )
    assert item["content"] == "<p>something</p>"
    assert item["dueAt"] == "2016-12-30T05:00:00Z"
    assert item["publishedAt"] is None
    assert item["srn"] == EXAMPLE_SRN
    assert item["issue"]["ceoId"] == "2"
    assert item["users"] == [{"legacyId": "editor_001", "name": "Erik Redaktør"}]
    assert [c["uuid"] for c in item["children"]] == [
        "UUUUUUUU-1234-4567-7890-BBBBBBBBBBBB",
        "OOOOOOOO-1234-4567-7890-BBBBBBBBBBBB",
    ]
    assert item["creator"] == {"legacyId": "editor_001"}
    assert item["lock"] is None


async def test_connection_orders_and_pages(client, demo, auth: Auth):
    first = (await _data(client, PAGE, {"first": 2, "order": "TITLE", "dir": "ASC"}, auth.editor))[
        "editorialAssignments"
    ]
    assert first["totalCount"] == 5
    assert first["pageInfo"]["hasNextPage"] is True
    rest = (
        await _data(
            client,
            PAGE,
            {"first": 10, "after": first["pageInfo"]["endCursor"], "order": "TITLE", "dir": "ASC"},
            auth.editor,
        )
    )["editorialAssignments"]
    titles = [n["title"] for n in first["nodes"] + rest["nodes"]]
    assert titles == sorted(titles)
    assert len(titles) == 5
    default = (await _data(client, PAGE, {}, auth.editor))["editorialAssignments"]["nodes"]
    assert default[0]["uuid"] == EXAMPLE  # modified_at, newest first
    rest_door = (await client.get("/v3/assignment", headers=auth.editor)).json()["items"]
    assert [n["uuid"] for n in default] == [i["uuid"] for i in rest_door]


PEOPLE = """query($uuid: String!) { editorialAssignment(uuid: $uuid) {
  users { legacyId name roles createdAt memberships { orgId } }
  creator { legacyId name roles }
  lock { holder { legacyId name roles } } } }"""


async def test_people_of_an_assignment_are_cards_unless_the_caller_may_open_them(
    client, demo, auth: Auth
):
    """``users``, ``creator`` and a lock's ``holder`` show each person as the caller sees
    them at their own route: an editor sees themselves in full and everyone else as the
    directory card (id + name); an admin sees everyone in full. REST ``/v3`` names the same
    users by their CEO identity, for every editor alike."""
    created = await _data(
        client,
        CREATE,
        {
            "input": {
                "title": "Cards",
                "users": ["admin_001", "PPPPPPPP-1234-4567-7890-BBBBBBBBBBBB"],
            }
        },
        auth.editor,
    )
    uuid = created["createEditorialAssignment"]["uuid"]
    await take_lock(client, auth.editor, uuid)
    card = {"roles": None, "createdAt": None, "memberships": None}

    mine = (await _data(client, PEOPLE, {"uuid": uuid}, auth.editor))["editorialAssignment"]
    admin, me = mine["users"]
    assert admin == {"legacyId": "admin_001", "name": "Ada Admin", **card}
    assert (me["legacyId"], me["roles"], me["memberships"]) == ("editor_001", ["editor"], [])
    assert mine["creator"] == {
        "legacyId": "editor_001",
        "name": "Erik Redaktør",
        "roles": ["editor"],
    }
    assert mine["lock"]["holder"] == mine["creator"]

    other = (await _data(client, PEOPLE, {"uuid": uuid}, second_editor(auth)))[
        "editorialAssignment"
    ]
    assert [u["roles"] for u in other["users"]] == [None, None]
    assert other["creator"] == {"legacyId": "editor_001", "name": "Erik Redaktør", "roles": None}
    assert other["lock"]["holder"] == other["creator"]

    full = (await _data(client, PEOPLE, {"uuid": uuid}, auth.admin))["editorialAssignment"]
    assert [u["roles"] for u in full["users"]] == [["admin"], ["editor"]]

    item = (await client.get(f"/v3/assignment/{uuid}", headers=second_editor(auth))).json()
    assert [(u["person_id"], u["name"]) for u in item["users"]] == [
        ("admin_001", "Ada Admin"),
        ("editor_001", "Erik Redaktør"),
    ]
    assert item["lock"]["user"]["person_id"] == "editor_001"


async def test_statements_do_not_grow_with_page_size(client, demo, auth: Auth, db: Database):
    async with db.write() as session:
        await add_scaled_assignments(session, 60, first_id=6)
    newest = (await client.get("/v3/assignment?per_page=1", headers=auth.editor)).json()
    await take_lock(client, auth.editor, newest["items"][0]["uuid"])  # locks load too
    counts = []
    for size in (1, 10, 50):
        with count_statements() as counter:
            data = await _data(client, PAGE, {"first": size}, auth.editor)
        assert len(data["editorialAssignments"]["nodes"]) == size
        counts.append(counter.count)
    assert counts[0] == counts[1] == counts[2], counts


async def test_create_update_delete_under_the_lock(client, demo, auth: Auth):
    created = (
        await _data(
            client,
            CREATE,
            {
                "input": {
                    "title": "Election night",
                    "type": "VIDEO",
                    "dueAt": "2017-11-08T04:00:00Z",
                    "issueId": "3",
                    "users": ["PPPPPPPP-1234-4567-7890-BBBBBBBBBBBB", "admin_001"],
                    "children": ["cccccccc-1234-4567-7890-BBBBBBBBBBBB"],
                }
            },
            auth.editor,
        )
    )["createEditorialAssignment"]
    uuid = created["uuid"]
    assert created["type"] == "VIDEO"
    assert created["issue"] == {"ceoId": "3"}
    assert [u["legacyId"] for u in created["users"]] == ["editor_001", "admin_001"]
    assert created["children"] == [{"uuid": "CCCCCCCC-1234-4567-7890-BBBBBBBBBBBB"}]
    assert created["creator"] == {"legacyId": "editor_001"}
    assert created["lock"] is None

    change = {"uuid": uuid, "input": {"title": "Election night live", "dueAt": None}}
    locked = await gql(client, UPDATE, change, auth.editor)
    assert error_codes(locked) == ["LOCKED"]
    assert locked["errors"][0]["message"] == "Exclusive lock is required to update an assignment"

    srn = f"srn:tsn:ceo-core/assignment:{uuid}"
    lock = (await _data(client, ACQUIRE, {"srn": srn}, auth.editor))["acquireEditorialLock"]
    assert (lock["state"], lock["holder"]) == ("ACCEPTED", {"legacyId": "editor_001"})
    updated = (await _data(client, UPDATE, change, auth.editor))["updateEditorialAssignment"]
    assert (updated["title"], updated["dueAt"]) == ("Election night live", None)
    assert updated["issue"] == {"ceoId": "3"}
    assert updated["lock"] == {"uuid": lock["uuid"]}

    renewed = (await _data(client, RENEW, {"uuid": lock["uuid"]}, auth.editor))[
        "renewEditorialLock"
    ]
    assert renewed["uuid"] == lock["uuid"]
    assert renewed["expiresAt"] >= lock["expiresAt"]
    released = await _data(client, RELEASE, {"uuid": lock["uuid"]}, auth.editor)
    assert released == {"releaseEditorialLock": "RELEASED"}
    assert error_codes(await gql(client, DELETE, {"uuid": uuid}, auth.editor)) == ["LOCKED"]

    await _data(client, ACQUIRE, {"srn": srn}, auth.editor)
    assert (await _data(client, DELETE, {"uuid": uuid}, auth.editor)) == {
        "deleteEditorialAssignment": True
    }
    assert error_codes(await gql(client, ONE, {"uuid": uuid}, auth.editor)) == ["NOT_FOUND"]


async def test_one_lock_rule_for_both_doors(client, demo, auth: Auth):
    rest_lock = await take_lock(client, auth.editor)
    refused = await gql(client, ACQUIRE, {"srn": EXAMPLE_SRN}, second_editor(auth))
    assert error_codes(refused) == ["CONFLICT"]
    change = {"uuid": EXAMPLE, "input": {"title": "Mine now"}}
    assert error_codes(await gql(client, UPDATE, change, second_editor(auth))) == ["LOCKED"]
    stolen = await gql(client, RELEASE, {"uuid": rest_lock["uuid"]}, second_editor(auth))
    assert error_codes(stolen) == ["FORBIDDEN"]
    renew_other = await gql(client, RENEW, {"uuid": rest_lock["uuid"]}, second_editor(auth))
    assert error_codes(renew_other) == ["FORBIDDEN"]
    # The holder changes it through GraphQL with the lock taken over REST ...
    assert (await _data(client, UPDATE, change, auth.editor))["updateEditorialAssignment"][
        "lock"
    ] == {"uuid": rest_lock["uuid"]}
    # ... and the admin breaks it through GraphQL; REST then refuses the former holder.
    broken = await _data(client, RELEASE, {"uuid": rest_lock["uuid"]}, auth.admin)
    assert broken == {"releaseEditorialLock": "BROKEN"}
    put = await client.put(f"/v3/assignment/{EXAMPLE}", json={"title": "x"}, headers=auth.editor)
    assert put.status_code == 423
    item = (await _data(client, ONE, {"uuid": EXAMPLE}, auth.editor))["editorialAssignment"]
    assert item["title"] == "Mine now"
    assert item["lock"] is None


async def test_lock_query_and_lock_field(client, demo, auth: Auth):
    lock = await take_lock(client, auth.editor)
    query = "query($uuid: String!) { editorialLock(uuid: $uuid) { uuid srn holder { name } } }"
    found = await _data(client, query, {"uuid": lock["uuid"]}, second_editor(auth))
    assert found["editorialLock"] == {
        "uuid": lock["uuid"],
        "srn": EXAMPLE_SRN,
        "holder": {"name": "Erik Redaktør"},
    }
    item = (await _data(client, ONE, {"uuid": EXAMPLE}, auth.editor))["editorialAssignment"]
    assert item["lock"]["uuid"] == lock["uuid"]
    assert item["lock"]["holder"] == {"legacyId": "editor_001"}
    missing = await gql(client, query, {"uuid": UNKNOWN}, auth.editor)
    assert error_codes(missing) == ["NOT_FOUND"]


async def test_bad_input_has_codes(client, demo, auth: Auth):
    cases: list[tuple[str, dict[str, Any], str]] = [
        (ONE, {"uuid": "nope"}, "BAD_USER_INPUT"),
        (ONE, {"uuid": UNKNOWN}, "NOT_FOUND"),
        (PAGE, {"first": 101}, "BAD_USER_INPUT"),
        (PAGE, {"first": 1, "after": "garbage!"}, "BAD_USER_INPUT"),
        (
            ACQUIRE,
            {"srn": "srn:tsn:ceo-core/article:UUUUUUUU-1234-4567-7890-BBBBBBBBBBBB"},
            "BAD_USER_INPUT",
        ),
        (ACQUIRE, {"srn": "srn:tsn:ceo-core/assignment:" + UNKNOWN}, "BAD_USER_INPUT"),
        (RELEASE, {"uuid": "nope"}, "BAD_USER_INPUT"),
        (RELEASE, {"uuid": UNKNOWN}, "NOT_FOUND"),
        (DELETE, {"uuid": UNKNOWN}, "NOT_FOUND"),
    ]
    for query, variables, code in cases:
        assert error_codes(await gql(client, query, variables, auth.editor)) == [code], variables
    invalid = await gql(
        client,
        CREATE,
        {"input": {"title": " ", "slug": "bad slug", "users": ["contact_xyz123"], "issueId": "9"}},
        auth.editor,
    )
    assert error_codes(invalid) == ["BAD_USER_INPUT"]
    fields = {e["field"] for e in invalid["errors"][0]["extensions"]["errors"]}
    assert fields == {"title", "slug", "users", "issueId"}  # GraphQL names its fields in camelCase


async def test_roles_without_the_acl_action_are_forbidden(client, demo, auth: Auth):
    operations: list[tuple[str, dict[str, Any]]] = [
        (ONE, {"uuid": EXAMPLE}),
        (PAGE, {}),
        (CREATE, {"input": {"title": "x"}}),
        (UPDATE, {"uuid": EXAMPLE, "input": {"title": "x"}}),
        (DELETE, {"uuid": EXAMPLE}),
        (ACQUIRE, {"srn": EXAMPLE_SRN}),
        (RENEW, {"uuid": UNKNOWN}),
        (RELEASE, {"uuid": UNKNOWN}),
    ]
    for query, variables in operations:
        for headers in (auth.coordinator, auth.mentor()):
            assert error_codes(await gql(client, query, variables, headers)) == ["FORBIDDEN"]
        assert error_codes(await gql(client, query, variables)) == ["UNAUTHENTICATED"]


async def test_node_lookup_respects_the_acl(client, demo, auth: Auth):
    item = (await _data(client, ONE, {"uuid": EXAMPLE}, auth.editor))["editorialAssignment"]
    query = "query($id: ID!) { node(id: $id) { legacyId ... on EditorialAssignment { title } } }"
    found = (await _data(client, query, {"id": item["id"]}, auth.editor))["node"]
    assert found == {"legacyId": EXAMPLE, "title": "A title"}
    hidden = (await _data(client, query, {"id": item["id"]}, auth.coordinator))["node"]
    assert hidden is None


def test_enums_match_the_service_vocabularies():
    assert [str(t.value) for t in EditorialAssignmentType] == list(service.ASSIGNMENT_TYPES)
    assert [str(f.value) for f in EditorialAssignmentOrderField] == list(ORDER_FIELDS)
