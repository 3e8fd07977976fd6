"""Aggregates over a list: its count, and its sums, averages, least and greatest values,
over the whole list or per group.

A page remembers the statement it came from (a ``Source``: the list's visibility and
filters, unordered); its aggregates select from that statement as a subquery, so whatever
narrows the page narrows its aggregates, the same way on every list. A hub list of many
owners (a page of people, each with their assignments) keeps one source for all of them
and the column naming each row's owner: their aggregates are one statement too, grouped
by owner first.

What a record type aggregates is its ``AggregateSpec``: the numbers (sum, average, least,
greatest), the dates (least, greatest) and the dimensions grouped aggregates may group by,
date buckets included (``date_buckets``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.repositories.buckets import bucket

BUCKETS = ("day", "week", "month", "year")


def date_buckets(column: Any) -> dict[str, Any]:
    """The calendar buckets of ``column`` as dimensions: ``day``, ``week``, ``month``, ``year``."""
    return {kind: bucket(kind, column) for kind in BUCKETS}


@dataclass(frozen=True, slots=True)
class AggregateSpec:
    """What a record type aggregates, by name: ``numbers`` (sums, averages, least and
    greatest values), ``bounds`` (least and greatest values only: dates and times) and
    ``groups`` (the dimensions, each a column or an expression of the list's tables)."""

    numbers: Mapping[str, Any] = field(default_factory=dict)
    bounds: Mapping[str, Any] = field(default_factory=dict)
    groups: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, eq=False, slots=True)
class Source:
    """The list a page came from: ``query`` selects it (visibility and filters; its order
    and columns do not matter), ``spec`` says what it aggregates and ``owner`` is the
    column naming each row's owner when one statement serves many owners' lists. Compared
    by identity: the pages of one batch share theirs."""

    query: Select[Any]
    spec: AggregateSpec
    owner: Any = None


@dataclass(frozen=True, slots=True)
class Aggregate:
    """Aggregates of one group of a list: ``keys`` (its values of the grouping dimensions,
    as text; empty when not grouped), ``count``, and per measure name its ``sums`` (0 over
    none), ``averages``, ``least`` and ``greatest`` values (None over none); ``owner`` the
    hub the group belongs to, for a hub list."""

    keys: tuple[str | None, ...] = ()
    count: int = 0
    sums: Mapping[str, int | float] = field(default_factory=dict)
    averages: Mapping[str, float | None] = field(default_factory=dict)
    least: Mapping[str, Any] = field(default_factory=dict)
    greatest: Mapping[str, Any] = field(default_factory=dict)
    owner: str | None = None


def _number(value: Any, python_type: type) -> int | float:
    return 0 if value is None else python_type(value)


def _python_type(expression: Any) -> type:
    try:
        found = expression.type.python_type
    except NotImplementedError:  # pragma: no cover - every spec names typed columns
        return float
    return int if found is int else float


async def aggregate_rows(
    session: AsyncSession,
    source: Source,
    group_by: Sequence[str],
    owners: Sequence[str] | None = None,
    *,
    limit: int | None = None,
) -> list[Aggregate]:
    """The list's aggregates per group of ``group_by`` (one row, over the whole list,
    without), for each of ``owners`` when given (owners without rows are left out); one
    statement. Groups come ordered by owner and keys (nulls last); at most ``limit`` rows."""
    spec = source.spec
    numbers, bounds = list(spec.numbers.items()), list(spec.bounds.items())
    dimensions = [spec.groups[name].label(f"g{i}_") for i, name in enumerate(group_by)]
    query = source.query.order_by(None)
    if owners is not None:
        query = query.where(source.owner.in_(sorted(set(owners))))
        dimensions.insert(0, source.owner.label("owner_"))
    measured = [expression.label(f"m{i}_") for i, (_, expression) in enumerate([*numbers, *bounds])]
    listed = query.add_columns(*dimensions, *measured).subquery("listed")
    groups = [listed.c[column.name] for column in dimensions]
    columns: list[Any] = [*groups, func.count().label("count_")]
    for i in range(len(numbers)):
        value = listed.c[f"m{i}_"]
        columns += [func.sum(value), func.avg(value), func.min(value), func.max(value)]
    for i in range(len(numbers), len(numbers) + len(bounds)):
        value = listed.c[f"m{i}_"]
        columns += [func.min(value), func.max(value)]
    statement = select(*columns).select_from(listed)
    if groups:
        statement = statement.group_by(*groups).order_by(
            *[group.asc().nulls_last() for group in groups]
        )
    if limit is not None:
        statement = statement.limit(limit)
    kinds = [_python_type(expression) for _, expression in numbers]
    found: list[Aggregate] = []
    width = len(groups)
    for row in (await session.execute(statement)).all():
        keyed = row[:width]
        owner = None
        if owners is not None:
            owner, keyed = keyed[0], keyed[1:]
        values = iter(row[width + 1 :])
        sums: dict[str, int | float] = {}
        averages: dict[str, float | None] = {}
        least: dict[str, Any] = {}
        greatest: dict[str, Any] = {}
        for (name, _), kind in zip(numbers, kinds, strict=True):
            total, average = next(values), next(values)
            sums[name] = _number(total, kind)
            averages[name] = None if average is None else float(average)
            least[name], greatest[name] = next(values), next(values)
        for name, _ in bounds:
            least[name], greatest[name] = next(values), next(values)
        found.append(
            Aggregate(
                keys=tuple(None if key is None else str(key) for key in keyed),
                count=int(row[width]),
                sums=sums,
                averages=averages,
                least=least,
                greatest=greatest,
                owner=None if owner is None else str(owner),
            )
        )
    return found
