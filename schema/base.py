"""Conventions every domain's GraphQL types reuse: the Node interface with global IDs,
cursor connections with ``totalCount``, and the registry ``node(id)`` resolves through."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Generic, Self, TypeVar

import strawberry
from graphql import Undefined, value_from_ast_untyped

from app.errors import BadRequest
from app.pagination import MAX_CURSOR_LENGTH, Paged, PageRequest, list_identity
from resolvers.context import Info
from schema.text import bounded

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


# Page arguments every connection field takes (``paging`` checks them).
First = Annotated[
    int | None,
    strawberry.argument(description="The first items of the list: page size, 0-100 (default 20)."),
]
After = Annotated[
    str | None,
    strawberry.argument(
        description="Items after this cursor (a page's `endCursor`).",
        metadata=bounded(MAX_CURSOR_LENGTH),
    ),
]
Last = Annotated[
    int | None,
    strawberry.argument(
        description="The last items of the list instead (page size, 0-100); with `before`, "
        "the page before that cursor. Not with `first`."
    ),
]
Before = Annotated[
    str | None,
    strawberry.argument(
        description="Items before this cursor (a page's `startCursor`).",
        metadata=bounded(MAX_CURSOR_LENGTH),
    ),
]
_PAGE_ARGUMENTS = frozenset({"first", "after", "last", "before"})
FILTER_HELP = (
    "Only the items matching this filter (within what the caller may see); the named "
    "arguments narrow it further."
)
ORDER_HELP = "The order, key by key (the id breaks ties); null or empty: the list's own order."


def _plain(value: Any) -> Any:
    """An argument's value as JSON writes it the same way from a literal or a variable
    (an enum by its GraphQL name, a date as its ISO text)."""
    name = getattr(value, "name", None)
    return name if isinstance(name, str) else str(value)


def list_id(info: Info) -> str:
    """The identity of the list a connection field reads: its type and field and its
    arguments other than the page's (filters, order; defaults filled in, literals and
    variables alike), so a cursor of one list, filter or order is refused by another.
    Computed once per field of the operation."""
    raw = info._raw_info
    node = raw.field_nodes[0]
    cache = info.context.list_ids
    found = cache.get(id(node))
    if found is None:
        given_values: Any = raw.variable_values  # a dict, or graphql-core 3.3's VariableValues
        variables: dict[str, Any] = getattr(given_values, "coerced", given_values)
        given = {argument.name.value: argument.value for argument in node.arguments or ()}
        arguments: dict[str, Any] = {}
        for name, definition in raw.parent_type.fields[raw.field_name].args.items():
            if name in _PAGE_ARGUMENTS:
                continue
            if name in given:
                arguments[name] = value_from_ast_untyped(given[name], variables)
            elif definition.default_value is not Undefined:
                arguments[name] = definition.default_value
        text = json.dumps(arguments, sort_keys=True, default=_plain)
        found = list_identity(raw.parent_type.name, raw.field_name, text)
        cache[id(node)] = found
    return found


def paging(
    info: Info, first: int | None, after: str | None, last: int | None, before: str | None
) -> PageRequest:
    """The page a connection field's arguments ask for: BAD_USER_INPUT for sizes out of
    range, both ``first`` and ``last``, or a cursor that is not one of this list's."""
    return info.context.page(first, after, last, before, list_id=list_id(info))


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
    # The page the connection shows (its list's aggregates start from it).
    paged: strawberry.Private[Paged[Any] | None] = None

    @strawberry.field(description="The items of this page (the edges' nodes).")
    def nodes(self) -> list[T]:
        return [edge.node for edge in self.edges]

    @classmethod
    def of(cls, paged: Paged[Any], convert: Callable[[Any], T]) -> Self:
        edges = [
            Edge(cursor=paged.cursor(i), node=convert(item)) for i, item in enumerate(paged.items)
        ]
        return cls(
            edges=edges,
            page_info=PageInfo(
                has_next_page=paged.has_next_page,
                has_previous_page=paged.has_previous_page,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
            total_count=paged.total,
            paged=paged,
        )
