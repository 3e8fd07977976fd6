"""Many owners' pages of one list in one statement: the batch functions behind hub fields.

A hub field (a person's assignments, an organisation's overdue list ...) is its domain's
own list query, visibility and filters included, narrowed to one owner. When a page of
owners asks for it, one statement answers for all of them: the list query ranks its rows
per owner (``row_number() over (partition by owner order by <the list's order>)``) and
counts them (``count(*) over (partition by owner)``); the rows of the page, and each
owner's first row (which carries the total when the page lies past the end), are loaded
with their entity. SQLite (3.25+) and PostgreSQL both run window functions.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from app.pagination import Paged, PageRequest

G = TypeVar("G", bound=Hashable)
Column = ColumnElement[Any] | InstrumentedAttribute[Any]


@dataclass(frozen=True, slots=True)
class OwnedPage(Generic[G]):
    """A DataLoader key: one page of the list ``spec`` describes (the caller's visibility
    and the filters, hashable), narrowed to ``owner``."""

    owner: str
    spec: G
    page: PageRequest


@dataclass(frozen=True, slots=True)
class ListShape:
    """How to rank a domain list per owner.

    ``query`` selects the list (its visibility and filters; its ORDER BY is ignored),
    ``owner`` is the column naming each row's owner, ``order_by`` the list's own order,
    ``row_id`` the entity's primary key and ``load`` the ``select(Entity)`` (with its
    loader options) that fetches the rows."""

    query: Select[Any]
    owner: Column
    order_by: tuple[Any, ...]
    row_id: Column
    load: Select[Any]


async def pages_per_owner(
    session: AsyncSession, shape: ListShape, owners: Sequence[str], page: PageRequest
) -> dict[str, Paged[Any]]:
    """Each owner's page of the list and its total; one statement."""
    wanted = sorted(set(owners))
    rank = func.row_number().over(partition_by=shape.owner, order_by=shape.order_by)
    total = func.count().over(partition_by=shape.owner)
    ranked = (
        shape.query.with_only_columns(
            shape.row_id.label("row_id_"),
            shape.owner.label("owner_"),
            rank.label("rank_"),
            total.label("total_"),
        )
        .where(shape.owner.in_(wanted))
        .order_by(None)
        .subquery("ranked")
    )
    low, high = page.offset, page.offset + page.limit
    statement = (
        shape.load.join(ranked, ranked.c.row_id_ == shape.row_id)
        .add_columns(ranked.c.owner_, ranked.c.rank_, ranked.c.total_)
        .where(or_(ranked.c.rank_ == 1, and_(ranked.c.rank_ > low, ranked.c.rank_ <= high)))
        .order_by(ranked.c.owner_, ranked.c.rank_)
    )
    items: dict[str, list[Any]] = defaultdict(list)
    totals: dict[str, int] = {}
    for row, owner, position, count in (await session.execute(statement)).all():
        totals[owner] = int(count)
        if low < position <= high:
            items[owner].append(row)
    return {owner: Paged(items.get(owner, []), totals.get(owner, 0), page) for owner in wanted}


async def load_pages(
    session: AsyncSession,
    keys: Sequence[OwnedPage[G]],
    shape_of: Callable[[G], ListShape],
) -> list[Paged[Any]]:
    """A batch function's body: one ``pages_per_owner`` statement per distinct list and
    page among ``keys`` (one in a request that asks the same field of every owner)."""
    groups: dict[tuple[G, PageRequest], list[str]] = defaultdict(list)
    for key in keys:
        groups[(key.spec, key.page)].append(key.owner)
    found: dict[tuple[G, PageRequest, str], Paged[Any]] = {}
    for (spec, page), owners in groups.items():
        pages = await pages_per_owner(session, shape_of(spec), owners, page)
        for owner, paged in pages.items():
            found[(spec, page, owner)] = paged
    return [found[(key.spec, key.page, key.owner)] for key in keys]


async def counts_per_owner(
    session: AsyncSession, query: Select[Any], owner: Column, owners: Sequence[str]
) -> dict[str, int]:
    """How many rows of ``query`` each owner has (owners without any: 0); one statement."""
    counted = (
        query.with_only_columns(owner.label("owner_"))
        .where(owner.in_(sorted(set(owners))))
        .order_by(None)
        .subquery("counted")
    )
    rows = await session.execute(select(counted.c.owner_, func.count()).group_by(counted.c.owner_))
    found = {str(key): int(count) for key, count in rows.all()}
    return {key: found.get(key, 0) for key in owners}
