"""Milestones through GraphQL: types, root fields, the catalogue, mutations, DataLoaders
(statement count independent of page size) and the milestoneAchieved subscription."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from tests.conftest import LiveServer
from tests.helpers import Auth, count_statements, error_codes, gql, wait_for_subscribers

PROTOCOL = Subprotocol("graphql-transport-ws")

MILESTONE = """
query ($id: String!) {
  milestone(id: $id) {
    id legacyId mentorId name type status threshold currentValue achievedValue achievedAt
    progressPercentage remaining periodStart periodEnd badgeImageUrl version
    accessibilityLabel
    nb: accessibilityLabel(locale: NB)
    mentor { legacyId name }
    definition { legacyId name threshold badge active }
  }
}"""


async def test_milestone_by_id(client: httpx.AsyncClient, auth: Auth, demo):
    body = await gql(client, MILESTONE, {"id": "milestone_100h"}, auth.mentor("mentor_001"))
    assert "errors" not in body, body
    item = body["data"]["milestone"]
    assert {k: v for k, v in item.items() if k != "id"} == {
        "legacyId": "milestone_100h",
        "mentorId": "mentor_001",
        "name": "100 Hours Milestone",
        "type": "HOURS_LOGGED",
        "status": "ACHIEVED",
        "threshold": 100,
        "currentValue": 312.5,
        "achievedValue": 312.5,
        "achievedAt": "2025-07-14T16:30:00Z",
        "progressPercentage": 100,
        "remaining": 0.0,
        "periodStart": "2025-01-01",
        "periodEnd": "2025-12-31",
        "badgeImageUrl": "/assets/badges/100h.png",
        "version": 1,
        "accessibilityLabel": "You reached 100 hours of mentoring on July 14, 2025",
        "nb": "Du nådde 100 timer med mentorarbeid den 14. juli 2025",
        "mentor": {"legacyId": "mentor_001", "name": "Hanna Dahl"},
        "definition": {
            "legacyId": "msd_hours_100",
            "name": "100 Hours Milestone",
            "threshold": 100,
            "badge": "100h",
            "active": True,
        },
    }
    node = await gql(
        client,
        "query ($id: ID!) { node(id: $id) { ... on Milestone { legacyId } } }",
        {"id": item["id"]},
        auth.coordinator,
    )
    assert node["data"]["node"] == {"legacyId": "milestone_100h"}
    hidden = await gql(
        client,
        "query ($id: ID!) { node(id: $id) { ... on Milestone { legacyId } } }",
        {"id": item["id"]},
        auth.other_coordinator,
    )
    assert hidden["data"]["node"] is None


async def test_hidden_and_unknown_milestones_are_not_found(
    client: httpx.AsyncClient, auth: Auth, demo
):
    for headers, key in [
        (auth.mentor("user_042"), "milestone_100h"),
        (auth.other_coordinator, "milestone_100h"),
        (auth.admin, "ms_000000000000"),
    ]:
        body = await gql(client, MILESTONE, {"id": key}, headers)
        assert error_codes(body) == ["NOT_FOUND"]
    anonymous = await gql(client, MILESTONE, {"id": "milestone_100h"})
    assert error_codes(anonymous) == ["UNAUTHENTICATED"]


async def test_lists(client: httpx.AsyncClient, auth: Auth, demo):
    query = """
    query {
      all: milestones(mentorId: "mentor_001") { totalCount nodes { legacyId } }
      achievedHours: milestones(status: ACHIEVED, type: HOURS_LOGGED, first: 2) {
        totalCount pageInfo { hasNextPage endCursor } nodes { legacyId }
      }
      of2024: milestones(year: 2024) { totalCount }
      fresh: newMilestones(mentorId: "mentor_001", startDate: "2025-08-01", endDate: "2025-12-31") {
        totalCount nodes { legacyId accessibilityLabel }
      }
      open: milestonesInProgress(mentorId: "mentor_001") {
        nodes { legacyId remaining accessibilityLabel short: accessibilityLabel(withRemaining: false) }
      }
    }"""
    data = (await gql(client, query, headers=auth.mentor("mentor_001")))["data"]
    assert data["all"]["totalCount"] == 13
    assert data["achievedHours"]["totalCount"] == 4
    assert [n["legacyId"] for n in data["achievedHours"]["nodes"]] == [
        "milestone_10h",
        "milestone_50h",
    ]
    assert data["achievedHours"]["pageInfo"]["hasNextPage"] is True
    assert data["of2024"]["totalCount"] == 0
    assert data["fresh"] == {
        "totalCount": 1,
        "nodes": [
            {
                "legacyId": "milestone_300h",
                "accessibilityLabel": "You reached 300 hours of mentoring on November 22, 2025",
            }
        ],
    }
    contacts = data["open"]["nodes"][1]
    assert contacts == {
        "legacyId": "milestone_50contacts",
        "remaining": 3.0,
        "accessibilityLabel": "You have helped 47 out of 50 unique contacts, 3 remaining",
        "short": "You have helped 47 out of 50 unique contacts",
    }
    outsider = await gql(client, query, headers=auth.mentor("user_042"))
    assert set(error_codes(outsider)) == {"NOT_FOUND"}  # mentor_001 is not theirs to see


async def test_bad_list_arguments(client: httpx.AsyncClient, auth: Auth, demo):
    body = await gql(
        client,
        '{ newMilestones(mentorId: "mentor_001", startDate: "2025-12-01", endDate: "2025-01-01") { totalCount } }',
        headers=auth.admin,
    )
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["errors"][0]["field"] == "endDate"
    too_many = await gql(client, "{ milestones(first: 101) { totalCount } }", headers=auth.admin)
    assert error_codes(too_many) == ["BAD_USER_INPUT"]


CREATE = """
mutation ($input: CreateMilestoneDefinitionInput!) {
  createMilestoneDefinition(input: $input) { legacyId type threshold name badge badgeImageUrl active }
}"""


async def test_admins_manage_the_catalogue(client: httpx.AsyncClient, auth: Auth, demo):
    new = {"type": "HOURS_LOGGED", "threshold": 200, "name": "200 Hours Milestone"}
    created = await gql(client, CREATE, {"input": new}, auth.admin)
    definition = created["data"]["createMilestoneDefinition"]
    assert definition["legacyId"].startswith("msd_")
    assert (definition["badge"], definition["badgeImageUrl"]) == (
        "hours",
        "/assets/badges/hours.png",
    )
    assert (await client.get(definition["badgeImageUrl"])).status_code == 200
    assert error_codes(await gql(client, CREATE, {"input": new}, auth.admin)) == ["CONFLICT"]
    assert error_codes(await gql(client, CREATE, {"input": new}, auth.coordinator)) == ["FORBIDDEN"]
    for bad, field in [
        ({**new, "threshold": 0}, "threshold"),
        ({**new, "threshold": 250, "badge": "../secret"}, "badge"),
        ({**new, "threshold": 250, "badge": "nope"}, "badge"),
        ({**new, "threshold": 250, "name": "  "}, "name"),
    ]:
        body = await gql(client, CREATE, {"input": bad}, auth.admin)
        assert error_codes(body) == ["BAD_USER_INPUT"], body
        assert body["errors"][0]["extensions"]["errors"][0]["field"] == field
    # Retire 500 h: detection now aims at 1000 h after 300 h, and at 200 h in between.
    retire = await gql(
        client,
        'mutation { updateMilestoneDefinition(id: "msd_hours_500", input: {active: false, name: "Old 500"}) { active name } }',
        headers=auth.admin,
    )
    assert retire["data"]["updateMilestoneDefinition"] == {"active": False, "name": "Old 500"}
    detect = await client.post(
        "/api/v1/milestones",
        json={
            "mentor_id": "mentor_4b8c21",
            "period": {"year": 2025},
            "summary": {"total_hours": 250, "unique_contacts_helped": 0, "activity_count": 0},
        },
        headers=auth.coordinator,
    )
    hours = [
        (i["threshold"], i["status"]) for i in detect.json()["data"] if i["type"] == "hours_logged"
    ]
    assert hours == [
        (10, "achieved"),
        (50, "achieved"),
        (100, "achieved"),
        (200, "achieved"),
        (300, "in_progress"),
    ]
    listed = await gql(
        client, "{ milestoneDefinitions { threshold } }", headers=auth.mentor("mentor_001")
    )
    assert len(listed["data"]["milestoneDefinitions"]) == 16  # 17 minus the retired one
    everything = await gql(
        client, "{ milestoneDefinitions(includeInactive: true) { threshold } }", headers=auth.admin
    )
    assert len(everything["data"]["milestoneDefinitions"]) == 17


UPDATE = """
mutation ($v: Int) {
  updateMilestone(id: "milestone_300h", input: {achievedValue: 315, achievedAt: "2026-01-03T09:00:00Z"}, expectedVersion: $v) {
    achievedValue achievedAt version accessibilityLabel
  }
}"""


async def test_corrections_deletes_and_restores(client: httpx.AsyncClient, auth: Auth, demo):
    stale = await gql(client, UPDATE, {"v": 5}, auth.coordinator)
    assert error_codes(stale) == ["CONFLICT"]
    ok = await gql(client, UPDATE, {"v": 1}, auth.coordinator)
    assert ok["data"]["updateMilestone"] == {
        "achievedValue": 315.0,
        "achievedAt": "2026-01-03T09:00:00Z",
        "version": 2,
        "accessibilityLabel": "You reached 300 hours of mentoring on January 3, 2026",
    }
    mentor = await gql(client, UPDATE, {"v": None}, auth.mentor("mentor_001"))
    assert error_codes(mentor) == ["FORBIDDEN"]
    deleted = await gql(
        client, 'mutation { deleteMilestone(id: "milestone_300h") }', headers=auth.coordinator
    )
    assert deleted["data"]["deleteMilestone"] is True
    gone = await gql(client, MILESTONE, {"id": "milestone_300h"}, auth.admin)
    assert error_codes(gone) == ["NOT_FOUND"]
    restore = 'mutation { restoreMilestone(id: "milestone_300h") { legacyId achievedValue } }'
    assert error_codes(await gql(client, restore, headers=auth.coordinator)) == ["FORBIDDEN"]
    back = await gql(client, restore, headers=auth.admin)
    assert back["data"]["restoreMilestone"] == {
        "legacyId": "milestone_300h",
        "achievedValue": 315.0,
    }


async def test_both_doors_refuse_a_mentor_detecting(client: httpx.AsyncClient, auth: Auth, demo):
    mentor = auth.mentor("mentor_001")
    rest = await client.post(
        "/api/v1/milestones",
        json={"mentor_id": "mentor_001", "period": {"year": 2025}},
        headers=mentor,
    )
    assert (rest.status_code, rest.json()["code"]) == (403, "FORBIDDEN")
    graphql = await gql(
        client,
        'mutation { detectMilestones(input: {mentorId: "mentor_001", period: {year: 2025}}) { created } }',
        headers=mentor,
    )
    assert error_codes(graphql) == ["FORBIDDEN"]


async def test_statement_count_does_not_grow_with_the_page(
    client: httpx.AsyncClient, auth: Auth, demo
):
    big = {"total_hours": 1000, "unique_contacts_helped": 100, "activity_count": 500}
    for mentor in ("mentor_001", "mentor_a1b2c3", "mentor_4b8c21", "user_042"):
        response = await client.post(
            "/api/v1/milestones",
            json={"mentor_id": mentor, "period": {"year": 2024}, "summary": big},
            headers=auth.admin,
        )
        assert response.status_code == 201
    query = """
    query ($n: Int!) {
      milestones(first: $n) {
        totalCount
        nodes {
          legacyId accessibilityLabel(locale: NB)
          mentor { name memberships { orgId organisation { name } } }
          definition { name badgeImageUrl }
        }
      }
    }"""
    counts = []
    for size in (1, 10, 50):
        with count_statements() as counter:
            body = await gql(client, query, {"n": size}, auth.admin)
        assert "errors" not in body, body
        assert len(body["data"]["milestones"]["nodes"]) == size
        counts.append(counter.count)
    assert counts[0] == counts[1] == counts[2], counts


# --- subscription ---------------------------------------------------------------------------


async def _receive(ws: ClientConnection) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), timeout=5))
    return message


async def _subscribe(ws: ClientConnection, headers: dict[str, str], query: str) -> None:
    await ws.send(json.dumps({"type": "connection_init", "payload": headers}))
    assert (await _receive(ws))["type"] == "connection_ack"
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))


async def test_milestone_achieved_reaches_those_who_may_see_it(
    live_server: LiveServer, auth: Auth, demo
):
    """The coordinator and the mentor hear mentor_001's new milestone, once; org_05's
    coordinator and another mentor do not (the next event each hears is a later milestone
    of their own organisation / their own). Fails if ``may_see_event`` lets everyone
    through, or if a repeated detection publishes the achieved record again."""
    live_url = live_server.url
    before = live_server.app.state.events.subscriber_count
    query = "subscription { milestoneAchieved { legacyId mentorId threshold type status } }"
    own = 'subscription { milestoneAchieved(mentorId: "mentor_001") { threshold } }'
    async with (
        connect(f"ws://{live_url}/graphql", subprotocols=[PROTOCOL]) as coordinator_ws,
        connect(f"ws://{live_url}/graphql", subprotocols=[PROTOCOL]) as mentor_ws,
        connect(f"ws://{live_url}/graphql", subprotocols=[PROTOCOL]) as outsider_ws,
        connect(f"ws://{live_url}/graphql", subprotocols=[PROTOCOL]) as other_mentor_ws,
        httpx.AsyncClient(base_url=f"http://{live_url}") as http,
    ):
        await _subscribe(coordinator_ws, auth.coordinator, query)
        await _subscribe(mentor_ws, auth.mentor("mentor_001"), own)
        await _subscribe(outsider_ws, auth.other_coordinator, query)
        await _subscribe(other_mentor_ws, auth.mentor("user_042"), query)
        await wait_for_subscribers(live_server.app, before + 4)
        # 500 hours is newly reached; 10-300 were already achieved in the demo data.
        body = {
            "mentor_id": "mentor_001",
            "period": {"year": 2025},
            "summary": {"total_hours": 512, "unique_contacts_helped": 47, "activity_count": 198},
        }
        response = await http.post("/api/v1/milestones", json=body, headers=auth.coordinator)
        assert response.status_code == 201  # the 1000 h record is new
        event = await _receive(coordinator_ws)
        assert event["type"] == "next"
        assert event["payload"]["data"]["milestoneAchieved"] == {
            "legacyId": "milestone_500h",
            "mentorId": "mentor_001",
            "threshold": 500,
            "type": "HOURS_LOGGED",
            "status": "ACHIEVED",
        }
        assert (await _receive(mentor_ws))["payload"]["data"]["milestoneAchieved"] == {
            "threshold": 500
        }
        # Detecting the same again achieves nothing new: no event. Proven by a later
        # detection that reaches 1000 h: the next event both subscribers hear is that one.
        again = await http.post("/api/v1/milestones", json=body, headers=auth.coordinator)
        assert again.status_code == 200, again.text  # nothing new recorded
        summary = {"total_hours": 1012, "unique_contacts_helped": 47, "activity_count": 198}
        later = {"mentor_id": "mentor_001", "period": {"year": 2025}, "summary": summary}
        reached = await http.post("/api/v1/milestones", json=later, headers=auth.coordinator)
        assert reached.status_code == 200, reached.text  # the 1000 h record exists
        event = await _receive(coordinator_ws)
        assert event["payload"]["data"]["milestoneAchieved"]["threshold"] == 1000, event
        assert (await _receive(mentor_ws))["payload"]["data"]["milestoneAchieved"] == {
            "threshold": 1000
        }
        # The outsider (org_05) and the other mentor heard none of mentor_001's: the next
        # event each hears is a later one of their own organisation's / their own.
        for ws, mentor in ((outsider_ws, "user_202"), (other_mentor_ws, "user_042")):
            fence = {
                "mentor_id": mentor,
                "period": {"start_date": "2025-06-01", "end_date": "2025-06-01"},
                "summary": {"total_hours": 12, "unique_contacts_helped": 1, "activity_count": 3},
            }
            made = await http.post("/api/v1/milestones", json=fence, headers=auth.admin)
            assert made.status_code == 201, made.text
            event = (await _receive(ws))["payload"]["data"]["milestoneAchieved"]
            assert (event["mentorId"], event["threshold"]) == (mentor, 10), event
