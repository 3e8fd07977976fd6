"""The OpenAPI document says what the server does: every bound it states for a parameter
is the one the server enforces (the value at the bound is accepted, one past it refused),
the page-size maximum follows the configuration, cross-field rules are described, and
every status a route answers is documented (the replay 200 of an idempotent POST, the 304
of a conditional GET). A client generated from the document never sends a request the
document allows and the server refuses for a documented bound."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from app.rest.editorial import AssignmentIn as AssignmentBody
from app.rest.http import SAFE_TEXT_PATTERN
from app.rest.openapi import openapi_document
from app.settings import Settings
from tests.helpers import Auth, app_client

# A record for each path parameter of the GET routes, so a route reaches its query checks.
IDS = {
    "/api/v1/people/": "user_042",
    "/api/v1/organisations/": "org_03",
    "/api/v1/activities/": "act_9f3a12bc",
    "/api/v1/assignments/": "asgn_001",
    "/api/v1/milestones/": "milestone_100h",
}
EXISTING = {"{mentor_id}": "mentor_001", "{uuid}": "AAAAAAAA-1234-4567-7890-BBBBBBBBBBBB"}


def _url(path: str) -> str:
    record = next((v for prefix, v in IDS.items() if path.startswith(prefix)), "")
    return "/".join(
        record if part == "{id}" else EXISTING.get(part, part) for part in path.split("/")
    )


def _query_params(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, operations in document["paths"].items():
        get = operations.get("get")
        if get is None or "/lock-request/" in path:
            continue
        for param in get.get("parameters", []):
            if param["in"] == "query":
                yield path, param


def _cases(settings: Settings) -> list[tuple[str, str, str, str]]:
    """(path, parameter, value at a stated bound, value just past it)."""
    cases = []
    for path, param in _query_params(openapi_document(settings)):
        schema, name = param["schema"], param["name"]
        if schema.get("type") == "integer":
            if "maximum" in schema:
                cases.append((path, name, str(schema["maximum"]), str(schema["maximum"] + 1)))
            if "minimum" in schema:
                cases.append((path, name, str(schema["minimum"]), str(schema["minimum"] - 1)))
        elif (
            schema.get("type") == "string"
            and not schema.keys() & {"enum", "format"}
            and schema["pattern"] == SAFE_TEXT_PATTERN
        ):
            bound = schema["maxLength"]
            cases.append((path, name, "a" * bound, "a" * (bound + 1)))
    return cases


CASES = _cases(Settings(_env_file=None))


def test_every_stated_bound_is_tested():
    named = {(path, name) for path, name, _, _ in CASES}
    for wanted in (
        ("/api/v1/people", "page"),
        ("/api/v1/people", "limit"),
        ("/api/v1/people", "search"),
        ("/v3/assignment", "per_page"),
        ("/api/v1/assignments/overdue", "days"),
        ("/api/v1/milestones/{mentor_id}/new", "year"),
    ):
        assert wanted in named
    assert len(CASES) > 100  # every GET route, canonical and doubled


@pytest.mark.parametrize(("path", "name", "at", "past"), CASES)
async def test_a_stated_bound_is_the_enforced_bound(
    client: httpx.AsyncClient, demo, auth: Auth, path: str, name: str, at: str, past: str
):
    url = _url(path)
    accepted = await client.get(url, params={name: at}, headers=auth.admin)
    assert accepted.status_code == 200, (url, name, at[:20], accepted.text)
    refused = await client.get(url, params={name: past}, headers=auth.admin)
    assert refused.status_code in (400, 422), (url, name, past[:20], refused.text)
    assert refused.json()["code"] == "BAD_USER_INPUT"
    assert name in refused.json()["detail"]


async def test_the_page_size_maximum_follows_the_configuration(settings: Settings, demo, auth):
    async with app_client(settings, max_page_size=30) as client:
        document = (await client.get("/openapi.json")).json()
        for path, size in (("/api/v1/people", "limit"), ("/v3/assignment", "per_page")):
            (param,) = [
                p for p in document["paths"][path]["get"]["parameters"] if p["name"] == size
            ]
            assert param["schema"] == {"type": "integer", "minimum": 1, "maximum": 30}
            ok = await client.get(path, params={size: 30}, headers=auth.admin)
            assert ok.status_code == 200, ok.text
            over = await client.get(path, params={size: 31}, headers=auth.admin)
            assert over.status_code == 400
            assert over.json()["code"] == "BAD_USER_INPUT"
            assert "30" in over.json()["detail"]


async def test_cross_field_rules_are_described_and_enforced(
    client: httpx.AsyncClient, demo, auth: Auth, settings: Settings
):
    params = openapi_document(settings)["paths"]["/api/v1/activities"]["get"]["parameters"]
    described = {p["name"]: p["description"] for p in params}
    assert "not after `to`" in described["from"]
    assert "not before `from`" in described["to"]
    same = await client.get(
        "/api/v1/activities", params={"from": "2026-03-25", "to": "2026-03-25"}, headers=auth.admin
    )
    assert same.status_code == 200
    reversed_ = await client.get(
        "/api/v1/activities", params={"from": "2026-03-26", "to": "2026-03-25"}, headers=auth.admin
    )
    assert reversed_.status_code == 400
    assert reversed_.json()["detail"] == "'from' must not lie after 'to'"


def _documented(settings: Settings, path: str, method: str) -> dict[str, Any]:
    responses: dict[str, Any] = openapi_document(settings)["paths"][path][method]["responses"]
    return responses


def _required(settings: Settings, response: dict[str, Any]) -> set[str]:
    document = openapi_document(settings)
    schema = response["content"]["application/json"]["schema"]
    if "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].split("/")[-1]]
    return set(schema["required"])


ACTIVITY = {
    "local_id": "replay-1",
    "activity_type_id": "type_call",
    "date": "2026-01-05",
    "duration_minutes": 30,
}
DETECT = {
    "mentor_id": "user_042",
    "period": {"year": 2025},
    "summary": {"total_hours": 12, "unique_contacts_helped": 6, "activity_count": 11},
}
# (route, body, who sends it): an idempotent POST, 201 when it creates, 200 on a replay.
REPLAYS = [
    (path, body, who)
    for base, body, who in (
        ("/api/v1/activities", ACTIVITY, "mentor"),
        ("/api/v1/milestones", DETECT, "coordinator"),
    )
    for path in (base, base + base)
]


@pytest.mark.parametrize(("path", "body", "who"), REPLAYS)
async def test_the_replay_200_is_documented(
    client: httpx.AsyncClient,
    demo,
    auth: Auth,
    settings: Settings,
    path: str,
    body: dict[str, Any],
    who: str,
):
    responses = _documented(settings, path, "post")
    assert {"200", "201"} <= responses.keys()
    assert responses["200"]["content"] == responses["201"]["content"]
    headers = auth.mentor() if who == "mentor" else auth.coordinator
    first = await client.post(path, json=body, headers=headers)
    assert first.status_code == 201, first.text
    replay = await client.post(path, json=body, headers=headers)
    assert replay.status_code == 200, replay.text
    assert replay.json() == first.json()
    assert _required(settings, responses["200"]) <= replay.json().keys()


def test_body_rules_are_stated_from_the_server_declarations(settings: Settings):
    from app.ids import EXTERNAL_ID
    from app.services.activity_rules import LOCAL_ID, MAX_DURATION, MAX_NOTES
    from app.services.milestone_rules import MAX_YEAR, MIN_YEAR

    schemas = openapi_document(settings)["components"]["schemas"]
    activity = schemas["ActivityIn"]["properties"]
    assert activity["local_id"]["pattern"] == LOCAL_ID.pattern.replace("\\Z", "$")
    assert activity["duration_minutes"]["maximum"] == MAX_DURATION
    assert activity["notes"]["anyOf"][0]["maxLength"] == MAX_NOTES
    assert schemas["PersonIn"]["properties"]["id"]["pattern"] == EXTERNAL_ID.pattern.replace(
        "\\Z", "$"
    )
    year = schemas["PeriodIn"]["properties"]["year"]["anyOf"][0]
    assert (year["minimum"], year["maximum"]) == (MIN_YEAR, MAX_YEAR)


async def test_a_required_title_is_documented_on_create_only(
    client: httpx.AsyncClient, demo, auth: Auth, settings: Settings
):
    document = openapi_document(settings)
    schemas = document["components"]["schemas"]

    def body(method: str) -> dict[str, Any]:
        operation = document["paths"]["/v3/assignment" + ("/{uuid}" if method == "put" else "")]
        ref = operation[method]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        found: dict[str, Any] = schemas[ref.split("/")[-1]]
        return found

    assert body("post")["required"] == ["title"]
    assert "required" not in body("put")
    refused = await client.post("/v3/assignment", json={"notes": "n"}, headers=auth.editor)
    assert refused.status_code == 422
    assert refused.json()["errors"] == [{"field": "title", "message": "is required"}]


def _nullable(schema: dict[str, Any]) -> bool:
    kind = schema.get("type")
    return (
        kind == "null"
        or (isinstance(kind, list) and "null" in kind)
        or any(_nullable(branch) for branch in schema.get("anyOf", []))
    )


def _body_properties(settings: Settings, path: str, method: str) -> dict[str, Any]:
    document = openapi_document(settings)
    body = document["paths"][path][method]["requestBody"]["content"]["application/json"]
    ref = body["schema"]["$ref"].split("/")[-1]
    properties: dict[str, Any] = document["components"]["schemas"][ref]["properties"]
    return properties


ECHO_ONLY = {"id", "local_id", "peer_mentor_id"}  # must match the record; null is no echo


async def test_a_body_field_the_document_makes_nullable_accepts_null(
    client: httpx.AsyncClient, demo, auth: Auth, settings: Settings
):
    """Each field of an activity update sent as null: refused (422 "must not be null",
    naming it) exactly when the document's schema for it has no null branch. Mutation:
    dropping ``not_null()`` from a field's declaration makes the document allow a null the
    server refuses, and this test fails."""
    properties = _body_properties(settings, "/api/v1/activities/{id}", "put")
    refused, allowed = set(), set()
    for field in sorted(properties.keys() - ECHO_ONLY):
        response = await client.put(
            "/api/v1/activities/act_9f3a12bc", json={field: None}, headers=auth.coordinator
        )
        errors = response.json().get("errors", []) if response.status_code == 422 else []
        if {"field": field, "message": "must not be null"} in errors:
            refused.add(field)
        else:
            assert response.status_code == 200, (field, response.text)
            allowed.add(field)
    assert refused == {f for f in properties.keys() - ECHO_ONLY if not _nullable(properties[f])}
    assert refused == {"activity_type_id", "date", "duration_minutes", "status"}
    assert allowed == {"notes", "rejection_reason"}


def test_editorial_fields_that_may_not_be_null_say_so():
    """The CEO body's non-null fields are the editorial service's (``slug``, ``type``,
    ``title``: a null is refused naming it), and only those lose their null branch."""
    from app.services import editorial

    schema = AssignmentBody.model_json_schema()["properties"]
    assert {f for f, s in schema.items() if not _nullable(s)} == set(editorial._NOT_NULL)
