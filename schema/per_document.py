"""What is worked out once per GraphQL document and reused by every request that sends it.

The parse cache (``schema/limits.py``) hands every request of one query text the same
document, so a node's identity names it: ``PerDocument`` keys its values by the node's
``id`` (hashing a document hashes its whole tree, about 20 µs for a dashboard query, on
every look-up) and keeps the node alive beside its value, so that id stays the node's own
while the value is kept. Bounded: the least recently used are forgotten first.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

V = TypeVar("V")


class PerDocument(Generic[V]):
    def __init__(self, size: int) -> None:
        self.size = size
        self._values: OrderedDict[int, tuple[object, V]] = OrderedDict()

    def get(self, node: object, build: Callable[[], V]) -> V:
        """The value of ``node``, built by ``build`` the first time (or again once
        forgotten)."""
        key = id(node)
        found = self._values.get(key)
        if found is not None:
            self._values.move_to_end(key)
            return found[1]
        value = build()
        self._values[key] = (node, value)
        while len(self._values) > self.size:
            self._values.popitem(last=False)
        return value
