"""Resolvers for every list's aggregates (``app.services.aggregates``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.errors import DomainError
from app.pagination import Paged
from app.services import aggregates as service
from app.services.aggregates import Aggregate
from resolvers.context import Context


async def aggregates(
    ctx: Context, paged: Paged[Any], group_by: Sequence[str], limit: int
) -> list[Aggregate]:
    """The aggregates of ``paged``'s list, per group of ``group_by`` (one group without),
    batched across the hubs of a page."""
    key = service.aggregate_key(paged, group_by, limit)
    found = await ctx.loaders.get(service.list_aggregates).load(key)
    if isinstance(found, DomainError):  # the loader raises these; narrows the type
        raise found
    return found
