"""Both doors agree: what GraphQL shows a caller, the same caller sees at the record's REST
route, and the other way round (SQLite and PostgreSQL alike).

The GraphQL side is generated from the schema (tests/parity_walk.py): every root query
field and, below it, every relation field three relations deep. For each caller
(tests/parity_world.py) and each relation field (``Owner.field``), every record the walk
met there must answer 200 at its REST route, except the documented directory card: a
person reached through a relation whom the caller may not open answers 404 at
``/api/v1/people/{id}`` and shows only id and name (every private field null). A person's
private fields are non-null exactly when REST answers 200, and equal to REST's values.
The other way round, for every record of the data set, ``node(id)``, ``nodes(ids)`` and the
type's root by-id field show it exactly when REST answers 200 (the root field answering
``NOT_FOUND``/``FORBIDDEN`` where REST answers 404/403). Anonymous callers get 401 and
``UNAUTHENTICATED``.

The walk runs on an app with the GraphQL document limits raised (depth, cost, fields ...
only guard hostile documents; they change no answer), one query per root field.

Known disagreements are marked ``xfail(strict=True)`` in ``KNOWN``, so they turn into
failures once fixed.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from starlette.applications import Starlette

from app.main import create_app
from app.settings import Settings
from schema.base import to_global_id
from tests.parity_walk import (
    NODE_TYPES,
    PERSON_FIELDS,
    PRIVATE,
    SCHEMA,
    SKIPPED_ROOTS,
    Seen,
    count_paths,
    edges,
    observe,
    query_of,
    root_trees,
    unfilled_required,
)
from tests.parity_world import PEOPLE, RECORDS, SIGNED_IN, World, world_of

TREES = root_trees()
EDGES = edges(TREES)

REST_ROUTES: dict[str, str] = {
    "Person": "/api/v1/people/{id}",
    "Organisation": "/api/v1/organisations/{id}",
    "Assignment": "/api/v1/assignments/{id}",
    "Activity": "/api/v1/activities/{id}",
    "Milestone": "/api/v1/milestones/{id}",
    "EditorialAssignment": "/v3/assignment/{uuid}",
    "EditorialLock": "/v3/lock-request/{uuid}",
}
NO_REST_ROUTE: dict[str, str] = {
    "ActivityType": "catalogue data, no REST route (activities name it by activity_type_id)",
    "MilestoneDefinition": "catalogue data, no REST route (milestones carry its name)",
    "Notification": "the follow-up outbox is GraphQL only",
    "EditorialIssue": "shown only inside /v3/assignment bodies",
    "EditorialContentItem": "shown only inside /v3/assignment bodies",
}
ROOT_BY_ID: dict[str, tuple[str, str]] = {
    "Person": ("person", "id"),
    "Organisation": ("organisation", "id"),
    "Assignment": ("assignment", "id"),
    "Activity": ("activity", "id"),
    "Milestone": ("milestone", "id"),
    "EditorialAssignment": ("editorialAssignment", "uuid"),
    "EditorialLock": ("editorialLock", "uuid"),
}
ROOT_PERSON_EDGES = frozenset({"Query.me", "Query.person", "Query.people"})
CODE_OF_STATUS = {404: "NOT_FOUND", 403: "FORBIDDEN", 401: "UNAUTHENTICATED"}
RAISED_LIMITS = {
    "graphql_max_depth": 50,
    "graphql_max_aliases": 100_000,
    "graphql_max_tokens": 10_000_000,
    "graphql_max_document_chars": 10_000_000,
    "graphql_max_cost": 10**12,
    "graphql_max_fields": 1_000_000,
}
MEMBERSHIPS = {person: {(o, r) for o, r in orgs.items()} for person, _n, _r, orgs in PEOPLE}

# Disagreements between the doors found by this suite, each a strict xfail: (role, relation
# field) of the walk, (role, type, record name) of the by-id direction, or (role, root field)
# of the error and list checks. None is known: the organisations reached through a person's
# memberships and the people of editorial types, the two it found, now follow the rules.
KNOWN: dict[tuple[str, ...], str] = {}

DOORS = ("node", "nodes", "root")


@dataclass
class Parity:
    world: World
    openapi: dict[str, Any]
    seen: dict[str, list[Seen]] = field(default_factory=dict)  # role -> records
    errors: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    rest: dict[tuple[str, str, str], tuple[int, Any]] = field(default_factory=dict)
    by_id: dict[tuple[str, str, str], Any] = field(default_factory=dict)

    async def rest_of(self, role: str, kind: str, legacy_id: str) -> tuple[int, Any]:
        key = (role, kind, legacy_id)
        if key not in self.rest:
            path = REST_ROUTES[kind].split("{")[0] + legacy_id
            response = await self.world.client.get(path, headers=self.world.headers[role])
            body = response.json() if response.content else None
            self.rest[key] = (response.status_code, body)
        return self.rest[key]


async def _post(world: World, role: str, query: str, variables: Any = None) -> dict[str, Any]:
    response = await world.client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=world.headers[role]
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


NODE_SELECTION = f"__typename id legacyId ... on Person {{ {PERSON_FIELDS} }}"


def _record_selection(kind: str) -> str:
    return "__typename id legacyId" + (f" {PERSON_FIELDS}" if kind == "Person" else "")


async def _walk(parity: Parity, role: str) -> None:
    world = parity.world
    parity.seen[role] = []
    for root, tree in TREES.items():
        body = await _post(world, role, query_of(tree, world.ids))
        parity.errors[(role, root)] = list(body.get("errors") or [])
        parity.seen[role] += list(observe(tree, body.get("data")))


async def _by_id(parity: Parity, role: str) -> None:
    world = parity.world
    ids = [(kind, name) for kind, names in RECORDS.items() for name in names]
    globals_ = [to_global_id(kind, world.id_of(name)) for kind, name in ids]
    batch = await _post(
        world,
        role,
        f"query($ids: [ID!]!) {{ nodes(ids: $ids) {{ {NODE_SELECTION} }} }}",
        {"ids": globals_},
    )
    assert "errors" not in batch, batch
    for (kind, name), global_id, answer in zip(ids, globals_, batch["data"]["nodes"], strict=True):
        parity.by_id[(role, name, "nodes")] = answer
        one = await _post(
            world,
            role,
            f"query($id: ID!) {{ node(id: $id) {{ {NODE_SELECTION} }} }}",
            {"id": global_id},
        )
        parity.by_id[(role, name, "node")] = one
        root, arg = ROOT_BY_ID[kind]
        parity.by_id[(role, name, "root")] = await _post(
            world,
            role,
            f"query($k: String!) {{ {root}({arg}: $k) {{ {_record_selection(kind)} }} }}",
            {"k": world.id_of(name)},
        )
        await parity.rest_of(role, kind, world.id_of(name))


@pytest.fixture(autouse=True)
def _clean_tables() -> None:
    """The suite's per-test cleanup, turned off: this module reads one data set, built once
    (``parity``) and emptied when the module is done."""


@pytest.fixture(scope="module")
async def parity(app: Starlette, settings: Settings) -> AsyncIterator[Parity]:
    walker = create_app(settings.model_copy(update=RAISED_LIMITS))
    async with walker.router.lifespan_context(walker), world_of(walker, app, settings) as world:
        openapi = (await world.client.get("/openapi.json")).json()
        result = Parity(world, openapi)
        for role in SIGNED_IN:
            await _walk(result, role)
            await _by_id(result, role)
        yield result


def _param(*key: str) -> Any:
    reason = KNOWN.get(key)
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(*key, marks=marks, id="-".join(key))


# --- driven from the schema: nothing is left out unnoticed ---------------------------------


def test_every_root_field_is_walked_or_skipped_with_a_reason():
    assert SCHEMA.query_type is not None
    for name, definition in SCHEMA.query_type.fields.items():
        if name in SKIPPED_ROOTS:
            continue
        assert name in TREES, name
        assert not unfilled_required("Query", name, definition), name
    assert count_paths(TREES) > 1000


async def test_every_record_type_has_a_rest_route_or_a_reason(parity: Parity):
    assert set(REST_ROUTES) | set(NO_REST_ROUTE) == NODE_TYPES
    assert not set(REST_ROUTES) & set(NO_REST_ROUTE)
    assert set(ROOT_BY_ID) == set(REST_ROUTES) == set(RECORDS)
    for route in REST_ROUTES.values():
        assert route in parity.openapi["paths"], route
        assert "get" in parity.openapi["paths"][route], route


async def test_the_admins_walk_meets_every_record_and_record_type(parity: Parity):
    seen = {(s.type, s.legacy_id) for s in parity.seen["admin"]}
    assert {kind for kind, _ in seen} == NODE_TYPES
    world = parity.world
    missing = [
        (k, n) for k, names in RECORDS.items() for n in names if (k, world.id_of(n)) not in seen
    ]
    assert not missing


# --- GraphQL shows it: REST shows it too (the directory card aside) ------------------------


def _private_shown(seen: Seen) -> list[str]:
    return [name for name in PRIVATE if seen.value(name) is not None]


def _compare_person(seen: Seen, rest: dict[str, Any]) -> list[str]:
    problems = []
    for graphql, rest_name in (("email", "email"), ("roles", "roles"), ("createdAt", "created_at"),
                               ("updatedAt", "updated_at")):  # fmt: skip
        if seen.value(graphql) != rest[rest_name]:
            problems.append(
                f"{graphql}={seen.value(graphql)!r}, REST {rest_name}={rest[rest_name]!r}"
            )
    memberships = seen.value("memberships")
    got = None if memberships is None else {(m["orgId"], m["role"]) for m in memberships}
    if got != MEMBERSHIPS.get(seen.legacy_id, got):
        problems.append(f"memberships={got!r}, the data set has {MEMBERSHIPS[seen.legacy_id]!r}")
    return problems


async def _disagreements(parity: Parity, role: str, seen: Seen) -> list[str]:
    if seen.type not in REST_ROUTES:
        return []
    status, body = await parity.rest_of(role, seen.type, seen.legacy_id)
    where = f"{role} at {seen.path}: {seen.type} {seen.legacy_id!r}"
    if seen.type != "Person":
        return [] if status == 200 else [f"{where}: GraphQL shows it, REST answers {status}"]
    if status == 200:
        return [f"{where}: {p}" for p in _compare_person(seen, body)]
    card = seen.edge not in ROOT_PERSON_EDGES and status == 404
    if not card:
        return [f"{where}: GraphQL shows the person, REST answers {status}"]
    leaked = _private_shown(seen)
    return [f"{where}: REST answers 404, GraphQL shows private {leaked}"] if leaked else []


@pytest.mark.parametrize(("role", "edge"), [_param(r, e) for r in SIGNED_IN for e in EDGES])
async def test_graphql_shows_what_rest_shows(parity: Parity, role: str, edge: str):
    problems: list[str] = []
    for seen in parity.seen[role]:
        if seen.edge == edge:
            problems += await _disagreements(parity, role, seen)
    assert not problems, "\n".join(sorted(set(problems)))


@pytest.mark.parametrize(("role", "root"), [_param(r, t) for r in SIGNED_IN for t in TREES])
async def test_walk_answers_without_errors_below_the_root(parity: Parity, role: str, root: str):
    """A relation never answers an error: what the caller may not see is null, empty, or a
    card. A root may refuse (NOT_FOUND/FORBIDDEN), as its REST list or record does."""
    problems = []
    for error in parity.errors[(role, root)]:
        code = error.get("extensions", {}).get("code")
        if len(error.get("path") or []) > 1 or code not in ("NOT_FOUND", "FORBIDDEN"):
            problems.append(f"{error.get('path')}: {code} {error.get('message')}")
    assert not problems, "\n".join(problems)


# --- REST shows it: GraphQL shows it too, by id ---------------------------------------------

RECORD_CASES = [
    (role, kind, name) for role in SIGNED_IN for kind, names in RECORDS.items() for name in names
]


def _shown(door: str, kind: str, answer: Any) -> tuple[Any, str | None]:
    """What a door answered: the record (or None) and the error code, if any."""
    if door == "nodes":
        return answer, None
    errors = answer.get("errors") or []
    code = errors[0].get("extensions", {}).get("code") if errors else None
    data = answer.get("data") or {}
    value = data.get("node" if door == "node" else ROOT_BY_ID[kind][0])
    return value, code


def _door_disagrees(
    door: str, kind: str, legacy_id: str, rest: tuple[int, Any], answer: Any
) -> str | None:
    status, body = rest
    record, code = _shown(door, kind, answer)
    if status == 200:
        if record is None:
            return f"REST 200, {door} null ({code})"
        if record["legacyId"] != legacy_id:
            return f"REST 200, {door} shows {record['legacyId']!r}"
        if kind == "Person":
            seen = Seen(door, door, kind, legacy_id, tuple((p, record.get(p)) for p in PRIVATE))
            problems = _compare_person(seen, body)
            return f"REST 200, {door}: {problems}" if problems else None
        return None
    if record is not None:
        return f"REST {status}, {door} shows it: {json.dumps(record)}"
    expected = CODE_OF_STATUS.get(status) if door == "root" else None
    return None if code == expected else f"REST {status}, {door} answers {code}"


@pytest.mark.parametrize(("role", "kind", "name"), [_param(*case) for case in RECORD_CASES])
async def test_rest_shows_what_graphql_shows(parity: Parity, role: str, kind: str, name: str):
    """``node(id)``, ``nodes(ids)`` and the type's root by-id field, for one record."""
    legacy_id = parity.world.id_of(name)
    rest = await parity.rest_of(role, kind, legacy_id)
    problems = [
        f"{role}: {kind} {name} ({legacy_id!r}): {problem}"
        for door in DOORS
        if (
            problem := _door_disagrees(
                door, kind, legacy_id, rest, parity.by_id[(role, name, door)]
            )
        )
    ]
    assert not problems, "\n".join(problems)


