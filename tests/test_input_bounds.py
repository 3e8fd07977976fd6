"""Every free-text input is bounded at the edge of both doors: a value at its bound is used
whole, one character more is refused naming the field and the bound (REST 422
problem+json, GraphQL ``BAD_USER_INPUT``), and both documents state each bound (OpenAPI
``maxLength``, SDL descriptions). Before, a 50,000-character ``search`` reached SQLite's
LIKE and answered 500 ("LIKE or GLOB pattern too complex")."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from graphql import GraphQLInputObjectType, GraphQLObjectType

from app.rest.http import MAX_TEXT_LENGTH, SAFE_TEXT_PATTERN
from app.rest.openapi import openapi_document
from app.settings import Settings
from schema import build_schema
from schema.text import bound_of, bound_sentence
from tests.helpers import Auth, gql

LONG = "x" * 50_000
SEARCH = "query($s: String) { people(search: $s) { totalCount nodes { legacyId } } }"


def _refusal(field: str, bound: int) -> dict[str, Any]:
    return {"field": field, "message": f"must be at most {bound} characters"}


async def _person_named(client: httpx.AsyncClient, auth: Auth, person_id: str, name: str):
    created = await client.post(
        "/api/v1/people", json={"id": person_id, "name": name}, headers=auth.admin
    )
    assert created.status_code == 201, created.text


async def test_rest_search_at_the_bound_is_used_whole(client: httpx.AsyncClient, demo, auth):
    name = "Q" * (MAX_TEXT_LENGTH - 1) + "z"
    await _person_named(client, auth, "p_bound", name)
    found = await client.get("/api/v1/people", params={"search": name}, headers=auth.admin)
    assert found.status_code == 200, found.text
    assert [p["id"] for p in found.json()["data"]] == ["p_bound"]
    # the same length with another last character finds nobody: nothing was cut short
    other = name[:-1] + "y"
    missed = await client.get("/api/v1/people", params={"search": other}, headers=auth.admin)
    assert missed.status_code == 200
    assert missed.json()["pagination"]["total"] == 0


@pytest.mark.parametrize("length", [MAX_TEXT_LENGTH + 1, len(LONG)])
async def test_rest_search_past_the_bound_is_422(
    client: httpx.AsyncClient, demo, auth: Auth, length: int
):
    response = await client.get(
        "/api/v1/people", params={"search": "x" * length}, headers=auth.admin
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "BAD_USER_INPUT"
    assert body["errors"] == [_refusal("search", MAX_TEXT_LENGTH)]
    assert body["detail"] == f"search: must be at most {MAX_TEXT_LENGTH} characters"


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/api/v1/assignments", "mentor_id"),
        ("/api/v1/activities", "activity_type_id"),
        ("/api/v1/milestones", "mentor_id"),
        ("/api/v1/assignments/overdue", "org_id"),
    ],
)
async def test_rest_query_filters_are_bounded(
    client: httpx.AsyncClient, demo, auth: Auth, path: str, query: str
):
    at = await client.get(path, params={query: "x" * MAX_TEXT_LENGTH}, headers=auth.admin)
    assert at.status_code == 200, at.text
    assert at.json()["pagination"]["total"] == 0
    past = await client.get(path, params={query: "x" * (MAX_TEXT_LENGTH + 1)}, headers=auth.admin)
    assert past.status_code == 422, past.text
    assert past.json()["errors"] == [_refusal(query, MAX_TEXT_LENGTH)]


@pytest.mark.parametrize(
    "path", ["/api/v1/people/{}", "/api/v1/activities/{}", "/api/v1/milestones/{}/new"]
)
async def test_rest_path_parameters_are_bounded(
    client: httpx.AsyncClient, demo, auth: Auth, path: str
):
    name = "mentor_id" if path.endswith("/new") else "id"
    at = await client.get(path.format("x" * MAX_TEXT_LENGTH), headers=auth.admin)
    assert at.status_code == 404, at.text
    past = await client.get(path.format("x" * (MAX_TEXT_LENGTH + 1)), headers=auth.admin)
    assert past.status_code == 422, past.text
    assert past.json()["errors"] == [_refusal(name, MAX_TEXT_LENGTH)]


async def test_rest_uuid_path_parameters_are_bounded(client: httpx.AsyncClient, demo, auth):
    past = await client.get("/v3/assignment/" + "A" * 37, headers=auth.editor)
    assert past.status_code == 422, past.text
    assert past.json()["errors"] == [_refusal("uuid", 36)]
    assert past.json()["message"] == "uuid: must be at most 36 characters"


@pytest.mark.parametrize(
    ("path", "body", "field", "bound"),
    [
        ("/api/v1/milestones", {"mentor_id": "m" * 65, "period": {"year": 2025}}, "mentor_id", 64),
        ("/v3/lock-request", {"srn": "s" * 129}, "srn", 128),
        (
            "/api/v1/assignments",
            {"mentor_id": "user_042", "contact_id": "c" * 65},
            "contact_id",
            64,
        ),
        (
            "/api/v1/assignments",
            {"mentor_id": "user_042", "contact_id": "user_055", "start_date": "2" * 65},
            "start_date",
            64,
        ),
    ],
)
async def test_rest_body_strings_are_bounded(
    client: httpx.AsyncClient,
    demo,
    auth: Auth,
    path: str,
    body: dict[str, Any],
    field: str,
    bound: int,
):
    headers = auth.editor if path.startswith("/v3") else auth.admin
    response = await client.post(path, json=body, headers=headers)
    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [_refusal(field, bound)]


async def test_rest_reference_lists_are_bounded(client: httpx.AsyncClient, demo, auth: Auth):
    response = await client.post(
        "/v3/assignment", json={"title": "t", "users": ["u" * 65]}, headers=auth.editor
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [_refusal("users", 64)]


async def test_graphql_search_at_the_bound_is_used_whole(client: httpx.AsyncClient, demo, auth):
    name = "Q" * (MAX_TEXT_LENGTH - 1) + "z"
    await _person_named(client, auth, "p_bound", name)
    body = await gql(client, SEARCH, {"s": name}, auth.admin)
    assert body["data"]["people"] == {"totalCount": 1, "nodes": [{"legacyId": "p_bound"}]}
    body = await gql(client, SEARCH, {"s": name[:-1] + "y"}, auth.admin)
    assert body["data"]["people"]["totalCount"] == 0


@pytest.mark.parametrize(
    ("document", "variables"),
    [
        (SEARCH, {"s": LONG}),
        (SEARCH, {"s": "x" * (MAX_TEXT_LENGTH + 1)}),
        ('{ people(search: "%s") { totalCount } }' % ("x" * (MAX_TEXT_LENGTH + 1)), {}),
        (
            'query($s: String = "%s") { people(search: $s) { totalCount } }'
            % ("x" * (MAX_TEXT_LENGTH + 1)),
            {},
        ),
    ],
    ids=["variable", "variable-just-past", "literal", "variable-default"],
)
async def test_graphql_search_past_the_bound_is_bad_user_input(
    client: httpx.AsyncClient, demo, auth: Auth, document: str, variables: dict[str, Any]
):
    body = await gql(client, document, variables, auth.admin)
    assert body["data"] is None
    (error,) = body["errors"]
    assert error["message"] == f"search: must be at most {MAX_TEXT_LENGTH} characters"
    assert error["extensions"] == {
        "code": "BAD_USER_INPUT",
        "errors": [_refusal("search", MAX_TEXT_LENGTH)],
    }


async def test_graphql_one_document_is_measured_against_each_requests_variables(
    client: httpx.AsyncClient, demo, auth: Auth
):
    """Where a document takes text is worked out once per document (schema/text.py);
    what arrives there is measured for every request."""
    for value, refused in (("x", False), (LONG, True), ("y", False), (LONG, True)):
        body = await gql(client, SEARCH, {"s": value}, auth.admin)
        if refused:
            assert body["data"] is None, body
            assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", body
        else:
            assert "errors" not in body, body
            assert body["data"]["people"]["totalCount"] == 0, body


CREATE = """mutation($i: CreateAssignmentInput!) {
  createAssignment(input: $i) { legacyId } }"""
NODES = "query($ids: [ID!]!) { nodes(ids: $ids) { id } }"


@pytest.mark.parametrize(
    ("document", "variables", "field", "bound"),
    [
        (CREATE, {"i": {"mentorId": "m" * 201, "menteeId": "user_055"}}, "mentorId", 200),
        (
            CREATE,
            {"i": {"mentorId": "user_042", "menteeId": "x", "notes": "n" * 10_001}},
            "notes",
            10_000,
        ),
        (NODES, {"ids": ["UGVyc29uOnVzZXJfMDQy", "i" * 201]}, "ids", 200),
        ('{ nodes(ids: ["%s"]) { id } }' % ("i" * 201), {}, "ids", 200),
        (
            'mutation { createAssignment(input: {mentorId: "user_042", menteeId: "%s"}) '
            "{ legacyId } }" % ("c" * 201),
            {},
            "menteeId",
            200,
        ),
    ],
    ids=["input-variable", "input-long-text", "list-variable", "list-literal", "input-literal"],
)
async def test_graphql_input_fields_and_lists_are_bounded(
    client: httpx.AsyncClient,
    demo,
    auth: Auth,
    document: str,
    variables: dict[str, Any],
    field: str,
    bound: int,
):
    body = await gql(client, document, variables, auth.admin)
    (error,) = body["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "errors": [_refusal(field, bound)]}


async def test_graphql_text_at_its_bound_passes_the_edge(client: httpx.AsyncClient, demo, auth):
    body = await gql(
        client, CREATE, {"i": {"mentorId": "m" * 200, "menteeId": "user_055"}}, auth.admin
    )
    (error,) = body["errors"]  # the length is fine; the person is unknown
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["errors"][0]["field"] == "mentorId"
    assert "unknown" in error["extensions"]["errors"][0]["message"]


def _strings_without_bound(schema: dict[str, Any], components: dict[str, Any], where: str):
    if "$ref" in schema:
        name = schema["$ref"].split("/")[-1]
        yield from _strings_without_bound(components[name], components, name)
        return
    for option in schema.get("anyOf", []):
        yield from _strings_without_bound(option, components, where)
    kind = schema.get("type")
    kinds = set(kind) if isinstance(kind, list) else {kind}
    free = "enum" not in schema and "format" not in schema
    if "string" in kinds and free and "maxLength" not in schema:
        yield where
    if "items" in schema:
        yield from _strings_without_bound(schema["items"], components, where + "[]")
    for name, prop in schema.get("properties", {}).items():
        yield from _strings_without_bound(prop, components, f"{where}.{name}")


def test_openapi_states_a_bound_for_every_text_input(settings: Settings):
    document = openapi_document(settings)
    components = document["components"]["schemas"]
    unbounded: list[str] = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for param in operation.get("parameters", []):
                if param["in"] == "header":
                    continue  # headers are bounded as a whole, by the server
                where = f"{method} {path} {param['name']}"
                unbounded += _strings_without_bound(param["schema"], components, where)
            if "requestBody" in operation:
                body = operation["requestBody"]["content"]["application/json"]["schema"]
                unbounded += _strings_without_bound(body, components, f"{method} {path}")
    assert unbounded == []
    search = document["paths"]["/api/v1/people"]["get"]["parameters"]
    assert {"type": "string", "maxLength": MAX_TEXT_LENGTH, "pattern": SAFE_TEXT_PATTERN} in [
        p["schema"] for p in search
    ]


def test_the_sdl_states_the_bound_of_every_text_input(settings: Settings):
    schema = build_schema(settings)._schema
    stated: dict[str, str] = {}
    for type_ in schema.type_map.values():
        if isinstance(type_, GraphQLObjectType):
            for name, field in type_.fields.items():
                for arg_name, arg in field.args.items():
                    stated[f"{type_.name}.{name}({arg_name})"] = arg.description or ""
                    if "String" in str(arg.type) or "ID" in str(arg.type):
                        assert (arg.description or "").endswith(bound_sentence(arg)), arg_name
        elif isinstance(type_, GraphQLInputObjectType) and not type_.name.startswith("__"):
            for name, field in type_.fields.items():
                if "String" in str(field.type) or "ID" in str(field.type):
                    assert (field.description or "").endswith(bound_sentence(field)), name
    assert stated["Query.people(search)"].endswith(f"At most {MAX_TEXT_LENGTH} characters.")
    assert stated["Query.nodes(ids)"].endswith(f"Each at most {MAX_TEXT_LENGTH} characters.")
    notes = schema.type_map["LogActivityInput"]
    assert isinstance(notes, GraphQLInputObjectType)
    assert bound_of(notes.fields["notes"]) == 4000
    sdl = build_schema(settings).as_str()
    assert '"""Part of the name. At most 200 characters."""' in sdl
