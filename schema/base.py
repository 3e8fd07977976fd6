"""Conventions every domain's GraphQL types reuse: the Node interface with global IDs,
cursor connections with ``totalCount``, and the registry ``node(id)`` resolves through."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Generic, TypeVar

import strawberry

from app.errors import BadRequest
from app.pagination import Paged, encode_cursor
from resolvers.context import Info

T = TypeVar("T")


def to_global_id(type_name: str, key: str) -> strawberry.ID:
    return strawberry.ID(base64.urlsafe_b64encode(f"{type_name}:{key}".encode()).decode())


def from_global_id(global_id: str) -> tuple[str, str]:
    try:
        text = base64.urlsafe_b64decode(global_id.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadRequest(f"Invalid global ID {global_id!r}") from None
    type_name, sep, key = text.partition(":")
    if not sep or not type_name or not key:
        raise BadRequest(f"Invalid global ID {global_id!r}")
    return type_name, key


# Every subscription field's ``after`` argument, and the ``eventId`` its changes carry.
AfterEvent = Annotated[
    str | None,
    strawberry.argument(
        description="Resume after this `eventId` (the last one received): the events "
        "missed since then come first, in order, then live ones. An id older than the "
        "event log keeps (7 days unless configured) is refused: refetch, then subscribe "
        "without it. Over SSE, the `Last-Event-ID` header does the same."
    ),
]
EVENT_ID = (
    "The change event's id, in commit order: pass the last one received as `after` to resume."
)


def event_id_field() -> Any:
    return strawberry.field(description=EVENT_ID)


def optional_event_id_field() -> Any:
    return strawberry.field(
        default=None,
        description=f"On a subscription: {EVENT_ID[0].lower()}{EVENT_ID[1:]} Null elsewhere.",
    )


@strawberry.interface(description="An object with a globally unique, opaque ID.")
class Node:
    id: strawberry.ID = strawberry.field(
        description="Global ID: pass it to `node(id:)` to fetch this object again."
    )
    legacy_id: str = strawberry.field(
        description="The record's id as the REST contracts know it (e.g. `user_042`)."
    )


NodeFetcher = Callable[[Info, str], Awaitable[Any]]
_NODE_FETCHERS: dict[str, NodeFetcher] = {}


def register_node(type_name: str, fetch: NodeFetcher) -> None:
    """Make ``node(id)`` able to fetch ``type_name``; ``fetch`` applies the same
    authorization as the type's direct query field and returns ``None`` when hidden."""
    _NODE_FETCHERS[type_name] = fetch


async def fetch_node(info: Info, global_id: str) -> Any:
    type_name, key = from_global_id(global_id)
    fetch = _NODE_FETCHERS.get(type_name)
    if fetch is None:
        return None
    return await fetch(info, key)


# Page arguments every connection field takes (``ctx.page`` checks them).
First = Annotated[int | None, strawberry.argument(description="Page size, 0-100 (default 20).")]
After = Annotated[
    str | None,
    strawberry.argument(description="Continue after this cursor (a page's `endCursor`)."),
]


@strawberry.type(description="Where a page of a connection lies in the whole list.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="More items follow this page.")
    has_previous_page: bool = strawberry.field(description="Items come before this page.")
    start_cursor: str | None = strawberry.field(
        description="The first item's cursor; null for an empty page."
    )
    end_cursor: str | None = strawberry.field(
        description="The last item's cursor (pass it as `after`); null for an empty page."
    )


@strawberry.type(description="One item of a connection and its cursor.")
class Edge(Generic[T]):
    cursor: str = strawberry.field(description="Pass as `after` to continue after this item.")
    node: T = strawberry.field(description="The item.")


@strawberry.type(description="A page of a list, with cursors and the total count.")
class Connection(Generic[T]):
    edges: list[Edge[T]] = strawberry.field(description="The items of this page with cursors.")
    page_info: PageInfo = strawberry.field(description="Where this page lies in the list.")
    total_count: int = strawberry.field(description="Items in the whole list, all pages.")

    @strawberry.field(description="The items of this page (the edges' nodes).")
    def nodes(self) -> list[T]:
        return [edge.node for edge in self.edges]

    @classmethod
    def of(cls, paged: Paged[Any], convert: Callable[[Any], T]) -> Connection[T]:
        page, total = paged.request, paged.total
        edges = [
            Edge(cursor=encode_cursor(page.offset + i), node=convert(item))
            for i, item in enumerate(paged.items)
        ]
        return cls(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.offset + len(edges) < total,
                has_previous_page=page.offset > 0,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
            total_count=total,
        )
