"""Bad input to activities, through both doors: always a 422 / BAD_USER_INPUT naming the
field (never a 500, never clamped), and nothing is written."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from app.db import Database
from app.models.activities import Activity
from app.timeutil import utcnow
from tests.helpers import Auth, error_codes, gql

BASE = "/api/v1/activities"
MENTOR = "mentor_4b8c21"
GRAPHQL_NAMES = {
    "local_id": "localId",
    "peer_mentor_id": "peerMentorId",
    "activity_type_id": "activityTypeId",
    "duration_minutes": "durationMinutes",
}
LOG = "mutation($input: LogActivityInput!) { logActivity(input: $input) { created } }"


def valid(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "local_id": "v_local",
        "peer_mentor_id": MENTOR,
        "activity_type_id": "type_meeting",
        "date": "2026-11-02",
        "duration_minutes": 60,
        "notes": "Coffee and a long talk",
    }
    body.update(changes)
    return body


def in_days(days: int) -> str:
    return (utcnow().date() + timedelta(days=days)).isoformat()


async def count(db: Database) -> int:
    async with db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(Activity)) or 0)


BAD = [
    ("duration zero", {"duration_minutes": 0}, "duration_minutes"),
    ("duration negative", {"duration_minutes": -30}, "duration_minutes"),
    ("duration over a day", {"duration_minutes": 1441}, "duration_minutes"),
    ("date with slashes", {"date": "2026/11/02"}, "date"),
    ("date day first", {"date": "02-11-2026"}, "date"),
    ("date without zero padding", {"date": "2026-11-2"}, "date"),
    ("date not in the calendar", {"date": "2026-02-30"}, "date"),
    ("date with time", {"date": "2026-11-02T10:00:00Z"}, "date"),
    ("date empty", {"date": ""}, "date"),
    ("date after tomorrow", {"date": in_days(2)}, "date"),
    ("date far ahead", {"date": "2999-01-01"}, "date"),
    ("unknown activity type", {"activity_type_id": "type_juggling"}, "activity_type_id"),
    ("empty activity type", {"activity_type_id": ""}, "activity_type_id"),
    ("notes over 4000", {"notes": "n" * 4001}, "notes"),
    ("local_id over 64", {"local_id": "L" * 65}, "local_id"),
    ("local_id empty", {"local_id": ""}, "local_id"),
    ("local_id with spaces", {"local_id": "local id"}, "local_id"),
    ("local_id control character", {"local_id": "local\n1"}, "local_id"),
    ("mentor id malformed", {"peer_mentor_id": "no such mentor!"}, "peer_mentor_id"),
]


@pytest.mark.parametrize(("case", "change", "field"), BAD, ids=[b[0] for b in BAD])
async def test_bad_input_over_rest(client, demo, db, auth: Auth, case, change, field):
    before = await count(db)
    response = await client.post(BASE, json=valid(**change), headers=auth.admin)
    assert response.status_code == 422, (case, response.text)
    body = response.json()
    assert body["code"] == "BAD_USER_INPUT"
    assert field in {e["field"] for e in body["errors"]}, body
    assert await count(db) == before


@pytest.mark.parametrize(("case", "change", "field"), BAD, ids=[b[0] for b in BAD])
async def test_bad_input_over_graphql(client, demo, db, auth: Auth, case, change, field):
    before = await count(db)
    item = {GRAPHQL_NAMES.get(k, k): v for k, v in valid(**change).items()}
    body = await gql(client, LOG, {"input": item}, auth.admin)
    assert error_codes(body) == ["BAD_USER_INPUT"], (case, body)
    fields = {e["field"] for e in body["errors"][0]["extensions"]["errors"]}
    assert GRAPHQL_NAMES.get(field, field) in fields
    assert await count(db) == before


@pytest.mark.parametrize("value", [45.5, "45", True, None, [45]])
async def test_duration_must_be_an_integer_over_rest(client, demo, db, auth: Auth, value):
    before = await count(db)
    response = await client.post(BASE, json=valid(duration_minutes=value), headers=auth.admin)
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["duration_minutes"]
    assert await count(db) == before


@pytest.mark.parametrize("value", [45.5, "45", True])
async def test_duration_must_be_an_integer_over_graphql(client, demo, db, auth: Auth, value):
    before = await count(db)
    item = {GRAPHQL_NAMES.get(k, k): v for k, v in valid(duration_minutes=value).items()}
    body = await gql(client, LOG, {"input": item}, auth.admin)
    assert body.get("data") is None
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert "durationMinutes" in body["errors"][0]["message"]
    assert await count(db) == before


@pytest.mark.parametrize(
    "change",
    [
        {"duration_minutes": 1},
        {"duration_minutes": 1440},
        {"date": in_days(1)},
        {"date": "2020-02-29"},
        {"notes": "n" * 4000},
        {"notes": None},
        {"local_id": "L" * 64},
        {"local_id": "7f9c0b52-2f4e-4c1e-9b7a-0e6f5c3d2a11"},
    ],
)
async def test_boundaries_are_accepted(client, demo, auth: Auth, change):
    response = await client.post(BASE, json=valid(**change), headers=auth.mentor(MENTOR))
    assert response.status_code == 201, response.text


async def test_all_invalid_fields_are_named_at_once(client, demo, auth: Auth):
    response = await client.post(
        BASE,
        json=valid(local_id="", date="tomorrow", duration_minutes=0, notes="n" * 4000),
        headers=auth.mentor(MENTOR),
    )
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {
        "local_id",
        "date",
        "duration_minutes",
    }
    # Text over its bound is refused at the edge, before the rules of the record are read.
    too_long = await client.post(
        BASE, json=valid(local_id="", notes="n" * 4001), headers=auth.mentor(MENTOR)
    )
    assert too_long.status_code == 422
    assert too_long.json()["errors"] == [
        {"field": "notes", "message": "must be at most 4000 characters"}
    ]


@pytest.mark.parametrize("missing", ["local_id", "activity_type_id", "date", "duration_minutes"])
async def test_required_fields(client, demo, auth: Auth, missing):
    body = valid()
    del body[missing]
    response = await client.post(BASE, json=body, headers=auth.mentor(MENTOR))
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [missing]


async def test_unknown_fields_are_named(client, demo, auth: Auth):
    response = await client.post(
        BASE, json=valid(mood="great", duration=5), headers=auth.mentor(MENTOR)
    )
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"mood", "duration"}


async def test_unknown_mentor(client, demo, db, auth: Auth):
    before = await count(db)
    for headers, mentor in (
        (auth.coordinator, "mentor_nobody"),
        (auth.admin, "mentor_nobody"),
        (auth.admin, "user_088"),  # a mentee, not a peer mentor
    ):
        response = await client.post(BASE, json=valid(peer_mentor_id=mentor), headers=headers)
        assert response.status_code == 422, response.text
        assert [e["field"] for e in response.json()["errors"]] == ["peer_mentor_id"]
        item = {GRAPHQL_NAMES.get(k, k): v for k, v in valid(peer_mentor_id=mentor).items()}
        body = await gql(client, LOG, {"input": item}, headers)
        assert error_codes(body) == ["BAD_USER_INPUT"]
        assert body["errors"][0]["extensions"]["errors"][0]["field"] == "peerMentorId"
    # A peer mentor naming anyone but themselves is refused before any look-up.
    response = await client.post(
        BASE, json=valid(peer_mentor_id="mentor_nobody"), headers=auth.mentor(MENTOR)
    )
    assert response.status_code == 403
    assert await count(db) == before


async def test_from_after_to_is_refused_by_both_doors(client, demo, auth: Auth):
    response = await client.get(f"{BASE}?from=2025-12-31&to=2025-01-01", headers=auth.admin)
    assert response.status_code == 400
    assert "from" in response.json()["detail"]
    body = await gql(
        client,
        '{ activities(from: "2025-12-31", to: "2025-01-01") { totalCount } }',
        headers=auth.admin,
    )
    assert error_codes(body) == ["BAD_USER_INPUT"]
    totals = await gql(
        client,
        '{ mentorActivityTotals(mentorId: "mentor_001", from: "2025-12-31", to: "2025-01-01") { hours } }',
        headers=auth.admin,
    )
    assert error_codes(totals) == ["BAD_USER_INPUT"]
    same_day = await client.get(f"{BASE}?from=2025-07-14&to=2025-07-14", headers=auth.admin)
    assert same_day.status_code == 200


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        ("{not json", "application/json", 400),
        ("[1, 2]", "application/json", 400),
        ("local_id=x", "application/x-www-form-urlencoded", 415),
    ],
)
async def test_malformed_bodies(client, demo, auth: Auth, body, content_type, status):
    response = await client.post(
        BASE,
        content=body,
        headers={**auth.mentor(MENTOR), "Content-Type": content_type},
    )
    assert response.status_code == status
