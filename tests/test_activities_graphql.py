"""Activities over GraphQL: types and loaders, the connection and its filters, totals,
mutations, the activity-type catalogue, the same rules as REST, and the subscription."""

from __future__ import annotations

import asyncio
import json
from datetime import date

import httpx
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from app.services.activity_totals import mentor_daily_totals, mentor_totals
from tests.conftest import LiveServer
from tests.helpers import (
    Auth,
    app_client,
    count_statements,
    error_codes,
    gql,
    known_caller,
    wait_for_subscribers,
)

ACTIVITY = """
query($id: String!) {
  activity(id: $id) {
    id legacyId localId peerMentorId date durationMinutes hours status notes version
    createdAt updatedAt decidedById
    mentor { legacyId name }
    activityType { legacyId name active }
  }
}
"""

PAGE = """
query($first: Int, $after: String, $mentor: String, $from: Date, $to: Date,
      $status: ActivityStatus, $type: String) {
  activities(first: $first, after: $after, peerMentorId: $mentor, from: $from, to: $to,
             status: $status, activityTypeId: $type) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { legacyId date status durationMinutes mentor { name } activityType { name } }
  }
}
"""


async def test_activity_with_mentor_and_type(client, demo, auth: Auth):
    body = await gql(client, ACTIVITY, {"id": "act_9f3a12bc"}, auth.mentor("mentor_4b8c21"))
    assert "errors" not in body, body
    activity = body["data"]["activity"]
    assert activity["legacyId"] == "act_9f3a12bc"
    assert activity["localId"] == "local_7e2d1a"
    assert (activity["date"], activity["durationMinutes"], activity["hours"]) == (
        "2026-03-25",
        45,
        0.75,
    )
    assert activity["status"] == "CONFIRMED"
    assert activity["decidedById"] == "user_007"
    assert activity["mentor"] == {"legacyId": "mentor_4b8c21", "name": "Emil Strand"}
    assert activity["activityType"] == {
        "legacyId": "type_running",
        "name": "Running",
        "active": True,
    }
    node = await gql(
        client,
        "query($id: ID!) { node(id: $id) { ... on Activity { legacyId } } }",
        {"id": activity["id"]},
        auth.mentor("mentor_4b8c21"),
    )
    assert node["data"]["node"] == {"legacyId": "act_9f3a12bc"}
    hidden = await gql(
        client,
        "query($id: ID!) { node(id: $id) { ... on Activity { legacyId } } }",
        {"id": activity["id"]},
        auth.other_coordinator,
    )
    assert hidden["data"]["node"] is None


async def test_activity_hidden_from_others(client, demo, auth: Auth):
    for headers in (auth.other_coordinator, auth.mentor("user_042")):
        body = await gql(client, ACTIVITY, {"id": "act_9f3a12bc"}, headers)
        assert error_codes(body) == ["NOT_FOUND"]
    anonymous = await gql(client, ACTIVITY, {"id": "act_9f3a12bc"})
    assert error_codes(anonymous) == ["UNAUTHENTICATED"]


async def test_connection_filters_and_pages(client, demo, auth: Auth):
    admin = auth.admin
    base = {"mentor": "mentor_4b8c21"}
    total = (await gql(client, PAGE, base, admin))["data"]["activities"]["totalCount"]
    assert total == 47
    pending = await gql(client, PAGE, {**base, "status": "PENDING"}, admin)
    assert pending["data"]["activities"]["totalCount"] == 3
    assert {n["status"] for n in pending["data"]["activities"]["nodes"]} == {"PENDING"}
    day = await gql(client, PAGE, {**base, "from": "2026-03-25", "to": "2026-03-25"}, admin)
    assert [n["legacyId"] for n in day["data"]["activities"]["nodes"]] == ["act_9f3a12bc"]
    typed = await gql(client, PAGE, {**base, "type": "type_running"}, admin)
    assert {n["activityType"]["name"] for n in typed["data"]["activities"]["nodes"]} == {"Running"}
    first = (await gql(client, PAGE, {**base, "first": 20}, admin))["data"]["activities"]
    second = (
        await gql(
            client, PAGE, {**base, "first": 20, "after": first["pageInfo"]["endCursor"]}, admin
        )
    )["data"]["activities"]
    ids = [n["legacyId"] for n in first["nodes"] + second["nodes"]]
    assert len(ids) == len(set(ids)) == 40
    bad = await gql(client, PAGE, {**base, "from": "2026-03-26", "to": "2026-03-25"}, admin)
    assert error_codes(bad) == ["BAD_USER_INPUT"]


