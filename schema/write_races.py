"""Mutations run again when they lose a write race (``app.db.retry_races``).

Every root mutation field gets ``RetryWriteRaces``: a mutation that loses a race with a
concurrent write to the same record before it committed anything runs again, so a change
without ``expectedVersion`` never fails because of another request, and one with a stale
``expectedVersion`` is always ``CONFLICT`` (the REST door does the same around its write
routes, ``app/rest/routing.py``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from strawberry.extensions import FieldExtension
from strawberry.types.base import get_object_definition

from app.db import retry_races
from resolvers.context import Info


class RetryWriteRaces(FieldExtension):
    def resolve(self, next_: Callable[..., Any], source: Any, info: Info, **kwargs: Any) -> Any:
        return next_(source, info, **kwargs)

    async def resolve_async(
        self, next_: Callable[..., Awaitable[Any]], source: Any, info: Info, **kwargs: Any
    ) -> Any:
        attempts = info.context.settings.write_attempts
        return await retry_races(lambda: next_(source, info, **kwargs), attempts=attempts)


def retry_write_races(mutation: type) -> None:
    """Give every field of the root ``mutation`` type the retry."""
    for field in get_object_definition(mutation, strict=True).fields:
        field.extensions.append(RetryWriteRaces())
