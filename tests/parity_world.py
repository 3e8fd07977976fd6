"""The data set the cross-door parity suite reads (tests/test_parity.py), built once per
module through the real app's doors.

Two organisations with people in and outside them, a third organisation nobody belongs
to, a person in both organisations (``pa_both``) and one in none; assignments of both
mentoring contracts (open, contacted, closed, overdue with reminders and escalations);
activities (pending and confirmed); milestones (achieved and in progress); editorial
assignments with users, an issue, a child item and a held lock. Editorial issues and
content items have no write route on either door, so those two rows are inserted directly.

The callers (``ROLES``): an admin, the coordinator of each organisation, a peer mentor, a
mentee-only person (no role in the token), an editor and an anonymous caller.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import text
from starlette.applications import Starlette

from app.auth import TokenService
from app.db import Database
from app.models import Base
from app.models.editorial import EditorialContentItem, EditorialIssue
from app.models.people import Person
from app.seed.editorial import sync_sequences
from app.settings import Settings
from app.timeutil import utcnow
from tests.helpers import Auth

ORG_A, ORG_B, ORG_C = "pa_org_a", "pa_org_b", "pa_org_c"
ISSUE_UUID = "PAISSUE1-0000-0000-0000-000000000901"
CONTENT_UUID = "PACHILD1-0000-0000-0000-000000000901"

# (id, name, directory roles, {org: role})
PEOPLE: tuple[tuple[str, str, tuple[str, ...], dict[str, str]], ...] = (
    ("pa_admin", "Paula Admin", ("admin",), {}),
    ("pa_coord_a", "Cora North", ("coordinator",), {ORG_A: "coordinator"}),
    ("pa_coord_b", "Cato South", ("coordinator",), {ORG_B: "coordinator"}),
    ("pa_mentor_a", "Mina North", ("peer_mentor",), {ORG_A: "peer_mentor"}),
    ("pa_mentor_a2", "Milo North", ("peer_mentor",), {ORG_A: "peer_mentor"}),
    ("pa_mentor_b", "Mona South", ("peer_mentor",), {ORG_B: "peer_mentor"}),
    ("pa_mentee_a", "Ella North", ("mentee",), {ORG_A: "mentee"}),
    ("pa_mentee_a2", "Emil North", ("mentee",), {ORG_A: "mentee"}),
    ("pa_mentee_b", "Eva South", ("mentee",), {ORG_B: "mentee"}),
    ("pa_both", "Bo Both", ("mentee",), {ORG_A: "mentee", ORG_B: "member"}),
    ("pa_outsider", "Otto Outside", (), {}),
    ("pa_editor", "Edda Editor", ("editor",), {}),
)
ORGANISATIONS = (
    (ORG_A, "Parity North", 10, 20),
    (ORG_B, "Parity South", 7, 14),
    (ORG_C, "Parity Empty", None, None),
)

# role -> (token subject, token roles, token orgs); anonymous sends no token
CALLERS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "admin": ("pa_admin", ("admin",), ()),
    "coordinator": ("pa_coord_a", ("coordinator",), (ORG_A,)),
    "other_coordinator": ("pa_coord_b", ("coordinator",), (ORG_B,)),
    "peer_mentor": ("pa_mentor_a", ("peer_mentor",), (ORG_A,)),
    "mentee": ("pa_mentee_a", (), (ORG_A,)),
    "editor": ("pa_editor", ("editor",), ()),
}
ROLES: tuple[str, ...] = (*CALLERS, "anonymous")
SIGNED_IN: tuple[str, ...] = tuple(CALLERS)

# The records of the data set, by a name that is the same in every run (their ids are not:
# the gateway makes them): type name -> record names.
RECORDS: dict[str, tuple[str, ...]] = {
    "Person": tuple(p[0] for p in PEOPLE),
    "Organisation": (ORG_A, ORG_B, ORG_C),
    "Assignment": ("asg_a1", "asg_a2", "asg_a3", "asg_b1", "asg_b2"),
    "Activity": ("act_a1", "act_a2", "act_b1"),
    "Milestone": ("ms_a_10", "ms_a_100", "ms_b_10", "ms_b_100"),
    "EditorialAssignment": ("ed_1", "ed_2"),
    "EditorialLock": ("lock_1", "lock_2"),
}


@dataclass
class World:
    client: httpx.AsyncClient
    headers: dict[str, dict[str, str]]
    ids: dict[str, str] = field(default_factory=dict)  # record name -> legacy id

    def id_of(self, name: str) -> str:
        return self.ids.get(name, name)

    async def ok(self, method: str, path: str, who: str = "admin", body: Any = None) -> Any:
        response = await self.client.request(method, path, json=body, headers=self.headers[who])
        assert response.status_code in (200, 201), (method, path, response.text)
        return response.json()

    async def gql(
        self, query: str, variables: dict[str, Any] | None = None, who: str = "admin"
    ) -> Any:
        response = await self.client.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers=self.headers[who],
        )
        body = response.json()
        assert response.status_code == 200, body
        assert not body.get("errors"), body
        return body["data"]


def caller_headers(auth: Auth) -> dict[str, dict[str, str]]:
    headers = {role: auth(sub, *roles, orgs=orgs) for role, (sub, roles, orgs) in CALLERS.items()}
    headers["anonymous"] = {}
    return headers


async def _directory(world: World, db: Database) -> None:
    async with db.write() as session:  # the first admin: somebody must sign in to add people
        session.add(
            Person(id="pa_admin", name="Paula Admin", email="pa_admin@parity.test", roles=["admin"])
        )
    for org_id, name, reminder, escalation in ORGANISATIONS:
        await world.gql(
            "mutation($i: CreateOrganisationInput!) { createOrganisation(input: $i) { id } }",
            {
                "i": {
                    "id": org_id,
                    "name": name,
                    "reminderDays": reminder,
                    "escalationDays": escalation,
                }
            },
        )
    for person_id, name, roles, orgs in PEOPLE:
        if person_id == "pa_admin":
            continue
        body = {
            "id": person_id,
            "name": name,
            "email": f"{person_id}@parity.test",
            "roles": list(roles),
        }
        await world.ok("POST", "/api/v1/people", body=body)
        for org_id, role in orgs.items():
            await world.gql(
                "mutation($p: String!, $o: String!, $r: String!) "
                "{ addMembership(personId: $p, orgId: $o, role: $r) { role } }",
                {"p": person_id, "o": org_id, "r": role},
            )


async def _assignments(world: World) -> None:
    started = (utcnow() - timedelta(days=40)).isoformat()
    bodies = {  # contract 000 names (peer_mentor_id, mentee_id) and 001 (mentor_id, contact_id)
        "asg_a1": {
            "peer_mentor_id": "pa_mentor_a",
            "mentee_id": "pa_mentee_a",
            "coordinator_id": "pa_coord_a",
            "org_id": ORG_A,
            "start_date": started,
        },
        "asg_a2": {"mentor_id": "pa_mentor_a", "contact_id": "pa_both", "org_id": ORG_A},
        "asg_a3": {
            "peer_mentor_id": "pa_mentor_a2",
            "mentee_id": "pa_mentee_a2",
            "coordinator_id": "pa_coord_a",
            "org_id": ORG_A,
        },
        "asg_b1": {
            "mentor_id": "pa_mentor_b",
            "contact_id": "pa_both",
            "coordinator_id": "pa_coord_b",
            "org_id": ORG_B,
            "assigned_date": started,
        },
        "asg_b2": {"peer_mentor_id": "pa_mentor_b", "mentee_id": "pa_mentee_b", "org_id": ORG_B},
    }
    for name, body in bodies.items():
        created = await world.ok("POST", "/api/v1/assignments", body=body)
        world.ids[name] = str(created["assignment_id"])
    base = "/api/v1/assignments/"
    await world.ok(
        "PUT", f"{base}{world.ids['asg_a2']}/last-contact", body={"contact_type": "call"}
    )
    await world.ok(
        "PATCH", f"{base}{world.ids['asg_a3']}/status", body={"status": "closed", "reason": "done"}
    )
    await world.gql("mutation { runFollowUpSweep { reminders escalations } }")


async def _activities(world: World) -> None:
    await world.gql(
        'mutation { createActivityType(input: {id: "type_parity_call", name: "Call"}) { id } }'
    )
    today = utcnow().date().isoformat()

    async def log(name: str, who: str, mentor: str | None) -> None:
        body: dict[str, Any] = {
            "local_id": f"parity-{name}",
            "activity_type_id": "type_parity_call",
            "date": today,
            "duration_minutes": 90,
        }
        if mentor is not None:
            body["peer_mentor_id"] = mentor
        world.ids[name] = str((await world.ok("POST", "/api/v1/activities", who, body))["id"])

    await log("act_a1", "peer_mentor", None)
    await log("act_a2", "admin", "pa_mentor_a2")
    await log("act_b1", "admin", "pa_mentor_b")
    await world.gql(
        "mutation($id: String!) { confirmActivity(id: $id) { status } }",
        {"id": world.ids["act_a1"]},
        who="coordinator",
    )


async def _milestones(world: World) -> None:
    for threshold in (10, 100):
        await world.gql(
            "mutation($i: CreateMilestoneDefinitionInput!) "
            "{ createMilestoneDefinition(input: $i) { id } }",
            {"i": {"type": "HOURS_LOGGED", "threshold": threshold, "name": f"{threshold} hours"}},
        )
    year = utcnow().year
    for mentor, prefix in (("pa_mentor_a", "ms_a"), ("pa_mentor_b", "ms_b")):
        body = {
            "mentor_id": mentor,
            "period": {"year": year},
            "summary": {"total_hours": 12, "unique_contacts_helped": 1, "activity_count": 3},
        }
        detected = await world.ok("POST", "/api/v1/milestones?limit=100", body=body)
        for record in detected["data"]:
            world.ids[f"{prefix}_{record['threshold']}"] = str(record["id"])


async def _editorial(world: World, db: Database) -> None:
    now = utcnow()
    async with db.write() as session:
        session.add(
            EditorialIssue(
                id=901, uuid=ISSUE_UUID, label="Parity issue", created_at=now, modified_at=now
            )
        )
        session.add(
            EditorialContentItem(
                id=901,
                uuid=CONTENT_UUID,
                type="article",
                slug="parity",
                title="Parity child",
                created_at=now,
                modified_at=now,
            )
        )
        await session.flush()
        await sync_sequences(session)
    created = await world.gql(
        "mutation($i: CreateEditorialAssignmentInput!) "
        "{ createEditorialAssignment(input: $i) { uuid } }",
        {
            "i": {
                "title": "Parity story",
                "issueId": "901",
                "children": [CONTENT_UUID],
                "users": ["pa_editor", "pa_admin"],
            }
        },
        who="editor",
    )
    world.ids["ed_1"] = created["createEditorialAssignment"]["uuid"]
    other = await world.gql(
        'mutation { createEditorialAssignment(input: {title: "Parity brief"}) { uuid } }'
    )
    world.ids["ed_2"] = other["createEditorialAssignment"]["uuid"]
    lock = await world.gql(
        "mutation($s: String!) { acquireEditorialLock(srn: $s) { uuid } }",
        {"s": f"srn:tsn:ceo-core/assignment:{world.ids['ed_1']}"},
        who="editor",
    )
    world.ids["lock_1"] = lock["acquireEditorialLock"]["uuid"]
    held = await world.gql(
        "mutation($s: String!) { acquireEditorialLock(srn: $s) { uuid } }",
        {"s": f"srn:tsn:ceo-core/assignment:{world.ids['ed_2']}"},
    )
    world.ids["lock_2"] = held["acquireEditorialLock"]["uuid"]


async def build_world(client: httpx.AsyncClient, settings: Settings, db: Database) -> World:
    world = World(client, caller_headers(Auth(TokenService(settings))))
    await _directory(world, db)
    await _assignments(world)
    await _activities(world)
    await _milestones(world)
    await _editorial(world, db)
    for kind, names in RECORDS.items():
        missing = [
            n for n in names if kind not in ("Person", "Organisation") and n not in world.ids
        ]
        assert not missing, (kind, missing)
    return world


async def empty_tables(app: Starlette, db: Database) -> None:
    """What the suite's per-test cleanup does, once the module's data set is done with."""
    await app.state.persisted.clear()
    async with db.write() as session:
        if db.engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
            await session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(Base.metadata.sorted_tables):
                await session.execute(table.delete())


@asynccontextmanager
async def world_of(
    serving: Starlette, owner: Starlette, settings: Settings
) -> AsyncIterator[World]:
    """The data set, built through ``serving`` (whose client it holds); ``owner`` is the
    suite's app, whose database and stores are emptied afterwards."""
    db: Database = owner.state.db
    transport = httpx.ASGITransport(app=serving)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as client:
        try:
            yield await build_world(client, settings, db)
        finally:
            await empty_tables(owner, db)
