"""Hostile text on both doors: every text field at its documented limit is stored whole,
one character more is refused naming the field (422 / ``BAD_USER_INPUT``) — never cut
short, never a 500; unicode that is valid (emoji, combining marks, right-to-left
overrides) comes back byte for byte; NUL characters and unpaired surrogates are refused
wherever text enters (JSON bodies and variables, GraphQL string literals, paths, queries).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.authz_support import unique
from tests.helpers import Auth

# (outcome, fields named by the refusal, the stored value the answer shows)
Result = tuple[str, set[str], Any]
Attempt = Callable[[httpx.AsyncClient, Auth, str], Awaitable[Result]]


async def _rest(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    method: str,
    path: str,
    body: dict[str, Any],
    key: str | None,
) -> Result:
    response = await client.request(method, path, json=body, headers=headers)
    data = response.json()
    if response.status_code >= 400:
        return str(response.status_code), {e["field"] for e in data.get("errors", [])}, None
    return "ok", set(), data.get(key) if key else None


async def _graphql(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    doc: str,
    variables: dict[str, Any],
    path: tuple[str, ...],
) -> Result:
    response = await client.post(
        "/graphql", json={"query": doc, "variables": variables}, headers=headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    if body.get("errors"):
        error = body["errors"][0]
        fields = {e["field"] for e in error.get("extensions", {}).get("errors", [])}
        return str(error["extensions"]["code"]), fields, None
    value: Any = body["data"]
    for step in path:
        value = value[step]
    return "ok", set(), value


def rest(method: str, path: str, who: str, body: Callable[[str], dict[str, Any]], key: str | None):
    async def attempt(client: httpx.AsyncClient, auth: Auth, text: str) -> Result:
        headers = {"admin": auth.admin, "editor": auth.editor, "mentor": auth.mentor()}[who]
        return await _rest(client, headers, method, path, body(text), key)

    return attempt


def graphql(doc: str, variables: Callable[[str], dict[str, Any]], *path: str):
    async def attempt(client: httpx.AsyncClient, auth: Auth, text: str) -> Result:
        return await _graphql(client, auth.admin, doc, variables(text), path)

    return attempt


def _activity(**fields: Any) -> dict[str, Any]:
    return {
        "local_id": unique("long-"),
        "activity_type_id": "type_call",
        "date": "2026-01-05",
        "duration_minutes": 30,
        **fields,
    }


async def _reject_with(client: httpx.AsyncClient, auth: Auth, text: str) -> Result:
    logged = await client.post("/api/v1/activities", json=_activity(), headers=auth.mentor())
    body = {"status": "rejected", "rejection_reason": text}
    path = f"/api/v1/activities/{logged.json()['id']}"
    return await _rest(client, auth.coordinator, "PUT", path, body, "rejection_reason")


async def _close_with(client: httpx.AsyncClient, auth: Auth, text: str) -> Result:
    mentee = unique("long_mentee_")
    await client.post("/api/v1/people", json={"id": mentee, "name": "M"}, headers=auth.admin)
    created = await client.post(
        "/api/v1/assignments",
        json={"mentor_id": "user_055", "contact_id": mentee, "org_id": "org_03"},
        headers=auth.admin,
    )
    path = f"/api/v1/assignments/{created.json()['assignment_id']}/status"
    return await _rest(
        client, auth.admin, "PATCH", path, {"status": "closed", "reason": text}, None
    )


@dataclass(frozen=True)
class TextField:
    name: str
    limit: int
    attempt: Attempt
    field: str  # the field a refusal names

    @property
    def refusal(self) -> str:
        """What a too-long value answers: GraphQL's code or REST's status."""
        door: str = getattr(self.attempt, "__qualname__", "")
        return "BAD_USER_INPUT" if door.startswith("graphql.") else "422"


PERSON = 'mutation($n: String!) { updatePerson(id: "user_042", input: {name: $n}) { name } }'
ORG = 'mutation($n: String!) { createOrganisation(input: {id: "org_long", name: $n}) { name } }'
TYPE = (
    "mutation($n: String!, $i: String!) { createActivityType(input: {id: $i, name: $n}) { name } }"
)
TYPE_TEXT = """mutation($d: String!) {
  updateActivityType(id: "type_other", input: {description: $d}) { description } }"""
DEFINITION = """mutation($n: String!) { createMilestoneDefinition(
  input: {type: HOURS_LOGGED, threshold: 4242, name: $n}) { name } }"""
KEY = """mutation($n: String!) {
  createApiKey(input: {name: $n, personId: "user_042", role: "peer_mentor"}) { apiKey { name } } }"""
LOG = "mutation($i: LogActivityInput!) { logActivity(input: $i) { activity { notes } } }"
NOTES = 'mutation($n: String) { updateAssignment(id: "asgn_001", input: {notes: $n}) { notes } }'

# fmt: off
FIELDS: tuple[TextField, ...] = (
    # directory
    TextField("person name (REST)", 200, rest("POST", "/api/v1/people", "admin",
              lambda t: {"id": unique("long_p"), "name": t}, "name"), "name"),
    TextField("person id (REST)", 64, rest("POST", "/api/v1/people", "admin",
              lambda t: {"id": t, "name": "Long Id"}, "id"), "id"),
    TextField("person name (GraphQL)", 200, graphql(PERSON, lambda t: {"n": t}, "updatePerson", "name"), "name"),
    TextField("organisation name", 200, graphql(ORG, lambda t: {"n": t}, "createOrganisation", "name"), "name"),
    TextField("API key name", 200, graphql(KEY, lambda t: {"n": t}, "createApiKey", "apiKey", "name"), "name"),
    # editorial
    TextField("editorial title", 500, rest("POST", "/v3/assignment", "editor",
              lambda t: {"title": t}, "title"), "title"),
    TextField("editorial slug", 255, rest("POST", "/v3/assignment", "editor",
              lambda t: {"title": "t", "slug": t}, "slug"), "slug"),
    TextField("editorial abstract", 10_000, rest("POST", "/v3/assignment", "editor",
              lambda t: {"title": "t", "abstract": t}, "abstract"), "abstract"),
    TextField("editorial notes", 50_000, rest("POST", "/v3/assignment", "editor",
              lambda t: {"title": "t", "notes": t}, "notes"), "notes"),
    TextField("editorial content", 1_000_000, rest("POST", "/v3/assignment", "editor",
              lambda t: {"title": "t", "content": t}, "content"), "content"),
    # activities
    TextField("activity notes (REST)", 4_000, rest("POST", "/api/v1/activities", "mentor",
              lambda t: _activity(notes=t), "notes"), "notes"),
    TextField("activity local_id", 64, rest("POST", "/api/v1/activities", "mentor",
              lambda t: {**_activity(), "local_id": t}, "local_id"), "local_id"),
    TextField("activity notes (GraphQL)", 4_000, graphql(LOG, lambda t: {"i": {
              "localId": unique("g-"), "activityTypeId": "type_call", "date": "2026-01-05",
              "durationMinutes": 30, "peerMentorId": "user_042", "notes": t}},
              "logActivity", "activity", "notes"), "notes"),
    TextField("rejection reason", 1_000, _reject_with, "rejection_reason"),
    TextField("activity type name", 200, graphql(TYPE, lambda t: {"n": t, "i": unique("type_l")},
              "createActivityType", "name"), "name"),
    TextField("activity type description", 1_000, graphql(TYPE_TEXT, lambda t: {"d": t},
              "updateActivityType", "description"), "description"),
    # mentoring
    TextField("assignment notes (REST)", 10_000, rest("PUT", "/api/v1/assignments/asgn_001", "admin",
              lambda t: {"notes": t}, "notes"), "notes"),
    TextField("assignment notes (GraphQL)", 10_000, graphql(NOTES, lambda t: {"n": t},
              "updateAssignment", "notes"), "notes"),
    TextField("assignment mentee id", 64, rest("POST", "/api/v1/assignments", "admin",
              lambda t: {"mentor_id": "user_042", "contact_id": t}, None), "contact_id"),
    TextField("status change reason", 2_000, _close_with, "reason"),
    # milestones
    TextField("milestone definition name", 200, graphql(DEFINITION, lambda t: {"n": t},
              "createMilestoneDefinition", "name"), "name"),
)
# fmt: on


@pytest.mark.parametrize("case", FIELDS, ids=[f.name for f in FIELDS])
async def test_text_at_the_limit_is_kept_whole_and_one_more_is_refused(
    client: httpx.AsyncClient, demo, auth: Auth, case: TextField
):
    at_limit = "x" * case.limit
    outcome, fields, stored = await case.attempt(client, auth, at_limit)
    if case.field.endswith("_id") and case.field != "local_id":
        # an unknown person, but the length itself was accepted
        assert (outcome, fields) == ("422", {case.field})
    else:
        assert outcome == "ok"
        assert stored in (at_limit, None)  # None: the answer does not echo it
    outcome, fields, _ = await case.attempt(client, auth, at_limit + "x")
    assert outcome == case.refusal
    assert fields == {case.field}


WEIRD = "😀 ñ e\u0301 \u202eevil\u202c \u200d 漢字 \U0001f9d1\u200d\U0001f4bb"


async def test_valid_unicode_round_trips_on_both_doors(client: httpx.AsyncClient, demo, auth):
    person = await client.post(
        "/api/v1/people", json={"id": "p_unicode", "name": WEIRD}, headers=auth.admin
    )
    assert person.json()["name"] == WEIRD
    fetched = await client.get("/api/v1/people/p_unicode", headers=auth.admin)
    assert fetched.json()["name"] == WEIRD
    story = await client.post("/v3/assignment", json={"title": WEIRD}, headers=auth.editor)
    assert story.json()["title"] == WEIRD
    logged = await client.post(
        "/api/v1/activities", json=_activity(notes=WEIRD), headers=auth.mentor()
    )
    assert logged.json()["notes"] == WEIRD
    outcome, _, name = await _graphql(
        client, auth.admin, '{ person(id: "p_unicode") { name } }', {}, ("person", "name")
    )
    assert (outcome, name) == ("ok", WEIRD)


@pytest.mark.parametrize(
    "person_id", ["😀", "user\u202e240_resu", "e\u0301", "a b", "x" * 65, "' OR 1=1 --"]
)
async def test_unusual_ids_are_unknown_or_refused(
    client: httpx.AsyncClient, demo, auth: Auth, person_id: str
):
    for path in ("/api/v1/people/", "/api/v1/assignments/", "/api/v1/activities/"):
        response = await client.get(path + person_id, headers=auth.admin)
        assert response.status_code == 404, (path, response.text)
    created = await client.post(
        "/api/v1/people", json={"id": person_id, "name": "X"}, headers=auth.admin
    )
    assert created.status_code == 422
    assert created.json()["errors"][0]["field"] == "id"
    found = await _graphql(
        client,
        auth.admin,
        "query($id: String!) { person(id: $id) { name } }",
        {"id": person_id},
        (),
    )
    assert found[0] == "NOT_FOUND"


@pytest.mark.parametrize("bad", ["\\u0000", "\\ud800", "\\udfff", "a\\u0000b", "\\ud83d"])
async def test_nul_and_lone_surrogates_in_json_are_refused(
    client: httpx.AsyncClient, demo, auth: Auth, bad: str
):
    raw = f'{{"title": "{bad}"}}'.encode()
    headers = {**auth.editor, "content-type": "application/json"}
    rest = await client.post("/v3/assignment", content=raw, headers=headers)
    assert rest.status_code == 400
    assert "NUL" in rest.json()["detail"]
    key = f'{{"id": "p_{bad}", "name": "n"}}'.encode()
    in_key = await client.post(
        "/api/v1/people", content=key, headers={**auth.admin, "content-type": "application/json"}
    )
    assert in_key.status_code == 400
    document = (
        '{"query": "query($v: String!) { person(id: $v) { name } }", "variables": {"v": "%s"}}'
    )
    graphql = await client.post(
        "/graphql",
        content=(document % bad).encode(),
        headers={**auth.admin, "content-type": "application/json"},
    )
    assert graphql.status_code == 400
    assert graphql.json()["code"] == "BAD_USER_INPUT"


async def test_nul_in_graphql_string_literals_is_refused(client: httpx.AsyncClient, demo, auth):
    for doc in (
        '{ person(id: "a\\u0000b") { name } }',
        'mutation { createPerson(input: {id: "p_nul", name: "a\\u0000"}) { name } }',
        '{ people(search: "\\u0000") { totalCount } }',
    ):
        outcome = await _graphql(client, auth.admin, doc, {}, ())
        assert outcome[0] == "BAD_USER_INPUT", doc
    # the GraphQL lexer itself refuses unpaired surrogate escapes
    outcome = await _graphql(client, auth.admin, '{ person(id: "\\ud800") { name } }', {}, ())
    assert outcome[0] == "GRAPHQL_PARSE_FAILED"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/people/user%00042",
        "/api/v1/people?search=%00",
        "/api/v1/assignments?mentor_id=user_042%00",
        "/v3/assignment/AAAAAAAA-1234-4567-7890-BBBBBBBBBBB%00",
        "/api/v1/milestones?mentor_id=%00",
    ],
)
async def test_nul_in_paths_and_queries_is_refused(
    client: httpx.AsyncClient, demo, auth: Auth, path: str
):
    # Before this rule ?search=%00 listed everybody on SQLite (its LIKE stops at NUL) and
    # any NUL reaching PostgreSQL was a 500.
    response = await client.get(path, headers=auth.admin)
    assert response.status_code == 400, response.text
