"""The typed ``filter:`` and ``orderBy:`` inputs of connections, and their reading into the
door-neutral ``app.listing`` values.

Each record type declares its ``XFilter`` input with one operator input per field (the
operators that fit the field's type: ``KeyFilter`` for ids, ``TextFilter`` for text,
``IntFilter``, ``DateFilter``, ``DateTimeFilter``, ``EnumFilter[E]``) and ``and``/``or``/
``not``; and its ``XOrder`` input of an allow-listed ``XOrderField`` and a direction. A
Python attribute of a filter input is the field's name in ``app.listing`` (the repository
maps the same names to columns); an order field's value is that name too.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Any, Generic, TypeVar

import strawberry

from app.errors import BadRequest
from app.listing import AllOf, AnyOf, Cond, Filter, NotOf, Op, Sort, SortKey, conditions

E = TypeVar("E", bound=Enum)

MAX_IN_VALUES = 100
MAX_FILTER_CONDITIONS = 50
MAX_FILTER_DEPTH = 8
MAX_ORDER_KEYS = 4

_OPS = {
    "eq": Op.EQ,
    "ne": Op.NE,
    "in_": Op.IN,
    "not_in": Op.NOT_IN,
    "lt": Op.LT,
    "lte": Op.LTE,
    "gt": Op.GT,
    "gte": Op.GTE,
    "is_null": Op.IS_NULL,
    "contains": Op.CONTAINS,
}
_LOGIC = frozenset({"and_", "or_", "not_"})

_IN = "Any of these (at most 100; none matches nothing)."
_NOT_IN = "None of these (at most 100); a null field matches."
_NE = "Not this value; a null field matches."
_IS_NULL = "true: only null; false: only not null."


@strawberry.enum(description="The direction of an order key.")
class SortDirection(Enum):
    ASC = strawberry.enum_value("asc", description="Smallest first (nulls last).")
    DESC = strawberry.enum_value("desc", description="Largest first (nulls first).")


@strawberry.input(description="Conditions on an id field (combined with and).")
class KeyFilter:
    eq: str | None = strawberry.field(default=None, description="Equal to.")
    ne: str | None = strawberry.field(default=None, description=_NE)
    in_: list[str] | None = strawberry.field(name="in", default=None, description=_IN)
    not_in: list[str] | None = strawberry.field(default=None, description=_NOT_IN)
    is_null: bool | None = strawberry.field(default=None, description=_IS_NULL)


@strawberry.input(description="Conditions on a text field (combined with and).")
class TextFilter:
    eq: str | None = strawberry.field(default=None, description="Equal to.")
    ne: str | None = strawberry.field(default=None, description=_NE)
    in_: list[str] | None = strawberry.field(name="in", default=None, description=_IN)
    not_in: list[str] | None = strawberry.field(default=None, description=_NOT_IN)
    is_null: bool | None = strawberry.field(default=None, description=_IS_NULL)
    contains: str | None = strawberry.field(
        default=None,
        description="Holds this text, case-sensitive; `%` and `_` are plain characters.",
    )


@strawberry.input(description="Conditions on a whole-number field (combined with and).")
class IntFilter:
    eq: int | None = strawberry.field(default=None, description="Equal to.")
    ne: int | None = strawberry.field(default=None, description=_NE)
    in_: list[int] | None = strawberry.field(name="in", default=None, description=_IN)
    not_in: list[int] | None = strawberry.field(default=None, description=_NOT_IN)
    lt: int | None = strawberry.field(default=None, description="Less than.")
    lte: int | None = strawberry.field(default=None, description="At most.")
    gt: int | None = strawberry.field(default=None, description="More than.")
    gte: int | None = strawberry.field(default=None, description="At least.")
    is_null: bool | None = strawberry.field(default=None, description=_IS_NULL)


@strawberry.input(description="Conditions on a decimal-number field (combined with and).")
class FloatFilter:
    eq: float | None = strawberry.field(default=None, description="Equal to.")
    ne: float | None = strawberry.field(
        default=None, description="Not this value; a null field matches."
    )
    in_: list[float] | None = strawberry.field(name="in", default=None, description=_IN)
    not_in: list[float] | None = strawberry.field(default=None, description=_NOT_IN)
    lt: float | None = strawberry.field(default=None, description="Less than.")
    lte: float | None = strawberry.field(default=None, description="At most.")
    gt: float | None = strawberry.field(default=None, description="More than.")
    gte: float | None = strawberry.field(default=None, description="At least.")
    is_null: bool | None = strawberry.field(
        default=None, description="true: only null; false: only not null."
    )


@strawberry.input(description="Conditions on a calendar-date field (combined with and).")
class DateFilter:
    eq: date | None = strawberry.field(default=None, description="On this day.")
    ne: date | None = strawberry.field(default=None, description=_NE)
    in_: list[date] | None = strawberry.field(name="in", default=None, description=_IN)
    not_in: list[date] | None = strawberry.field(default=None, description=_NOT_IN)
    lt: date | None = strawberry.field(default=None, description="Before this day.")
    lte: date | None = strawberry.field(default=None, description="On or before this day.")
    gt: date | None = strawberry.field(default=None, description="After this day.")
    gte: date | None = strawberry.field(default=None, description="On or after this day.")
    is_null: bool | None = strawberry.field(default=None, description=_IS_NULL)


@strawberry.input(
    description="Conditions on a date-time field (combined with and), at the precision the "
    "graph shows date-times: whole seconds."
)
class DateTimeFilter:
    eq: datetime | None = strawberry.field(default=None, description="At this instant.")
    ne: datetime | None = strawberry.field(default=None, description=_NE)
    lt: datetime | None = strawberry.field(default=None, description="Before.")
    lte: datetime | None = strawberry.field(default=None, description="At or before.")
    gt: datetime | None = strawberry.field(default=None, description="After.")
    gte: datetime | None = strawberry.field(default=None, description="At or after.")
    is_null: bool | None = strawberry.field(default=None, description=_IS_NULL)


@strawberry.input(description="Conditions on an enumerated field (combined with and).")
class EnumFilter(Generic[E]):
    eq: E | None = strawberry.field(default=None, description="Equal to.")
    ne: E | None = strawberry.field(default=None, description=_NE)
    in_: list[E] | None = strawberry.field(name="in", default=None, description=_IN)
    not_in: list[E] | None = strawberry.field(default=None, description=_NOT_IN)
    is_null: bool | None = strawberry.field(default=None, description=_IS_NULL)


def _plain(value: Any) -> Any:
    """A value as the records hold it (an enum by its stored value)."""
    return value.value if isinstance(value, Enum) else value


def _whole_second(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)


def _instant(field: str, op: Op, moment: datetime) -> Filter:
    """A date-time condition at the precision the graph shows date-times (whole seconds):
    the field compares as shown, so ``eq`` of a shown value matches its item and ``lte``
    keeps it (``floor(field) op floor(moment)``)."""
    start = _whole_second(moment)
    end = start + timedelta(seconds=1)
    ranges: dict[Op, Filter] = {
        Op.EQ: AllOf((Cond(field, Op.GTE, start), Cond(field, Op.LT, end))),
        Op.LT: Cond(field, Op.LT, start),
        Op.LTE: Cond(field, Op.LT, end),
        Op.GT: Cond(field, Op.GTE, end),
        Op.GTE: Cond(field, Op.GTE, start),
    }
    if op is Op.NE:
        return NotOf(ranges[Op.EQ])
    return ranges[op]


def _operators(field: str, ops: Any) -> list[Filter]:
    found: list[Filter] = []
    if isinstance(ops, DateTimeFilter):
        for attribute in dataclasses.fields(ops):
            value = getattr(ops, attribute.name)
            if value is None:
                continue
            op = _OPS[attribute.name]
            found.append(Cond(field, op, value) if op is Op.IS_NULL else _instant(field, op, value))
        return found
    for attribute in dataclasses.fields(ops):
        value = getattr(ops, attribute.name)
        if value is None:
            continue
        op = _OPS[attribute.name]
        if op in (Op.IN, Op.NOT_IN):
            if len(value) > MAX_IN_VALUES:
                raise BadRequest(f"filter: at most {MAX_IN_VALUES} values in '{field}'")
            value = tuple(_plain(item) for item in value)
        else:
            value = _plain(value)
        found.append(Cond(field, op, value))
    return found


def _read(node: Any, depth: int) -> Filter:
    if depth > MAX_FILTER_DEPTH:
        raise BadRequest(f"filter: nested deeper than {MAX_FILTER_DEPTH} levels")
    parts: list[Filter] = []
    for attribute in dataclasses.fields(node):
        value = getattr(node, attribute.name)
        if value is None:
            continue
        if attribute.name == "and_":
            parts.append(AllOf(tuple(_read(item, depth + 1) for item in value)))
        elif attribute.name == "or_":
            parts.append(AnyOf(tuple(_read(item, depth + 1) for item in value)))
        elif attribute.name == "not_":
            parts.append(NotOf(_read(value, depth + 1)))
        else:
            parts.extend(_operators(attribute.name, value))
    return parts[0] if len(parts) == 1 else AllOf(tuple(parts))


def read_filter(node: Any | None) -> Filter | None:
    """The ``app.listing`` filter of a filter input (``None`` without one); BAD_USER_INPUT
    when it is too large (conditions, nesting or ``in`` values)."""
    if node is None:
        return None
    found = _read(node, 1)
    if conditions(found) > MAX_FILTER_CONDITIONS:
        raise BadRequest(f"filter: at most {MAX_FILTER_CONDITIONS} conditions")
    return found


def read_order(keys: Sequence[Any] | None) -> Sort:
    """The ``app.listing`` order of an ``orderBy`` list (empty: the list's own order);
    BAD_USER_INPUT for more than ``MAX_ORDER_KEYS`` keys or a field named twice."""
    if not keys:
        return ()
    if len(keys) > MAX_ORDER_KEYS:
        raise BadRequest(f"orderBy: at most {MAX_ORDER_KEYS} keys")
    sort = tuple(SortKey(str(key.field.value), key.direction is SortDirection.DESC) for key in keys)
    if len({key.field for key in sort}) != len(sort):
        raise BadRequest("orderBy: each field at most once")
    return sort
