"""The read model's conventions, shared by every domain's service.

Each record type has, in its service, plain immutable records (frozen dataclasses built
from Core rows: no ORM objects on read paths) and **batch readers**: ``async def
reader(session, who, keys) -> list[result per key]``, which load a whole batch in one
statement and apply the record type's visibility rule (``app/services/policy.py``) for the
caller ``who``. A key the caller may not see answers ``None`` (or an empty page), exactly
as a key that names nothing: a door cannot tell the two apart.

The doors' DataLoaders wrap the readers (``resolvers/loaders.py``): one batch per reader
and tick, in its own read session, with the request's caller.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import Principal

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

BatchReader = Callable[[AsyncSession, Principal, Sequence[K]], Awaitable[Sequence[V]]]
"""``reader(session, who, keys)``: one result per key, in the keys' order."""

F = TypeVar("F", bound=Callable[..., Any])


def batch_reader(fn: F) -> F:
    """Mark ``fn`` as a batch reader: DataLoaders call it with the caller."""
    fn.takes_caller = True  # type: ignore[attr-defined]
    return fn


def takes_caller(fn: Callable[..., Any]) -> bool:
    return bool(getattr(fn, "takes_caller", False))
