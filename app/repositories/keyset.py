"""Keyset pages: a ``PageRequest`` (``app.pagination``) turned into SQL over any list.

A list's order is a tuple of ``Term``s (its ORDER BY, the id last so every key is unique).
The page after a cursor is ``WHERE key > cursor's key ORDER BY key LIMIT n + 1``: a
row-value comparison (``(a, b, id) > (x, y, z)``) when every term runs one way and none is
nullable (an index in that order serves it, on both databases), else spelled out term by
term (``a > x OR (a = x AND b > y) ...``, each in its own direction); the extra row says
whether the list goes on. A page before a cursor (``last``/``before``) runs the same with
every direction reversed and turns the rows round. One more statement counts the list and,
in the same pass, the items at or before ``after`` and at or after ``before``: the exact
``hasPreviousPage``/``hasNextPage``. Two statements per page, whatever its size.

Nullable terms sort as a null flag and the value (nulls greatest unless the term says
``nulls_last``), the same on SQLite and PostgreSQL (which disagree by default), and keep the
comparisons two-valued: a null is never compared, only its flag.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    false,
    func,
    literal,
    or_,
    select,
    true,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import UnaryExpression

from app.errors import BadRequest
from app.pagination import Key, Paged, PageRequest
from app.repositories.aggregating import AggregateSpec, Source


@dataclass(frozen=True, slots=True)
class Term:
    """One ORDER BY term of a list's order."""

    expression: ColumnElement[Any]
    descending: bool = False
    nullable: bool = False
    nulls_last: bool | None = None  # None: nulls greatest (last ascending, first descending)


Order = tuple[Term, ...]


def terms(*clauses: Any) -> Order:
    """The ``Order`` of ORDER BY clauses (``Model.column``, ``.desc()``, ``.nulls_last()``);
    a column's nullability is its own, an expression is taken as never null."""
    found: list[Term] = []
    for clause in clauses:
        element, descending, nulls_last = clause, False, None
        if isinstance(element, UnaryExpression) and element.modifier in (
            operators.nulls_last_op,
            operators.nulls_first_op,
        ):
            nulls_last = element.modifier is operators.nulls_last_op
            element = element.element
        if isinstance(element, UnaryExpression) and element.modifier in (
            operators.desc_op,
            operators.asc_op,
        ):
            descending = element.modifier is operators.desc_op
            element = element.element
        expression = getattr(element, "expression", element)
        nullable = bool(getattr(expression, "nullable", False))
        found.append(Term(expression, descending, nullable, nulls_last))
    return tuple(found)


# --- the key, term by term -----------------------------------------------------------------


def _null_flag(term: Term) -> ColumnElement[Any]:
    return case((term.expression.is_(None), 1), else_=0)


def _flag_descending(term: Term) -> bool:
    nulls_last = (not term.descending) if term.nulls_last is None else term.nulls_last
    return not nulls_last


def _parts(order: Order) -> list[tuple[ColumnElement[Any], bool]]:
    """The sort columns (and their directions) the terms expand to."""
    parts: list[tuple[ColumnElement[Any], bool]] = []
    for term in order:
        if term.nullable:
            parts.append((_null_flag(term), _flag_descending(term)))
        parts.append((term.expression, term.descending))
    return parts


def _part_values(order: Order, key: Key) -> list[Any]:
    values: list[Any] = []
    for term, value in zip(order, key, strict=True):
        if term.nullable:
            values.append(1 if value is None else 0)
        values.append(value)
    return values


def order_by(order: Order, *, reverse: bool = False) -> list[ColumnElement[Any]]:
    """The ORDER BY clauses of ``order`` (every direction flipped with ``reverse``)."""
    return [
        column.desc() if descending != reverse else column.asc()
        for column, descending in _parts(order)
    ]


def beyond(
    order: Order, key: Key, *, forward: bool = True, columns: Sequence[Any] | None = None
) -> ColumnElement[bool]:
    """Rows whose key sorts strictly after ``key`` (before it with ``forward=False``);
    ``columns`` stand in for the terms' expressions (a subquery's key columns)."""
    parts = _parts(order)
    if columns is not None:
        parts = _parts(
            tuple(
                Term(column, t.descending, t.nullable, t.nulls_last)
                for column, t in zip(columns, order, strict=True)
            )
        )
    values = _part_values(order, key)
    directions = {descending for _, descending in parts}
    if len(directions) == 1 and not any(term.nullable for term in order):
        # One direction, no nulls: a row-value comparison, which both databases read off an
        # index in that order (the spelled-out form below makes PostgreSQL sort).
        smaller = directions.pop() == forward
        row = tuple_(*(column for column, _ in parts))
        bound = tuple_(
            *(
                literal(value, type_=column.type)
                for (column, _), value in zip(parts, values, strict=True)
            )
        )
        return row < bound if smaller else row > bound
    either: list[ColumnElement[bool]] = []
    equal: list[ColumnElement[bool]] = []
    for (column, descending), value in zip(parts, values, strict=True):
        if value is None:  # a null value part: its flag (already equal) says it all
            continue
        smaller = descending == forward  # forward through a descending term: smaller values
        either.append(and_(*equal, column < value if smaller else column > value))
        equal.append(column == value)
    return or_(false(), *either)


