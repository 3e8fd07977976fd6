"""What a list is asked for beyond its page: a filter and an order, from either door.

A ``Filter`` is a tree of conditions on a record type's allow-listed fields (``Cond``:
a field, an ``Op`` and a value) combined with ``AllOf``, ``AnyOf`` and ``NotOf``; an
order is a tuple of ``SortKey``s. Both are plain, frozen and hashable (a DataLoader key
holds them) and name fields, not columns: each repository maps the names it offers to its
columns (``app.repositories.filtering``), the GraphQL door builds them from its typed
inputs (``schema.listing``). ``evaluate`` is the meaning of a filter, in Python: the SQL
answers exactly what it answers for every row (the property tests check it).

The semantics, on both databases:

- comparisons (``eq``, ``lt`` ...) are false for a null field; ``ne`` and ``notIn`` are true
  for it (null is not equal to any value);
- ``isNull: true`` matches the nulls, ``isNull: false`` the others;
- ``contains`` is a case-sensitive substring test (no wildcards: ``%`` and ``_`` are
  themselves);
- ``in: []`` matches nothing and ``notIn: []`` everything;
- ``and: []`` matches everything, ``or: []`` nothing;
- logic is two-valued: ``not`` of a condition is exactly the rows it does not match.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Op(StrEnum):
    EQ = "eq"
    NE = "ne"
    IN = "in"
    NOT_IN = "notIn"
    LT = "lt"
    LTE = "lte"
    GT = "gt"
    GTE = "gte"
    IS_NULL = "isNull"
    CONTAINS = "contains"


@dataclass(frozen=True, slots=True)
class Cond:
    """``field op value`` (``value`` a tuple for ``in``/``notIn``, a bool for ``isNull``)."""

    field: str
    op: Op
    value: Any


@dataclass(frozen=True, slots=True)
class AllOf:
    parts: tuple[Filter, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    parts: tuple[Filter, ...]


@dataclass(frozen=True, slots=True)
class NotOf:
    part: Filter


Filter = Cond | AllOf | AnyOf | NotOf


@dataclass(frozen=True, slots=True)
class SortKey:
    field: str
    descending: bool = False


Sort = tuple[SortKey, ...]


def conditions(where: Filter | None) -> int:
    """How many conditions a filter holds (its size, for the query cost)."""
    if where is None:
        return 0
    if isinstance(where, Cond):
        return 1
    if isinstance(where, NotOf):
        return conditions(where.part)
    return sum(conditions(part) for part in where.parts)


def _compare(op: Op, value: Any, wanted: Any) -> bool:
    if op is Op.IS_NULL:
        return (value is None) == bool(wanted)
    if op is Op.NE:
        return value is None or value != wanted
    if op is Op.NOT_IN:
        return value is None or value not in wanted
    if value is None:
        return False
    checks: dict[Op, Callable[[Any, Any], bool]] = {
        Op.EQ: lambda a, b: a == b,
        Op.IN: lambda a, b: a in b,
        Op.LT: lambda a, b: a < b,
        Op.LTE: lambda a, b: a <= b,
        Op.GT: lambda a, b: a > b,
        Op.GTE: lambda a, b: a >= b,
        Op.CONTAINS: lambda a, b: b in a,
    }
    return checks[op](value, wanted)


def evaluate(where: Filter | None, record: Mapping[str, Any]) -> bool:
    """Whether ``record`` (field name to value) matches ``where``."""
    if where is None:
        return True
    if isinstance(where, Cond):
        return _compare(where.op, record[where.field], where.value)
    if isinstance(where, NotOf):
        return not evaluate(where.part, record)
    if isinstance(where, AllOf):
        return all(evaluate(part, record) for part in where.parts)
    return any(evaluate(part, record) for part in where.parts)
