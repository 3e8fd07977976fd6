"""Every example request of contracts 000 and 001, sent verbatim (doubled paths as printed),
answers the documented fields with the documented types, against the demo data."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import Auth

DOUBLED = "/api/v1/assignments/api/v1/assignments"
CANONICAL = "/api/v1/assignments"


# Fields the contracts show as null somewhere: null is a documented value for them.
NULLABLE = {"last_contact_date", "days_since_contact", "closed_date", "escalation_sent_at"}


def assert_shape(actual: Any, example: Any, path: str = "$") -> None:
    """``actual`` has every field of ``example`` with the same JSON type (a ``null`` in
    the example allows null or the field's type; fields in NULLABLE may be null)."""
    if actual is None and path.rsplit(".", 1)[-1] in NULLABLE:
        return
    if isinstance(example, dict):
        assert isinstance(actual, dict), path
        for key, value in example.items():
            assert key in actual, f"{path}.{key} missing"
            assert_shape(actual[key], value, f"{path}.{key}")
    elif isinstance(example, list):
        assert isinstance(actual, list), path
        for item in actual:
            assert_shape(item, example[0], f"{path}[]")
    elif example is None:
        kind = int if path.endswith(".days_since_contact") else str
        assert actual is None or type(actual) is kind, path
    else:
        assert type(actual) is type(example), f"{path}: {actual!r} is not like {example!r}"


# --- contract 000 ---------------------------------------------------------------------------

LIST_000: dict[str, Any] = {
    "data": [
        {
            "assignment_id": "asgn_001",
            "mentee_name": "Lars Eriksson",
            "peer_mentor_id": "user_042",
            "status": "active",
            "last_contact_date": "2026-03-10T14:30:00Z",
            "days_since_contact": 16,
            "created_at": "2026-01-15T09:00:00Z",
        }
    ],
    "pagination": {"page": 1, "limit": 20, "total": 47},
}
GET_000: dict[str, Any] = {
    "assignment_id": "asgn_001",
    "mentee_name": "Lars Eriksson",
    "peer_mentor_id": "user_042",
    "coordinator_id": "user_007",
    "org_id": "org_03",
    "status": "active",
    "last_contact_date": "2026-03-10T14:30:00Z",
    "days_since_contact": 16,
    "reminder_sent_at": "2026-03-18T08:00:00Z",
    "escalation_sent_at": None,
    "created_at": "2026-01-15T09:00:00Z",
    "updated_at": "2026-03-18T08:00:01Z",
}
POST_000: dict[str, Any] = {
    "mentee_id": "user_088",
    "peer_mentor_id": "user_042",
    "coordinator_id": "user_007",
    "org_id": "org_03",
    "start_date": "2026-03-26",
}
POST_000_RESPONSE: dict[str, Any] = {
    "assignment_id": "asgn_048",
    "mentee_name": "Bjørn Solberg",
    "peer_mentor_id": "user_042",
    "status": "active",
    "last_contact_date": None,
    "created_at": "2026-03-26T10:00:00Z",
}
PUT_000: dict[str, Any] = {"status": "completed", "peer_mentor_id": "user_055"}
PUT_000_RESPONSE: dict[str, Any] = {
    "assignment_id": "asgn_001",
    "status": "completed",
    "peer_mentor_id": "user_055",
    "updated_at": "2026-03-26T10:05:00Z",
}
LAST_CONTACT: dict[str, Any] = {"contact_date": "2026-03-26T09:45:00Z", "contact_type": "message"}
LAST_CONTACT_RESPONSE: dict[str, Any] = {
    "assignment_id": "asgn_001",
    "last_contact_date": "2026-03-26T09:45:00Z",
    "days_since_contact": 0,
    "updated_at": "2026-03-26T09:45:01Z",
}
OVERDUE_000: dict[str, Any] = {
    "data": [
        {
            "assignment_id": "asgn_002",
            "mentee_name": "Ingrid Halvorsen",
            "peer_mentor_id": "user_019",
            "last_contact_date": None,
            "days_since_contact": None,
        }
    ],
    "pagination": {"page": 1, "limit": 20, "total": 3},
}

# --- contract 001 ---------------------------------------------------------------------------

LIST_001: dict[str, Any] = {
    "data": [
        {
            "assignment_id": "assign_001aa",
            "mentor_id": "mentor_a1b2c3",
            "contact_id": "contact_xyz123",
            "contact_name": "Per Olsen",
            "status": "open",
            "assigned_date": "2025-11-01T00:00:00Z",
            "last_contact_date": "2026-03-20T00:00:00Z",
            "created_at": "2025-11-01T08:00:00Z",
        }
    ],
    "pagination": {"page": 1, "limit": 20, "total": 5},
}
GET_001: dict[str, Any] = {
    "assignment_id": "assign_001aa",
    "mentor_id": "mentor_a1b2c3",
    "contact_id": "contact_xyz123",
    "contact_name": "Per Olsen",
    "status": "open",
    "notes": "Initial assessment completed. Weekly meetings ongoing.",
    "assigned_date": "2025-11-01T00:00:00Z",
    "last_contact_date": "2026-03-20T00:00:00Z",
    "created_at": "2025-11-01T08:00:00Z",
    "updated_at": "2026-03-20T15:00:00Z",
}
POST_001: dict[str, Any] = {
    "mentor_id": "mentor_a1b2c3",
    "contact_id": "contact_def789",
    "notes": "Referred by case worker. First meeting scheduled.",
    "assigned_date": "2026-03-26T00:00:00Z",
}
POST_001_RESPONSE: dict[str, Any] = {
    "assignment_id": "assign_003cc",
    "mentor_id": "mentor_a1b2c3",
    "contact_id": "contact_def789",
    "status": "open",
    "assigned_date": "2026-03-26T00:00:00Z",
    "created_at": "2026-03-26T10:00:00Z",
}
PUT_001: dict[str, Any] = {
    "notes": "Escalated — contact requires specialist referral",
    "last_contact_date": "2026-03-25T00:00:00Z",
}
PUT_001_RESPONSE: dict[str, Any] = {
    "assignment_id": "assign_001aa",
    "notes": "Escalated — contact requires specialist referral",
    "last_contact_date": "2026-03-25T00:00:00Z",
    "updated_at": "2026-03-26T10:10:00Z",
}
ACTIVE_001: dict[str, Any] = {
    "data": [
        {
            "assignment_id": "assign_001aa",
            "contact_id": "contact_xyz123",
            "contact_name": "Per Olsen",
            "status": "open",
            "assigned_date": "2025-11-01T00:00:00Z",
            "last_contact_date": "2026-03-20T00:00:00Z",
        }
    ],
    "pagination": {"page": 1, "limit": 20, "total": 2},
}
HISTORY_001: dict[str, Any] = {
    "data": [
        {
            "assignment_id": "assign_000zz",
            "contact_id": "contact_old001",
            "contact_name": "Anna Pettersen",
            "status": "closed",
            "assigned_date": "2024-06-01T00:00:00Z",
            "closed_date": "2024-12-15T00:00:00Z",
        }
    ],
    "pagination": {"page": 1, "limit": 20, "total": 7},
}
PATCH_001: dict[str, Any] = {
    "status": "closed",
    "reason": "Contact successfully integrated into community support network",
}
PATCH_001_RESPONSE: dict[str, Any] = {
    "assignment_id": "assign_001aa",
    "status": "closed",
    "closed_date": "2026-03-26T10:00:00Z",
    "updated_at": "2026-03-26T10:00:00Z",
}


@pytest.mark.parametrize("base", [DOUBLED, CANONICAL])
async def test_000_list(client, demo, auth: Auth, base):
    response = await client.get(base, headers=auth.coordinator)
    assert response.status_code == 200
    body = response.json()
    assert_shape(body, LIST_000)
    by_id = {item["assignment_id"]: item for item in body["data"]}
    assert {k: by_id["asgn_001"][k] for k in LIST_000["data"][0] if k != "days_since_contact"} == {
        k: v for k, v in LIST_000["data"][0].items() if k != "days_since_contact"
    }
    assert by_id["asgn_002"]["last_contact_date"] is None
    assert by_id["asgn_002"]["days_since_contact"] is None
    assert all(item["status"] in ("active", "open") for item in body["data"])


@pytest.mark.parametrize("base", [DOUBLED, CANONICAL])
async def test_000_get(client, demo, auth: Auth, base):
    response = await client.get(f"{base}/asgn_001", headers=auth.coordinator)
    assert response.status_code == 200
    assert response.headers["etag"] == '"1"'
    body = response.json()
    assert_shape(body, GET_000)
    assert {k: v for k, v in body.items() if k in GET_000 and k != "days_since_contact"} == {
        k: v for k, v in GET_000.items() if k != "days_since_contact"
    }
    assert body["days_since_contact"] >= 16


async def test_000_create(client, demo, auth: Auth):
    response = await client.post(DOUBLED, json=POST_000, headers=auth.coordinator)
    assert response.status_code == 201, response.text
    body = response.json()
    assert_shape(body, POST_000_RESPONSE)
    assert body["assignment_id"].startswith("asgn_")
    assert body["mentee_name"] == "Bjørn Solberg"
    assert body["status"] == "active"
    assert body["start_date"] == "2026-03-26"
    assert body["assigned_date"] == "2026-03-26T00:00:00Z"
    assert body["created_at"].endswith("Z")
    fetched = await client.get(f"{CANONICAL}/{body['assignment_id']}", headers=auth.admin)
    assert fetched.json()["coordinator_id"] == "user_007"


async def test_000_update(client, demo, auth: Auth):
    response = await client.put(f"{DOUBLED}/asgn_001", json=PUT_000, headers=auth.coordinator)
    assert response.status_code == 200, response.text
    body = response.json()
    assert_shape(body, PUT_000_RESPONSE)
    assert (body["status"], body["peer_mentor_id"], body["mentor_id"]) == (
        "completed",
        "user_055",
        "user_055",
    )
    assert body["closed_date"] is not None
    assert response.headers["etag"] == '"2"'


async def test_000_delete(client, demo, auth: Auth):
    response = await client.delete(f"{DOUBLED}/asgn_001", headers=auth.coordinator)
    assert response.status_code == 200
    assert response.json() == {"deleted": True, "assignment_id": "asgn_001"}
    assert (await client.get(f"{CANONICAL}/asgn_001", headers=auth.admin)).status_code == 404
    listed = (await client.get(f"{CANONICAL}?status=all&limit=100", headers=auth.admin)).json()
    assert "asgn_001" not in {item["assignment_id"] for item in listed["data"]}


async def test_000_last_contact(client, demo, auth: Auth):
    response = await client.put(
        f"{DOUBLED}/asgn_001/last-contact", json=LAST_CONTACT, headers=auth.mentor("user_042")
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert_shape(body, LAST_CONTACT_RESPONSE)
    assert body["last_contact_date"] == "2026-03-26T09:45:00Z"
    assert body["days_since_contact"] >= 0
    # the follow-up clock restarted: the reminder of the previous gap no longer counts
    assert body["reminder_sent_at"] is None


async def test_000_overdue(client, demo, auth: Auth):
    response = await client.get(f"{DOUBLED}/overdue", headers=auth.coordinator)
    assert response.status_code == 200
    body = response.json()
    assert_shape(body, OVERDUE_000)
    ids = [item["assignment_id"] for item in body["data"]]
    assert "asgn_002" in ids
    gaps = [item["last_contact_date"] or item["assigned_date"] for item in body["data"]]
    assert gaps == sorted(gaps), "oldest contact first"


@pytest.mark.parametrize("base", [DOUBLED, CANONICAL])
async def test_001_list(client, demo, auth: Auth, base):
    response = await client.get(f"{base}?mentor_id=mentor_a1b2c3", headers=auth.coordinator)
    assert response.status_code == 200
    body = response.json()
    assert_shape(body, LIST_001)
    assert [item["assignment_id"] for item in body["data"]] == ["assign_001aa", "assign_002bb"]
    assert body["data"][0] == {**body["data"][0], **LIST_001["data"][0]}
    assert body["data"][1]["contact_name"] == "Liv Svendsen"
    assert body["data"][1]["last_contact_date"] == "2026-03-18T00:00:00Z"


@pytest.mark.parametrize("base", [DOUBLED, CANONICAL])
async def test_001_get(client, demo, auth: Auth, base):
    response = await client.get(f"{base}/assign_001aa", headers=auth.mentor("mentor_a1b2c3"))
    assert response.status_code == 200
    body = response.json()
    assert_shape(body, GET_001)
    assert body == {**body, **GET_001}


async def test_001_create(client, demo, auth: Auth):
    response = await client.post(DOUBLED, json=POST_001, headers=auth.coordinator)
    assert response.status_code == 201, response.text
    body = response.json()
    assert_shape(body, POST_001_RESPONSE)
    assert body["status"] == "open"
    assert body["assigned_date"] == "2026-03-26T00:00:00Z"
    assert body["contact_name"] == "Nils Bakken"
    assert body["org_id"] == "org_03", "taken from the organisation mentor and contact share"
    assert body["notes"] == POST_001["notes"]


async def test_001_update(client, demo, auth: Auth):
    response = await client.put(
        f"{DOUBLED}/assign_001aa", json=PUT_001, headers=auth.mentor("mentor_a1b2c3")
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert_shape(body, PUT_001_RESPONSE)
    assert body == {**body, **{k: v for k, v in PUT_001_RESPONSE.items() if k != "updated_at"}}


async def test_001_delete(client, demo, auth: Auth):
    response = await client.delete(f"{DOUBLED}/assign_001aa", headers=auth.coordinator)
    assert response.json() == {"deleted": True, "assignment_id": "assign_001aa"}


async def test_001_mentor_active(client, demo, auth: Auth):
    response = await client.get(
        f"{DOUBLED}/mentor/mentor_a1b2c3/active", headers=auth.mentor("mentor_a1b2c3")
    )
    assert response.status_code == 200
    body = response.json()
    assert_shape(body, ACTIVE_001)
    assert [item["assignment_id"] for item in body["data"]] == ["assign_001aa", "assign_002bb"]
    assert body["pagination"] == {"page": 1, "limit": 20, "total": 2}


async def test_001_mentor_history(client, demo, auth: Auth):
    response = await client.get(f"{DOUBLED}/mentor/mentor_a1b2c3/history", headers=auth.coordinator)
    assert response.status_code == 200
    body = response.json()
    assert_shape(body, HISTORY_001)
    assert [item["assignment_id"] for item in body["data"]] == [
        "assign_002bb",
        "assign_001aa",
        "assign_000zz",
    ]
    assert body["data"][2] == {**body["data"][2], **HISTORY_001["data"][0]}


async def test_001_open_count(client, demo, auth: Auth):
    response = await client.get(
        f"{DOUBLED}/mentor/mentor_a1b2c3/open-count", headers=auth.coordinator
    )
    assert response.status_code == 200
    assert response.json() == {
        "mentor_id": "mentor_a1b2c3",
        "peer_mentor_id": "mentor_a1b2c3",
        "open_assignment_count": 2,
    }


async def test_001_status(client, demo, auth: Auth):
    response = await client.patch(
        f"{DOUBLED}/assign_001aa/status", json=PATCH_001, headers=auth.coordinator
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert_shape(body, PATCH_001_RESPONSE)
    assert body["status"] == "closed"
    assert body["closed_date"].endswith("Z")
    count = await client.get(f"{CANONICAL}/mentor/mentor_a1b2c3/open-count", headers=auth.admin)
    assert count.json()["open_assignment_count"] == 1
