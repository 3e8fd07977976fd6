"""Assignment routes: bad input, optimistic concurrency, filters, tombstones, aliases."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from app.timeutil import format_datetime, utcnow
from tests.helpers import Auth

BASE = "/api/v1/assignments"
NEW_000 = {
    "mentee_id": "user_088",
    "peer_mentor_id": "user_042",
    "coordinator_id": "user_007",
    "org_id": "org_03",
    "start_date": "2026-03-26",
}


def fields(response) -> set[str]:
    return {e["field"] for e in response.json().get("errors", [])}


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/asgn_nope", None),
        ("PUT", "/asgn_nope", {"notes": "x"}),
        ("DELETE", "/asgn_nope", None),
        ("PUT", "/asgn_nope/last-contact", {"contact_type": "call"}),
        ("PATCH", "/asgn_nope/status", {"status": "closed"}),
    ],
)
async def test_unknown_assignment_is_404(client, demo, auth: Auth, method, path, body):
    for base in (BASE, BASE + BASE):
        response = await client.request(method, base + path, json=body, headers=auth.admin)
        assert response.status_code == 404, response.text
        assert response.json()["code"] == "NOT_FOUND"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"peer_mentor_id": "user_999"}, "peer_mentor_id"),
        ({"mentee_id": "user_999"}, "mentee_id"),
        ({"coordinator_id": "user_999"}, "coordinator_id"),
        ({"org_id": "org_99"}, "org_id"),
    ],
)
async def test_unknown_people_or_org_on_create_is_422_naming_the_field(
    client, demo, auth: Auth, change, field
):
    response = await client.post(BASE, json={**NEW_000, **change}, headers=auth.admin)
    assert response.status_code == 422, response.text
    assert fields(response) == {field}


async def test_unknown_people_under_001_names_are_named_so(client, demo, auth: Auth):
    body = {"mentor_id": "mentor_zzz", "contact_id": "contact_zzz"}
    response = await client.post(BASE, json=body, headers=auth.admin)
    assert response.status_code == 422
    assert fields(response) == {"mentor_id", "contact_id"}
    update = await client.put(
        f"{BASE}/assign_001aa", json={"contact_id": "contact_zzz"}, headers=auth.admin
    )
    assert update.status_code == 422
    assert fields(update) == {"contact_id"}


async def test_missing_mentor_or_mentee_is_422(client, demo, auth: Auth):
    response = await client.post(BASE, json={"notes": "nobody"}, headers=auth.admin)
    assert response.status_code == 422
    assert fields(response) == {"mentor_id", "contact_id"}


async def test_duplicate_open_assignment_is_409(client, demo, auth: Auth):
    first = await client.post(BASE, json=NEW_000, headers=auth.coordinator)
    assert first.status_code == 201
    again = await client.post(BASE, json=NEW_000, headers=auth.coordinator)
    assert again.status_code == 409
    assert again.json()["code"] == "CONFLICT"
    # the same pair under the other contract's names is the same assignment
    other = {"mentor_id": "user_042", "contact_id": "user_088"}
    assert (await client.post(BASE, json=other, headers=auth.coordinator)).status_code == 409
    # once closed, a new one may be opened
    closed = await client.patch(
        f"{BASE}/{first.json()['assignment_id']}/status",
        json={"status": "completed"},
        headers=auth.coordinator,
    )
    assert closed.status_code == 200
    assert (await client.post(BASE, json=NEW_000, headers=auth.coordinator)).status_code == 201
    # and reopening the closed one would make two: refused
    reopen = await client.patch(
        f"{BASE}/{first.json()['assignment_id']}/status",
        json={"status": "active"},
        headers=auth.coordinator,
    )
    assert reopen.status_code == 409


async def test_concurrent_duplicate_creates_yield_one_assignment(client, demo, auth: Auth):
    responses = await asyncio.gather(
        *(client.post(BASE, json=NEW_000, headers=auth.coordinator) for _ in range(6))
    )
    codes = sorted(r.status_code for r in responses)
    assert codes == [201, 409, 409, 409, 409, 409], codes
    listed = await client.get(f"{BASE}?mentee_id=user_088", headers=auth.admin)
    assert listed.json()["pagination"]["total"] == 1


async def test_reassigning_onto_an_open_pair_is_409(client, demo, auth: Auth):
    # assign_002bb is mentor_a1b2c3 -> contact_abc456; moving assign_001aa onto it clashes
    response = await client.put(
        f"{BASE}/assign_001aa", json={"contact_id": "contact_abc456"}, headers=auth.coordinator
    )
    assert response.status_code == 409


@pytest.mark.parametrize("word", ["paused", "OPEN", "", "done"])
async def test_invalid_status_word_is_422(client, demo, auth: Auth, word):
    patch = await client.patch(
        f"{BASE}/asgn_001/status", json={"status": word}, headers=auth.coordinator
    )
    assert patch.status_code == 422
    assert fields(patch) == {"status"}
    put = await client.put(f"{BASE}/asgn_001", json={"status": word}, headers=auth.coordinator)
    assert put.status_code == 422
    assert fields(put) == {"status"}


async def test_status_of_wrong_type_is_422(client, demo, auth: Auth):
    response = await client.patch(
        f"{BASE}/asgn_001/status", json={"status": 1}, headers=auth.coordinator
    )
    assert response.status_code == 422
    assert fields(response) == {"status"}


async def test_status_answers_in_the_records_vocabulary(client, demo, auth: Auth):
    # asgn_001 came through contract 000: a 001 word closes it, it answers "completed"
    closed = await client.patch(
        f"{BASE}/asgn_001/status", json={"status": "closed"}, headers=auth.coordinator
    )
    assert closed.json()["status"] == "completed"
    assert closed.json()["closed_date"] is not None
    listed = await client.get(f"{BASE}?status=completed", headers=auth.coordinator)
    assert "asgn_001" in {item["assignment_id"] for item in listed.json()["data"]}
    reopened = await client.patch(
        f"{BASE}/asgn_001/status", json={"status": "open"}, headers=auth.coordinator
    )
    assert reopened.json()["status"] == "active"
    assert reopened.json()["closed_date"] is None


async def test_list_status_filter_and_bad_values(client, demo, auth: Auth):
    everything = await client.get(f"{BASE}?status=all&limit=100", headers=auth.admin)
    statuses = {item["status"] for item in everything.json()["data"]}
    assert statuses >= {"open", "active", "closed"}
    closed = await client.get(f"{BASE}?status=closed&limit=100", headers=auth.admin)
    assert {item["status"] for item in closed.json()["data"]} <= {"closed", "completed"}
    assert (await client.get(f"{BASE}?status=bogus", headers=auth.admin)).status_code == 400
    clash = await client.get(f"{BASE}?mentor_id=a&peer_mentor_id=b", headers=auth.admin)
    assert clash.status_code == 400


async def test_list_filters(client, demo, auth: Auth):
    by_mentor = await client.get(f"{BASE}?peer_mentor_id=user_042", headers=auth.admin)
    assert [i["assignment_id"] for i in by_mentor.json()["data"]] == ["asgn_001"]
    by_contact = await client.get(f"{BASE}?contact_id=contact_abc456", headers=auth.admin)
    assert [i["assignment_id"] for i in by_contact.json()["data"]] == ["assign_002bb"]
    by_coordinator = await client.get(
        f"{BASE}?coordinator_id=user_007&limit=100", headers=auth.admin
    )
    assert {"asgn_001", "asgn_002"} <= {i["assignment_id"] for i in by_coordinator.json()["data"]}
    other_org = await client.get(f"{BASE}?org_id=org_05", headers=auth.admin)
    assert other_org.json()["pagination"]["total"] == 0


@pytest.mark.parametrize("query", ["page=0", "limit=1000", "limit=0", "page=x", "limit=-5"])
@pytest.mark.parametrize(
    "path", ["", "/overdue", "/mentor/mentor_a1b2c3/active", "/mentor/mentor_a1b2c3/history"]
)
async def test_page_out_of_range_is_400(client, demo, auth: Auth, query, path):
    response = await client.get(f"{BASE}{path}?{query}", headers=auth.admin)
    assert response.status_code == 400, response.text


async def test_pages_do_not_overlap(client, demo, auth: Auth):
    one = (await client.get(f"{BASE}?page=1&limit=10", headers=auth.admin)).json()
    two = (await client.get(f"{BASE}?page=2&limit=10", headers=auth.admin)).json()
    assert two["pagination"] == {"page": 2, "limit": 10, "total": one["pagination"]["total"]}
    ids_one = {i["assignment_id"] for i in one["data"]}
    assert ids_one.isdisjoint(i["assignment_id"] for i in two["data"])


async def test_future_contact_date_is_422(client, demo, auth: Auth):
    future = format_datetime(utcnow() + timedelta(hours=1))
    response = await client.put(
        f"{BASE}/asgn_001/last-contact",
        json={"contact_date": future, "contact_type": "call"},
        headers=auth.coordinator,
    )
    assert response.status_code == 422
    assert fields(response) == {"contact_date"}
    via_put = await client.put(
        f"{BASE}/assign_001aa", json={"last_contact_date": future}, headers=auth.coordinator
    )
    assert via_put.status_code == 422
    assert fields(via_put) == {"last_contact_date"}


@pytest.mark.parametrize("contact_type", ["fax", "", "Message", None])
async def test_contact_type_outside_the_list_is_422(client, demo, auth: Auth, contact_type):
    response = await client.put(
        f"{BASE}/asgn_001/last-contact",
        json={"contact_type": contact_type},
        headers=auth.coordinator,
    )
    assert response.status_code == 422
    assert fields(response) == {"contact_type"}


async def test_bad_contact_date_is_422(client, demo, auth: Auth):
    response = await client.put(
        f"{BASE}/asgn_001/last-contact",
        json={"contact_date": "yesterday", "contact_type": "call"},
        headers=auth.coordinator,
    )
    assert response.status_code == 422
    assert fields(response) == {"contact_date"}


async def test_contact_defaults_to_now_and_never_moves_back(client, demo, auth: Auth):
    now = await client.put(
        f"{BASE}/asgn_002/last-contact", json={"contact_type": "visit"}, headers=auth.coordinator
    )
    assert now.status_code == 200
    assert now.json()["days_since_contact"] == 0
    latest = now.json()["last_contact_date"]
    older = await client.put(
        f"{BASE}/asgn_002/last-contact",
        json={"contact_date": "2026-01-01T10:00:00+02:00", "contact_type": "call"},
        headers=auth.coordinator,
    )
    assert older.json()["last_contact_date"] == latest


async def test_cutoff_and_days_of_overdue(client, demo, auth: Auth):
    for bad in ("cutoff=soon", "cutoff=2026-13-01", "days=-1", "days=1.5", "days=abc"):
        response = await client.get(f"{BASE}/overdue?{bad}", headers=auth.coordinator)
        assert response.status_code == 400, bad
    both = await client.get(f"{BASE}/overdue?days=3&cutoff=2026-01-01", headers=auth.coordinator)
    assert both.status_code == 400
    early = await client.get(f"{BASE}/overdue?cutoff=2026-02-01", headers=auth.coordinator)
    assert early.status_code == 200
    ids = {i["assignment_id"] for i in early.json()["data"]}
    assert "asgn_002" not in ids, "started 2026-02-20, after the cutoff"
    with_time = await client.get(
        f"{BASE}/overdue?cutoff=2026-03-15T00:00:00%2B01:00&limit=100", headers=auth.coordinator
    )
    ids = {i["assignment_id"] for i in with_time.json()["data"]}
    assert {"asgn_001", "asgn_002"} <= ids
    assert "assign_001aa" not in ids, "contact on 2026-03-20"
    recent = await client.get(f"{BASE}/overdue?days=0&limit=100", headers=auth.coordinator)
    assert recent.json()["pagination"]["total"] >= with_time.json()["pagination"]["total"]


async def test_reason_over_2000_characters_is_422(client, demo, auth: Auth):
    response = await client.patch(
        f"{BASE}/assign_001aa/status",
        json={"status": "closed", "reason": "x" * 2001},
        headers=auth.coordinator,
    )
    assert response.status_code == 422
    assert fields(response) == {"reason"}
    exactly = await client.patch(
        f"{BASE}/assign_001aa/status",
        json={"status": "closed", "reason": "y" * 2000},
        headers=auth.coordinator,
    )
    assert exactly.status_code == 200


async def test_unknown_body_fields_are_422_and_echoed_fields_ignored(client, demo, auth: Auth):
    unknown = await client.put(
        f"{BASE}/asgn_001", json={"notes": "x", "priority": 3}, headers=auth.coordinator
    )
    assert unknown.status_code == 422
    assert fields(unknown) == {"priority"}
    current = (await client.get(f"{BASE}/asgn_001", headers=auth.coordinator)).json()
    echoed = await client.put(
        f"{BASE}/asgn_001", json={**current, "notes": "echoed"}, headers=auth.coordinator
    )
    assert echoed.status_code == 200, echoed.text
    after = echoed.json()
    assert after["notes"] == "echoed"
    assert after["last_contact_date"] == current["last_contact_date"]
    assert after["mentor_id"] == current["mentor_id"]


async def test_aliases_must_agree(client, demo, auth: Auth):
    response = await client.post(
        BASE,
        json={**NEW_000, "contact_id": "user_101"},
        headers=auth.coordinator,
    )
    assert response.status_code == 422
    assert fields(response) == {"mentee_id", "contact_id"}
    same = await client.post(
        BASE, json={**NEW_000, "contact_id": "user_088"}, headers=auth.coordinator
    )
    assert same.status_code == 201
    dates = await client.post(
        BASE,
        json={
            "mentor_id": "user_019",
            "contact_id": "user_088",
            "start_date": "2026-03-26",
            "assigned_date": "2026-03-27T00:00:00Z",
        },
        headers=auth.coordinator,
    )
    assert dates.status_code == 422
    assert fields(dates) == {"start_date", "assigned_date"}


async def test_required_fields_may_not_be_nulled(client, demo, auth: Auth):
    response = await client.put(
        f"{BASE}/asgn_001",
        json={"peer_mentor_id": None, "status": None},
        headers=auth.coordinator,
    )
    assert response.status_code == 422
    assert fields(response) == {"peer_mentor_id", "status"}
    cleared = await client.put(
        f"{BASE}/asgn_001", json={"coordinator_id": None, "notes": None}, headers=auth.coordinator
    )
    assert cleared.status_code == 200
    assert cleared.json()["coordinator_id"] is None


async def test_etag_and_if_match(client, demo, auth: Auth):
    got = await client.get(f"{BASE}/asgn_001", headers=auth.coordinator)
    tag = got.headers["etag"]
    stale = '"999"'
    for method, path, body in (
        ("PUT", "/asgn_001", {"notes": "a"}),
        ("PATCH", "/asgn_001/status", {"status": "completed"}),
        ("PUT", "/asgn_001/last-contact", {"contact_type": "call"}),
        ("DELETE", "/asgn_001", None),
    ):
        response = await client.request(
            method, BASE + path, json=body, headers={**auth.coordinator, "If-Match": stale}
        )
        assert response.status_code == 412, (method, path, response.text)
        assert response.json()["code"] == "PRECONDITION_FAILED"
    ok = await client.put(
        f"{BASE}/asgn_001", json={"notes": "b"}, headers={**auth.coordinator, "If-Match": tag}
    )
    assert ok.status_code == 200
    assert ok.headers["etag"] != tag
    again = await client.put(
        f"{BASE}/asgn_001", json={"notes": "c"}, headers={**auth.coordinator, "If-Match": tag}
    )
    assert again.status_code == 412
    garbage = await client.put(
        f"{BASE}/asgn_001", json={"notes": "d"}, headers={**auth.coordinator, "If-Match": "nope"}
    )
    assert garbage.status_code == 400


async def test_put_records_contact_history_and_changes(client, demo, auth: Auth):
    response = await client.put(
        f"{BASE}/asgn_001",
        json={"peer_mentor_id": "user_055", "start_date": "2026-01-10", "org_id": "org_03"},
        headers=auth.coordinator,
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["mentor_id"], body["start_date"]) == ("user_055", "2026-01-10")
    mentor_view = await client.get(f"{BASE}/asgn_001", headers=auth.mentor("user_042"))
    assert mentor_view.status_code == 404, "no longer user_042's assignment"


async def test_deleted_assignment_leaves_everything(client, demo, auth: Auth):
    deleted = await client.delete(f"{BASE}/assign_002bb", headers=auth.coordinator)
    assert deleted.status_code == 200
    for path in ("/assign_002bb", "/assign_002bb/status"):
        method = "GET" if path.count("/") == 1 else "PATCH"
        body = None if method == "GET" else {"status": "closed"}
        response = await client.request(method, BASE + path, json=body, headers=auth.admin)
        assert response.status_code == 404
    active = await client.get(f"{BASE}/mentor/mentor_a1b2c3/active", headers=auth.admin)
    assert [i["assignment_id"] for i in active.json()["data"]] == ["assign_001aa"]
    count = await client.get(f"{BASE}/mentor/mentor_a1b2c3/open-count", headers=auth.admin)
    assert count.json()["open_assignment_count"] == 1
    # the pair is free again
    recreated = await client.post(
        BASE,
        json={"mentor_id": "mentor_a1b2c3", "contact_id": "contact_abc456"},
        headers=auth.coordinator,
    )
    assert recreated.status_code == 201


async def test_unknown_mentor_routes_are_404(client, demo, auth: Auth):
    for tail in ("active", "history", "open-count"):
        response = await client.get(f"{BASE}/mentor/nobody/{tail}", headers=auth.admin)
        assert response.status_code == 404


async def test_not_json_and_malformed_bodies(client, demo, auth: Auth):
    not_json = await client.post(
        BASE, content=b"mentee_id=user_088", headers={**auth.admin, "Content-Type": "text/plain"}
    )
    assert not_json.status_code == 415
    malformed = await client.post(
        BASE, content=b"{nope", headers={**auth.admin, "Content-Type": "application/json"}
    )
    assert malformed.status_code == 400
    unauthenticated = await client.get(BASE)
    assert unauthenticated.status_code == 401
