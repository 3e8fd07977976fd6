"""Contract 003 (/api/v1/milestones): every example request verbatim against the demo data,
at the canonical and the doubled path, plus authorization and the badge images."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.helpers import Auth

BASE = "/api/v1/milestones"
DOUBLED = "/api/v1/milestones/api/v1/milestones"
EXAMPLE_POST = {
    "mentor_id": "mentor_001",
    "period": {"year": 2025, "start_date": "2025-01-01", "end_date": "2025-12-31"},
    "summary": {"total_hours": 312.5, "unique_contacts_helped": 47, "activity_count": 198},
}
ITEM_100H = {
    "id": "milestone_100h",
    "mentor_id": "mentor_001",
    "name": "100 Hours Milestone",
    "type": "hours_logged",
    "status": "achieved",
    "threshold": 100,
    "achieved_value": 312.5,
    "achieved_at": "2025-07-14T16:30:00Z",
    "accessibility_label": "You reached 100 hours of mentoring on July 14, 2025",
}
ITEM_50CONTACTS = {
    "id": "milestone_50contacts",
    "mentor_id": "mentor_001",
    "name": "50 Unique Contacts",
    "type": "contacts_helped",
    "status": "in_progress",
    "threshold": 50,
    "achieved_value": 47,
    "progress_percentage": 94,
    "accessibility_label": "You have helped 47 out of 50 unique contacts",
}


def _contains(actual: dict[str, Any], expected: dict[str, Any]) -> None:
    assert {k: actual.get(k) for k in expected} == expected


def _by_id(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["id"]: item for item in body["data"]}


@pytest.mark.parametrize("base", [BASE, DOUBLED])
async def test_list_example(client: httpx.AsyncClient, auth: Auth, demo, base: str):
    response = await client.get(base, headers=auth.coordinator)
    assert response.status_code == 200
    body = response.json()
    assert body["pagination"] == {"page": 1, "limit": 20, "total": 13}
    _contains(_by_id(body)["milestone_100h"], ITEM_100H)
    filtered = await client.get(
        f"{base}?mentor_id=mentor_001&type=hours_logged", headers=auth.coordinator
    )
    assert filtered.json()["pagination"]["total"] == 5  # 10, 50, 100, 300 achieved; 500 next


@pytest.mark.parametrize("base", [BASE, DOUBLED])
async def test_get_example(client: httpx.AsyncClient, auth: Auth, demo, base: str):
    response = await client.get(f"{base}/milestone_100h", headers=auth.mentor("mentor_001"))
    assert response.status_code == 200
    assert response.headers["etag"] == '"1"'
    _contains(response.json(), {**ITEM_100H, "badge_image_url": "/assets/badges/100h.png"})


@pytest.mark.parametrize("base", [BASE, DOUBLED])
async def test_post_example_is_idempotent_against_the_seeded_rows(
    client: httpx.AsyncClient, auth: Auth, demo, base: str
):
    before = (await client.get(f"{BASE}?limit=100", headers=auth.admin)).json()
    first = await client.post(base, json=EXAMPLE_POST, headers=auth.coordinator)
    assert first.status_code == 200, first.text  # nothing new: the demo rows are these
    body = first.json()
    items = _by_id(body)
    _contains(items["milestone_100h"], ITEM_100H)
    _contains(items["milestone_50contacts"], ITEM_50CONTACTS)
    assert items["milestone_300h"]["status"] == "achieved"
    assert items["milestone_500h"]["progress_percentage"] == 62
    assert body["pagination"] == {"page": 1, "limit": 20, "total": 13}
    again = await client.post(base, json=EXAMPLE_POST, headers=auth.coordinator)
    assert again.status_code == 200
    assert [i["id"] for i in again.json()["data"]] == [i["id"] for i in body["data"]]
    after = (await client.get(f"{BASE}?limit=100", headers=auth.admin)).json()
    assert after["pagination"]["total"] == before["pagination"]["total"]


async def test_put_example(client: httpx.AsyncClient, auth: Auth, demo):
    for base in (BASE, DOUBLED):
        response = await client.put(
            f"{base}/milestone_300h",
            json={
                "status": "achieved",
                "achieved_value": 315,
                "achieved_at": "2026-01-03T09:00:00Z",
            },
            headers=auth.coordinator,
        )
        assert response.status_code == 200, response.text
        _contains(
            response.json(),
            {
                "id": "milestone_300h",
                "mentor_id": "mentor_001",
                "name": "300 Hours Milestone",
                "type": "hours_logged",
                "status": "achieved",
                "threshold": 300,
                "achieved_value": 315,
                "achieved_at": "2026-01-03T09:00:00Z",
                "accessibility_label": "You reached 300 hours of mentoring on January 3, 2026",
            },
        )


async def test_put_echoing_a_get_body_ignores_read_only_fields(
    client: httpx.AsyncClient, auth: Auth, demo
):
    got = (await client.get(f"{BASE}/milestone_500h", headers=auth.coordinator)).json()
    got["achieved_value"] = 400
    got["progress_percentage"] = 80
    response = await client.put(f"{BASE}/milestone_500h", json=got, headers=auth.coordinator)
    assert response.status_code == 200, response.text
    assert response.json()["progress_percentage"] == 80
    assert response.json()["accessibility_label"] == (
        "You have logged 400 out of 500 hours of mentoring"
    )


@pytest.mark.parametrize("base", [BASE, DOUBLED])
async def test_delete_example(client: httpx.AsyncClient, auth: Auth, demo, base: str):
    response = await client.delete(f"{base}/milestone_100h", headers=auth.coordinator)
    assert response.status_code == 200
    assert response.json() == {"deleted": True, "id": "milestone_100h"}
    assert (await client.get(f"{BASE}/milestone_100h", headers=auth.admin)).status_code == 404
    listed = await client.get(f"{BASE}?mentor_id=mentor_001", headers=auth.admin)
    assert "milestone_100h" not in _by_id(listed.json())
    # Detecting the same period again brings the record back, with its id and date.
    redetected = await client.post(BASE, json=EXAMPLE_POST, headers=auth.coordinator)
    _contains(_by_id(redetected.json())["milestone_100h"], ITEM_100H)


@pytest.mark.parametrize("base", [BASE, DOUBLED])
async def test_new_example(client: httpx.AsyncClient, auth: Auth, demo, base: str):
    response = await client.get(
        f"{base}/mentor_001/new?start_date=2025-08-01&end_date=2025-12-31",
        headers=auth.mentor("mentor_001"),
    )
    assert response.status_code == 200
    assert response.json() == {
        "data": [
            {
                "id": "milestone_300h",
                "mentor_id": "mentor_001",
                "name": "300 Hours Milestone",
                "type": "hours_logged",
                "status": "achieved",
                "threshold": 300,
                "achieved_value": 312.5,
                "achieved_at": "2025-11-22T14:00:00Z",
                "accessibility_label": "You reached 300 hours of mentoring on November 22, 2025",
                "badge_image_url": "/assets/badges/300h.png",
                "period": {"start_date": "2025-01-01", "end_date": "2025-12-31"},
            }
        ],
        "pagination": {"page": 1, "limit": 20, "total": 1},
    }


async def test_new_defaults_to_this_calendar_year(client: httpx.AsyncClient, auth: Auth, demo):
    # The demo achievements are all in 2025; this year's list starts empty ...
    empty = await client.get(f"{BASE}/mentor_001/new", headers=auth.mentor("mentor_001"))
    assert empty.status_code == 200
    assert empty.json()["pagination"]["total"] == 0
    # ... and shows what is achieved this year.
    await client.put(
        f"{BASE}/milestone_500h",
        json={"status": "achieved", "achieved_value": 505},
        headers=auth.coordinator,
    )
    now = await client.get(f"{BASE}/mentor_001/new", headers=auth.mentor("mentor_001"))
    assert [i["id"] for i in now.json()["data"]] == ["milestone_500h"]
    year = await client.get(f"{BASE}/mentor_001/new?year=2025", headers=auth.coordinator)
    assert year.json()["pagination"]["total"] == 10
    assert year.json()["data"][0]["id"] == "milestone_300h"  # newest first


@pytest.mark.parametrize("base", [BASE, DOUBLED])
async def test_in_progress_example(client: httpx.AsyncClient, auth: Auth, demo, base: str):
    response = await client.get(
        f"{base}/mentor_001/in-progress?type=contacts_helped", headers=auth.mentor("mentor_001")
    )
    assert response.status_code == 200
    body = response.json()
    assert body["pagination"] == {"page": 1, "limit": 20, "total": 1}
    _contains(
        body["data"][0],
        {
            "id": "milestone_50contacts",
            "mentor_id": "mentor_001",
            "name": "50 Unique Contacts",
            "type": "contacts_helped",
            "status": "in_progress",
            "threshold": 50,
            "current_value": 47,
            "progress_percentage": 94,
            "remaining": 3,
            "accessibility_label": "You have helped 47 out of 50 unique contacts, 3 remaining",
        },
    )
    everything = await client.get(f"{base}/mentor_001/in-progress", headers=auth.coordinator)
    assert [i["id"] for i in everything.json()["data"]] == [
        "milestone_500h",
        "milestone_50contacts",
        "milestone_250activities",
    ]
    hours = everything.json()["data"][0]
    assert (hours["current_value"], hours["progress_percentage"], hours["remaining"]) == (
        312.5,
        62,
        187.5,
    )


async def test_bokmal_labels_by_accept_language(client: httpx.AsyncClient, auth: Auth, demo):
    headers = {**auth.coordinator, "Accept-Language": "nb-NO,nb;q=0.9,en;q=0.5"}
    got = await client.get(f"{BASE}/milestone_100h", headers=headers)
    assert got.headers["content-language"] == "nb"
    assert got.json()["accessibility_label"] == (
        "Du nådde 100 timer med mentorarbeid den 14. juli 2025"
    )
    progress = await client.get(f"{BASE}/mentor_001/in-progress", headers=headers)
    labels = [i["accessibility_label"] for i in progress.json()["data"]]
    assert labels == [
        "Du har registrert 312,5 av 500 timer med mentorarbeid, 187,5 gjenstår",
        "Du har hjulpet 47 av 50 unike kontakter, 3 gjenstår",
        "Du har registrert 198 av 250 aktiviteter, 52 gjenstår",
    ]
    english = await client.get(
        f"{BASE}/milestone_100h", headers={**auth.coordinator, "Accept-Language": "en, nb;q=0.8"}
    )
    assert english.headers["content-language"] == "en"
    assert english.json()["accessibility_label"].startswith("You reached")


async def test_every_badge_url_the_api_returns_is_a_png(
    client: httpx.AsyncClient, auth: Auth, demo
):
    urls: set[str] = set()
    listed = await client.get(f"{BASE}?limit=100", headers=auth.admin)
    urls |= {item["badge_image_url"] for item in listed.json()["data"]}
    detected = await client.post(BASE, json=EXAMPLE_POST, headers=auth.admin)
    urls |= {item["badge_image_url"] for item in detected.json()["data"]}
    progress = await client.get(f"{BASE}/mentor_001/in-progress", headers=auth.admin)
    urls |= {item["badge_image_url"] for item in progress.json()["data"]}
    definitions = await client.post(
        "/graphql",
        json={"query": "{ milestoneDefinitions(includeInactive: true) { badgeImageUrl } }"},
        headers=auth.admin,
    )
    urls |= {d["badgeImageUrl"] for d in definitions.json()["data"]["milestoneDefinitions"]}
    assert len(urls) == 16
    for url in sorted(urls):
        response = await client.get(url)  # public: no token
        assert response.status_code == 200, url
        assert response.headers["content-type"] == "image/png"
        assert response.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert (await client.get("/assets/badges/nope.png")).status_code == 404


# --- who may do what --------------------------------------------------------------------


async def test_mentors_read_only_their_own(client: httpx.AsyncClient, auth: Auth, demo):
    own = await client.get(BASE, headers=auth.mentor("mentor_001"))
    assert own.json()["pagination"]["total"] == 13
    other = auth.mentor("user_042")
    assert (await client.get(BASE, headers=other)).json()["pagination"]["total"] == 0
    assert (await client.get(f"{BASE}/milestone_100h", headers=other)).status_code == 404
    assert (await client.get(f"{BASE}/mentor_001/new", headers=other)).status_code == 404
    assert (await client.get(f"{BASE}/mentor_001/in-progress", headers=other)).status_code == 404


async def test_mentors_may_not_detect_or_correct(client: httpx.AsyncClient, auth: Auth, demo):
    mentor = auth.mentor("mentor_001")
    assert (await client.post(BASE, json=EXAMPLE_POST, headers=mentor)).status_code == 403
    put = await client.put(f"{BASE}/milestone_300h", json={"achieved_value": 320}, headers=mentor)
    assert put.status_code == 403
    assert (await client.delete(f"{BASE}/milestone_300h", headers=mentor)).status_code == 403


async def test_coordinators_see_only_their_organisations_mentors(
    client: httpx.AsyncClient, auth: Auth, demo
):
    outsider = auth.other_coordinator  # org_05
    assert (await client.get(BASE, headers=outsider)).json()["pagination"]["total"] == 0
    assert (await client.get(f"{BASE}/milestone_100h", headers=outsider)).status_code == 404
    put = await client.put(f"{BASE}/milestone_100h", json={"achieved_value": 320}, headers=outsider)
    assert put.status_code == 404
    assert (await client.delete(f"{BASE}/milestone_100h", headers=outsider)).status_code == 404
    post = await client.post(BASE, json=EXAMPLE_POST, headers=outsider)
    assert post.status_code == 422  # mentor_001 is not theirs: as if unknown
    assert post.json()["errors"][0]["field"] == "mentor_id"
    # Their own mentor is theirs to detect.
    own = {**EXAMPLE_POST, "mentor_id": "user_202"}
    created = await client.post(BASE, json=own, headers=outsider)
    assert created.status_code == 201, created.text
    assert all(i["id"].startswith("ms_") for i in created.json()["data"])


async def test_without_a_token_every_route_is_401(client: httpx.AsyncClient, demo):
    for method, path in [
        ("GET", BASE),
        ("GET", f"{BASE}/milestone_100h"),
        ("GET", f"{DOUBLED}/mentor_001/new"),
        ("GET", f"{BASE}/mentor_001/in-progress"),
        ("DELETE", f"{BASE}/milestone_100h"),
    ]:
        assert (await client.request(method, path)).status_code == 401


async def test_stale_if_match_is_412(client: httpx.AsyncClient, auth: Auth, demo):
    stale = {**auth.coordinator, "If-Match": '"7"'}
    put = await client.put(f"{BASE}/milestone_300h", json={"achieved_value": 320}, headers=stale)
    assert put.status_code == 412
    fresh = {**auth.coordinator, "If-Match": '"1"'}
    ok = await client.put(f"{BASE}/milestone_300h", json={"achieved_value": 320}, headers=fresh)
    assert ok.status_code == 200
    assert ok.headers["etag"] == '"2"'


async def test_openapi_lists_the_seven_routes_at_both_paths(client: httpx.AsyncClient):
    paths = (await client.get("/openapi.json")).json()["paths"]
    for prefix in (BASE, DOUBLED):
        assert set(paths[prefix]) >= {"get", "post"}
        assert set(paths[f"{prefix}/{{id}}"]) >= {"get", "put", "delete"}
        assert "get" in paths[f"{prefix}/{{mentor_id}}/new"]
        assert "get" in paths[f"{prefix}/{{mentor_id}}/in-progress"]
