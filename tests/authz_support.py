"""The records and callers the authorization matrix tests share (REST and GraphQL doors).

The world is the demo data plus one record of each domain in **org_03** (owned by the peer
mentor ``user_042``) and one in **org_05** (owned by ``user_202``). The seven callers:

| role | who |
|---|---|
| ``admin`` | ``admin_001`` |
| ``coordinator`` | ``user_007``, coordinator of org_03 |
| ``other_coordinator`` | ``user_201``, coordinator of org_05 only |
| ``owner`` | ``user_042``, peer mentor of org_03 who owns the org_03 records |
| ``other_mentor`` | ``user_019``, another peer mentor of org_03 |
| ``editor`` | ``editor_001`` (newsroom only) |
| ``anonymous`` | no credentials |

Rows that change something act on a **fresh** record made for each caller (``Fresh``), so one
caller's success (a delete, a lock) cannot change what the next caller meets.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx

from app.timeutil import utcnow
from tests.helpers import Auth

ROLES: tuple[str, ...] = (
    "admin",
    "coordinator",
    "other_coordinator",
    "owner",
    "other_mentor",
    "editor",
    "anonymous",
)
OWNER, OTHER_MENTOR = "user_042", "user_019"
EDITORIAL = "AAAAAAAA-1234-4567-7890-BBBBBBBBBBBB"  # the demo's example assignment

_counter = itertools.count(1)


def unique(prefix: str) -> str:
    """A fresh id or name for a record made during a test."""
    return f"{prefix}{next(_counter):05d}"


def role_headers(auth: Auth) -> dict[str, dict[str, str]]:
    return {
        "admin": auth.admin,
        "coordinator": auth.coordinator,
        "other_coordinator": auth.other_coordinator,
        "owner": auth.mentor(OWNER),
        "other_mentor": auth.mentor(OTHER_MENTOR),
        "editor": auth.editor,
        "anonymous": {},
    }


@dataclass
class World:
    """Record ids of the shared world; ``o3``/``o5`` name each domain's two records."""

    client: httpx.AsyncClient
    auth: Auth
    headers: dict[str, dict[str, str]]
    o3: dict[str, str] = field(default_factory=dict)
    o5: dict[str, str] = field(default_factory=dict)
    _days: int = 0

    async def call(
        self, method: str, path: str, who: str = "admin", body: Any = None
    ) -> httpx.Response:
        return await self.client.request(method, path, json=body, headers=self.headers[who])

    async def ok(self, method: str, path: str, who: str = "admin", body: Any = None) -> Any:
        response = await self.call(method, path, who, body)
        assert response.status_code in (200, 201), response.text
        return response.json()

    async def gql(self, query: str, variables: dict[str, Any], who: str = "admin") -> Any:
        response = await self.client.post(
            "/graphql", json={"query": query, "variables": variables}, headers=self.headers[who]
        )
        body = response.json()
        assert not body.get("errors"), body
        return body["data"]

    # --- fresh records, one per caller of a row that changes something -------------------

    async def new_mentee(self, org: str) -> str:
        person = unique("authz_mentee_")
        await self.ok("POST", "/api/v1/people", body={"id": person, "name": person})
        await self.gql(
            "mutation($p: String!, $o: String!) { addMembership(personId: $p, orgId: $o, "
            'role: "mentee") { role } }',
            {"p": person, "o": org},
        )
        return person

    async def new_assignment(self, org: str = "org_03") -> str:
        mentor = OWNER if org == "org_03" else "user_202"
        mentee = await self.new_mentee(org)
        body = {"mentor_id": mentor, "contact_id": mentee, "org_id": org}
        created = await self.ok("POST", "/api/v1/assignments", body=body)
        return str(created["assignment_id"])

    async def new_activity(self, org: str = "org_03") -> str:
        who = "owner" if org == "org_03" else None
        body: dict[str, Any] = {
            "local_id": unique("authz-"),
            "activity_type_id": "type_call",
            "date": utcnow().date().isoformat(),
            "duration_minutes": 30,
        }
        if who is None:
            body["peer_mentor_id"] = "user_202"
        created = await self.ok("POST", "/api/v1/activities", who or "admin", body)
        return str(created["id"])

    def new_period(self) -> dict[str, str]:
        """A one-day detection period no detection of this world used yet."""
        self._days += 1
        day = (date(2025, 12, 31) - timedelta(days=self._days)).isoformat()
        return {"start_date": day, "end_date": day}

    def detect_body(self, mentor: str, period: dict[str, Any] | None = None) -> dict[str, Any]:
        return {
            "mentor_id": mentor,
            "period": period or self.new_period(),
            "summary": {"total_hours": 12, "unique_contacts_helped": 1, "activity_count": 3},
        }

    async def new_milestone(self, org: str = "org_03", year: int | None = None) -> str:
        """Detect milestones of the org's mentor for a new period; the id of the achieved
        10-hour record."""
        mentor = OWNER if org == "org_03" else "user_202"
        body = self.detect_body(mentor, {"year": year} if year else None)
        detected = await self.ok("POST", "/api/v1/milestones?limit=100", body=body)
        return str(next(m["id"] for m in detected["data"] if m["threshold"] == 10))

    async def new_editorial(self) -> str:
        created = await self.ok("POST", "/v3/assignment", "editor", {"title": unique("Story ")})
        return str(created["uuid"])

    async def new_lock(self) -> str:
        """A lock the editor holds on a fresh assignment; its lock-request uuid."""
        uuid = await self.new_editorial()
        srn = f"srn:tsn:ceo-core/assignment:{uuid}"
        lock = await self.ok("POST", "/v3/lock-request", "editor", {"srn": srn})
        return str(lock["uuid"])

    async def new_channel(self, org: str = "org_03") -> str:
        """An email channel of ``org`` (admins manage channels); its ``channelId``."""
        data = await self.gql(
            "mutation($o: String!) { createNotificationChannel(input: {kind: EMAIL, "
            'target: "authz@example.org", orgId: $o}) { channelId } }',
            {"o": org},
        )
        return str(data["createNotificationChannel"]["channelId"])

    async def try_lock(self, who: str, uuid: str) -> None:
        """The caller tries to take the lock of an editorial assignment (needed before a
        change; refused for callers without the ACL action, which the row then shows)."""
        srn = f"srn:tsn:ceo-core/assignment:{uuid}"
        await self.call("POST", "/v3/lock-request", who, {"srn": srn})


async def build_world(client: httpx.AsyncClient, auth: Auth) -> World:
    """The demo data (already seeded) plus each domain's org_03 and org_05 records."""
    world = World(client, auth, role_headers(auth))
    world.o3["person"], world.o5["person"] = OWNER, "user_202"
    world.o3["org"], world.o5["org"] = "org_03", "org_05"
    world.o3["assignment"] = "asgn_001"  # demo: user_042 mentors user_101 in org_03
    world.o5["assignment"] = await world.new_assignment("org_05")
    world.o3["activity"] = await world.new_activity("org_03")
    world.o5["activity"] = await world.new_activity("org_05")
    world.o3["milestone"] = await world.new_milestone("org_03", 2025)
    world.o5["milestone"] = await world.new_milestone("org_05", 2025)
    return world


def seen(world: World, kind: str, body: Any) -> str:
    """Which of the world's two ``kind`` records a list answer shows: ``both``, ``o3``,
    ``o5`` or ``none``."""
    text = json.dumps(body)
    in3, in5 = f'"{world.o3[kind]}"' in text, f'"{world.o5[kind]}"' in text
    return {(True, True): "both", (True, False): "o3", (False, True): "o5"}.get((in3, in5), "none")


Factory = Callable[["World"], Awaitable[str]]
