"""Many owners' pages of one list in one statement: the batch functions behind hub fields.

A hub field (a person's assignments, an organisation's overdue list ...) is its domain's
own list query, visibility and filters included, narrowed to one owner. When a page of
owners asks for it, one statement answers for all of them: the list query ranks its rows
per owner (``row_number() over (partition by owner order by <the list's order>)``) and
counts them (``count(*) over (partition by owner)``); the rows of the page, and each
owner's first row (which carries the total when the page lies past the end), are loaded
with their entity. Cursors work as in ``app.repositories.keyset``. SQLite (3.25+) and
PostgreSQL both run window functions.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from app.pagination import Key, Paged, PageRequest
from app.repositories.aggregating import AggregateSpec, Source
from app.repositories.keyset import (
    Order,
    around,
    check_key,
    key_columns,
    key_labels,
    order_by,
    window,
)

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
    ``owner`` is the column naming each row's owner, ``order`` the list's own order (its
    keyset terms), ``row_id`` the entity's primary key and ``load`` the one-column select
    (an entity or a bundle) that fetches the rows; ``aggregates`` what the list aggregates
    (the pages' source, ``app.repositories.aggregating``)."""

    query: Select[Any]
    owner: Column
    order: Order
    row_id: Column
    load: Select[Any]
    aggregates: AggregateSpec | None = None


async def pages_per_owner(
    session: AsyncSession, shape: ListShape, owners: Sequence[str], page: PageRequest
) -> dict[str, Paged[Any]]:
    """Each owner's page of the list (the keyset page of ``app.repositories.keyset``, per
    owner), its total and the counts around the cursors; one statement.

    The rows between the cursors rank among themselves (``row_number`` partitioned by owner
    and by being in that window, in the request's direction); the window's first
    ``limit + 1`` rows come back, and each owner's first row either side of the window,
    which carries the owner's totals when the window is empty."""
    check_key(shape.order, page.after)
    check_key(shape.order, page.before)
    wanted = sorted(set(owners))
    inside = case((window(shape.order, page), 1), else_=0)
    rank = func.row_number().over(
        partition_by=(shape.owner, inside),
        order_by=order_by(shape.order, reverse=page.backward),
    )
    prior, later = around(shape.order, page, partition_by=shape.owner)
    labels = key_labels(shape.order)
    ranked = (
        shape.query.with_only_columns(
            shape.row_id.label("row_id_"),
            shape.owner.label("owner_"),
            inside.label("inside_"),
            rank.label("rank_"),
            func.count().over(partition_by=shape.owner).label("total_"),
            prior.label("prior_"),
            later.label("later_"),
            *labels,
        )
        .where(shape.owner.in_(wanted))
        .order_by(None)
        .subquery("ranked")
    )
    low, high = page.offset, page.offset + page.limit
    keys = key_columns(ranked, shape.order)
    statement = (
        shape.load.join(ranked, ranked.c.row_id_ == shape.row_id)
        .add_columns(
            ranked.c.owner_,
            ranked.c.inside_,
            ranked.c.rank_,
            ranked.c.total_,
            ranked.c.prior_,
            ranked.c.later_,
            *keys,
        )
        .where(
            or_(
                ranked.c.rank_ == 1,
                and_(ranked.c.inside_ == 1, ranked.c.rank_ > low, ranked.c.rank_ <= high + 1),
            )
        )
        .order_by(ranked.c.owner_, ranked.c.inside_, ranked.c.rank_)
    )
    width = len(shape.order)
    items: dict[str, list[Any]] = defaultdict(list)
    found_keys: dict[str, list[Key]] = defaultdict(list)
    counts: dict[str, tuple[int, int, int]] = {}
    more: set[str] = set()
    for row in (await session.execute(statement)).all():
        owner, is_inside, position, total, before, after = row[1:7]
        counts[owner] = (int(total), int(before), int(after))
        if not is_inside:
            continue
        if low < position <= high:
            items[owner].append(row[0])
            found_keys[owner].append(tuple(row[-width:]))
        elif position > high:
            more.add(owner)
    pages: dict[str, Paged[Any]] = {}
    source = None
    if shape.aggregates is not None:
        source = Source(shape.query, shape.aggregates, owner=shape.owner)
    for owner in wanted:
        rows, row_keys = items.get(owner, []), found_keys.get(owner, [])
        if page.backward:
            rows, row_keys = rows[::-1], row_keys[::-1]
        total, before, after = counts.get(owner, (0, 0, 0))
        pages[owner] = Paged(
            rows,
            total,
            page,
            keys=row_keys,
            more=owner in more,
            prior=before,
            later=after,
            source=source,
            owner=owner,
        )
    return pages


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
