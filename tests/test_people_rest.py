"""The directory over REST: the same rules as GraphQL, the /api/v1 envelope and limits."""

from __future__ import annotations

from tests.helpers import Auth


async def test_me_returns_the_callers_entry(client, demo, auth: Auth):
    response = await client.get("/api/v1/me", headers=auth.coordinator)
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == "user_007"
    assert body["name"] == "Kari Nordmann"
    assert body["created_at"].endswith("Z")


async def test_list_people_has_pagination_envelope(client, demo, auth: Auth):
    response = await client.get("/api/v1/people?page=2&limit=5", headers=auth.coordinator)
    assert response.status_code == 200
    body = response.json()
    assert body["pagination"]["page"] == 2
    assert body["pagination"]["limit"] == 5
    assert len(body["data"]) == 5
    first_page = (await client.get("/api/v1/people?limit=5", headers=auth.coordinator)).json()
    assert {p["id"] for p in first_page["data"]}.isdisjoint({p["id"] for p in body["data"]})
    assert body["pagination"]["total"] == first_page["pagination"]["total"]


async def test_coordinator_sees_only_their_organisations_people(client, demo, auth: Auth):
    body = (await client.get("/api/v1/people?limit=100", headers=auth.other_coordinator)).json()
    ids = {p["id"] for p in body["data"]}
    assert ids == {"user_201", "user_202"}
    hidden = await client.get("/api/v1/people/user_042", headers=auth.other_coordinator)
    assert hidden.status_code == 404


async def test_peer_mentor_sees_only_themselves(client, demo, auth: Auth):
    body = (await client.get("/api/v1/people", headers=auth.mentor())).json()
    assert [p["id"] for p in body["data"]] == ["user_042"]
    assert body["pagination"]["total"] == 1


async def test_page_and_limit_out_of_range_are_400(client, demo, auth: Auth):
    for query in ("page=0", "limit=1000", "limit=0", "page=abc", "limit=-1", "page=1&page=2"):
        response = await client.get(f"/api/v1/people?{query}", headers=auth.admin)
        assert response.status_code == 400, query
        assert response.json()["code"] == "BAD_USER_INPUT"


async def test_create_person_admin_only(client, demo, auth: Auth):
    payload = {"id": "user_500", "name": "Nora Vik", "roles": ["peer_mentor"]}
    denied = await client.post("/api/v1/people", json=payload, headers=auth.coordinator)
    assert denied.status_code == 403
    created = await client.post("/api/v1/people", json=payload, headers=auth.admin)
    assert created.status_code == 201
    assert created.json()["id"] == "user_500"
    again = await client.post("/api/v1/people", json=payload, headers=auth.admin)
    assert again.status_code == 409
    fetched = await client.get("/api/v1/people/user_500", headers=auth.admin)
    assert fetched.json()["name"] == "Nora Vik"


async def test_create_person_validates_fields(client, demo, auth: Auth):
    response = await client.post(
        "/api/v1/people",
        json={"id": "bad id with spaces", "name": "X", "roles": ["wizard"], "email": "nope"},
        headers=auth.admin,
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"id", "roles", "email"}


async def test_organisation_thresholds_fall_back_to_defaults(client, demo, auth: Auth, settings):
    body = (await client.get("/api/v1/organisations/org_03", headers=auth.coordinator)).json()
    assert (body["reminder_days"], body["escalation_days"]) == (10, 20)
    hidden = await client.get("/api/v1/organisations/org_05", headers=auth.coordinator)
    assert hidden.status_code == 404
