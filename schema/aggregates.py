"""Aggregates on connections: ``aggregates`` over the whole list and ``groupedAggregates``
per group of allow-listed dimensions, the same on every record type.

A record type declares its parts (``XSums``, ``XAverages``, ``XBounds``: a field per
measure, named as the record's own field), its aggregates type (``XAggregates(Aggregates)``
naming those parts), its dimensions (``XGroupBy``) and its connection
(``@aggregated(XAggregates, XGroupBy)`` on ``XConnection(AggregatedConnection[X])``);
the values come from the list the page was read from (``app.services.aggregates``),
filters and visibility included.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable, Mapping, Sequence
from enum import Enum
from typing import Annotated, Any, Self, TypeVar

import strawberry

from app.errors import BadRequest
from app.services.aggregates import Aggregate
from resolvers import aggregates as resolve
from resolvers.context import Info
from schema.base import Connection

T = TypeVar("T")
E = TypeVar("E", bound=Enum)

AGGREGATES_HELP = (
    "Aggregates over the whole list (all pages, its filters, what the caller may see)."
)
GROUPED_HELP = (
    "Aggregates per group of the whole list, ordered by the keys (nulls last). More groups "
    "than `first` is BAD_USER_INPUT (never a cut list)."
)
GroupBy = Annotated[list[E], strawberry.argument(description="The dimensions, in order.")]
Groups = Annotated[int, strawberry.argument(description="At most this many groups, 1-1000.")]

# Which of an aggregate record's values each part of the aggregates type shows.
_PARTS = {"sum": "sums", "avg": "averages", "min": "least", "max": "greatest"}


@strawberry.type(description="Aggregates over a list, or over one group of it.")
class Aggregates:
    keys: list[str | None] = strawberry.field(
        description="The group's values of the `groupBy` dimensions, in order (empty when "
        "not grouped)."
    )
    count: int = strawberry.field(description="How many items.")

    @classmethod
    def of(cls, record: Aggregate) -> Self:
        parts: dict[str, Any] = {}
        for name, (part, fields) in _parts_of(cls).items():
            values: Mapping[str, Any] = getattr(record, _PARTS[name])
            parts[name] = part(**{field: values[field] for field in fields})
        return cls(keys=list(record.keys), count=record.count, **parts)


_Parts = dict[str, tuple[type, tuple[str, ...]]]
_parts: dict[type, _Parts] = {}


def _parts_of(cls: type) -> _Parts:
    """The parts (``sum``, ``avg``, ``min``, ``max``) an aggregates type declares, each
    with its type and its fields' names (worked out once per type)."""
    found = _parts.get(cls)
    if found is None:
        hints = typing.get_type_hints(cls)
        found = {}
        for name in _PARTS:
            if name in hints:
                part = hints[name]
                found[name] = (part, tuple(field.name for field in dataclasses.fields(part)))
        _parts[cls] = found
    return found


@strawberry.type(description="A page of a list, with cursors, the total count and aggregates.")
class AggregatedConnection(Connection[T]):
    """A connection whose subclass adds ``aggregates`` and ``groupedAggregates`` typed for
    its record (``whole`` and ``grouped`` answer them)."""

    async def whole(self, info: Info) -> Aggregate:
        [found] = await resolve.aggregates(info.context, self._paged(), (), 1)
        return found

    async def grouped(self, info: Info, group_by: Sequence[Enum], first: int) -> list[Aggregate]:
        if not group_by:
            raise BadRequest("groupBy: name at least one dimension")
        names = [str(name.value) for name in group_by]
        return await resolve.aggregates(info.context, self._paged(), names, first)

    def _paged(self) -> Any:
        if self.paged is None:
            raise RuntimeError("a connection built without its page")
        return self.paged


C = TypeVar("C", bound=type)


def aggregated(aggregates: type[Aggregates], group_by: type[Enum]) -> Callable[[C], C]:
    """Class decorator (under ``@strawberry.type``) of an ``AggregatedConnection``: adds
    ``aggregates`` and ``groupedAggregates`` typed for its record, ``aggregates`` (an
    ``Aggregates`` subclass) and ``group_by`` (its dimensions)."""

    async def whole(self: AggregatedConnection[Any], info: Info) -> Any:
        return aggregates.of(await self.whole(info))

    async def grouped(
        self: AggregatedConnection[Any], info: Info, group_by: Any, first: int = 100
    ) -> Any:
        found = await self.grouped(info, group_by, first)
        return [aggregates.of(group) for group in found]

    # The types the schema shows: set here, where the record's types are known.
    whole.__annotations__ = {"info": Info, "return": aggregates}
    grouped.__annotations__ = {
        "info": Info,
        "group_by": GroupBy[group_by],  # type: ignore[valid-type]
        "first": Groups,
        "return": list[aggregates],  # type: ignore[valid-type]
    }

    def add(cls: C) -> C:
        connection: Any = cls  # fields added to a class mypy sees as declared
        connection.aggregates = strawberry.field(resolver=whole, description=AGGREGATES_HELP)
        connection.grouped_aggregates = strawberry.field(resolver=grouped, description=GROUPED_HELP)
        return cls

    return add
