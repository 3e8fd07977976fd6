"""Page requests from both doors: REST ``page``/``limit`` (offsets) and GraphQL
``first``/``after`` and ``last``/``before`` (keyset cursors).

A GraphQL cursor names a position in one list, not a row number: it carries the sort key of
the item it stands for (the values of the list's ORDER BY terms, the id last) and the
identity of the list it came from (the field, its filters and its order). The page after a
cursor holds the items whose keys sort after it, so inserts, updates and deletes elsewhere
in the list neither repeat nor skip an item; a cursor from another list, filter or order is
refused. The repositories (``app.repositories.keyset``) turn a request into SQL.

Out-of-range values are refused (400 on REST, BAD_USER_INPUT in GraphQL), never clamped.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar

from app.errors import BadRequest

T = TypeVar("T")
U = TypeVar("U")

DEFAULT_LIMIT = 20
MAX_PAGE = 1_000_000  # a page number beyond this is a typo, not a request
# A cursor's longest form: a sort key holds at most a few values, the longest a 200-character
# name (UTF-8, then base64).
MAX_CURSOR_LENGTH = 2000
Key = tuple[Any, ...]  # one item's sort key: the values of its list's ORDER BY terms


@dataclass(frozen=True, slots=True)
class PageRequest:
    """A page of a list: ``limit`` items from ``offset`` (REST), or ``limit`` items whose
    keys sort after ``after`` and before ``before`` (GraphQL); ``backward`` takes the last
    ``limit`` of those (``last``) instead of the first. ``list_id`` names the list the
    cursors belong to. Hashable: a DataLoader key."""

    offset: int
    limit: int
    after: Key | None = None
    before: Key | None = None
    backward: bool = False
    list_id: str = ""

    @property
    def page(self) -> int:
        return self.offset // max(self.limit, 1) + 1


@dataclass(frozen=True, slots=True)
class Paged(Generic[T]):
    """One page of a list: its items, the total of the whole list, and the request.

    ``keys`` are the items' sort keys (their cursors), ``more`` whether the list goes on
    past the page in the request's direction, ``prior`` how many items sort at or before
    ``after`` and ``later`` how many at or after ``before``: enough for an exact
    ``pageInfo``. ``source`` is the list the page came from (opaque here: what its
    aggregates select from) and ``owner`` the owner the page is of, for a hub list."""

    items: Sequence[T]
    total: int
    request: PageRequest
    keys: Sequence[Key] = ()
    more: bool = False
    prior: int = 0
    later: int = 0
    source: Hashable | None = None
    owner: str | None = None

    def map(self, convert: Callable[[T], U]) -> Paged[U]:
        items = [convert(item) for item in self.items]
        return Paged(
            items,
            self.total,
            self.request,
            self.keys,
            self.more,
            self.prior,
            self.later,
            self.source,
            self.owner,
        )

    @property
    def has_next_page(self) -> bool:
        if self.request.backward:
            return self.later > 0
        return self.more or self.later > 0

    @property
    def has_previous_page(self) -> bool:
        if self.request.backward:
            return self.more or self.prior > 0
        return self.prior > 0 or self.request.offset > 0

    def cursor(self, index: int) -> str:
        """The cursor of the item at ``index`` of the page."""
        return encode_cursor(self.request.list_id, self.keys[index])

    def rest_body(self, convert: Callable[[T], Any]) -> dict[str, Any]:
        """The ``/api/v1`` list envelope: ``{"data": [...], "pagination": {...}}``."""
        return {
            "data": [convert(item) for item in self.items],
            "pagination": {
                "page": self.request.page,
                "limit": self.request.limit,
                "total": self.total,
            },
        }


def _whole_number(name: str, raw: str | None, default: int) -> int:
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit()):  # "" too: an empty ?page= is not a number
        raise BadRequest(f"Query parameter '{name}' must be a positive whole number")
    return int(raw)


def rest_page(
    page: str | None, limit: str | None, *, max_limit: int, default_limit: int = DEFAULT_LIMIT
) -> PageRequest:
    number = _whole_number("page", page, 1)
    size = _whole_number("limit", limit, default_limit)
    if number < 1 or number > MAX_PAGE:
        raise BadRequest(f"Query parameter 'page' must be between 1 and {MAX_PAGE}")
    if size < 1 or size > max_limit:
        raise BadRequest(f"Query parameter 'limit' must be between 1 and {max_limit}")
    return PageRequest(offset=(number - 1) * size, limit=size)


# --- cursors -----------------------------------------------------------------------------

_TAGS: dict[str, Callable[[str], Any]] = {
    "t": datetime.fromisoformat,
    "d": date.fromisoformat,
    "n": Decimal,
}


def _tagged(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float)):
        return value
    if isinstance(value, datetime):
        return {"t": value.isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    if isinstance(value, Decimal):
        return {"n": str(value)}
    raise TypeError(f"A sort key cannot hold {type(value).__name__}")


def _untagged(value: Any) -> Any:
    if isinstance(value, dict):
        if len(value) != 1:
            raise ValueError("not a tagged value")
        ((tag, text),) = value.items()
        if tag not in _TAGS or not isinstance(text, str):
            raise ValueError("not a tagged value")
        return _TAGS[tag](text)
    if value is None or isinstance(value, (str, int, float)):
        return value
    raise ValueError("not a key value")


def list_identity(*parts: Any) -> str:
    """A short, stable name for one list (its field, filters and order): the same in every
    process, so a cursor works on any worker."""
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.blake2b(text.encode(), digest_size=6).hexdigest()


def encode_cursor(list_id: str, key: Key) -> str:
    values = [_tagged(value) for value in key]
    body = json.dumps([list_id, values], separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(body.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, list_id: str) -> Key:
    """The sort key ``cursor`` carries; BadRequest when it is not a cursor or is one of
    another list (another field, filter or order)."""
    try:
        text = base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode()).decode()
        found, values = json.loads(text)
        if not isinstance(found, str) or not isinstance(values, list) or not values:
            raise ValueError("not a cursor")
        key = tuple(_untagged(value) for value in values)
    except (binascii.Error, UnicodeDecodeError, ValueError, TypeError):
        raise BadRequest(f"Invalid cursor {cursor!r}") from None
    if found != list_id:
        raise BadRequest(
            f"The cursor {cursor!r} belongs to another list (another field, filter or order)"
        )
    return key


def graphql_page(
    first: int | None,
    after: str | None,
    last: int | None = None,
    before: str | None = None,
    *,
    max_limit: int,
    list_id: str = "",
    default_limit: int = DEFAULT_LIMIT,
) -> PageRequest:
    """The request of a connection's ``first``/``after`` and ``last``/``before``."""
    if first is not None and last is not None:
        raise BadRequest("Pass 'first' or 'last', not both")
    for name, size in (("first", first), ("last", last)):
        if size is not None and (size < 0 or size > max_limit):
            raise BadRequest(f"'{name}' must be between 0 and {max_limit}")
    size = last if last is not None else first if first is not None else default_limit
    return PageRequest(
        offset=0,
        limit=size,
        after=None if after is None else decode_cursor(after, list_id),
        before=None if before is None else decode_cursor(before, list_id),
        backward=last is not None,
        list_id=list_id,
    )
