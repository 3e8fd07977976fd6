"""DataLoaders, built fresh per request.

A service's batch reader (``app/services/reading.py``: ``async def f(session, who, keys)
-> list[result per key]``) is loaded with ``ctx.loaders.get(f).load(key)``: every ``load``
of one tick becomes one call of ``f``, with the request's caller, in its own read session
(sibling fields resolve concurrently, and one AsyncSession must not be shared between
them). A plain batch function ``f(session, keys)`` is called without the caller.
"""

from __future__ import annotations

from asyncio import Future
from collections.abc import Awaitable, Callable, Hashable, Iterable, Sequence
from typing import Any, TypeVar, cast

from strawberry.dataloader import DataLoader

from app.auth import Principal
from app.db import Database
from app.metrics import DATALOADER_BATCH
from app.services.reading import takes_caller

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

BatchFn = Callable[..., Awaitable[Sequence[V]]]
"""A batch reader ``f(session, who, keys)`` or a plain batch function ``f(session, keys)``."""


class _Loader(DataLoader[K, V]):
    """Strawberry's DataLoader with a ``load_many`` that waits on the keys' futures one
    after the other instead of gathering them: a batch resolves them all at once, so after
    the first the rest are done and cost no callback each (``gather`` schedules one per
    key, which was most of what priming a page's relations cost)."""

    def load_many(self, keys: Iterable[K]) -> Awaitable[list[V]]:
        return _each([cast("Future[V]", self.load(key)) for key in keys])


async def _each(futures: list[Future[V]]) -> list[V]:
    try:
        return [await future for future in futures]
    except BaseException:
        for future in futures:  # the first error is raised; the others count as seen
            if future.done() and not future.cancelled():
                future.exception()
        raise


class Loaders:
    """``batching=False`` (``GATEWAY_DATALOADER_BATCHING=false``, for the benchmark only)
    loads every key on its own, without cache: the N+1 the loaders exist to prevent."""

    def __init__(
        self, db: Database, caller: Callable[[], Principal], *, batching: bool = True
    ) -> None:
        self._db = db
        self._caller = caller
        self._batching = batching
        self._loaders: dict[Any, DataLoader[Any, Any]] = {}

    def get(self, batch: BatchFn[V]) -> DataLoader[Any, V]:
        loader = self._loaders.get(batch)
        if loader is None:
            db = self._db

            name = getattr(batch, "__qualname__", "loader")
            caller = self._caller if takes_caller(batch) else None

            async def load(keys: list[Any]) -> Sequence[V]:
                DATALOADER_BATCH.labels(name).observe(len(keys))
                who = None if caller is None else caller()
                async with db.read() as session:
                    if who is None:
                        return await batch(session, keys)
                    return await batch(session, who, keys)

            loader = _Loader(
                load_fn=load,
                max_batch_size=None if self._batching else 1,
                cache=self._batching,
            )
            self._loaders[batch] = loader
        return cast("DataLoader[Any, V]", loader)

    def clear(self) -> None:
        """Forget cached results (after a mutation changed what they loaded)."""
        for loader in self._loaders.values():
            loader.clear_all()
