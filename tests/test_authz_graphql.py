"""The authorization matrix of the GraphQL door: every Query and Mutation root field by
every role (subscriptions: tests/test_authz_subscriptions.py).

The rows are checked against the schema's root fields, so a new field without a row fails
``test_every_root_field_has_a_row``. Each cell is ``DATA``, ``NULL`` (a nullable field that
hides the record), an error code, or, for lists, which of the world's org_03 and org_05
records the caller sees (``both``/``o3``/``o5``/``none``). The same callers and records as
the REST matrix (tests/authz_support.py); the cells agree with it wherever both doors have
the operation.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from app.settings import Settings
from schema import build_schema
from schema.base import to_global_id
from tests.authz_support import EDITORIAL, OWNER, ROLES, World, build_world, seen, unique
from tests.helpers import Auth

DATA, NULL = "DATA", "NULL"
NF, DENIED, ANON, INVALID = "NOT_FOUND", "FORBIDDEN", "UNAUTHENTICATED", "BAD_USER_INPUT"
Value = Callable[[World, str], Awaitable[Any]]


def o3(kind: str) -> Value:
    async def value(world: World, _who: str) -> str:
        return world.o3[kind]

    return value


def const(data: Any) -> Value:
    async def value(_world: World, _who: str) -> Any:
        return data

    return value


def fresh(make: str, *args: Any) -> Value:
    async def value(world: World, _who: str) -> Any:
        return await getattr(world, f"new_{make}")(*args)

    return value


def new_id(prefix: str) -> Value:
    async def value(_world: World, _who: str) -> str:
        return unique(prefix)

    return value


async def _global_assignment(world: World, _who: str) -> str:
    return str(to_global_id("Assignment", world.o3["assignment"]))


async def _new_mentee(world: World, _who: str) -> str:
    return await world.new_mentee("org_03")


async def _activity_input(_world: World, _who: str) -> dict[str, Any]:
    return {
        "localId": unique("authz-gql-"),
        "peerMentorId": OWNER,
        "activityTypeId": "type_call",
        "date": "2026-01-05",
        "durationMinutes": 45,
    }


async def _sync_items(world: World, who: str) -> list[dict[str, Any]]:
    return [await _activity_input(world, who)]


async def _detect_input(world: World, _who: str) -> dict[str, Any]:
    body = world.detect_body(OWNER)
    return {
        "mentorId": OWNER,
        "period": {
            "startDate": body["period"]["start_date"],
            "endDate": body["period"]["end_date"],
        },
        "summary": {"totalHours": 12, "uniqueContactsHelped": 1, "activityCount": 3},
    }


async def _srn(world: World, _who: str) -> str:
    return f"srn:tsn:ceo-core/assignment:{await world.new_editorial()}"


async def _locked_by_caller(world: World, who: str) -> str:
    uuid = await world.new_editorial()
    await world.try_lock(who, uuid)
    return uuid


async def _lock_of_caller(world: World, who: str) -> str:
    """The caller's own lock when they may take one, else one the editor holds."""
    uuid = await world.new_editorial()
    srn = f"srn:tsn:ceo-core/assignment:{uuid}"
    taken = await world.call("POST", "/v3/lock-request", who, {"srn": srn})
    if taken.status_code == 200:
        return str(taken.json()["uuid"])
    return await world.new_lock()


async def _deleted(world: World, kind: str, path: str) -> str:
    key = await getattr(world, f"new_{kind}")()
    await world.ok("DELETE", f"{path}/{key}")
    return str(key)


async def _deleted_activity(world: World, _who: str) -> str:
    return await _deleted(world, "activity", "/api/v1/activities")


async def _deleted_assignment(world: World, _who: str) -> str:
    return await _deleted(world, "assignment", "/api/v1/assignments")


async def _deleted_milestone(world: World, _who: str) -> str:
    return await _deleted(world, "milestone", "/api/v1/milestones")


