"""``node(id)`` / ``nodes(ids)`` for every Node type, with the same authorization as the
type's direct field: a caller who may not see a record gets ``null`` from ``node`` (and an
error or an empty list from the direct field); one who may gets the same record."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from graphql import GraphQLObjectType

from app.settings import Settings
from schema import build_schema
from schema.base import _NODE_FETCHERS, to_global_id
from tests.helpers import Auth, error_codes, gql

LOCKED_SRN = "srn:tsn:ceo-core/assignment:AAAAAAAA-1234-4567-7890-000000000001"


@dataclass(frozen=True)
class Case:
    type_name: str
    key: str
    direct: str | None  # the direct field ({key} filled in); None: no field of its own
    visible: str  # Auth attribute of a caller who may see it
    hidden: str | None  # one who may not (None: every signed-in caller may see it)

    def __str__(self) -> str:
        return self.type_name


CASES = [
    Case("Person", "user_042", '{{ person(id: "{key}") {{ legacyId }} }}',
         "coordinator", "other_coordinator"),
    Case("Organisation", "org_03", '{{ organisation(id: "{key}") {{ legacyId }} }}',
         "coordinator", "other_coordinator"),
    Case("Assignment", "asgn_001", '{{ assignment(id: "{key}") {{ legacyId }} }}',
         "coordinator", "other_coordinator"),
    Case("Notification", "ntf_asgn001rem",
         '{{ notifications(first: 100) {{ nodes {{ legacyId }} }} }}',
         "coordinator", "other_coordinator"),
    Case("Activity", "act_9f3a12bc", '{{ activity(id: "{key}") {{ legacyId }} }}',
         "coordinator", "other_coordinator"),
    Case("ActivityType", "type_running",
         "{{ activityTypes {{ legacyId }} }}", "other_coordinator", None),
    Case("Milestone", "milestone_100h", '{{ milestone(id: "{key}") {{ legacyId }} }}',
         "coordinator", "other_coordinator"),
    Case("MilestoneDefinition", "msd_hours_10",
         "{{ milestoneDefinitions {{ legacyId }} }}", "other_coordinator", None),
    Case("EditorialAssignment", "AAAAAAAA-1234-4567-7890-000000000001",
         '{{ editorialAssignment(uuid: "{key}") {{ legacyId }} }}', "editor", "coordinator"),
    Case("EditorialIssue", "IIIIIIII-1234-4567-7890-000000000001",
         '{{ editorialAssignment(uuid: "AAAAAAAA-1234-4567-7890-000000000001") '
         "{{ issue {{ legacyId }} }} }}", "editor", "coordinator"),
    Case("EditorialContentItem", "UUUUUUUU-1234-4567-7890-BBBBBBBBBBBB",
         '{{ editorialAssignment(uuid: "AAAAAAAA-1234-4567-7890-000000000001") '
         "{{ children {{ legacyId }} }} }}", "editor", "coordinator"),
    Case("EditorialLock", "", '{{ editorialLock(uuid: "{key}") {{ legacyId }} }}',
         "editor", "coordinator"),
]  # fmt: skip

NODE = """query($id: ID!) { node(id: $id) { __typename id legacyId } }"""


def _headers(auth: Auth, who: str) -> dict[str, str]:
    value: dict[str, str] = getattr(auth, who)
    return value


async def _key(client: httpx.AsyncClient, auth: Auth, case: Case) -> str:
    if case.type_name != "EditorialLock":
        return case.key
    body = await gql(
        client, f'mutation {{ acquireEditorialLock(srn: "{LOCKED_SRN}") {{ uuid }} }}', None,
        auth.editor,
    )  # fmt: skip
    uuid: str = body["data"]["acquireEditorialLock"]["uuid"]
    return uuid


def _found_directly(body: dict[str, Any], key: str) -> bool:
    """Whether the direct field's answer holds the record."""
    if body.get("errors"):
        assert body["data"] is None or all(v is None for v in body["data"].values()), body
        assert set(error_codes(body)) <= {"NOT_FOUND", "FORBIDDEN"}, body
        return False
    return f'"legacyId": "{key}"' in json.dumps(body["data"])


def test_every_node_type_is_registered(settings: Settings):
    """Every object type implementing Node can be fetched by ``node(id)`` (and this test
    covers each of them)."""
    schema = build_schema(settings)._schema
    implementing = {
        name
        for name, kind in schema.type_map.items()
        if isinstance(kind, GraphQLObjectType)
        and any(interface.name == "Node" for interface in kind.interfaces)
    }
    assert implementing == set(_NODE_FETCHERS)
    assert implementing == {case.type_name for case in CASES}


@pytest.mark.parametrize("case", CASES, ids=str)
async def test_node_answers_as_the_direct_field(client, demo, auth: Auth, case: Case):
    key = await _key(client, auth, case)
    global_id = to_global_id(case.type_name, key)
    callers = [(case.visible, True)] + ([(case.hidden, False)] if case.hidden else [])
    for who, may_see in callers:
        headers = _headers(auth, who)
        node = await gql(client, NODE, {"id": global_id}, headers)
        assert "errors" not in node, node
        if may_see:
            assert node["data"]["node"] == {
                "__typename": case.type_name,
                "id": global_id,
                "legacyId": key,
            }, who
        else:
            assert node["data"]["node"] is None, who
        if case.direct is not None:
            direct = await gql(client, case.direct.format(key=key), None, headers)
            assert _found_directly(direct, key) is may_see, (who, direct)
    # Without a token nothing is fetched.
    anonymous = await gql(client, NODE, {"id": global_id})
    assert error_codes(anonymous) == ["UNAUTHENTICATED"]


async def test_nodes_keep_order_and_hide_what_the_caller_may_not_see(client, demo, auth: Auth):
    ids = [
        to_global_id("Assignment", "asgn_001"),
        to_global_id("EditorialAssignment", "AAAAAAAA-1234-4567-7890-000000000001"),
        to_global_id("Person", "user_201"),
        to_global_id("Person", "user_042"),
        to_global_id("NoSuchType", "x"),
    ]
    body = await gql(
        client, "query($ids: [ID!]!) { nodes(ids: $ids) { legacyId } }", {"ids": ids},
        auth.coordinator,
    )  # fmt: skip
    assert "errors" not in body, body
    assert body["data"]["nodes"] == [
        {"legacyId": "asgn_001"},
        None,
        None,
        {"legacyId": "user_042"},
        None,
    ]


@pytest.mark.parametrize("ids", [[], [to_global_id("Person", "user_042")]])
async def test_nodes_without_a_token_is_unauthenticated_even_for_no_ids(client, demo, ids):
    """Fails if ``nodes`` answers an anonymous caller (an empty list used to pass)."""
    body = await gql(client, "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ids})
    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert body["data"] is None


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"ids": ["not base64!"]}, "Invalid global ID"),
        ({"ids": [to_global_id("Person", "user_042")] * 101}, "At most 100 ids"),
    ],
)
async def test_bad_node_ids_are_refused(client, demo, auth: Auth, variables, message):
    body = await gql(
        client, "query($ids: [ID!]!) { nodes(ids: $ids) { legacyId } }", variables,
        auth.coordinator,
    )  # fmt: skip
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert message in body["errors"][0]["message"]
