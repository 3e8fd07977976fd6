"""Contract 002 over REST: the documented examples verbatim, lists, filters, edits,
decisions, deletes and who may do what."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import Auth

BASE = "/api/v1/activities"
PATHS = (BASE, BASE + BASE)
DOCUMENTED = {
    "id",
    "local_id",
    "peer_mentor_id",
    "activity_type_id",
    "date",
    "duration_minutes",
    "status",
    "notes",
    "created_at",
    "updated_at",
}
EXAMPLE_RECORD = {
    "id": "act_9f3a12bc",
    "local_id": "local_7e2d1a",
    "peer_mentor_id": "mentor_4b8c21",
    "activity_type_id": "type_running",
    "date": "2026-03-25",
    "duration_minutes": 45,
    "status": "confirmed",
    "notes": "Morning run along the river",
    "created_at": "2026-03-25T08:15:00Z",
    "updated_at": "2026-03-25T08:16:42Z",
}
POST_EXAMPLE = {
    "local_id": "local_7e2d1a",
    "peer_mentor_id": "mentor_4b8c21",
    "activity_type_id": "type_running",
    "date": "2026-03-25",
    "duration_minutes": 45,
    "notes": "Morning run along the river",
}
PUT_EXAMPLE = {
    "activity_type_id": "type_cycling",
    "date": "2026-03-25",
    "duration_minutes": 60,
    "status": "confirmed",
    "notes": "Switched to cycling session",
}


def documented(body: dict[str, Any]) -> dict[str, Any]:
    return {k: body[k] for k in DOCUMENTED}


@pytest.mark.parametrize("path", PATHS)
async def test_get_example_record(client, demo, auth: Auth, path):
    response = await client.get(f"{path}/act_9f3a12bc", headers=auth.mentor("mentor_4b8c21"))
    assert response.status_code == 200, response.text
    assert documented(response.json()) == EXAMPLE_RECORD
    assert response.headers["etag"] == f'"{response.json()["version"]}"'


@pytest.mark.parametrize("path", PATHS)
async def test_list_example(client, demo, auth: Auth, path):
    response = await client.get(path, headers=auth.mentor("mentor_4b8c21"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["pagination"] == {"page": 1, "limit": 20, "total": 47}
    assert documented(body["data"][0]) == EXAMPLE_RECORD
    assert len(body["data"]) == 20


async def _drop_example(db) -> None:
    """Remove the seeded example so the POST example creates it afresh."""
    from sqlalchemy import delete

    from app.models.activities import Activity

    async with db.write() as session:
        await session.execute(delete(Activity).where(Activity.id == "act_9f3a12bc"))


@pytest.mark.parametrize("path", PATHS)
async def test_post_example_verbatim_creates_pending(client, demo, db, auth: Auth, path):
    await _drop_example(db)
    response = await client.post(path, json=POST_EXAMPLE, headers=auth.mentor("mentor_4b8c21"))
    assert response.status_code == 201, response.text
    body = response.json()
    assert {k: body[k] for k in POST_EXAMPLE} == POST_EXAMPLE
    assert body["status"] == "pending"
    assert body["id"].startswith("act_")
    assert body["created_at"] == body["updated_at"]
    assert body["created_at"].endswith("Z")
    assert response.headers["etag"] == '"1"'
    fetched = await client.get(f"{BASE}/{body['id']}", headers=auth.mentor("mentor_4b8c21"))
    assert fetched.json() == body


async def test_post_example_against_demo_data_is_a_replay(client, demo, auth: Auth):
    """The demo holds the example record, made from this very insert: a retry."""
    response = await client.post(BASE, json=POST_EXAMPLE, headers=auth.mentor("mentor_4b8c21"))
    assert response.status_code == 200, response.text
    assert documented(response.json()) == EXAMPLE_RECORD


@pytest.mark.parametrize("path", PATHS)
async def test_put_example_verbatim_by_coordinator(client, demo, auth: Auth, path):
    response = await client.put(f"{path}/act_9f3a12bc", json=PUT_EXAMPLE, headers=auth.coordinator)
    assert response.status_code == 200, response.text
    body = response.json()
    assert {k: body[k] for k in PUT_EXAMPLE} == PUT_EXAMPLE
    assert body["id"] == "act_9f3a12bc"
    assert body["local_id"] == "local_7e2d1a"
    assert body["created_at"] == "2026-03-25T08:15:00Z"
    assert body["updated_at"] > "2026-03-25T08:16:42Z"
    assert response.headers["etag"] == f'"{body["version"]}"'


async def test_put_confirms_a_pending_insert(client, demo, auth: Auth):
    created = await client.post(
        BASE, json={**POST_EXAMPLE, "local_id": "local_new1"}, headers=auth.mentor("mentor_4b8c21")
    )
    assert created.json()["status"] == "pending"
    activity_id = created.json()["id"]
    confirmed = await client.put(
        f"{BASE}/{activity_id}", json={"status": "confirmed"}, headers=auth.coordinator
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "confirmed"
    assert confirmed.json()["duration_minutes"] == 45


@pytest.mark.parametrize("path", PATHS)
async def test_delete_example_verbatim(client, demo, auth: Auth, path):
    response = await client.delete(f"{path}/act_9f3a12bc", headers=auth.coordinator)
    assert response.status_code == 200, response.text
    assert response.json() == {"deleted": True, "id": "act_9f3a12bc"}
    mentor = auth.mentor("mentor_4b8c21")
    assert (await client.get(f"{BASE}/act_9f3a12bc", headers=mentor)).status_code == 404
    listing = (await client.get(BASE, headers=mentor)).json()
    assert listing["pagination"]["total"] == 46
    assert (
        await client.delete(f"{BASE}/act_9f3a12bc", headers=auth.coordinator)
    ).status_code == 404


async def test_unknown_activity_is_404(client, demo, auth: Auth):
    for method in ("GET", "PUT", "DELETE"):
        kwargs: dict[str, Any] = {"json": {"notes": "x"}} if method == "PUT" else {}
        response = await client.request(
            method, f"{BASE}/act_000000000000", headers=auth.admin, **kwargs
        )
        assert response.status_code == 404, method
        assert response.json()["code"] == "NOT_FOUND"


async def test_requests_without_token_are_401(client, demo):
    assert (await client.get(BASE)).status_code == 401
    assert (await client.post(BASE, json=POST_EXAMPLE)).status_code == 401


# --- lists ----------------------------------------------------------------------------------


async def _total(client, headers, query: str = "") -> int:
    response = await client.get(f"{BASE}?{query}", headers=headers)
    assert response.status_code == 200, response.text
    total: int = response.json()["pagination"]["total"]
    return total


async def test_list_filters(client, demo, auth: Auth):
    admin = auth.admin
    mentor = "peer_mentor_id=mentor_4b8c21"
    assert await _total(client, admin, mentor) == 47
    assert await _total(client, admin, f"{mentor}&status=pending") == 3
    assert await _total(client, admin, f"{mentor}&status=rejected") == 1
    assert await _total(client, admin, f"{mentor}&status=confirmed") == 43
    assert await _total(client, admin, f"{mentor}&from=2026-03-25&to=2026-03-25") == 1
    assert await _total(client, admin, f"{mentor}&from=2026-03-26") == 0
    assert await _total(client, admin, f"{mentor}&activity_type_id=type_visit") == 0
    running = await _total(client, admin, f"{mentor}&activity_type_id=type_running")
    assert 1 <= running < 47
    year = "peer_mentor_id=mentor_001&from=2025-01-01&to=2025-12-31"
    assert await _total(client, admin, f"{year}&status=confirmed") == 198
    # Inclusive bounds: the crossing day on its own.
    day = await client.get(
        f"{BASE}?peer_mentor_id=mentor_001&from=2025-07-14&to=2025-07-14", headers=admin
    )
    assert [a["date"] for a in day.json()["data"]] == ["2025-07-14"]


async def test_list_is_newest_first_and_pages(client, demo, auth: Auth):
    headers = auth.mentor("mentor_4b8c21")
    first = (await client.get(f"{BASE}?limit=10", headers=headers)).json()
    second = (await client.get(f"{BASE}?limit=10&page=2", headers=headers)).json()
    dates = [a["date"] for a in first["data"] + second["data"]]
    assert dates == sorted(dates, reverse=True)
    assert {a["id"] for a in first["data"]}.isdisjoint({a["id"] for a in second["data"]})
    assert second["pagination"] == {"page": 2, "limit": 10, "total": 47}


async def test_visibility_of_lists(client, demo, auth: Auth):
    mentors_of = {}
    for name, headers in (
        ("coordinator", auth.coordinator),
        ("other", auth.other_coordinator),
        ("mentor", auth.mentor("user_042")),
    ):
        body = (await client.get(f"{BASE}?limit=100", headers=headers)).json()
        mentors_of[name] = {a["peer_mentor_id"] for a in body["data"]}
    assert "user_202" not in mentors_of["coordinator"]
    assert {"mentor_001", "mentor_4b8c21", "user_042"} <= mentors_of["coordinator"]
    assert mentors_of["other"] == {"user_202"}
    assert mentors_of["mentor"] == {"user_042"}
    # A mentor asking for someone else's activities gets none of them.
    assert await _total(client, auth.mentor("user_042"), "peer_mentor_id=mentor_001") == 0
    assert await _total(client, auth.other_coordinator, "peer_mentor_id=mentor_001") == 0


@pytest.mark.parametrize(
    "query",
    [
        "from=2026-13-01",
        "from=25.03.2026",
        "to=yesterday",
        "from=2026-03-26&to=2026-03-25",
        "status=done",
        "page=0",
        "limit=101",
        "status=pending&status=confirmed",
    ],
)
async def test_bad_list_parameters_are_400(client, demo, auth: Auth, query):
    response = await client.get(f"{BASE}?{query}", headers=auth.admin)
    assert response.status_code == 400, (query, response.text)
    assert response.json()["code"] == "BAD_USER_INPUT"


# --- who may read and change ----------------------------------------------------------------


async def test_get_respects_visibility(client, demo, auth: Auth):
    path = f"{BASE}/act_9f3a12bc"
    assert (await client.get(path, headers=auth.coordinator)).status_code == 200
    assert (await client.get(path, headers=auth.admin)).status_code == 200
    assert (await client.get(path, headers=auth.mentor("user_042"))).status_code == 404
    assert (await client.get(path, headers=auth.other_coordinator)).status_code == 404


async def _pending_of(client, auth: Auth, mentor: str = "mentor_4b8c21") -> dict[str, Any]:
    response = await client.post(
        BASE,
        json={
            "local_id": f"local_{mentor}_p",
            "activity_type_id": "type_meeting",
            "date": "2026-11-01",
            "duration_minutes": 30,
        },
        headers=auth.mentor(mentor),
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_mentor_edits_own_pending_activity(client, demo, auth: Auth):
    created = await _pending_of(client, auth)
    response = await client.put(
        f"{BASE}/{created['id']}",
        json={"duration_minutes": 50, "notes": "Longer than planned"},
        headers=auth.mentor("mentor_4b8c21"),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["duration_minutes"], body["notes"], body["status"]) == (
        50,
        "Longer than planned",
        "pending",
    )
    assert body["version"] == created["version"] + 1
    cleared = await client.put(
        f"{BASE}/{created['id']}", json={"notes": None}, headers=auth.mentor("mentor_4b8c21")
    )
    assert cleared.json()["notes"] is None
    assert cleared.json()["duration_minutes"] == 50


async def test_mentor_cannot_confirm_or_reject(client, demo, auth: Auth):
    created = await _pending_of(client, auth)
    mentor = auth.mentor("mentor_4b8c21")
    for status in ("confirmed", "rejected"):
        response = await client.put(
            f"{BASE}/{created['id']}",
            json={"status": status, "duration_minutes": 90, "rejection_reason": "x"},
            headers=mentor,
        )
        assert response.status_code == 403, response.text
    after = (await client.get(f"{BASE}/{created['id']}", headers=mentor)).json()
    assert after == created


async def test_other_organisations_coordinator_cannot_touch(client, demo, auth: Auth):
    path = f"{BASE}/act_9f3a12bc"
    put = await client.put(path, json={"status": "rejected"}, headers=auth.other_coordinator)
    assert put.status_code == 404
    assert (await client.delete(path, headers=auth.other_coordinator)).status_code == 404
    other_mentor = await client.put(path, json={"notes": "mine"}, headers=auth.mentor("user_042"))
    assert other_mentor.status_code == 404


async def test_editor_may_not_log_activities(client, demo, auth: Auth):
    response = await client.post(BASE, json=POST_EXAMPLE, headers=auth.editor)
    assert response.status_code == 403


async def test_reject_needs_a_reason_and_mentor_resubmits(client, demo, auth: Auth):
    created = await _pending_of(client, auth)
    path = f"{BASE}/{created['id']}"
    no_reason = await client.put(path, json={"status": "rejected"}, headers=auth.coordinator)
    assert no_reason.status_code == 422
    assert no_reason.json()["errors"][0]["field"] == "rejection_reason"
    rejected = await client.put(
        path,
        json={"status": "rejected", "rejection_reason": "Not a peer-mentor activity"},
        headers=auth.coordinator,
    )
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["status"] == "rejected"
    assert rejected.json()["rejection_reason"] == "Not a peer-mentor activity"
    stray = await client.put(path, json={"rejection_reason": "other"}, headers=auth.coordinator)
    assert stray.status_code == 422
    mentor = auth.mentor("mentor_4b8c21")
    resubmitted = await client.put(
        path,
        json={"activity_type_id": "type_visit"},
        headers={**mentor, "If-Match": rejected.headers["etag"]},
    )
    assert resubmitted.status_code == 200, resubmitted.text
    assert resubmitted.json()["status"] == "pending"
    assert resubmitted.json()["rejection_reason"] is None


async def test_mentor_edit_of_confirmed_needs_if_match(client, demo, auth: Auth):
    mentor = auth.mentor("mentor_4b8c21")
    path = f"{BASE}/act_9f3a12bc"
    current = await client.get(path, headers=mentor)
    etag = current.headers["etag"]
    missing = await client.put(path, json={"duration_minutes": 50}, headers=mentor)
    assert missing.status_code == 428, missing.text
    assert missing.json()["code"] == "PRECONDITION_REQUIRED"
    stale = await client.put(
        path, json={"duration_minutes": 50}, headers={**mentor, "If-Match": '"1"'}
    )
    assert stale.status_code == 412
    garbage = await client.put(
        path, json={"duration_minutes": 50}, headers={**mentor, "If-Match": "soon"}
    )
    assert garbage.status_code == 400
    assert (await client.get(path, headers=mentor)).json() == current.json()
    # Notes only: still confirmed.
    notes = await client.put(
        path, json={"notes": "Along the river, then uphill"}, headers={**mentor, "If-Match": etag}
    )
    assert notes.status_code == 200, notes.text
    assert notes.json()["status"] == "confirmed"
    # What counts changed: back to pending for the coordinator to decide again.
    longer = await client.put(
        path,
        json={"duration_minutes": 50},
        headers={**mentor, "If-Match": notes.headers["etag"]},
    )
    assert longer.status_code == 200, longer.text
    assert longer.json()["status"] == "pending"
    assert longer.json()["duration_minutes"] == 50


async def test_mentor_delete_of_confirmed_needs_if_match(client, demo, auth: Auth):
    mentor = auth.mentor("mentor_4b8c21")
    path = f"{BASE}/act_9f3a12bc"
    assert (await client.delete(path, headers=mentor)).status_code == 428
    etag = (await client.get(path, headers=mentor)).headers["etag"]
    deleted = await client.delete(path, headers={**mentor, "If-Match": etag})
    assert deleted.status_code == 200
    pending = await _pending_of(client, auth)
    assert (await client.delete(f"{BASE}/{pending['id']}", headers=mentor)).status_code == 200


async def test_put_accepts_an_echoed_record(client, demo, auth: Auth):
    path = f"{BASE}/act_9f3a12bc"
    record = (await client.get(path, headers=auth.coordinator)).json()
    echoed = {
        **record,
        "duration_minutes": 40,
        "version": 999,
        "created_at": "2001-01-01T00:00:00Z",
    }
    response = await client.put(path, json=echoed, headers=auth.coordinator)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["duration_minutes"] == 40
    assert body["created_at"] == record["created_at"]
    assert body["version"] == record["version"] + 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"local_id": "local_other"}, "local_id"),
        ({"peer_mentor_id": "user_042"}, "peer_mentor_id"),
        ({"id": "act_000000000000"}, "id"),
        ({"activity_type_id": None}, "activity_type_id"),
        ({"duration_minutes": None}, "duration_minutes"),
        ({"colour": "red"}, "colour"),
        ({"status": "archived"}, "status"),
        ({"activity_type_id": "type_unknown"}, "activity_type_id"),
        ({"date": "2026-02-30"}, "date"),
        ({"duration_minutes": 1441}, "duration_minutes"),
        ({"notes": "n" * 4001}, "notes"),
    ],
)
async def test_put_refuses_invalid_changes(client, demo, auth: Auth, change, field):
    path = f"{BASE}/act_9f3a12bc"
    before = (await client.get(path, headers=auth.coordinator)).json()
    response = await client.put(path, json=change, headers=auth.coordinator)
    assert response.status_code == 422, (change, response.text)
    assert field in {e["field"] for e in response.json()["errors"]}
    assert (await client.get(path, headers=auth.coordinator)).json() == before


async def test_coordinator_logs_for_a_mentor_of_their_organisation(client, demo, auth: Auth):
    body = {**POST_EXAMPLE, "local_id": "coord_1", "peer_mentor_id": "mentor_001"}
    response = await client.post(BASE, json=body, headers=auth.coordinator)
    assert response.status_code == 201, response.text
    assert response.json()["peer_mentor_id"] == "mentor_001"
    assert response.json()["status"] == "pending"
    outside = await client.post(BASE, json=body, headers=auth.other_coordinator)
    assert outside.status_code == 403
    by_admin = await client.post(
        BASE, json={**body, "local_id": "admin_1", "peer_mentor_id": "user_202"}, headers=auth.admin
    )
    assert by_admin.status_code == 201
    assert by_admin.json()["status"] == "pending"


async def test_mentor_without_peer_mentor_id_logs_for_themselves(client, demo, auth: Auth):
    body = {k: v for k, v in POST_EXAMPLE.items() if k != "peer_mentor_id"}
    response = await client.post(
        BASE, json={**body, "local_id": "mine_1"}, headers=auth.mentor("user_042")
    )
    assert response.status_code == 201
    assert response.json()["peer_mentor_id"] == "user_042"


async def test_openapi_lists_both_paths(client):
    document = (await client.get("/openapi.json")).json()
    for path in (BASE, BASE + BASE, BASE + "/{id}", BASE + BASE + "/{id}"):
        assert path in document["paths"], path
    assert set(document["paths"][BASE]) == {"get", "post"}
    assert set(document["paths"][BASE + "/{id}"]) == {"get", "put", "delete"}


async def test_mentor_may_echo_the_current_status(client, demo, auth: Auth):
    created = await _pending_of(client, auth)
    response = await client.put(
        f"{BASE}/{created['id']}",
        json={**created, "status": "pending", "notes": "Echoed back"},
        headers=auth.mentor("mentor_4b8c21"),
    )
    assert response.status_code == 200, response.text
    assert (response.json()["status"], response.json()["notes"]) == ("pending", "Echoed back")
