"""Aggregates of every list, from the page the caller was given: the count, sums, averages,
least and greatest values of the whole list (all pages, its filters, what the caller may
see), or per group of allow-listed dimensions.

A page carries the list it came from (``Paged.source``, ``app.repositories.aggregating``):
the statement that already applied the caller's visibility and the filters. Aggregates
select from it, so no list can aggregate more than it shows. Hub lists (each person of a
page with their assignments ...) share one source: their aggregates are one statement
whatever the number of hubs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import Principal
from app.errors import BadRequest, DomainError
from app.pagination import Paged
from app.repositories.aggregating import Aggregate as Aggregate  # the doors' record
from app.repositories.aggregating import Source, aggregate_rows
from app.services.reading import batch_reader

MAX_GROUPS = 1000


@dataclass(frozen=True, slots=True)
class AggregateKey:
    """A DataLoader key: the aggregates of the list ``source`` (narrowed to ``owner`` for a
    hub list), grouped by ``group_by`` (empty: one group), at most ``limit`` groups."""

    source: Source
    owner: str | None
    group_by: tuple[str, ...]
    limit: int


def aggregate_key(paged: Paged[Any], group_by: Sequence[str], limit: int) -> AggregateKey:
    """The key of the aggregates of ``paged``'s list: BAD_USER_INPUT for an unknown or
    repeated dimension or a limit outside 1..MAX_GROUPS."""
    source = paged.source
    if not isinstance(source, Source):
        raise RuntimeError("this page was loaded without its list's aggregates")
    unknown = [name for name in group_by if name not in source.spec.groups]
    if unknown:
        raise BadRequest(f"groupBy: unknown dimension {unknown[0]!r}")
    if len(set(group_by)) != len(group_by):
        raise BadRequest("groupBy: each dimension at most once")
    if not 1 <= limit <= MAX_GROUPS:
        raise BadRequest(f"'first' must be between 1 and {MAX_GROUPS}")
    return AggregateKey(source, paged.owner, tuple(group_by), limit)


def _too_many(limit: int) -> BadRequest:
    return BadRequest(
        f"More than {limit} groups: narrow the filter, group by fewer dimensions or raise "
        f"'first' (at most {MAX_GROUPS})"
    )


def _whole(source: Source) -> Aggregate:
    """The aggregates of no rows."""
    spec = source.spec
    return Aggregate(
        sums={name: 0 for name in spec.numbers},
        averages=dict.fromkeys(spec.numbers),
        least=dict.fromkeys([*spec.numbers, *spec.bounds]),
        greatest=dict.fromkeys([*spec.numbers, *spec.bounds]),
    )


@batch_reader
async def list_aggregates(
    session: AsyncSession, who: Principal, keys: Sequence[AggregateKey]
) -> list[list[Aggregate] | DomainError]:
    """Each key's groups: one statement per distinct list and grouping, whatever the number
    of hubs. A key with more than its ``limit`` groups answers BAD_USER_INPUT (never a cut
    list). The source already holds ``who``'s visibility: it is the statement the page was
    read with in this request."""
    del who  # the sources were built for the caller
    batches: dict[tuple[Source, tuple[str, ...]], list[AggregateKey]] = {}
    for key in keys:
        batches.setdefault((key.source, key.group_by), []).append(key)
    found: dict[AggregateKey, list[Aggregate] | DomainError] = {}
    for (source, group_by), batch in batches.items():
        owned = source.owner is not None
        owners = [key.owner for key in batch if key.owner is not None] if owned else None
        # a list of one owner needs one row more than its limit to know it has too many
        limit = None if owned else max(key.limit for key in batch) + 1
        rows = await aggregate_rows(session, source, group_by, owners, limit=limit)
        groups: dict[str | None, list[Aggregate]] = {}
        for row in rows:
            groups.setdefault(row.owner, []).append(row)
        for key in batch:
            mine = groups.get(key.owner, [])
            if not group_by and not mine:
                mine = [_whole(source)]
            found[key] = _too_many(key.limit) if len(mine) > key.limit else mine
    return [found[key] for key in keys]