async def _api_key(world: World, _who: str) -> str:
    data = await world.gql(
        "mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { apiKey { keyId } } }",
        {"i": {"name": unique("key "), "personId": OWNER, "role": "peer_mentor"}},
    )
    return str(data["createApiKey"]["apiKey"]["keyId"])


_thresholds = iter(range(7001, 9000))


async def _definition_input(_world: World, _who: str) -> dict[str, Any]:
    return {"type": "HOURS_LOGGED", "threshold": next(_thresholds), "name": unique("Hours ")}


def _sync_outcome(data: dict[str, Any]) -> str:
    """``syncActivities`` answers per item: a refused item carries the error code."""
    error = data["syncActivities"]["results"][0]["error"]
    return DATA if error is None else str(error["code"])


@dataclass(frozen=True)
class Op:
    field: str
    doc: str
    expect: tuple[str, ...]
    vars: tuple[tuple[str, Value], ...] = ()
    lists: str | None = None
    probe: Callable[[dict[str, Any]], str] | None = None


def op(field: str, doc: str, *expect: str, **kw: Any) -> Op:
    assert len(expect) == len(ROLES), field
    return Op(field, doc, expect, tuple(kw.pop("vars", {}).items()), **kw)


ID = {"id": o3("assignment")}
MENTOR = {"m": const(OWNER)}

