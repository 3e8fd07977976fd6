"""Relations of a page, loaded before its items resolve (docs/performance.md).

A list resolver that knows which relations the query selects on its items loads them
right away through the same DataLoaders (``prime``), one batch per relation, exactly the
statements the items' own loads would have run. The items' relation fields then answer
from the loaders' cache without awaiting (``now_or_later``): graphql-core completes such a
list synchronously, instead of scheduling a task per item and an awaitable per field,
which is where most of the time of a nested list went. A field whose value is not cached
(an item reached another way, DataLoaders off) loads it as before.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Iterable, Sequence
from typing import Any, TypeVar

from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField

from resolvers.context import Context, Info
from resolvers.loaders import BatchFn

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
R = TypeVar("R")


def _included(selection: Any) -> bool:
    directives = selection.directives or {}
    return directives.get("skip", {}).get("if") is not True and (
        directives.get("include", {}).get("if") is not False
    )


def _fields(selections: Iterable[Any]) -> Iterable[SelectedField]:
    for selection in selections:
        if not _included(selection):
            continue
        if isinstance(selection, SelectedField):
            yield selection
        elif isinstance(selection, InlineFragment | FragmentSpread):
            yield from _fields(selection.selections)


ItemFields = dict[str, list[SelectedField]]


def item_fields(info: Info) -> ItemFields:
    """The fields selected on the items of the connection this field returns
    (``nodes { ... }`` and ``edges { node { ... } }``), by name (aliases may repeat one)."""
    wanted: ItemFields = {}
    for root in info.selected_fields:
        for field in _fields(root.selections):
            if field.name == "nodes":
                items = list(_fields(field.selections))
            elif field.name == "edges":
                nodes = [f for f in _fields(field.selections) if f.name == "node"]
                items = [f for node in nodes for f in _fields(node.selections)]
            else:
                continue
            for item in items:
                wanted.setdefault(item.name, []).append(item)
    return wanted


def object_fields(info: Info) -> ItemFields:
    """The fields selected on the object this field returns, by name."""
    wanted: ItemFields = {}
    for root in info.selected_fields:
        for field in _fields(root.selections):
            wanted.setdefault(field.name, []).append(field)
    return wanted


async def prime(ctx: Context, loads: Sequence[tuple[BatchFn[Any], Iterable[Any]]]) -> None:
    """Load every ``(batch function, keys)`` at once: one batch per loader, run together.
    Nothing happens when the loaders do not cache (``GATEWAY_DATALOADER_BATCHING=false``)."""
    pending: list[Awaitable[Any]] = []
    for batch, keys in loads:
        loader = ctx.loaders.get(batch)
        unique = list(dict.fromkeys(keys))
        if loader.cache and unique:
            pending.append(loader.load_many(unique))
    if pending:
        await asyncio.gather(*pending)


def now_or_later(
    ctx: Context, batch: BatchFn[V], key: K, convert: Callable[[V], R]
) -> R | Awaitable[R]:
    """The converted value when the loader already holds it, else an awaitable loading it."""
    loader = ctx.loaders.get(batch)
    future = loader.cache_map.get(key) if loader.cache else None
    if (
        future is not None
        and future.done()
        and not future.cancelled()
        and future.exception() is None
    ):
        return convert(future.result())

    async def later() -> R:
        return convert(await loader.load(key))

    return later()