# --- lists: a root list and its REST list show the same records ---------------------------

# root field -> (its arguments, the REST list route, the list's key in the body, the id's key)
LISTS: dict[str, tuple[str, str, str, str]] = {
    "people": ("first: 100", "/api/v1/people?limit=100", "data", "id"),
    "assignments": ("first: 100, status: ALL", "/api/v1/assignments?status=all&limit=100", "data",
                    "assignment_id"),
    "overdueAssignments": ('first: 100, cutoff: "2099-01-01"',
                           "/api/v1/assignments/overdue?cutoff=2099-01-01&limit=100", "data",
                           "assignment_id"),
    "activities": ("first: 100", "/api/v1/activities?limit=100", "data", "id"),
    "milestones": ("first: 100", "/api/v1/milestones?limit=100", "data", "id"),
    "editorialAssignments": ("first: 100", "/v3/assignment?per_page=100", "items", "uuid"),
}  # fmt: skip


@pytest.mark.parametrize(("role", "root"), [_param(r, t) for r in SIGNED_IN for t in LISTS])
async def test_root_lists_show_what_rest_lists_show(parity: Parity, role: str, root: str):
    args, route, items, key = LISTS[root]
    world = parity.world
    response = await world.client.get(route, headers=world.headers[role])
    body = await _post(world, role, f"{{ {root}({args}) {{ nodes {{ legacyId }} }} }}")
    codes = [e.get("extensions", {}).get("code") for e in body.get("errors") or []]
    if response.status_code != 200:
        assert codes == [CODE_OF_STATUS[response.status_code]], (response.status_code, codes)
        return
    assert not codes, codes
    rest = sorted(str(item[key]) for item in response.json()[items])
    graphql = sorted(node["legacyId"] for node in body["data"][root]["nodes"])
    assert graphql == rest