# fmt: off
QUERIES: tuple[Op, ...] = (
    #                                                                 admin  coord  other  owner  peer   editor anon
    op("node", "query($id: ID!) { node(id: $id) { id } }",           DATA,  DATA,  NULL,  DATA,  NULL,  NULL,  ANON,
       vars={"id": _global_assignment}),
    op("nodes", "query($id: ID!) { nodes(ids: [$id]) { id } }",      "o3",  "o3",  "none", "o3", "none", "none", ANON,
       vars={"id": _global_assignment}, lists="global_assignment"),
    op("me", "{ me { legacyId } }",                                   DATA,  DATA,  DATA,  DATA,  DATA,  DATA,  ANON),
    op("person", "query($id: String!) { person(id: $id) { legacyId } }",
                                                                      DATA,  DATA,  NF,    DATA,  NF,    NF,    ANON,
       vars={"id": o3("person")}),
    op("people", '{ people(first: 100, role: "peer_mentor") { nodes { legacyId } } }',
                                                                      "both", "o3", "o5",  "o3",  "none", "none", ANON,
       lists="person"),
    op("organisation", "query($id: String!) { organisation(id: $id) { legacyId } }",
                                                                      DATA,  DATA,  NF,    DATA,  DATA,  NF,    ANON,
       vars={"id": o3("org")}),
    op("organisations", "{ organisations(first: 100) { nodes { legacyId } } }",
                                                                      "both", "o3", "o5",  "o3",  "o3",  "none", ANON,
       lists="org"),
    op("apiKeys", "{ apiKeys { keyId } }",                            DATA,  DENIED, DENIED, DENIED, DENIED, DENIED, ANON),
    op("editorialAssignment", "query($u: String!) { editorialAssignment(uuid: $u) { uuid } }",
                                                                      DATA,  DENIED, DENIED, DENIED, DENIED, DATA, ANON,
       vars={"u": const(EDITORIAL)}),
    op("editorialAssignments", "{ editorialAssignments(first: 5) { totalCount } }",
                                                                      DATA,  DENIED, DENIED, DENIED, DENIED, DATA, ANON),
    op("editorialLock", "query($u: String!) { editorialLock(uuid: $u) { uuid } }",
                                                                      DATA,  DENIED, DENIED, DENIED, DENIED, DATA, ANON,
       vars={"u": fresh("lock")}),
    op("activity", "query($id: String!) { activity(id: $id) { legacyId } }",
                                                                      DATA,  DATA,  NF,    DATA,  NF,    DENIED, ANON,
       vars={"id": o3("activity")}),
    op("activities", "{ activities(first: 100) { nodes { legacyId } } }",
                                                                      "both", "o3", "o5",  "o3",  "none", DENIED, ANON,
       lists="activity"),
    op("activityTypes", "{ activityTypes { legacyId } }",             DATA,  DATA,  DATA,  DATA,  DATA,  DATA,  ANON),
    op("mentorActivityTotals",
       'query($m: String!) { mentorActivityTotals(mentorId: $m, from: "2026-01-01", to: "2026-12-31") { minutes } }',
                                                                      DATA,  DATA,  NF,    DATA,  NF,    DENIED, ANON,
       vars=MENTOR),
    op("assignment", "query($id: String!) { assignment(id: $id) { legacyId } }",
                                                                      DATA,  DATA,  NF,    DATA,  NF,    DENIED, ANON,
       vars=ID),
    op("assignments", "{ assignments(first: 100, status: ALL) { nodes { legacyId } } }",
                                                                      "both", "o3", "o5",  "o3",  "none", DENIED, ANON,
       lists="assignment"),
    op("overdueAssignments", '{ overdueAssignments(cutoff: "2099-01-01", first: 100) { nodes { legacyId } } }',
                                                                      "both", "o3", "o5",  "o3",  "none", DENIED, ANON,
       lists="assignment"),
    op("mentorAssignments", "query($m: String!) { mentorAssignments(mentorId: $m, first: 100) { totalCount } }",
                                                                      DATA,  DATA,  NF,    DATA,  NF,    DENIED, ANON,
       vars=MENTOR),
    op("openAssignmentCount", "query($m: String!) { openAssignmentCount(mentorId: $m) }",
                                                                      DATA,  DATA,  NF,    DATA,  NF,    DENIED, ANON,
       vars=MENTOR),
    op("notifications", "{ notifications(first: 100) { totalCount } }",
                                                                      DATA,  DATA,  DATA,  DATA,  DATA,  DENIED, ANON),
    op("milestone", "query($id: String!) { milestone(id: $id) { legacyId } }",
                                                                      DATA,  DATA,  NF,    DATA,  NF,    DENIED, ANON,
       vars={"id": o3("milestone")}),
    op("milestones", "{ milestones(first: 100) { nodes { legacyId } } }",
                                                                      "both", "o3", "o5",  "o3",  "none", DENIED, ANON,
       lists="milestone"),
    op("newMilestones", "query($m: String!) { newMilestones(mentorId: $m, year: 2025) { totalCount } }",
                                                                      DATA,  DATA,  NF,    DATA,  NF,    DENIED, ANON,
       vars=MENTOR),
    op("milestonesInProgress",
       "query($m: String!) { milestonesInProgress(mentorId: $m, year: 2025) { totalCount } }",
                                                                      DATA,  DATA,  NF,    DATA,  NF,    DENIED, ANON,
       vars=MENTOR),
    op("milestoneDefinitions", "{ milestoneDefinitions { legacyId } }",
                                                                      DATA,  DATA,  DATA,  DATA,  DATA,  DATA,  ANON),
    op("notificationChannels", "{ notificationChannels { channelId } }",
                                                                      DATA,  DATA,  DATA,  DATA,  DATA,  DATA,  ANON),
)

