"""The shape check the GraphQL fuzz run applies to every answer catches what it promises."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import build_schema

from tests.graphql_shape import shape_problems

SCHEMA = build_schema(
    """
    enum Colour { RED BLUE }
    interface Node { id: ID! }
    type Thing implements Node { id: ID! count: Int! ratio: Float colour: Colour tags: [String!]! }
    type Other implements Node { id: ID! label: String }
    type Query { thing: Thing! maybe: Thing node: Node things: [Thing!] }
    """
)
QUERY = "{ thing { id n: count ratio colour tags } }"
GOOD = {"thing": {"id": "t1", "n": 3, "ratio": 1, "colour": "RED", "tags": ["a"]}}


def _with(**changes: Any) -> dict[str, Any]:
    return {"data": {"thing": {**GOOD["thing"], **changes}}}


def test_a_right_answer_has_no_problem():
    assert shape_problems(SCHEMA, QUERY, {"data": GOOD}) == []


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        ({"data": {"thing": {"id": "t1", "ratio": 1, "colour": "RED", "tags": []}}}, "missing"),
        (_with(extra=1), "not selected"),
        (_with(n=None), "null in a non-null"),
        (_with(n="3"), "is not a Int"),
        (_with(n=True), "is not a Int"),
        (_with(colour="GREEN"), "is not a Colour"),
        (_with(tags="a"), "where a list is selected"),
        ({"data": {"thing": []}}, "where an object is selected"),
        ({"data": None}, "no data and no errors"),
        ({"data": None, "errors": [{"message": "x"}]}, "without extensions.code"),
    ],
)
def test_each_kind_of_wrong_answer_is_named(answer: dict[str, Any], problem: str):
    problems = shape_problems(SCHEMA, QUERY, answer)
    assert any(problem in p for p in problems), problems


def test_an_error_may_null_a_non_null_field():
    answer = {"data": {"thing": {**GOOD["thing"], "n": None}}, "errors": [_coded()]}
    assert shape_problems(SCHEMA, QUERY, answer) == []


def _coded() -> dict[str, Any]:
    return {"message": "x", "extensions": {"code": "NOT_FOUND"}}


def test_fragments_of_abstract_types_follow_the_runtime_type():
    query = "{ node { __typename id ... on Thing { count } ... on Other { label } } }"
    thing = {"data": {"node": {"__typename": "Thing", "id": "t", "count": 1}}}
    assert shape_problems(SCHEMA, query, thing) == []
    wrong = {"data": {"node": {"__typename": "Other", "id": "o", "count": 1}}}
    assert any("not selected" in p for p in shape_problems(SCHEMA, query, wrong))
    untyped = "{ node { id ... on Other { label } } }"
    assert shape_problems(SCHEMA, untyped, {"data": {"node": {"id": "t"}}}) == []
    assert shape_problems(SCHEMA, untyped, {"data": {"node": {"id": 1}}}) != []
