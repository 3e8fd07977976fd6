"""Query helpers every repository uses: counted pages and batch look-ups.

Statements on every request's path (look-ups by id, the batch loaders) are module-level
constants with bound parameters (``bindparam("ids", expanding=True)`` for batches): a
prebuilt ``Select`` memoises its cache key, and building a statement costs more than
running it (docs/performance.md). Queries shaped by the caller's filters are built per call.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.pagination import Paged, PageRequest

T = TypeVar("T")


async def fetch_page(session: AsyncSession, query: Select[T], page: PageRequest) -> Paged[T]:
    """Rows of one page and the total count of the (unpaged) query."""
    total = await session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = (await session.scalars(query.offset(page.offset).limit(page.limit))).all()
    return Paged(list(rows), int(total or 0), page)


def by_key(rows: Sequence[T], key: Any, keys: Sequence[Any]) -> list[T | None]:
    """Order ``rows`` as ``keys`` (a DataLoader wants one result per key, ``None`` if missing)."""
    index = {getattr(row, key): row for row in rows}
    return [index.get(k) for k in keys]