MUTATIONS: tuple[Op, ...] = (
    #                                                                 admin  coord  other  owner  peer   editor anon
    # --- directory (admins manage people, organisations and keys) ---
    op("createPerson", 'mutation($id: String!) { createPerson(input: {id: $id, name: "N"}) { legacyId } }',
                                                                      DATA,  DENIED, DENIED, DENIED, DENIED, DENIED, ANON,
       vars={"id": new_id("authz_gp")}),
    op("updatePerson", 'mutation($id: String!) { updatePerson(id: $id, input: {name: "Ola Hansen"}) { name } }',
                                                                      DATA,  DENIED, NF,   DATA,  NF,    NF,    ANON,
       vars={"id": o3("person")}),
    op("deletePerson", "mutation($id: String!) { deletePerson(id: $id) }",
                                                                      DATA,  DENIED, DENIED, DENIED, DENIED, DENIED, ANON,
       vars={"id": _new_mentee}),
    op("createOrganisation", 'mutation($id: String!) { createOrganisation(input: {id: $id, name: "O"}) { legacyId } }',
                                                                      DATA,  DENIED, DENIED, DENIED, DENIED, DENIED, ANON,
       vars={"id": new_id("org_authz")}),
    op("updateOrganisation",
       "mutation($id: String!) { updateOrganisation(id: $id, input: {reminderDays: 10}) { reminderDays } }",
                                                                      DATA,  DATA,  NF,    DENIED, DENIED, NF,   ANON,
       vars={"id": o3("org")}),
    op("addMembership", 'mutation($p: String!) { addMembership(personId: $p, orgId: "org_03", role: "mentee") { role } }',
                                                                      DATA,  DENIED, DENIED, DENIED, DENIED, DENIED, ANON,
       vars={"p": _new_mentee}),
    op("removeMembership", 'mutation($p: String!) { removeMembership(personId: $p, orgId: "org_03") }',
                                                                      DATA,  DENIED, DENIED, DENIED, DENIED, DENIED, ANON,
       vars={"p": _new_mentee}),
    op("createApiKey",
       'mutation { createApiKey(input: {name: "k", personId: "user_042", role: "peer_mentor"}) { key } }',
                                                                      DATA,  DENIED, DENIED, DENIED, DENIED, DENIED, ANON),
    op("revokeApiKey", "mutation($k: String!) { revokeApiKey(keyId: $k) { revokedAt } }",
                                                                      DATA,  DENIED, DENIED, DENIED, DENIED, DENIED, ANON,
       vars={"k": _api_key}),
    # --- editorial: ACL actions ---
    op("createEditorialAssignment", 'mutation { createEditorialAssignment(input: {title: "T"}) { uuid } }',
                                                                      DATA,  DENIED, DENIED, DENIED, DENIED, DATA, ANON),
    op("updateEditorialAssignment",
       'mutation($u: String!) { updateEditorialAssignment(uuid: $u, input: {title: "U"}) { title } }',
                                                                      DATA,  DENIED, DENIED, DENIED, DENIED, DATA, ANON,
       vars={"u": _locked_by_caller}),
    op("deleteEditorialAssignment", "mutation($u: String!) { deleteEditorialAssignment(uuid: $u) }",
                                                                      DATA,  DENIED, DENIED, DENIED, DENIED, DATA, ANON,
       vars={"u": _locked_by_caller}),
    op("acquireEditorialLock", "mutation($s: String!) { acquireEditorialLock(srn: $s) { uuid } }",
                                                                      DATA,  DENIED, DENIED, DENIED, DENIED, DATA, ANON,
       vars={"s": _srn}),
    op("renewEditorialLock", "mutation($u: String!) { renewEditorialLock(uuid: $u) { uuid } }",
                                                                      DATA,  DENIED, DENIED, DENIED, DENIED, DATA, ANON,
       vars={"u": _lock_of_caller}),
    op("releaseEditorialLock", "mutation($u: String!) { releaseEditorialLock(uuid: $u) }",
                                                                      DATA,  DENIED, DENIED, DENIED, DENIED, DATA, ANON,
       vars={"u": fresh("lock")}),
    # --- activities ---
    op("logActivity", "mutation($i: LogActivityInput!) { logActivity(input: $i) { created } }",
                                                                      DATA,  DATA,  DENIED, DATA,  DENIED, DENIED, ANON,
       vars={"i": _activity_input}),
    op("syncActivities", "mutation($i: [LogActivityInput!]!) { syncActivities(items: $i) { results { error { code } } } }",
                                                                      DATA,  DATA,  DENIED, DATA,  DENIED, DENIED, ANON,
       vars={"i": _sync_items}, probe=_sync_outcome),
    op("updateActivity", 'mutation($id: String!) { updateActivity(id: $id, input: {notes: "m"}) { notes } }',
                                                                      DATA,  DATA,  NF,    DATA,  NF,    DENIED, ANON,
       vars={"id": fresh("activity")}),
    op("confirmActivity", "mutation($id: String!) { confirmActivity(id: $id) { status } }",
                                                                      DATA,  DATA,  NF,    DENIED, NF,   DENIED, ANON,
       vars={"id": fresh("activity")}),
    op("rejectActivity", 'mutation($id: String!) { rejectActivity(id: $id, reason: "no") { status } }',
                                                                      DATA,  DATA,  NF,    DENIED, NF,   DENIED, ANON,
       vars={"id": fresh("activity")}),
    op("deleteActivity", "mutation($id: String!) { deleteActivity(id: $id) }",
                                                                      DATA,  DATA,  NF,    DATA,  NF,    DENIED, ANON,
       vars={"id": fresh("activity")}),
    op("restoreActivity", "mutation($id: String!) { restoreActivity(id: $id) { legacyId } }",
                                                                      DATA,  DENIED, DENIED, DENIED, DENIED, DENIED, ANON,
       vars={"id": _deleted_activity}),
    op("createActivityType",
       'mutation($id: String!) { createActivityType(input: {id: $id, name: $id}) { legacyId } }',
                                                                      DATA,  DENIED, DENIED, DENIED, DENIED, DENIED, ANON,
       vars={"id": new_id("type_authz")}),
    op("updateActivityType",
       'mutation { updateActivityType(id: "type_other", input: {description: "Other"}) { legacyId } }',
                                                                      DATA,  DENIED, DENIED, DENIED, DENIED, DENIED, ANON),
    # --- mentoring assignments ---
    op("createAssignment",
       'mutation($m: String!) { createAssignment(input: {mentorId: "user_042", menteeId: $m, orgId: "org_03"}) { legacyId } }',
                                                                      DATA,  DATA,  INVALID, DENIED, DENIED, DENIED, ANON,
       vars={"m": _new_mentee}),
    op("updateAssignment", 'mutation($id: String!) { updateAssignment(id: $id, input: {notes: "m"}) { notes } }',
                                                                      DATA,  DATA,  NF,    DATA,  NF,    DENIED, ANON,
       vars={"id": fresh("assignment")}),
    op("recordContact", "mutation($id: String!) { recordContact(id: $id, contactType: CALL) { legacyId } }",
                                                                      DATA,  DATA,  NF,    DATA,  NF,    DENIED, ANON,
       vars={"id": fresh("assignment")}),
    op("changeAssignmentStatus",
       "mutation($id: String!) { changeAssignmentStatus(id: $id, status: CLOSED) { status } }",
                                                                      DATA,  DATA,  NF,    DENIED, NF,   DENIED, ANON,
       vars={"id": fresh("assignment")}),
    op("deleteAssignment", "mutation($id: String!) { deleteAssignment(id: $id) }",
                                                                      DATA,  DATA,  NF,    DENIED, NF,   DENIED, ANON,
       vars={"id": fresh("assignment")}),
    op("restoreAssignment", "mutation($id: String!) { restoreAssignment(id: $id) { legacyId } }",
                                                                      DATA,  DENIED, DENIED, DENIED, DENIED, DENIED, ANON,
       vars={"id": _deleted_assignment}),
    op("runFollowUpSweep", "mutation { runFollowUpSweep { reminders } }",
                                                                      DATA,  DENIED, DENIED, DENIED, DENIED, DENIED, ANON),
    # --- milestones ---
    op("detectMilestones", "mutation($i: DetectMilestonesInput!) { detectMilestones(input: $i) { created } }",
                                                                      DATA,  DATA,  INVALID, DENIED, DENIED, DENIED, ANON,
       vars={"i": _detect_input}),
    op("updateMilestone", "mutation($id: String!) { updateMilestone(id: $id, input: {achievedValue: 11}) { legacyId } }",
                                                                      DATA,  DATA,  NF,    DENIED, NF,   DENIED, ANON,
       vars={"id": fresh("milestone")}),
    op("deleteMilestone", "mutation($id: String!) { deleteMilestone(id: $id) }",
                                                                      DATA,  DATA,  NF,    DENIED, NF,   DENIED, ANON,
       vars={"id": fresh("milestone")}),
    op("restoreMilestone", "mutation($id: String!) { restoreMilestone(id: $id) { legacyId } }",
                                                                      DATA,  DENIED, DENIED, DENIED, DENIED, DENIED, ANON,
       vars={"id": _deleted_milestone}),
    op("createMilestoneDefinition",
       "mutation($i: CreateMilestoneDefinitionInput!) { createMilestoneDefinition(input: $i) { legacyId } }",
                                                                      DATA,  DENIED, DENIED, DENIED, DENIED, DENIED, ANON,
       vars={"i": _definition_input}),
    op("updateMilestoneDefinition",
       'mutation { updateMilestoneDefinition(id: "msd_hours_10", input: {name: "10 Hours"}) { legacyId } }',
                                                                      DATA,  DENIED, DENIED, DENIED, DENIED, DENIED, ANON),
    # --- notification channels (admins manage them) ---
    op("createNotificationChannel",
       'mutation { createNotificationChannel(input: {kind: EMAIL, target: "a@example.org", orgId: "org_03"}) { channelId } }',
                                                                      DATA,  DENIED, DENIED, DENIED, DENIED, DENIED, ANON),
    op("updateNotificationChannel",
       "mutation($c: String!) { updateNotificationChannel(channelId: $c, input: {enabled: false}) { enabled } }",
                                                                      DATA,  DENIED, DENIED, DENIED, DENIED, DENIED, ANON,
       vars={"c": fresh("channel")}),
    op("deleteNotificationChannel",
       "mutation($c: String!) { deleteNotificationChannel(channelId: $c) { channelId } }",
                                                                      DATA,  DENIED, DENIED, DENIED, DENIED, DENIED, ANON,
       vars={"c": fresh("channel")}),
)
# fmt: on

