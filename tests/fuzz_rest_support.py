"""What the REST fuzz run feeds its generator: ids that exist, learnt over HTTP.

``Pools`` holds the ids of each kind of record: read from the list routes before the run
and from every 2xx answer during it (so created records are reused, deleted ones dropped).
Generated positive cases draw their path parameters, and the reference fields of their
bodies and query strings, from these pools most of the time. A route that needs a
precondition gets it before the call (an ``If-Match`` where 428 says one is required, the
editorial lock where 423 says one is needed). ``explicit_cases`` are each operation's
hand-written success cases, built from the pools: the floor under what generation reaches.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from itertools import count
from typing import Any

from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.schemas import BaseSchema

from tests.fuzz_support import SEED, Case, Operation

_EDITORIAL_SRN = "srn:tsn:ceo-core/assignment:"
_DOUBLED = re.compile(r"^(/api/v1/[a-z]+)\1")
_PATH_PARAM = re.compile(r"{(\w+)}")

# The kind of record a route's own ids are, by its path's prefix.
_KINDS = (
    ("/api/v1/people", "people"),
    ("/api/v1/organisations", "organisations"),
    ("/v3/assignment", "editorial"),
    ("/v3/lock-request", "locks"),
    ("/api/v1/activities", "activities"),
    ("/api/v1/assignments", "assignments"),
    ("/api/v1/milestones", "milestones"),
)
# Reference fields (bodies, query strings, answers) and the kind of id they hold.
FIELDS = {
    "mentor_id": "mentors",
    "peer_mentor_id": "mentors",
    "mentee_id": "mentees",
    "contact_id": "mentees",
    "coordinator_id": "coordinators",
    "org_id": "organisations",
    "activity_type_id": "activity_types",
    "srn": "srns",
}
# Two names of one field (mentoring's two contracts); the document says they must agree.
ALIASES = (("mentor_id", "peer_mentor_id"), ("mentee_id", "contact_id"))
# Read before the run: list routes and the query that makes them answer many records.
HARVEST = (
    ("/api/v1/people", {"limit": 100}),
    ("/v3/assignment", {"per_page": 100}),
    ("/api/v1/activities", {"limit": 100}),
    ("/api/v1/assignments", {"limit": 100, "status": "all"}),
    ("/api/v1/milestones", {"limit": 100}),
)


def canonical(path: str) -> str:
    """The route a doubled path (``/api/v1/x/api/v1/x/...``) is an alias of."""
    return _DOUBLED.sub(r"\1", path)


def kind_of(path: str, parameter: str | None = None) -> str | None:
    if parameter == "mentor_id":
        return "mentors"
    path = canonical(path)
    return next((kind for prefix, kind in _KINDS if path.startswith(prefix)), None)


class Pools:
    """Ids by kind, in the order they were learnt (and those created by the run)."""

    def __init__(self) -> None:
        self.ids: dict[str, list[str]] = {}
        self.created: dict[str, list[str]] = {}
        self._fresh = count()

    def fresh(self, prefix: str) -> str:
        return f"{prefix}{SEED % 100_000:05d}x{next(self._fresh)}"

    def add(self, kind: str, value: object, *, created: bool = False) -> None:
        if not isinstance(value, (str, int)) or isinstance(value, bool) or value == "":
            return
        ids = self.ids.setdefault(kind, [])
        if str(value) not in ids:
            ids.append(str(value))
        if created:
            self.created.setdefault(kind, []).append(str(value))

    def drop(self, kind: str, value: str) -> None:
        gone = [(kind, value)]
        if kind == "editorial":  # a deleted assignment's SRN names nothing any more
            gone.append(("srns", f"{_EDITORIAL_SRN}{value}"))
        for table in (self.ids, self.created):
            for name, item in gone:
                if item in table.get(name, []):
                    table[name].remove(item)

    def some(self, kind: str, n: int = 3, *, created_first: bool = False) -> list[str]:
        """Up to ``n`` ids of a kind (the run's own newest creations first if asked)."""
        first = list(reversed(self.created.get(kind, []))) if created_first else []
        rest = [i for i in self.ids.get(kind, []) if i not in first]
        return (first + rest)[:n]

    def learn(self, case: Case, status: int, body: Any) -> None:
        """Remember the ids of a 2xx answer; forget a record a 2xx DELETE removed."""
        if not 200 <= status < 300:
            return
        kind = kind_of(case.operation.path)
        if case.method.upper() == "DELETE" and kind is not None:
            for name, value in (case.path_parameters or {}).items():
                self.drop(kind_of(case.operation.path, name) or kind, str(value))
            return
        created = case.method.upper() == "POST"
        items = body.get("data", body.get("items", body)) if isinstance(body, dict) else body
        for item in items if isinstance(items, list) else [items]:
            if isinstance(item, dict) and kind is not None:
                key = next((k for k in ("uuid", "assignment_id", "id") if k in item), None)
                if key is not None:
                    self.add(kind, item[key], created=created)
        self._references(body)

    def _references(self, value: Any) -> None:
        if isinstance(value, list):
            for item in value:
                self._references(item)
        elif isinstance(value, dict):
            for key, item in value.items():
                if key in FIELDS and isinstance(item, str):
                    if key != "srn" or item.startswith(_EDITORIAL_SRN):
                        self.add(FIELDS[key], item)
                else:
                    self._references(item)


def harvest(schema: BaseSchema, headers: dict[str, str], pools: Pools) -> None:
    """Fill the pools from the list routes, as the caller of ``headers`` sees them."""
    for path, query in HARVEST:
        case = schema[path]["GET"].Case(query=query)
        response = case.call(headers=headers)
        assert response.status_code == 200, (path, response.text)
        pools.learn(case, response.status_code, response.json())
    assert all(pools.ids.get(kind) for _, kind in _KINDS if kind not in ("locks",)), pools.ids


def fed_strategy(
    pools: Pools, headers: dict[str, str]
) -> Callable[[Operation, GenerationMode], st.SearchStrategy[Case]]:
    """Schemathesis' cases, with ids drawn from the pools in 3 of 4 positive cases (path
    parameters, and reference fields of bodies and query strings). Negative cases are left
    as generated: they must stay invalid."""

    def strategy(operation: Operation, mode: GenerationMode) -> st.SearchStrategy[Case]:
        cases = operation.as_strategy(mode, headers=headers)
        if mode is GenerationMode.NEGATIVE:
            return cases

        @st.composite
        def fed(draw: st.DrawFn) -> Case:
            case = draw(cases)
            for name in _PATH_PARAM.findall(operation.path):
                picked = _pick(draw, pools.ids.get(kind_of(operation.path, name) or "", []))
                if picked is not None:
                    case.path_parameters = {**(case.path_parameters or {}), name: picked}
            for container in (case.body, case.query):
                if isinstance(container, dict):
                    for key in list(container):
                        picked = _pick(draw, pools.ids.get(FIELDS.get(key, ""), []))
                        if picked is not None:
                            container[key] = picked
                    for name, alias in ALIASES:  # the document: both names must agree
                        if container.get(name) is not None and container.get(alias) is not None:
                            container[alias] = container[name]
            return case

        return fed()

    return strategy


def _pick(draw: st.DrawFn, ids: list[str]) -> str | None:
    """An id of the pool in 3 of 4 draws. The draws do not depend on the pool's size (it
    changes during the run), so Hypothesis sees the same choices on a replay."""
    use, index = draw(st.integers(0, 3)), draw(st.integers(0, 1 << 16))
    return ids[index % len(ids)] if ids and use else None


def preconditions(schema: BaseSchema, case: Case, headers: dict[str, str]) -> dict[str, str]:
    """Headers a write needs beyond the caller's: the record's ETag as ``If-Match`` where the
    route answers 428 without one; the editorial lock (taken by the caller) where it
    answers 423 without it."""
    responses = case.operation.definition.raw.get("responses", {})
    parameters = case.path_parameters or {}
    extra: dict[str, str] = {}
    if "428" in responses:
        read = schema[case.operation.path]["GET"].Case(path_parameters=parameters)
        etag = read.call(headers=headers).headers.get("etag")
        if etag:
            extra["If-Match"] = etag[0] if isinstance(etag, list) else etag
    if "423" in responses and isinstance(parameters.get("uuid"), str):
        srn = f"{_EDITORIAL_SRN}{parameters['uuid']}"
        schema["/v3/lock-request"]["POST"].Case(body={"srn": srn}).call(headers=headers)
    return extra


def _today() -> str:
    return date.today().isoformat()


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


Recipe = Callable[[Pools], list[dict[str, Any]]]


def _each(kind: str, created_first: bool = False, **extra: Any) -> Recipe:
    """One case per id of a kind (up to three), with the same body or query."""

    def recipe(pools: Pools) -> list[dict[str, Any]]:
        ids = pools.some(kind, created_first=created_first)
        name = "mentor_id" if kind == "mentors" else ("uuid" if kind in _UUIDS else "id")
        return [{"path_parameters": {name: i}, **extra} for i in ids]

    return recipe


_UUIDS = ("editorial", "locks")


def _fixed(**kwargs: Any) -> Recipe:
    return lambda pools: [kwargs]


def _create_person(pools: Pools) -> list[dict[str, Any]]:
    return [{"body": {"id": pools.fresh("fz_"), "name": "Fuzz Person", "roles": ["mentee"]}}]


def _create_activity(pools: Pools) -> list[dict[str, Any]]:
    mentors = [m for m in pools.some("mentors", 10) if m.startswith(("user_", "mentor_"))]
    return [
        {
            "body": {
                "local_id": pools.fresh("fz-"),
                "peer_mentor_id": mentor,
                "activity_type_id": kind,
                "date": _today(),
                "duration_minutes": 30,
            }
        }
        for mentor in mentors[:2]
        for kind in pools.some("activity_types", 2)
    ]


def _create_assignment(pools: Pools) -> list[dict[str, Any]]:
    return [
        {"body": {"mentor_id": mentor, "mentee_id": mentee, "org_id": "org_03"}}
        for mentor in pools.some("mentors", 3)
        for mentee in pools.some("mentees", 10)[-3:]
    ]


def _lock(pools: Pools) -> list[dict[str, Any]]:
    """Locks on live editorial assignments (the run's own first): an SRN learnt earlier may
    name one the run has deleted since."""
    live = pools.some("editorial", created_first=True)
    return [{"body": {"srn": f"{_EDITORIAL_SRN}{uuid}"}} for uuid in live]


def _status(pools: Pools) -> list[dict[str, Any]]:
    return [
        {"path_parameters": {"id": i}, "body": {"status": status, "reason": "fuzz"}}
        for i in pools.some("assignments", 2)
        for status in ("closed", "open")
    ]


def _detect(pools: Pools) -> list[dict[str, Any]]:
    return [
        {"body": {"mentor_id": mentor, "period": {"year": date.today().year}}}
        for mentor in pools.some("mentors", 3)
    ]


# Every operation's hand-written success cases, by method and canonical path.
RECIPES: dict[tuple[str, str], Recipe] = {
    ("GET", "/api/v1/me"): _fixed(),
    ("GET", "/api/v1/people"): _fixed(),
    ("POST", "/api/v1/people"): _create_person,
    ("GET", "/api/v1/people/{id}"): _each("people"),
    ("GET", "/api/v1/organisations/{id}"): _each("organisations"),
    ("GET", "/v3/assignment"): _fixed(),
    ("POST", "/v3/assignment"): _fixed(body={"title": "Fuzz title"}),
    ("GET", "/v3/assignment/{uuid}"): _each("editorial"),
    ("PUT", "/v3/assignment/{uuid}"): _each("editorial", body={"title": "Fuzz edit"}),
    ("DELETE", "/v3/assignment/{uuid}"): _each("editorial", created_first=True),
    ("POST", "/v3/lock-request"): _lock,
    ("GET", "/v3/lock-request/{uuid}"): _each("locks", created_first=True),
    ("DELETE", "/v3/lock-request/{uuid}"): _each("locks", created_first=True),
    ("GET", "/api/v1/activities"): _fixed(),
    ("POST", "/api/v1/activities"): _create_activity,
    ("GET", "/api/v1/activities/{id}"): _each("activities"),
    ("PUT", "/api/v1/activities/{id}"): _each("activities", body={"notes": "fuzz"}),
    ("DELETE", "/api/v1/activities/{id}"): _each("activities", created_first=True),
    ("GET", "/api/v1/assignments"): _fixed(),
    ("POST", "/api/v1/assignments"): _create_assignment,
    ("GET", "/api/v1/assignments/overdue"): _fixed(),
    ("GET", "/api/v1/assignments/mentor/{mentor_id}/active"): _each("mentors"),
    ("GET", "/api/v1/assignments/mentor/{mentor_id}/history"): _each("mentors"),
    ("GET", "/api/v1/assignments/mentor/{mentor_id}/open-count"): _each("mentors"),
    ("GET", "/api/v1/assignments/{id}"): _each("assignments"),
    ("PUT", "/api/v1/assignments/{id}"): _each("assignments", body={"notes": "fuzz"}),
    ("DELETE", "/api/v1/assignments/{id}"): _each("assignments", created_first=True),
    ("PUT", "/api/v1/assignments/{id}/last-contact"): _each(
        "assignments", body={"contact_type": "call"}
    ),
    ("PATCH", "/api/v1/assignments/{id}/status"): _status,
    ("GET", "/api/v1/milestones"): _fixed(),
    ("POST", "/api/v1/milestones"): _detect,
    ("GET", "/api/v1/milestones/{mentor_id}/new"): _each("mentors"),
    ("GET", "/api/v1/milestones/{mentor_id}/in-progress"): _each("mentors"),
    ("GET", "/api/v1/milestones/{id}"): _each("milestones"),
    ("PUT", "/api/v1/milestones/{id}"): _each("milestones", body={"status": "achieved"}),
    ("DELETE", "/api/v1/milestones/{id}"): _each("milestones", created_first=True),
}


def explicit_cases(pools: Pools) -> Callable[[Operation], list[Case]]:
    """Each operation's hand-written cases (none for an operation without a recipe: the
    coverage test then names it)."""

    def cases(operation: Operation) -> list[Case]:
        recipe = RECIPES.get((operation.method.upper(), canonical(operation.path)))
        return [operation.Case(**kwargs) for kwargs in recipe(pools)] if recipe else []

    return cases