async def test_statements_do_not_grow_with_page_size(client, demo, auth: Auth):
    await known_caller(client, auth.coordinator)
    counts = []
    for size in (1, 10, 50):
        with count_statements() as counter:
            body = await gql(
                client, PAGE, {"first": size, "mentor": "mentor_001"}, auth.coordinator
            )
        assert "errors" not in body, body
        assert len(body["data"]["activities"]["nodes"]) == size
        counts.append(counter.count)
    assert counts[0] > 0
    assert counts[0] == counts[1] == counts[2], counts


async def test_prefetched_relations_match_per_item_loads(settings, client, demo, auth: Auth):
    # The page primes its mentors and types and the fields answer from the loaders' cache;
    # with DataLoaders off nothing is primed and every field loads its own row.
    variables = {"first": 100, "mentor": "mentor_001"}
    batched = await gql(client, PAGE, variables, auth.admin)
    async with app_client(settings, dataloader_batching=False) as unbatched:
        one_by_one = await gql(unbatched, PAGE, variables, auth.admin)
    assert "errors" not in batched, batched
    nodes = batched["data"]["activities"]["nodes"]
    assert len(nodes) == 100
    person = await gql(client, '{ person(id: "mentor_001") { name } }', headers=auth.admin)
    assert {node["mentor"]["name"] for node in nodes} == {person["data"]["person"]["name"]}
    assert all(node["activityType"]["name"] for node in nodes)
    assert len({node["activityType"]["name"] for node in nodes}) > 1
    assert one_by_one == batched


async def test_mentor_totals_for_2025(client, demo, auth: Auth, db):
    query = """query($m: String!, $from: Date!, $to: Date!) {
      mentorActivityTotals(mentorId: $m, from: $from, to: $to) {
        mentorId from to minutes hours activityCount mentor { name }
      }
    }"""
    variables = {"m": "mentor_001", "from": "2025-01-01", "to": "2025-12-31"}
    body = await gql(client, query, variables, auth.mentor("mentor_001"))
    assert body["data"]["mentorActivityTotals"] == {
        "mentorId": "mentor_001",
        "from": "2025-01-01",
        "to": "2025-12-31",
        "minutes": 18750,
        "hours": 312.5,
        "activityCount": 198,
        "mentor": {"name": "Hanna Dahl"},
    }
    assert (await gql(client, query, variables, auth.coordinator))["data"] is not None
    for headers in (auth.other_coordinator, auth.mentor("user_042")):
        assert error_codes(await gql(client, query, variables, headers)) == ["NOT_FOUND"]
    backwards = {**variables, "from": "2025-12-31", "to": "2025-01-01"}
    assert error_codes(await gql(client, query, backwards, auth.admin)) == ["BAD_USER_INPUT"]
    # The service the milestones domain calls: same totals, and the crossing day.
    async with db.read() as session:
        totals = await mentor_totals(session, "mentor_001", date(2025, 1, 1), date(2025, 12, 31))
        daily = await mentor_daily_totals(
            session, "mentor_001", date(2025, 1, 1), date(2025, 12, 31)
        )
    assert (totals.hours, totals.activity_count) == (312.5, 198)
    running, crossed = 0, None
    for total in daily:
        running += total.minutes
        if running >= 6000 and crossed is None:
            crossed = total.day
    assert crossed == date(2025, 7, 14)
    assert sum(t.activity_count for t in daily) == 198


LOG = """mutation($input: LogActivityInput!) {
  logActivity(input: $input) { created activity { legacyId status localId peerMentorId } }
}"""