ROWS = {o.field: o for o in QUERIES + MUTATIONS}


def test_every_root_field_has_a_row():
    graphql = build_schema(Settings(_env_file=None))._schema
    assert len(ROWS) == len(QUERIES) + len(MUTATIONS), "a field has two rows"
    assert graphql.query_type is not None
    assert graphql.mutation_type is not None
    assert [o.field for o in QUERIES] == list(graphql.query_type.fields)
    assert [o.field for o in MUTATIONS] == list(graphql.mutation_type.fields)


async def _outcome(world: World, o: Op, who: str) -> str:
    variables = {name: await value(world, who) for name, value in o.vars}
    response = await world.client.post(
        "/graphql", json={"query": o.doc, "variables": variables}, headers=world.headers[who]
    )
    assert response.status_code == 200, response.text
    body = response.json()
    if body.get("errors"):
        return str(body["errors"][0].get("extensions", {}).get("code"))
    data: dict[str, Any] = body["data"]
    if o.probe is not None:
        return o.probe(data)
    if o.lists is not None:
        return seen(world, o.lists, data)
    return NULL if data[o.field] is None else DATA


@pytest.mark.parametrize("field", list(ROWS))
async def test_matrix(client: httpx.AsyncClient, demo, auth: Auth, field: str):
    o = ROWS[field]
    world = await build_world(client, auth)
    world.o3["global_assignment"] = str(to_global_id("Assignment", world.o3["assignment"]))
    world.o5["global_assignment"] = str(to_global_id("Assignment", world.o5["assignment"]))
    got = [await _outcome(world, o, who) for who in ROLES]
    assert dict(zip(ROLES, got, strict=True)) == dict(zip(ROLES, o.expect, strict=True))
