"""Relation fields: a record's attribute naming another record, answered by the read
model's batch reader for it.

A ``Relation(batch, key, convert)`` looks the record's ``key`` attribute up through the
request's DataLoader for ``batch`` (null when the attribute is null) and converts what it
finds: from the loader's cache without awaiting when the page prefetched it
(``resolvers.prefetch.now_or_later``), else as an awaitable load. Its field's resolver
returns ``relation.resolve(info.context, self)`` and the field keeps the relation in its
metadata (``metadata=relation.metadata``), so the direct plan (``schema/direct.py``)
answers the field with the same ``resolve``, without the resolve info and arguments a
resolver call needs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from resolvers.context import Context
from resolvers.loaders import BatchFn
from resolvers.prefetch import now_or_later

RELATION = "relation"  # the metadata key of a relation field's ``Relation``


class Relation(NamedTuple):
    batch: BatchFn[Any]
    key: str  # the attribute of the record that names the related record
    convert: Callable[[Any], Any]

    @property
    def metadata(self) -> dict[str, Any]:
        """The field's ``metadata``: how the direct plan finds the relation."""
        return {RELATION: self}

    def resolve(self, ctx: Context, record: Any) -> Any:
        key = getattr(record, self.key)
        if key is None:
            return None
        return now_or_later(ctx, self.batch, key, self.convert)
