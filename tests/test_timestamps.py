"""One timestamp format per door, whatever precision a value was stored with: `/api/v1`
and GraphQL (queries, mutations and subscription events) write RFC 3339 in UTC with `Z`
and second precision (`2026-03-10T14:30:00Z`), `/v3` the CEO format
(`2016-12-15 21:12:28`, UTC). Every date-time in a few representative responses is
checked, including records written just now (with microseconds in the database)."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from tests.conftest import LiveServer
from tests.editorial_support import EXAMPLE, EXAMPLE_SRN
from tests.helpers import Auth, error_codes, gql, wait_for_subscribers

RFC3339_Z_SECONDS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z\Z")
CEO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\Z")
DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}\Z")
# Anything that starts like a date-time (the format of each door is checked on these).
LOOKS_LIKE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d")


def _times(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every (path, string) in a JSON value that is a date-time or a date."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _times(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _times(item, f"{path}[{index}]")
    elif isinstance(value, str) and (LOOKS_LIKE_TIME.match(value) or DATE_ONLY.match(value)):
        yield path, value


def _check(bodies: list[Any], form: re.Pattern[str]) -> list[str]:
    """Asserts every date-time of ``bodies`` has ``form`` (dates are date-only); returns
    the paths of the date-times checked."""
    checked: list[str] = []
    for index, body in enumerate(bodies):
        for path, text in _times(body, f"[{index}]"):
            if DATE_ONLY.match(text):
                continue
            assert form.match(text), (path, text)
            checked.append(path)
    return checked


def _fields(paths: list[str]) -> set[str]:
    return {re.split(r"[.\[]", path.rsplit(".", 1)[-1])[0] for path in paths}


async def test_api_v1_writes_utc_z_with_second_precision(
    client: httpx.AsyncClient, demo, auth: Auth
):
    mentor = auth.mentor("mentor_4b8c21")
    activity = {
        "local_id": "ts_1",
        "activity_type_id": "type_running",
        "date": "2026-03-25",
        "duration_minutes": 30,
    }
    created = await client.post("/api/v1/activities", json=activity, headers=mentor)
    assert created.status_code == 201, created.text
    contact = await client.put(
        "/api/v1/assignments/asgn_001/last-contact",
        json={"contact_type": "call"},
        headers=auth.admin,
    )
    assert contact.status_code == 200, contact.text
    milestone = await client.put(
        "/api/v1/milestones/milestone_500h",
        json={"status": "achieved", "achieved_value": 505},
        headers=auth.coordinator,
    )
    assert milestone.status_code == 200, milestone.text
    bodies = [created.json(), contact.json(), milestone.json()]
    for path in (
        "/api/v1/activities?limit=100",
        "/api/v1/assignments?status=all&limit=100",
        "/api/v1/milestones?limit=100",
        "/api/v1/people?limit=100",
    ):
        response = await client.get(path, headers=auth.admin)
        assert response.status_code == 200, (path, response.text)
        bodies.append(response.json())
    checked = _check(bodies, RFC3339_Z_SECONDS)
    assert {"created_at", "updated_at", "last_contact_date", "achieved_at"} <= _fields(checked)
    assert {"assigned_date", "created_at"} <= _fields(_check(bodies[4:5], RFC3339_Z_SECONDS))


async def test_v3_writes_the_ceo_format(client: httpx.AsyncClient, demo, auth: Auth):
    lock = await client.post("/v3/lock-request", json={"srn": EXAMPLE_SRN}, headers=auth.editor)
    assert lock.status_code == 200, lock.text
    one = await client.get(f"/v3/assignment/{EXAMPLE}", headers=auth.editor)
    listed = await client.get("/v3/assignment?per_page=100", headers=auth.editor)
    assert (one.status_code, listed.status_code) == (200, 200)
    checked = _check([lock.json(), one.json(), listed.json()], CEO_TIME)
    assert {"created_at", "modified_at", "expires_at", "due_at"} <= _fields(checked)


GRAPHQL_READS = """
query {
  activities(first: 100) { nodes { createdAt updatedAt decidedAt } }
  assignments(first: 100, status: ALL) {
    nodes { startDate lastContactAt closedAt createdAt updatedAt
            contacts(last: 5) { contactAt recordedAt } }
  }
  milestones(first: 100) { nodes { achievedAt detectedAt createdAt updatedAt } }
  editorialAssignments(first: 100) {
    nodes { createdAt modifiedAt publishedAt dueAt lock { createdAt modifiedAt expiresAt } }
  }
}"""


async def test_graphql_writes_one_format(client: httpx.AsyncClient, demo, auth: Auth):
    lock = await gql(
        client,
        "mutation ($srn: String!) { acquireEditorialLock(srn: $srn) "
        "{ createdAt modifiedAt expiresAt } }",
        {"srn": EXAMPLE_SRN},
        auth.admin,
    )
    logged = await gql(
        client,
        "mutation ($input: LogActivityInput!) { logActivity(input: $input) "
        "{ activity { createdAt updatedAt } } }",
        {
            "input": {
                "localId": "ts_2",
                "peerMentorId": "mentor_4b8c21",
                "activityTypeId": "type_running",
                "date": "2026-03-25",
                "durationMinutes": 30,
            }
        },
        auth.admin,
    )
    contact = await gql(
        client,
        'mutation { recordContact(id: "asgn_001", contactType: CALL, '
        'contactAt: "2026-03-10T15:30:00.250+01:00") { lastContactAt updatedAt } }',
        headers=auth.admin,
    )
    reads = await gql(client, GRAPHQL_READS, headers=auth.admin)
    bodies = [lock, logged, contact, reads]
    for body in bodies:
        assert "errors" not in body, body
    checked = _check(bodies, RFC3339_Z_SECONDS)
    assert {"expiresAt", "modifiedAt", "createdAt", "startDate", "achievedAt"} <= _fields(checked)
    # An input with an offset and a fraction is read as UTC and written back in the format.
    assert contact["data"]["recordContact"]["lastContactAt"] == "2026-03-10T14:30:00Z"
    # One without an offset says nothing about its zone: refused, literal or variable.
    naive = "2026-03-10T15:30:00"
    as_literal = await gql(
        client,
        f'mutation {{ recordContact(id: "asgn_001", contactType: CALL, contactAt: "{naive}") '
        "{ lastContactAt } }",
        headers=auth.admin,
    )
    as_variable = await gql(
        client,
        'mutation ($at: DateTime) { recordContact(id: "asgn_001", contactType: CALL, '
        "contactAt: $at) { lastContactAt } }",
        {"at": naive},
        auth.admin,
    )
    for refused in (as_literal, as_variable):
        assert refused["data"] is None
        assert error_codes(refused) == ["BAD_USER_INPUT"], refused
        assert "must be an RFC 3339 date-time" in refused["errors"][0]["message"]


async def test_a_subscription_event_writes_what_the_mutation_wrote(
    live_server: LiveServer, demo, auth: Auth
):
    protocol = Subprotocol("graphql-transport-ws")
    query = "subscription { lockChanged { kind expiresAt } }"
    before = live_server.app.state.events.subscriber_count
    async with (
        connect(f"ws://{live_server.url}/graphql", subprotocols=[protocol]) as ws,
        httpx.AsyncClient(base_url=f"http://{live_server.url}") as http,
    ):
        await ws.send(json.dumps({"type": "connection_init", "payload": auth.editor}))
        assert json.loads(await asyncio.wait_for(ws.recv(), timeout=5))["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
        await wait_for_subscribers(live_server.app, before + 1)
        acquired = await http.post(
            "/graphql",
            json={
                "query": "mutation ($srn: String!) { acquireEditorialLock(srn: $srn) "
                "{ expiresAt } }",
                "variables": {"srn": EXAMPLE_SRN},
            },
            headers=auth.editor,
        )
        expires = acquired.json()["data"]["acquireEditorialLock"]["expiresAt"]
        message = json.loads(await asyncio.wait_for(ws.recv(), timeout=5))
    assert message["type"] == "next", message
    assert message["payload"]["data"]["lockChanged"] == {"kind": "ACQUIRED", "expiresAt": expires}
    assert RFC3339_Z_SECONDS.match(expires), expires