# --- anonymous -----------------------------------------------------------------------------


async def test_anonymous_is_refused_by_both_doors(parity: Parity):
    world = parity.world
    for kind, names in RECORDS.items():
        for name in names:
            status, _ = await parity.rest_of("anonymous", kind, world.id_of(name))
            assert status == 401, (kind, name, status)
    for root, tree in TREES.items():
        body = await _post(world, "anonymous", query_of(tree, world.ids))
        codes = {e.get("extensions", {}).get("code") for e in body.get("errors") or []}
        assert codes == {"UNAUTHENTICATED"}, (root, codes)
        assert body.get("data") is None, root
    global_id = to_global_id("Person", "pa_admin")
    for query in (
        f'{{ node(id: "{global_id}") {{ id }} }}',
        f'{{ nodes(ids: ["{global_id}"]) {{ id }} }}',
    ):
        body = await _post(world, "anonymous", query)
        assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAUTHENTICATED"], query


# --- the leak case, literally --------------------------------------------------------


async def test_a_peer_mentor_sees_no_private_fields_of_people_on_their_assignments(parity: Parity):
    body = await _post(
        parity.world,
        "peer_mentor",
        "{ assignments(first: 3) { nodes { coordinator { email } mentee { email memberships "
        "{ role organisation { name } } } } } }",
    )
    assert "errors" not in body, body
    nodes = body["data"]["assignments"]["nodes"]
    assert nodes, "the peer mentor sees their assignments"
    for node in nodes:
        assert node["mentee"] == {"email": None, "memberships": None}, node
        assert node["coordinator"] is None or node["coordinator"] == {"email": None}, node
    named = await _post(
        parity.world,
        "peer_mentor",
        "{ assignments(first: 3) { nodes { coordinator { name } mentee { name } } } }",
    )
    names = [n["mentee"]["name"] for n in named["data"]["assignments"]["nodes"]]
    assert names, names
    assert all(names), names
    assert any(
        n["coordinator"] and n["coordinator"]["name"] for n in named["data"]["assignments"]["nodes"]
    )


def test_cases_checked(parity: Parity, capsys: pytest.CaptureFixture[str]) -> None:
    """How many (role, path, record) cases the module compares (printed with ``-s``): each
    record of a REST-routed type a caller met on a path of the walk, and each record of the
    data set by id through each door."""
    walked = {
        (role, s.path, s.type, s.legacy_id)
        for role, seen in parity.seen.items()
        for s in seen
        if s.type in REST_ROUTES
    }
    per_role = Counter(case[0] for case in walked)
    with capsys.disabled():
        print(
            f"\nparity: {len(walked)} (role, path, record) cases of the walk {dict(per_role)}, "
            f"{len(RECORD_CASES) * len(DOORS)} (role, record, door) cases by id"
        )
    assert len(walked) > 1000
