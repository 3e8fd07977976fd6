"""DataLoaders, built fresh per request.

Any repository function ``async def f(session, keys) -> list[result per key]`` is a batch
function: ``ctx.loaders.get(f).load(key)`` batches every ``load`` of one tick into one call
of ``f`` in its own read session (sibling fields resolve concurrently, and one
AsyncSession must not be shared between them).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Any, TypeVar, cast

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from app.db import Database
from app.metrics import DATALOADER_BATCH

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

BatchFn = Callable[[AsyncSession, Sequence[K]], Awaitable[Sequence[V]]]


class Loaders:
    """``batching=False`` (``GATEWAY_DATALOADER_BATCHING=false``, for the benchmark only)
    loads every key on its own, without cache: the N+1 the loaders exist to prevent."""

    def __init__(self, db: Database, *, batching: bool = True) -> None:
        self._db = db
        self._batching = batching
        self._loaders: dict[Any, DataLoader[Any, Any]] = {}

    def get(self, batch: BatchFn[K, V]) -> DataLoader[K, V]:
        loader = self._loaders.get(batch)
        if loader is None:
            db = self._db

            name = getattr(batch, "__qualname__", "loader")

            async def load(keys: list[K]) -> Sequence[V]:
                DATALOADER_BATCH.labels(name).observe(len(keys))
                async with db.read() as session:
                    return await batch(session, keys)

            loader = DataLoader(
                load_fn=load,
                max_batch_size=None if self._batching else 1,
                cache=self._batching,
            )
            self._loaders[batch] = loader
        return cast(DataLoader[K, V], loader)

    def clear(self) -> None:
        """Forget cached results (after a mutation changed what they loaded)."""
        for loader in self._loaders.values():
            loader.clear_all()
