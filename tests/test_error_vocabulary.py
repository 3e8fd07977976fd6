"""One error vocabulary: each door names fields its own way (REST snake_case, GraphQL
camelCase) in messages and field lists alike, a wrong input value has one code whether it
is a literal or a variable, and every code the code base can emit is in the README."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.errors import DomainError, graphql_field
from tests.helpers import Auth, error_codes, gql

ROOT = Path(__file__).resolve().parent.parent
MENTOR = "mentor_4b8c21"
TOO_LONG = "must be between 1 and 1440 minutes"


def _rest_item(local_id: str, **changes: Any) -> dict[str, Any]:
    return {
        "local_id": local_id,
        "peer_mentor_id": MENTOR,
        "activity_type_id": "type_running",
        "date": "2026-11-02",
        "duration_minutes": 45,
        **changes,
    }


def _graphql_item(local_id: str, **changes: Any) -> dict[str, Any]:
    return {graphql_field(k): v for k, v in _rest_item(local_id).items()} | changes


LOG = """mutation ($input: LogActivityInput!) {
  logActivity(input: $input) { created }
}"""
SYNC = """mutation ($items: [LogActivityInput!]!) {
  syncActivities(items: $items) {
    results { outcome error { code message fields { field message } } }
  }
}"""


async def test_each_door_names_fields_its_own_way(client: httpx.AsyncClient, demo, auth: Auth):
    headers = auth.mentor(MENTOR)
    rest = await client.post(
        "/api/v1/activities", json=_rest_item("voc_1", duration_minutes=0), headers=headers
    )
    assert rest.status_code == 422
    assert (rest.json()["detail"], rest.json()["errors"]) == (
        f"duration_minutes: {TOO_LONG}",
        [{"field": "duration_minutes", "message": TOO_LONG}],
    )
    bad = _graphql_item("voc_1", durationMinutes=0)
    logged = await gql(client, LOG, {"input": bad}, headers)
    assert logged["data"] is None
    [error] = logged["errors"]
    assert (error["message"], error["extensions"]) == (
        f"durationMinutes: {TOO_LONG}",
        {"code": "BAD_USER_INPUT", "errors": [{"field": "durationMinutes", "message": TOO_LONG}]},
    )
    synced = await gql(client, SYNC, {"items": [bad]}, headers)
    assert synced["data"]["syncActivities"]["results"] == [
        {
            "outcome": "REJECTED",
            "error": {
                "code": "BAD_USER_INPUT",
                "message": f"durationMinutes: {TOO_LONG}",
                "fields": [{"field": "durationMinutes", "message": TOO_LONG}],
            },
        }
    ]
    # Nested fields too (milestones' periods): dotted, each part in the door's spelling.
    period = {"startDate": "2025-03-10", "endDate": "2025-03-01"}
    detect = await gql(
        client,
        "mutation ($p: MilestonePeriodInput!) { detectMilestones(input: "
        '{mentorId: "mentor_001", period: $p}) { created } }',
        {"p": period},
        auth.coordinator,
    )
    assert [e["message"] for e in detect["errors"]] == [
        "period.endDate: must not be before start_date"
    ]


# A wrong value in a literal and in a variable: (literal document, variable document,
# variables).
SAME_MISTAKE = [
    (
        'mutation { updateMilestone(id: "milestone_500h", input: {status: DONE}) { status } }',
        "mutation ($s: MilestoneStatus!) "
        '{ updateMilestone(id: "milestone_500h", input: {status: $s}) { status } }',
        {"s": "DONE"},
    ),
    (
        '{ people(first: "10") { totalCount } }',
        "query ($n: Int) { people(first: $n) { totalCount } }",
        {"n": "10"},
    ),
    (
        'mutation { updateMilestone(id: "milestone_500h", input: {statuz: ACHIEVED}) { status } }',
        "mutation ($i: UpdateMilestoneInput!) "
        '{ updateMilestone(id: "milestone_500h", input: $i) { status } }',
        {"i": {"statuz": "ACHIEVED"}},
    ),
    (
        'mutation { logActivity(input: {localId: "x", date: "2026-01-01", '
        "durationMinutes: 5}) { created } }",
        "mutation ($i: LogActivityInput!) { logActivity(input: $i) { created } }",
        {"i": {"localId": "x", "date": "2026-01-01", "durationMinutes": 5}},
    ),
]


@pytest.mark.parametrize(("literal", "document", "variables"), SAME_MISTAKE)
async def test_a_wrong_value_has_one_code_literal_or_variable(
    client: httpx.AsyncClient,
    demo,
    auth: Auth,
    literal: str,
    document: str,
    variables: dict[str, Any],
):
    as_literal = await gql(client, literal, headers=auth.admin)
    as_variable = await gql(client, document, variables, auth.admin)
    assert as_literal.get("data") is None
    assert as_variable.get("data") is None
    assert error_codes(as_literal) == ["BAD_USER_INPUT"], as_literal
    assert set(error_codes(as_variable)) == {"BAD_USER_INPUT"}, as_variable


async def test_a_document_that_does_not_fit_the_schema_is_a_validation_error(
    client: httpx.AsyncClient, demo, auth: Auth
):
    unknown_field = await gql(client, "{ me { shoeSize } }", headers=auth.admin)
    assert error_codes(unknown_field) == ["GRAPHQL_VALIDATION_FAILED"]
    missing_argument = await gql(client, "{ milestone { status } }", headers=auth.admin)
    assert error_codes(missing_argument) == ["GRAPHQL_VALIDATION_FAILED"]
    syntax = await gql(client, "{ me { ", headers=auth.admin)
    assert error_codes(syntax) == ["GRAPHQL_PARSE_FAILED"]


# --- every code is documented ----------------------------------------------------------

SOURCES = ("app", "schema", "resolvers")
CODE_LIKE = re.compile(r"^[A-Z]{2,}(?:_[A-Z]+)*$")
# Upper-case string literals of the code base that are not error codes.
NOT_CODES = frozenset(
    {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "BEGIN", "CASCADE", "JWT"}
    | {"AUTOCOMMIT"}  # an isolation level of SQLAlchemy (app/db.py)
    | {"ACT", "HRS", "PPL"}  # badge image words
    | {"UNSET"}  # a sentinel of mentoring updates
    | {"COMMAND", "ACTION"}  # metavars of the command line's subcommands
    | {"ID"}  # GraphQL's ID scalar
)
ENVIRONMENT_VARIABLE = re.compile(r"^(GATEWAY|PROMETHEUS|XDG)_")


def _code_literals() -> dict[str, set[str]]:
    """Every upper-case string literal of the code base (where a code is written down)."""
    found: dict[str, set[str]] = {}
    for package in SOURCES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (
                    isinstance(node, ast.Constant)
                    and isinstance(node.value, str)
                    and CODE_LIKE.match(node.value)
                    and node.value not in NOT_CODES
                    and not ENVIRONMENT_VARIABLE.match(node.value)
                ):
                    found.setdefault(node.value, set()).add(str(path.relative_to(ROOT)))
    return found


def _domain_errors() -> list[type[DomainError]]:
    for package in SOURCES:
        module = importlib.import_module(package)
        for info in pkgutil.walk_packages(module.__path__, f"{package}."):
            if ".migrations" not in info.name:
                importlib.import_module(info.name)
    seen: list[type[DomainError]] = []
    todo: list[type[DomainError]] = [DomainError]
    while todo:
        cls = todo.pop()
        seen.append(cls)
        todo.extend(cls.__subclasses__())
    return seen


def _documented() -> dict[str, str]:
    """The README's error-code table: code -> its HTTP column."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Error codes\n", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([A-Z_]+)` \| ([^|]*) \|", section, flags=re.M)
    return dict(rows)


def test_every_code_the_code_base_can_emit_is_documented():
    documented = _documented()
    literals = _code_literals()
    undocumented = {code: sorted(files) for code, files in literals.items()}
    for code in documented:
        undocumented.pop(code, None)
    assert undocumented == {}, "add these codes to README.md's error-code table"
    # Every DomainError's codes, with its HTTP status in the REST column.
    for cls in _domain_errors():
        assert cls.code in documented, cls
        assert str(cls.status) in documented[cls.code], (cls, documented[cls.code])
        if cls.graphql_code is not None:
            assert cls.graphql_code in documented, cls
    # ... and nothing documented that the code base cannot emit.
    assert set(documented) == set(literals), set(documented) ^ set(literals)