def _python_type(term: Term) -> type | None:
    try:
        return term.expression.type.python_type
    except NotImplementedError:
        return None


def check_key(order: Order, key: Key | None) -> None:
    """BadRequest unless ``key`` (a cursor's) has the shape of ``order``'s keys."""
    if key is None:
        return
    if len(key) != len(order):
        raise BadRequest("The cursor does not belong to this list's order")
    for term, value in zip(order, key, strict=True):
        if value is None:
            if not term.nullable:
                raise BadRequest("The cursor does not belong to this list's order")
            continue
        wanted = _python_type(term)
        if wanted is None:
            continue
        fits = isinstance(value, wanted) and not (wanted is date and isinstance(value, datetime))
        if wanted is float and isinstance(value, int) and not isinstance(value, bool):
            fits = True
        if isinstance(value, bool) and wanted is not bool:
            fits = False
        if not fits:
            raise BadRequest("The cursor does not belong to this list's order")


def window(order: Order, page: PageRequest, columns: Sequence[Any] | None = None) -> Any:
    """The rows between the request's cursors (all rows without any)."""
    bounds: list[ColumnElement[bool]] = []
    if page.after is not None:
        bounds.append(beyond(order, page.after, columns=columns))
    if page.before is not None:
        bounds.append(beyond(order, page.before, forward=False, columns=columns))
    return and_(true(), *bounds)


def key_labels(order: Order) -> list[Any]:
    """The terms' expressions labelled ``key_0_``, ``key_1_`` ...: a row's sort key."""
    return [term.expression.label(f"key_{i}_") for i, term in enumerate(order)]


def key_columns(selectable: Any, order: Order) -> list[Any]:
    """The ``key_labels`` columns of a subquery."""
    return [selectable.c[f"key_{i}_"] for i in range(len(order))]


def around(
    order: Order,
    page: PageRequest,
    columns: Sequence[Any] | None = None,
    *,
    partition_by: Any = None,
) -> tuple[ColumnElement[Any], ColumnElement[Any]]:
    """Counters of the rows at or before ``after`` and at or after ``before`` (0 without
    that cursor); per ``partition_by`` as window sums, else as aggregates."""
    counters: list[ColumnElement[Any]] = []
    for key, forward in ((page.after, True), (page.before, False)):
        if key is None:
            counters.append(literal(0))
            continue
        outside = ~beyond(order, key, forward=forward, columns=columns)
        total = func.sum(case((outside, 1), else_=0))
        counters.append(
            total.over(partition_by=partition_by)
            if partition_by is not None
            else func.coalesce(total, 0)
        )
    return counters[0], counters[1]


async def keyset_page(
    session: AsyncSession,
    query: Select[Any],
    order: Order,
    page: PageRequest,
    *,
    first_column: bool,
    aggregates: AggregateSpec | None = None,
) -> Paged[Any]:
    """One page of ``query`` (unordered; its ORDER BY is replaced by ``order``'s), its
    total and the counts around the cursors; two statements. ``first_column``: the items
    are the rows' first column (an entity or a bundle), else the rows themselves. With
    ``aggregates``, the page keeps ``query`` as its source (``app.repositories.aggregating``)."""
    check_key(order, page.after)
    check_key(order, page.before)
    query = query.order_by(None)
    labels = key_labels(order)
    # The count reads only the sort keys (the cursors' counters need them): a subquery of
    # every column costs a column collection of them all per request.
    counted = query.with_only_columns(*labels, maintain_column_froms=True).subquery("counted")
    prior, later = around(order, page, key_columns(counted, order))
    total, before_count, after_count = (
        await session.execute(select(func.count(), prior, later).select_from(counted))
    ).one()
    statement = (
        query.add_columns(*labels)
        .where(window(order, page))
        .order_by(*order_by(order, reverse=page.backward))
        .offset(page.offset)
        .limit(page.limit + 1)
    )
    rows = list((await session.execute(statement)).all())
    more = len(rows) > page.limit
    rows = rows[: page.limit]
    if page.backward:
        rows.reverse()
    width = len(order)
    return Paged(
        [row[0] if first_column else row for row in rows],
        int(total or 0),
        page,
        keys=[tuple(row[-width:]) for row in rows],
        more=more,
        prior=int(before_count or 0),
        later=int(after_count or 0),
        source=None if aggregates is None else Source(query, aggregates),
    )