async def test_log_activity_created_then_existing(client, demo, auth: Auth):
    variables = {
        "input": {
            "localId": "gql_1",
            "activityTypeId": "type_group_session",
            "date": "2026-11-05",
            "durationMinutes": 120,
        }
    }
    first = await gql(client, LOG, variables, auth.mentor("user_042"))
    assert first["data"]["logActivity"]["created"] is True
    activity = first["data"]["logActivity"]["activity"]
    assert (activity["status"], activity["peerMentorId"]) == ("PENDING", "user_042")
    again = await gql(client, LOG, variables, auth.mentor("user_042"))
    assert again["data"]["logActivity"] == {"created": False, "activity": activity}


async def test_decisions_follow_the_same_rules_as_rest(client, demo, auth: Auth):
    created = await gql(
        client,
        LOG,
        {
            "input": {
                "localId": "gql_decide",
                "activityTypeId": "type_visit",
                "date": "2026-11-05",
                "durationMinutes": 60,
            }
        },
        auth.mentor("mentor_4b8c21"),
    )
    activity_id = created["data"]["logActivity"]["activity"]["legacyId"]
    confirm = (
        f'mutation {{ confirmActivity(id: "{activity_id}") {{ status decidedById version }} }}'
    )
    assert error_codes(await gql(client, confirm, headers=auth.other_coordinator)) == ["NOT_FOUND"]
    assert error_codes(await gql(client, confirm, headers=auth.mentor("mentor_4b8c21"))) == [
        "FORBIDDEN"
    ]
    rest = await client.put(
        f"/api/v1/activities/{activity_id}",
        json={"status": "confirmed"},
        headers=auth.mentor("mentor_4b8c21"),
    )
    assert rest.status_code == 403
    done = (await gql(client, confirm, headers=auth.coordinator))["data"]["confirmActivity"]
    assert (done["status"], done["decidedById"]) == ("CONFIRMED", "user_007")
    # Confirming again changes nothing.
    again = (await gql(client, confirm, headers=auth.coordinator))["data"]["confirmActivity"]
    assert again["version"] == done["version"]
    reject = """mutation($id: String!, $reason: String!, $v: Int) {
      rejectActivity(id: $id, reason: $reason, expectedVersion: $v) { status rejectionReason }
    }"""
    empty = await gql(client, reject, {"id": activity_id, "reason": "  "}, auth.coordinator)
    assert error_codes(empty) == ["BAD_USER_INPUT"]
    stale = await gql(
        client, reject, {"id": activity_id, "reason": "Wrong day", "v": 1}, auth.coordinator
    )
    assert error_codes(stale) == ["CONFLICT"]
    rejected = await gql(
        client,
        reject,
        {"id": activity_id, "reason": "Wrong day", "v": done["version"]},
        auth.coordinator,
    )
    assert rejected["data"]["rejectActivity"] == {
        "status": "REJECTED",
        "rejectionReason": "Wrong day",
    }


UPDATE = """mutation($id: String!, $input: UpdateActivityInput!, $v: Int) {
  updateActivity(id: $id, input: $input, expectedVersion: $v) {
    status durationMinutes notes version
  }
}"""


async def test_update_activity_needs_version_for_decided(client, demo, auth: Auth):
    mentor = auth.mentor("mentor_4b8c21")
    variables = {"id": "act_9f3a12bc", "input": {"durationMinutes": 50}}
    missing = await gql(client, UPDATE, variables, mentor)
    assert error_codes(missing) == ["BAD_USER_INPUT"]
    stale = await gql(client, UPDATE, {**variables, "v": 1}, mentor)
    assert error_codes(stale) == ["CONFLICT"]
    current = (await gql(client, ACTIVITY, {"id": "act_9f3a12bc"}, mentor))["data"]["activity"]
    done = await gql(client, UPDATE, {**variables, "v": current["version"]}, mentor)
    assert done["data"]["updateActivity"]["status"] == "PENDING"
    assert done["data"]["updateActivity"]["durationMinutes"] == 50
    invalid = await gql(
        client,
        UPDATE,
        {"id": "act_9f3a12bc", "input": {"durationMinutes": 0, "date": "2026-3-1"}},
        auth.coordinator,
    )
    assert error_codes(invalid) == ["BAD_USER_INPUT"]
    fields = {e["field"] for e in invalid["errors"][0]["extensions"]["errors"]}
    assert fields == {"durationMinutes", "date"}
    cleared = await gql(
        client, UPDATE, {"id": "act_9f3a12bc", "input": {"notes": None}}, auth.coordinator
    )
    assert cleared["data"]["updateActivity"]["notes"] is None


