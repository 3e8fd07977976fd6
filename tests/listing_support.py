"""The meaning of a connection's ``filter:`` and ``orderBy:``, here in the tests, apart
from the app: a filter's JSON evaluated over an item's fields as the GraphQL answer gives
them, an order applied with Python's sort, and hypothesis strategies for operator inputs.
Every list's property test (``tests/test_list_filters*.py``) uses them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

import httpx
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tests.helpers import count_statements, gql, known_caller

Row = dict[str, Any]
# How to read a field's JSON value (dates, date-times); fields not named are compared as is.
Parsers = Mapping[str, Callable[[str], Any]]


def day(text: str) -> date:
    return date.fromisoformat(text)


def instant(text: str) -> datetime:
    """A date-time at the precision the graph shows and date-time filters compare: whole
    seconds."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).replace(microsecond=0)


BUCKETS = ("DAY", "WEEK", "MONTH", "YEAR")  # the date dimensions of grouped aggregates


def calendar_bucket(kind: str, text: str) -> str:
    """The UTC calendar bucket (``DAY``, ``WEEK`` by its Monday, ``MONTH``, ``YEAR``) of a
    date or date-time as the graph shows it."""
    moment = instant(text).date() if "T" in text else day(text)
    if kind == "WEEK":
        return (moment - timedelta(days=moment.weekday())).isoformat()
    return moment.isoformat()[: {"DAY": 10, "MONTH": 7, "YEAR": 4}[kind]]


def value(row: Row, field: str, parsers: Parsers) -> Any:
    raw = row[field]
    if raw is None or field not in parsers:
        return raw
    return parsers[field](raw)


def _same(raw: Any) -> Any:
    return raw


def _holds(op: str, found: Any, wanted: Any) -> bool:
    if op == "isNull":
        return bool((found is None) == wanted)
    if op == "ne":
        return found is None or found != wanted
    if op == "notIn":
        return found is None or found not in wanted
    if found is None:
        return False
    tests: dict[str, Callable[[Any, Any], Any]] = {
        "eq": lambda a, b: a == b,
        "in": lambda a, b: a in b,
        "lt": lambda a, b: a < b,
        "lte": lambda a, b: a <= b,
        "gt": lambda a, b: a > b,
        "gte": lambda a, b: a >= b,
        "contains": lambda a, b: b in a,
    }
    return bool(tests[op](found, wanted))


def matches(condition: dict[str, Any], row: Row, parsers: Parsers) -> bool:
    """Whether the item ``row`` matches the filter ``condition`` (its GraphQL JSON)."""
    for key, inner in condition.items():
        if key == "and":
            ok = all(matches(part, row, parsers) for part in inner)
        elif key == "or":
            ok = any(matches(part, row, parsers) for part in inner)
        elif key == "not":
            ok = not matches(inner, row, parsers)
        else:
            found = value(row, key, parsers)
            read: Callable[[Any], Any] = parsers.get(key, _same)
            ok = True
            for op, wanted in inner.items():
                if op in ("in", "notIn"):
                    parsed: Any = [read(item) for item in wanted]
                elif op == "isNull":
                    parsed = wanted
                else:
                    parsed = read(wanted)
                ok = ok and _holds(op, found, parsed)
        if not ok:
            return False
    return True


def sorted_ids(
    rows: list[Row], keys: list[dict[str, str]], fields: Mapping[str, str], parsers: Parsers
) -> list[str]:
    """The ``legacyId``s of ``rows`` sorted by the ``orderBy`` ``keys`` (``fields``: an
    order field's enum name to the item's field), the id breaking ties in the last key's
    direction, nulls greatest."""
    last_descending = keys[-1].get("direction") == "DESC"
    ordered = sorted(rows, key=lambda row: row["legacyId"], reverse=last_descending)
    for key in reversed(keys):
        field = fields[key["field"]]

        def sort_key(row: Row, f: str = field) -> tuple[bool, Any]:
            found = value(row, f, parsers)
            return (found is None, found if found is not None else 0)

        ordered = sorted(ordered, key=sort_key, reverse=key.get("direction") == "DESC")
    return [row["legacyId"] for row in ordered]


def ops(values: st.SearchStrategy[Any], *, ranges: bool, lists: bool = True) -> Any:
    """One field's operator input: one or two of the operators that fit (``ranges``: the
    comparisons too; ``lists``: ``in``/``notIn`` too), values drawn from ``values``."""
    names = ["eq", "ne", "isNull"] + (["lt", "lte", "gt", "gte"] if ranges else [])
    single = st.sampled_from(names).flatmap(
        lambda op: st.tuples(st.just(op), st.booleans() if op == "isNull" else values)
    )
    many = st.tuples(st.sampled_from(["in", "notIn"]), st.lists(values, max_size=4))
    one = st.one_of(single, many) if lists else single
    return st.lists(one, min_size=1, max_size=2, unique_by=lambda pair: pair[0]).map(dict)


def combined(leaf: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    """Filters built of ``leaf`` conditions with ``and``, ``or``, ``not`` and several
    fields in one object."""
    return st.recursive(
        leaf,
        lambda inner: st.one_of(
            st.fixed_dictionaries({"and": st.lists(inner, max_size=3)}),
            st.fixed_dictionaries({"or": st.lists(inner, max_size=3)}),
            st.fixed_dictionaries({"not": inner}),
            st.tuples(leaf, inner).map(lambda pair: {**pair[1], **pair[0]}),
        ),
        max_leaves=6,
    )


# Property tests of lists: few examples (each pages through a whole list), the data fixture
# shared by them.
PROPERTY = hypothesis_settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


async def every_page(
    client: httpx.AsyncClient,
    query: str,
    root: str,
    headers: dict[str, str],
    variables: dict[str, Any],
) -> tuple[list[Row], int]:
    """Every item of the connection ``root`` of ``query`` (which takes ``$after``), paging
    through it, and its ``totalCount``."""
    rows: list[Row] = []
    after: str | None = None
    while True:
        body = await gql(client, query, {**variables, "after": after}, headers)
        assert "errors" not in body, body
        page = body["data"][root]
        rows += page["nodes"]
        if not page["pageInfo"]["hasNextPage"]:
            return rows, page["totalCount"]
        after = page["pageInfo"]["endCursor"]


async def same_statements_for_sizes(
    client: httpx.AsyncClient, query: str, headers: dict[str, str], sizes: tuple[int, ...] = (3, 12)
) -> dict[str, Any]:
    """Runs ``query`` (with ``$first``) at each page size; asserts every size costs the same
    number of SQL statements and returns the last answer."""
    counts = []
    body: dict[str, Any] = {}
    await known_caller(client, headers)
    for size in sizes:
        with count_statements() as counter:
            body = await gql(client, query, {"first": size}, headers)
        assert "errors" not in body, body
        counts.append(counter.count)
    assert len(set(counts)) == 1, counts
    return body
