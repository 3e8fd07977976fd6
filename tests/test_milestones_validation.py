"""Bad input to milestones: 422 naming the field (400 for malformed query parameters),
never a 500, never silently clamped; the same rule through REST and GraphQL."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.helpers import Auth, error_codes, gql

BASE = "/api/v1/milestones"


def _body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "mentor_id": "mentor_001",
        "period": {"start_date": "2025-03-01", "end_date": "2025-03-10"},
        "summary": {"total_hours": 20, "unique_contacts_helped": 3, "activity_count": 12},
    }
    for key, value in changes.items():
        section, _, field = key.partition("__")
        if field:
            body[section] = {**body[section], field: value}
        else:
            body[section] = value
    return body


async def _fields(response: httpx.Response, status: int = 422) -> list[str]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return [e["field"] for e in response.json().get("errors", [])]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"summary__total_hours": -1}, "summary.total_hours"),
        ({"summary__total_hours": "NaN"}, "summary.total_hours"),
        ({"summary__total_hours": "Infinity"}, "summary.total_hours"),
        ({"summary__total_hours": 240.5}, "summary.total_hours"),  # 10 days hold 240 hours
        ({"summary__activity_count": -3}, "summary.activity_count"),
        ({"summary__activity_count": 501}, "summary.activity_count"),  # 50 a day
        ({"summary__unique_contacts_helped": -1}, "summary.unique_contacts_helped"),
        ({"summary__unique_contacts_helped": 501}, "summary.unique_contacts_helped"),
        ({"summary__unique_contacts_helped": 47.5}, "summary.unique_contacts_helped"),
        ({"summary__total_hours": None}, "summary.total_hours"),
        ({"period__end_date": "2025-02-28"}, "period.end_date"),
        ({"period__end_date": "2026-03-02"}, "period.end_date"),  # 367 days
        ({"period__start_date": "2025-02-30"}, "period.start_date"),
        ({"period__start_date": "01/03/2025"}, "period.start_date"),
        ({"period__year": 2024}, "period.start_date"),  # dates outside the year
        ({"period__year": 1850}, "period.year"),
        ({"period": {"start_date": "2025-03-01"}}, "period.end_date"),
        ({"period": {}}, "period"),
        ({"mentor_id": "nobody_123"}, "mentor_id"),
        ({"mentor_id": ""}, "mentor_id"),
        ({"summary__extra": 1}, "summary.extra"),
        ({"period__month": 3}, "period.month"),
    ],
)
async def test_detect_refuses_bad_input(
    client: httpx.AsyncClient, auth: Auth, demo, changes: dict[str, Any], field: str
):
    response = await client.post(BASE, json=_body(**changes), headers=auth.coordinator)
    assert field in await _fields(response)


async def test_detect_accepts_the_bounds_exactly(client: httpx.AsyncClient, auth: Auth, demo):
    body = _body(summary={"total_hours": 240, "unique_contacts_helped": 500, "activity_count": 500})
    response = await client.post(BASE, json=body, headers=auth.coordinator)
    assert response.status_code == 201, response.text
    leap = _body(period={"start_date": "2024-01-01", "end_date": "2024-12-31"})
    assert (await client.post(BASE, json=leap, headers=auth.coordinator)).status_code == 201


async def test_a_period_that_has_not_begun_holds_no_totals(
    client: httpx.AsyncClient, auth: Auth, demo
):
    body = _body(period={"year": 2099})
    assert "summary.total_hours" in await _fields(
        await client.post(BASE, json=body, headers=auth.coordinator)
    )
    zero = _body(
        period={"year": 2099},
        summary={"total_hours": 0, "unique_contacts_helped": 0, "activity_count": 0},
    )
    response = await client.post(BASE, json=zero, headers=auth.coordinator)
    assert response.status_code == 201
    assert {i["status"] for i in response.json()["data"]} == {"in_progress"}


async def test_detect_names_every_bad_field_at_once(client: httpx.AsyncClient, auth: Auth, demo):
    body = _body(summary={"total_hours": -1, "unique_contacts_helped": -2, "activity_count": -3})
    fields = await _fields(await client.post(BASE, json=body, headers=auth.coordinator))
    assert fields == [
        "summary.total_hours",
        "summary.unique_contacts_helped",
        "summary.activity_count",
    ]


async def test_malformed_json_and_wrong_media_type(client: httpx.AsyncClient, auth: Auth, demo):
    bad = await client.post(
        BASE,
        content=b'{"mentor_id": "mentor_001", "summary": {"total_hours": NaN}}',
        headers={**auth.coordinator, "Content-Type": "application/json"},
    )
    assert bad.status_code == 400
    text = await client.post(
        BASE, content=b"hi", headers={**auth.coordinator, "Content-Type": "text/plain"}
    )
    assert text.status_code == 415


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"progress_percentage": 101}, "progress_percentage"),
        ({"progress_percentage": 150}, "progress_percentage"),
        ({"progress_percentage": -1}, "progress_percentage"),
        ({"progress_percentage": 62.5}, "progress_percentage"),
        ({"achieved_value": 320, "progress_percentage": 62}, "progress_percentage"),
        ({"status": "done"}, "status"),
        ({"status": "ACHIEVED"}, "status"),
        ({"status": "completed"}, "status"),
        ({"achieved_value": -5}, "achieved_value"),
        ({"achieved_value": "NaN"}, "achieved_value"),
        ({"achieved_value": 9000}, "achieved_value"),  # more than 24 h a day in 2025
        ({"achieved_value": 500}, "achieved_value"),  # in progress must stay below 500
        ({"achieved_at": "2025-07-14T16:30:00Z"}, "achieved_at"),  # not achieved
        ({"status": "achieved", "achieved_value": 499}, "achieved_value"),
        (
            {"status": "achieved", "achieved_value": 510, "achieved_at": "2099-01-01T00:00:00Z"},
            "achieved_at",
        ),
        ({"status": "achieved", "achieved_value": 510, "achieved_at": "yesterday"}, "achieved_at"),
        (
            {"status": "achieved", "achieved_value": 510, "progress_percentage": 99},
            "progress_percentage",
        ),
        ({"achieved_value": 320, "current_value": 330}, "current_value"),
        ({"colour": "gold"}, "colour"),
    ],
)
async def test_update_refuses_bad_input(
    client: httpx.AsyncClient, auth: Auth, demo, body: dict[str, Any], field: str
):
    response = await client.put(f"{BASE}/milestone_500h", json=body, headers=auth.coordinator)
    assert field in await _fields(response)
    unchanged = await client.get(f"{BASE}/milestone_500h", headers=auth.coordinator)
    assert unchanged.json()["achieved_value"] == 312.5
    assert unchanged.headers["etag"] == '"1"'


async def test_update_with_a_progress_value_alone_sets_the_value(
    client: httpx.AsyncClient, auth: Auth, demo
):
    response = await client.put(
        f"{BASE}/milestone_500h", json={"progress_percentage": 70}, headers=auth.coordinator
    )
    assert response.status_code == 200, response.text
    assert (response.json()["achieved_value"], response.json()["progress_percentage"]) == (350, 70)
    back = await client.put(
        f"{BASE}/milestone_100h",
        json={"status": "in_progress", "achieved_value": 99},
        headers=auth.coordinator,
    )
    assert back.status_code == 200
    assert "achieved_at" not in back.json()
    assert back.json()["progress_percentage"] == 99


async def test_unknown_ids_are_404(client: httpx.AsyncClient, auth: Auth, demo):
    assert (await client.get(f"{BASE}/ms_000000000000", headers=auth.admin)).status_code == 404
    put = await client.put(
        f"{BASE}/ms_000000000000", json={"status": "achieved"}, headers=auth.admin
    )
    assert put.status_code == 404
    assert (await client.get(f"{BASE}/nobody_123/new", headers=auth.admin)).status_code == 404
    assert (
        await client.get(f"{BASE}/nobody_123/in-progress", headers=auth.admin)
    ).status_code == 404


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("?status=done", 400),
        ("?status=achieved&status=in_progress", 400),
        ("?type=minutes", 400),
        ("?limit=0", 400),
        ("?limit=101", 400),
        ("?page=0", 400),
        ("?year=twenty", 400),
        ("?year=%C2%B9", 400),  # a superscript digit is no year
        ("?year=20250", 400),
        ("?start_date=2025-13-01&end_date=2025-12-31", 400),
        ("?start_date=2025-12-31&end_date=2025-01-01", 422),
        ("?start_date=2025-01-01", 422),
        ("?year=2025&start_date=2024-01-01&end_date=2024-12-31", 422),
    ],
)
async def test_bad_query_parameters(
    client: httpx.AsyncClient, auth: Auth, demo, query: str, status: int
):
    routes = [f"{BASE}/mentor_001/new", f"{BASE}/mentor_001/in-progress"]
    if "start_date" not in query:
        routes.append(BASE)
    for route in routes:
        if "status=" in query and route != BASE:
            continue
        if "type=" in query and route.endswith("/new"):
            continue
        response = await client.get(route + query, headers=auth.coordinator)
        assert response.status_code == status, (route, query, response.text)


async def test_listings_take_periods_longer_than_a_year(
    client: httpx.AsyncClient, auth: Auth, demo
):
    """Only detection is bounded to a year (it works on yearly totals); a listing of what
    was achieved, or is in progress, in two years answers both years, through both doors."""
    summary = {"total_hours": 60, "unique_contacts_helped": 0, "activity_count": 0}
    body = {"mentor_id": "mentor_001", "period": {"year": 2024}, "summary": summary}
    detected = await client.post(BASE, json=body, headers=auth.coordinator)
    assert detected.status_code == 201, detected.text
    two_years = "start_date=2024-01-01&end_date=2025-12-31"
    new = await client.get(f"{BASE}/mentor_001/new?{two_years}", headers=auth.coordinator)
    assert new.status_code == 200, new.text
    # The demo's ten 2025 achievements, then 2024's 10 h and 50 h (dated the period's end).
    assert new.json()["pagination"]["total"] == 12
    assert [i["achieved_at"] for i in new.json()["data"][-2:]] == ["2024-12-31T23:59:59Z"] * 2
    progress = await client.get(
        f"{BASE}/mentor_001/in-progress?{two_years}&type=hours_logged", headers=auth.coordinator
    )
    assert progress.status_code == 200, progress.text
    assert [(i["threshold"], i["period"]["start_date"]) for i in progress.json()["data"]] == [
        (500, "2025-01-01"),
        (100, "2024-01-01"),
    ]
    listed = await client.get(f"{BASE}?mentor_id=mentor_001&{two_years}", headers=auth.coordinator)
    assert listed.status_code == 200, listed.text
    assert listed.json()["pagination"]["total"] == 13 + 5  # 2024: 3 hours, 1 each of the others
    query = """
    query ($from: Date!, $to: Date!) {
      newMilestones(mentorId: "mentor_001", startDate: $from, endDate: $to) { totalCount }
      milestonesInProgress(
        mentorId: "mentor_001", startDate: $from, endDate: $to, type: HOURS_LOGGED
      ) { nodes { threshold } }
      milestones(mentorId: "mentor_001", startDate: $from, endDate: $to) { totalCount }
    }"""
    graph = await gql(client, query, {"from": "2024-01-01", "to": "2025-12-31"}, auth.coordinator)
    assert "errors" not in graph, graph
    assert graph["data"]["newMilestones"]["totalCount"] == 12
    assert graph["data"]["milestonesInProgress"]["nodes"] == [
        {"threshold": 500},
        {"threshold": 100},
    ]
    assert graph["data"]["milestones"]["totalCount"] == 18
    # Detection keeps its bound: a two-year detection is refused, naming the field.
    body["period"] = {"start_date": "2024-01-01", "end_date": "2025-12-31"}
    refused = await client.post(BASE, json=body, headers=auth.coordinator)
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {"field": "period.end_date", "message": "the period spans 731 days; at most 366"}
    ]


# --- the GraphQL door answers the same ---------------------------------------------------

DETECT = """
mutation ($input: DetectMilestonesInput!) {
  detectMilestones(input: $input) { created milestones { legacyId status } }
}
"""


def _gql_input(**changes: Any) -> dict[str, Any]:
    value: dict[str, Any] = {
        "mentorId": "mentor_001",
        "period": {"startDate": "2025-03-01", "endDate": "2025-03-10"},
        "summary": {"totalHours": 20, "uniqueContactsHelped": 3, "activityCount": 12},
    }
    value.update(changes)
    return value


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        (
            {"summary": {"totalHours": -1, "uniqueContactsHelped": 3, "activityCount": 12}},
            "summary.totalHours",
        ),
        (
            {"summary": {"totalHours": 241, "uniqueContactsHelped": 3, "activityCount": 12}},
            "summary.totalHours",
        ),
        (
            {"summary": {"totalHours": 2, "uniqueContactsHelped": 3, "activityCount": 9999}},
            "summary.activityCount",
        ),
        ({"period": {"startDate": "2025-03-10", "endDate": "2025-03-01"}}, "period.endDate"),
        ({"period": {"startDate": "2024-01-01", "endDate": "2025-06-01"}}, "period.endDate"),
        (
            {"period": {"year": 2024, "startDate": "2025-03-01", "endDate": "2025-03-10"}},
            "period.startDate",
        ),
        ({"mentorId": "nobody_123"}, "mentorId"),
    ],
)
async def test_graphql_detect_refuses_the_same_input(
    client: httpx.AsyncClient, auth: Auth, demo, changes: dict[str, Any], field: str
):
    body = await gql(client, DETECT, {"input": _gql_input(**changes)}, auth.coordinator)
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert field in [e["field"] for e in body["errors"][0]["extensions"]["errors"]]


async def test_graphql_refuses_status_words_outside_the_enum(
    client: httpx.AsyncClient, auth: Auth, demo
):
    body = await gql(
        client,
        'mutation { updateMilestone(id: "milestone_500h", input: {status: DONE}) { status } }',
        headers=auth.coordinator,
    )
    assert body.get("data") is None
    assert error_codes(body) == ["BAD_USER_INPUT"]
    over = await gql(
        client,
        'mutation { updateMilestone(id: "milestone_500h", input: {progressPercentage: 120}) { status } }',
        headers=auth.coordinator,
    )
    assert error_codes(over) == ["BAD_USER_INPUT"]
    assert over["errors"][0]["extensions"]["errors"][0]["field"] == "progressPercentage"
