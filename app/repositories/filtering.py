"""A list's ``filter`` and ``orderBy`` (``app.listing``) turned into SQL.

Each repository offers its record type's fields by name (``Fields``: name to column); a
name it does not offer never reaches here (the doors only build the names they type).
Every condition compiles to a predicate that is true or false, never null (a nullable
column is tested for null first), so ``NOT`` is exact and the SQL means what
``app.listing.evaluate`` means, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Boolean, ColumnElement, and_, false, not_, or_, true
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from app.listing import AllOf, AnyOf, Cond, Filter, NotOf, Op, Sort
from app.repositories.keyset import Order, Term

Fields = Mapping[str, Any]  # a field name to its column (or column expression)


class _Contains(FunctionElement[bool]):
    """``haystack`` holds ``needle`` as is: a plain substring test, no LIKE wildcards."""

    type = Boolean()
    inherit_cache = True
    name = "contains_text"


@compiles(_Contains)
def _contains_sqlite(element: _Contains, compiler: SQLCompiler, **kw: Any) -> str:
    haystack, needle = list(element.clauses)
    return f"(instr({compiler.process(haystack, **kw)}, {compiler.process(needle, **kw)}) > 0)"


@compiles(_Contains, "postgresql")
def _contains_postgresql(element: _Contains, compiler: SQLCompiler, **kw: Any) -> str:
    haystack, needle = list(element.clauses)
    return f"(strpos({compiler.process(haystack, **kw)}, {compiler.process(needle, **kw)}) > 0)"


def _expression(column: Any) -> ColumnElement[Any]:
    found: ColumnElement[Any] = getattr(column, "expression", column)
    return found


def _nullable(column: Any) -> bool:
    expression = getattr(column, "expression", column)
    return bool(getattr(expression, "nullable", False))


def _condition(cond: Cond, fields: Fields) -> ColumnElement[bool]:
    column: ColumnElement[Any] = _expression(fields[cond.field])
    value = cond.value
    nullable = _nullable(column)
    if cond.op is Op.IS_NULL:
        if not nullable:
            return false() if value else true()
        return column.is_(None) if value else column.is_not(None)
    if cond.op in (Op.NE, Op.NOT_IN):
        if cond.op is Op.NOT_IN and not value:
            return true()
        differs = column != value if cond.op is Op.NE else column.not_in(list(value))
        return or_(column.is_(None), differs) if nullable else differs
    if cond.op is Op.IN and not value:
        return false()
    tests: dict[Op, Any] = {
        Op.EQ: lambda: column == value,
        Op.IN: lambda: column.in_(list(value)),
        Op.LT: lambda: column < value,
        Op.LTE: lambda: column <= value,
        Op.GT: lambda: column > value,
        Op.GTE: lambda: column >= value,
        Op.CONTAINS: lambda: _Contains(column, value),
    }
    test: ColumnElement[bool] = tests[cond.op]()
    return and_(column.is_not(None), test) if nullable else test


def where(condition: Filter | None, fields: Fields) -> ColumnElement[bool]:
    """The predicate of ``condition`` over ``fields`` (true without one)."""
    if condition is None:
        return true()
    if isinstance(condition, Cond):
        return _condition(condition, fields)
    if isinstance(condition, NotOf):
        return not_(where(condition.part, fields))
    parts = [where(part, fields) for part in condition.parts]
    if isinstance(condition, AllOf):
        return and_(true(), *parts)
    assert isinstance(condition, AnyOf)
    return or_(false(), *parts)


def sort_order(sort: Sort, fields: Fields, tiebreak: Any, default: Order) -> Order:
    """The keyset order of ``sort`` (its fields, then ``tiebreak`` for a stable order), or
    ``default`` when none is asked for."""
    if not sort:
        return default
    terms = [
        Term(_expression(fields[key.field]), key.descending, _nullable(fields[key.field]))
        for key in sort
    ]
    terms.append(Term(_expression(tiebreak), sort[-1].descending))
    return tuple(terms)