async def test_delete_and_restore(client, demo, auth: Auth):
    delete = 'mutation { deleteActivity(id: "act_9f3a12bc") }'
    assert (await gql(client, delete, headers=auth.coordinator))["data"]["deleteActivity"] is True
    gone = await gql(client, ACTIVITY, {"id": "act_9f3a12bc"}, auth.admin)
    assert error_codes(gone) == ["NOT_FOUND"]
    restore = 'mutation { restoreActivity(id: "act_9f3a12bc") { legacyId status } }'
    assert error_codes(await gql(client, restore, headers=auth.coordinator)) == ["FORBIDDEN"]
    back = await gql(client, restore, headers=auth.admin)
    assert back["data"]["restoreActivity"] == {"legacyId": "act_9f3a12bc", "status": "CONFIRMED"}
    assert (
        await client.get("/api/v1/activities/act_9f3a12bc", headers=auth.admin)
    ).status_code == 200


TYPES = "query($all: Boolean!) { activityTypes(includeInactive: $all) { legacyId name active } }"
CREATE_TYPE = """mutation($input: CreateActivityTypeInput!) {
  createActivityType(input: $input) { legacyId name description active }
}"""


async def test_activity_type_catalogue(client, demo, auth: Auth):
    listed = (await gql(client, TYPES, {"all": False}, auth.mentor("user_042")))["data"]
    ids = {t["legacyId"] for t in listed["activityTypes"]}
    assert {
        "type_running",
        "type_cycling",
        "type_meeting",
        "type_call",
        "type_visit",
        "type_group_session",
    } <= ids
    new = {"id": "type_swimming", "name": "Swimming", "description": "In the pool or the sea."}
    denied = await gql(client, CREATE_TYPE, {"input": new}, auth.coordinator)
    assert error_codes(denied) == ["FORBIDDEN"]
    created = await gql(client, CREATE_TYPE, {"input": new}, auth.admin)
    assert created["data"]["createActivityType"]["active"] is True
    duplicate = await gql(client, CREATE_TYPE, {"input": new}, auth.admin)
    assert error_codes(duplicate) == ["CONFLICT"]
    same_name = await gql(
        client, CREATE_TYPE, {"input": {"id": "type_swim", "name": "swimming"}}, auth.admin
    )
    assert error_codes(same_name) == ["CONFLICT"]
    bad = await gql(client, CREATE_TYPE, {"input": {"id": "Swim!", "name": ""}}, auth.admin)
    assert error_codes(bad) == ["BAD_USER_INPUT"]
    assert {e["field"] for e in bad["errors"][0]["extensions"]["errors"]} == {"id", "name"}
    retire = """mutation {
      updateActivityType(id: "type_swimming", input: {active: false}) { active description }
    }"""
    assert (await gql(client, retire, headers=auth.admin))["data"]["updateActivityType"] == {
        "active": False,
        "description": "In the pool or the sea.",
    }
    active_ids = {
        t["legacyId"]
        for t in (await gql(client, TYPES, {"all": False}, auth.admin))["data"]["activityTypes"]
    }
    all_ids = {
        t["legacyId"]
        for t in (await gql(client, TYPES, {"all": True}, auth.admin))["data"]["activityTypes"]
    }
    assert "type_swimming" not in active_ids
    assert "type_swimming" in all_ids
    retired = await gql(
        client,
        LOG,
        {
            "input": {
                "localId": "gql_swim",
                "activityTypeId": "type_swimming",
                "date": "2026-11-05",
                "durationMinutes": 30,
            }
        },
        auth.mentor("user_042"),
    )
    assert error_codes(retired) == ["BAD_USER_INPUT"]
    assert retired["errors"][0]["extensions"]["errors"][0]["field"] == "activityTypeId"


