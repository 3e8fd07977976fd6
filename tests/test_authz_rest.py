"""The authorization matrix of the REST door: every route by every role.

The rows are checked against the routes the app serves (``CONTRACTS`` and
``/openapi.json``), so a new route without a row fails ``test_every_route_has_a_row``.
Each cell is the status the caller gets; list routes also say which of the world's two
records (org_03's and org_05's, see ``tests/authz_support.py``) the caller sees. Records of
another organisation answer 404, exactly like records that do not exist.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from app.rest.registry import CONTRACTS
from tests.authz_support import EDITORIAL, OWNER, ROLES, World, build_world, seen, unique
from tests.helpers import Auth

# Cells: a status, or for lists the records seen with a 200: both / o3 / o5 / none.
OK, NEW, DENIED, HIDDEN, ANON, INVALID = 200, 201, 403, 404, 401, 422
Value = Callable[[World, str], Awaitable[Any]]


def o3(kind: str) -> Value:
    async def value(world: World, _who: str) -> str:
        return world.o3[kind]

    return value


def fresh(make: str, *args: Any) -> Value:
    """A new record for each caller (``World.new_<make>``)."""

    async def value(world: World, _who: str) -> Any:
        return await getattr(world, f"new_{make}")(*args)

    return value


def const(data: Any) -> Value:
    async def value(_world: World, _who: str) -> Any:
        return data

    return value


async def _person_body(_world: World, _who: str) -> dict[str, Any]:
    return {"id": unique("authz_p"), "name": "New Person"}


async def _assignment_body(world: World, _who: str) -> dict[str, Any]:
    return {"mentor_id": OWNER, "contact_id": await world.new_mentee("org_03"), "org_id": "org_03"}


async def _activity_body(_world: World, _who: str) -> dict[str, Any]:
    return {
        "local_id": unique("authz-"),
        "peer_mentor_id": OWNER,
        "activity_type_id": "type_call",
        "date": "2026-01-05",
        "duration_minutes": 45,
    }


async def _detect_body(world: World, _who: str) -> dict[str, Any]:
    return world.detect_body(OWNER)


async def _lock_body(world: World, _who: str) -> dict[str, Any]:
    return {"srn": f"srn:tsn:ceo-core/assignment:{await world.new_editorial()}"}


async def _locked_by_caller(world: World, who: str) -> str:
    """A fresh editorial assignment the caller has tried to lock (changes need the lock)."""
    uuid = await world.new_editorial()
    await world.try_lock(who, uuid)
    return uuid


@dataclass(frozen=True)
class Row:
    route: str  # "METHOD /path/{param}" as the Endpoint declares it
    expect: tuple[int | str, ...]  # one cell per role, in ROLES order
    params: tuple[tuple[str, Value], ...] = ()
    query: str = ""
    body: Value | None = None
    lists: str | None = None  # the world's record kind a list route shows

    @property
    def method(self) -> str:
        return self.route.split(" ")[0]

    @property
    def path(self) -> str:
        return self.route.split(" ")[1]


def row(route: str, *expect: int | str, **kw: Any) -> Row:
    assert len(expect) == len(ROLES), route
    params = tuple(kw.pop("params", {}).items())
    return Row(route, expect, params, **kw)


V1 = "/api/v1"
ASSIGNMENTS, ACTIVITIES, MILESTONES = f"{V1}/assignments", f"{V1}/activities", f"{V1}/milestones"
A_ID, ACT_ID, MS_ID = {"id": o3("assignment")}, {"id": o3("activity")}, {"id": o3("milestone")}
MENTOR = {"mentor_id": const(OWNER)}

# fmt: off
MATRIX: tuple[Row, ...] = (
    #                                                admin    coord   other   owner   peer    editor  anon
    # --- directory ---
    row(f"GET {V1}/me",                               OK,     OK,     OK,     OK,     OK,     OK,     ANON),
    row(f"GET {V1}/people",                           "both", "o3",   "o5",   "o3",   "none", "none", ANON,
        query="?role=peer_mentor&limit=100", lists="person"),
    row(f"POST {V1}/people",                          NEW,    DENIED, DENIED, DENIED, DENIED, DENIED, ANON,
        body=_person_body),
    row(f"GET {V1}/people/{{id}}",                    OK,     OK,     HIDDEN, OK,     HIDDEN, HIDDEN, ANON,
        params={"id": o3("person")}),
    row(f"GET {V1}/organisations/{{id}}",             OK,     OK,     HIDDEN, OK,     OK,     HIDDEN, ANON,
        params={"id": o3("org")}),
    # --- editorial (CEO v3): ACL actions, no organisations ---
    row("GET /v3/assignment",                         OK,     DENIED, DENIED, DENIED, DENIED, OK,     ANON),
    row("POST /v3/assignment",                        OK,     DENIED, DENIED, DENIED, DENIED, OK,     ANON,
        body=const({"title": "Matrix story"})),
    row("GET /v3/assignment/{uuid}",                  OK,     DENIED, DENIED, DENIED, DENIED, OK,     ANON,
        params={"uuid": const(EDITORIAL)}),
    row("PUT /v3/assignment/{uuid}",                  OK,     DENIED, DENIED, DENIED, DENIED, OK,     ANON,
        params={"uuid": _locked_by_caller}, body=const({"title": "Changed"})),
    row("DELETE /v3/assignment/{uuid}",               OK,     DENIED, DENIED, DENIED, DENIED, OK,     ANON,
        params={"uuid": _locked_by_caller}),
    row("POST /v3/lock-request",                      OK,     DENIED, DENIED, DENIED, DENIED, OK,     ANON,
        body=_lock_body),
    row("GET /v3/lock-request/{uuid}",                OK,     DENIED, DENIED, DENIED, DENIED, OK,     ANON,
        params={"uuid": fresh("lock")}),
    row("DELETE /v3/lock-request/{uuid}",             OK,     DENIED, DENIED, DENIED, DENIED, OK,     ANON,
        params={"uuid": fresh("lock")}),
    # --- activities ---
    row(f"GET {ACTIVITIES}",                          "both", "o3",   "o5",   "o3",   "none", DENIED, ANON,
        query="?limit=100", lists="activity"),
    row(f"GET {ACTIVITIES}/{{id}}",                   OK,     OK,     HIDDEN, OK,     HIDDEN, DENIED, ANON,
        params=ACT_ID),
    row(f"POST {ACTIVITIES}",                         NEW,    NEW,    DENIED, NEW,    DENIED, DENIED, ANON,
        body=_activity_body),
    row(f"PUT {ACTIVITIES}/{{id}}",                   OK,     OK,     HIDDEN, OK,     HIDDEN, DENIED, ANON,
        params={"id": fresh("activity")}, body=const({"notes": "matrix"})),
    row(f"DELETE {ACTIVITIES}/{{id}}",                OK,     OK,     HIDDEN, OK,     HIDDEN, DENIED, ANON,
        params={"id": fresh("activity")}),
    # --- mentoring assignments ---
    row(f"GET {ASSIGNMENTS}",                         "both", "o3",   "o5",   "o3",   "none", DENIED, ANON,
        query="?status=all&limit=100", lists="assignment"),
    row(f"POST {ASSIGNMENTS}",                        NEW,    NEW,    INVALID, DENIED, DENIED, DENIED, ANON,
        body=_assignment_body),
    row(f"GET {ASSIGNMENTS}/overdue",                 "both", "o3",   "o5",   "o3",   "none", DENIED, ANON,
        query="?cutoff=2099-01-01&limit=100", lists="assignment"),
    row(f"GET {ASSIGNMENTS}/mentor/{{mentor_id}}/active", OK, OK,     HIDDEN, OK,     HIDDEN, DENIED, ANON,
        params=MENTOR),
    row(f"GET {ASSIGNMENTS}/mentor/{{mentor_id}}/history", OK, OK,    HIDDEN, OK,     HIDDEN, DENIED, ANON,
        params=MENTOR),
    row(f"GET {ASSIGNMENTS}/mentor/{{mentor_id}}/open-count", OK, OK, HIDDEN, OK,     HIDDEN, DENIED, ANON,
        params=MENTOR),
    row(f"GET {ASSIGNMENTS}/{{id}}",                  OK,     OK,     HIDDEN, OK,     HIDDEN, DENIED, ANON,
        params=A_ID),
    row(f"PUT {ASSIGNMENTS}/{{id}}",                  OK,     OK,     HIDDEN, OK,     HIDDEN, DENIED, ANON,
        params={"id": fresh("assignment")}, body=const({"notes": "matrix"})),
    row(f"DELETE {ASSIGNMENTS}/{{id}}",               OK,     OK,     HIDDEN, DENIED, HIDDEN, DENIED, ANON,
        params={"id": fresh("assignment")}),
    row(f"PUT {ASSIGNMENTS}/{{id}}/last-contact",     OK,     OK,     HIDDEN, OK,     HIDDEN, DENIED, ANON,
        params={"id": fresh("assignment")}, body=const({"contact_type": "call"})),
    row(f"PATCH {ASSIGNMENTS}/{{id}}/status",         OK,     OK,     HIDDEN, DENIED, HIDDEN, DENIED, ANON,
        params={"id": fresh("assignment")}, body=const({"status": "closed"})),
    # --- milestones ---
    row(f"GET {MILESTONES}",                          "both", "o3",   "o5",   "o3",   "none", DENIED, ANON,
        query="?limit=100", lists="milestone"),
    row(f"POST {MILESTONES}",                         NEW,    NEW,    INVALID, DENIED, DENIED, DENIED, ANON,
        body=_detect_body),
    row(f"GET {MILESTONES}/{{mentor_id}}/new",        OK,     OK,     HIDDEN, OK,     HIDDEN, DENIED, ANON,
        params=MENTOR, query="?year=2025"),
    row(f"GET {MILESTONES}/{{mentor_id}}/in-progress", OK,    OK,     HIDDEN, OK,     HIDDEN, DENIED, ANON,
        params=MENTOR, query="?year=2025"),
    row(f"GET {MILESTONES}/{{id}}",                   OK,     OK,     HIDDEN, OK,     HIDDEN, DENIED, ANON,
        params=MS_ID),
    row(f"PUT {MILESTONES}/{{id}}",                   OK,     OK,     HIDDEN, DENIED, HIDDEN, DENIED, ANON,
        params={"id": fresh("milestone")}, body=const({"achieved_value": 11})),
    row(f"DELETE {MILESTONES}/{{id}}",                OK,     OK,     HIDDEN, DENIED, HIDDEN, DENIED, ANON,
        params={"id": fresh("milestone")}),
)
# fmt: on

BY_ROUTE = {r.route: r for r in MATRIX}
# Each endpoint of a contract, with the paths it is served at (canonical, and doubled).
SERVED: dict[str, list[str]] = {
    f"{e.method} {c.base}{e.path}": c.paths(e) for c in CONTRACTS for e in c.endpoints
}


def test_every_route_has_a_row():
    assert len(BY_ROUTE) == len(MATRIX), "a route has two rows"
    assert sorted(BY_ROUTE) == sorted(SERVED)


async def test_openapi_lists_no_route_without_a_row(client: httpx.AsyncClient):
    document = (await client.get("/openapi.json")).json()
    served = {
        f"{method.upper()} {path}"
        for c in CONTRACTS
        for e in c.endpoints
        for path in c.paths(e)
        for method in [e.method]
    }
    listed = {f"{m.upper()} {p}" for p, ops in document["paths"].items() for m in ops}
    assert listed == served


# Routes outside the contracts: what anybody (no token) and an admin get. Everything here is
# public by design: probes, the API documents, static assets and badge images; /graphql
# answers each field by its own rules (tests/test_authz_graphql.py); /metrics is guarded by
# GATEWAY_METRICS_TOKEN when set (tests/test_operations.py).
# fmt: off
OTHER_ROUTES: dict[str, tuple[str, int]] = {
    # route: (path to probe, status for anybody)
    "/healthz":       ("/healthz", 200),
    "/readyz":        ("/readyz", 200),
    "/graphql":       ("/graphql?query=%7B__typename%7D", 200),
    "/openapi.json":  ("/openapi.json", 200),
    "/metrics":       ("/metrics", 200),
    "/docs":          ("/docs", 200),
    "/static":        ("/static/docs.html", 200),
    "/assets/badges": ("/assets/badges/100h.png", 200),
}
# fmt: on


async def test_every_other_route_is_listed_and_answers(app, client: httpx.AsyncClient, auth: Auth):
    contract_paths = {p for paths in SERVED.values() for p in paths}
    others = {route.path for route in app.routes if route.path not in contract_paths}
    assert others == set(OTHER_ROUTES)
    for probe, status in OTHER_ROUTES.values():
        for headers in ({}, auth.admin):
            response = await client.get(probe, headers=headers)
            assert response.status_code == status, (probe, response.text[:200])


async def _outcome(world: World, r: Row, who: str, path_template: str) -> int | str:
    path = path_template
    for name, value in r.params:
        path = path.replace("{" + name + "}", str(await value(world, who)))
    body = None if r.body is None else await r.body(world, who)
    response = await world.call(r.method, path + r.query, who, body)
    if r.lists is not None and response.status_code == 200:
        return seen(world, r.lists, response.json())
    return response.status_code


@pytest.mark.parametrize("route", [r.route for r in MATRIX])
async def test_matrix(client: httpx.AsyncClient, demo, auth: Auth, route: str):
    r = BY_ROUTE[route]
    world = await build_world(client, auth)
    for path in SERVED[route]:
        got = tuple([await _outcome(world, r, who, path) for who in ROLES])
        assert dict(zip(ROLES, got, strict=True)) == dict(zip(ROLES, r.expect, strict=True)), path
