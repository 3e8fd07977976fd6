"""Query helpers every repository uses: counted pages and batch look-ups.

Statements on every request's path (look-ups by id, the batch loaders) are module-level
constants with bound parameters (``bindparam("ids", expanding=True)`` for batches): a
prebuilt ``Select`` memoises its cache key, and building a statement costs more than
running it (docs/performance.md). Queries shaped by the caller's filters are built per call.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from app.pagination import Paged, PageRequest
from app.repositories.aggregating import AggregateSpec
from app.repositories.keyset import Order, keyset_page

T = TypeVar("T")


async def fetch_page(
    session: AsyncSession,
    query: Select[Any],
    order: Order,
    page: PageRequest,
    aggregates: AggregateSpec | None = None,
) -> Paged[Any]:
    """One page of a one-column ``query`` (an entity or a bundle) in ``order``, its total
    and the counts around the cursors; two statements (``app.repositories.keyset``). With
    ``aggregates``, the page can answer its list's aggregates."""
    return await keyset_page(session, query, order, page, first_column=True, aggregates=aggregates)


async def row_page(
    session: AsyncSession,
    query: Select[Any],
    order: Order,
    page: PageRequest,
    aggregates: AggregateSpec | None = None,
) -> Paged[Any]:
    """``fetch_page`` of a many-column ``query``: the items are its Core rows."""
    return await keyset_page(session, query, order, page, first_column=False, aggregates=aggregates)


def by_key(rows: Sequence[T], key: Any, keys: Sequence[Any]) -> list[T | None]:
    """Order ``rows`` as ``keys`` (a DataLoader wants one result per key, ``None`` if missing)."""
    index = {getattr(row, key): row for row in rows}
    return [index.get(k) for k in keys]