PROTOCOL = Subprotocol("graphql-transport-ws")
STATUS_CHANGED = "subscription { activityStatusChanged { activityId peerMentorId status previousStatus rejectionReason } }"


async def _subscribe(url: str, headers: dict[str, str]):
    ws = await connect(f"ws://{url}/graphql", subprotocols=[PROTOCOL])
    await ws.send(json.dumps({"type": "connection_init", "payload": headers}))
    ack = json.loads(await asyncio.wait_for(ws.recv(), timeout=5))
    assert ack["type"] == "connection_ack", ack
    await ws.send(
        json.dumps({"id": "1", "type": "subscribe", "payload": {"query": STATUS_CHANGED}})
    )
    return ws


async def test_status_changes_reach_the_mentor_and_not_others(
    live_server: LiveServer, demo, auth: Auth
):
    """The mentor hears the rejection of their activity; org_05's coordinator does not
    (the next event they hear is a later change of an org_05 activity). Fails if
    ``may_see_event`` lets every coordinator through, or drops the mentor's own."""
    live_url = live_server.url
    before = live_server.app.state.events.subscriber_count
    mentor_ws = await _subscribe(live_url, auth.mentor("mentor_4b8c21"))
    other_ws = await _subscribe(live_url, auth.other_coordinator)
    try:
        await wait_for_subscribers(live_server.app, before + 2)
        async with httpx.AsyncClient(base_url=f"http://{live_url}") as http:
            response = await http.put(
                "/api/v1/activities/act_9f3a12bc",
                json={"status": "rejected", "rejection_reason": "Logged twice"},
                headers=auth.coordinator,
            )
            assert response.status_code == 200, response.text
            event = json.loads(await asyncio.wait_for(mentor_ws.recv(), timeout=5))
            assert event["type"] == "next"
            assert event["payload"]["data"]["activityStatusChanged"] == {
                "activityId": "act_9f3a12bc",
                "peerMentorId": "mentor_4b8c21",
                "status": "REJECTED",
                "previousStatus": "CONFIRMED",
                "rejectionReason": "Logged twice",
            }
            body = {
                "local_id": "org05_fence",
                "peer_mentor_id": "user_202",
                "activity_type_id": "type_call",
                "date": "2026-11-03",
                "duration_minutes": 30,
            }
            created = await http.post("/api/v1/activities", json=body, headers=auth.admin)
            assert created.status_code == 201, created.text
            fence = created.json()["id"]
            decided = await http.put(
                f"/api/v1/activities/{fence}",
                json={"status": "rejected", "rejection_reason": "Fence"},
                headers=auth.other_coordinator,
            )
            assert decided.status_code == 200, decided.text
        event = json.loads(await asyncio.wait_for(other_ws.recv(), timeout=5))
        assert event["payload"]["data"]["activityStatusChanged"]["activityId"] == fence, event
    finally:
        await mentor_ws.close()
        await other_ws.close()


async def test_coordinator_does_not_decide_on_their_own_activity(client, demo, auth: Auth):
    both = auth("user_019", "peer_mentor", "coordinator", orgs=("org_03",))
    created = await gql(
        client,
        LOG,
        {
            "input": {
                "localId": "own_1",
                "activityTypeId": "type_call",
                "date": "2026-11-05",
                "durationMinutes": 25,
            }
        },
        both,
    )
    activity_id = created["data"]["logActivity"]["activity"]["legacyId"]
    confirm = f'mutation {{ confirmActivity(id: "{activity_id}") {{ status }} }}'
    assert error_codes(await gql(client, confirm, headers=both)) == ["FORBIDDEN"]
    done = await gql(client, confirm, headers=auth.coordinator)
    assert done["data"]["confirmActivity"] == {"status": "CONFIRMED"}
