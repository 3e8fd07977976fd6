"""Page requests from both doors: REST ``page``/``limit`` and GraphQL ``first``/``after``.

Out-of-range values are refused (400 on REST, BAD_USER_INPUT in GraphQL), never clamped.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from app.errors import BadRequest

T = TypeVar("T")
U = TypeVar("U")

DEFAULT_LIMIT = 20
MAX_PAGE = 1_000_000  # a page number beyond this is a typo, not a request
_CURSOR_PREFIX = "offset:"


@dataclass(frozen=True, slots=True)
class PageRequest:
    offset: int
    limit: int

    @property
    def page(self) -> int:
        return self.offset // max(self.limit, 1) + 1


@dataclass(frozen=True, slots=True)
class Paged(Generic[T]):
    """One page of a list: its items, the total of the whole list, and the request."""

    items: Sequence[T]
    total: int
    request: PageRequest

    def map(self, convert: Callable[[T], U]) -> Paged[U]:
        return Paged([convert(item) for item in self.items], self.total, self.request)

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


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{offset}".encode()).decode()


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadRequest(f"Invalid cursor {cursor!r}") from None
    number = text.removeprefix(_CURSOR_PREFIX)
    if not text.startswith(_CURSOR_PREFIX) or not (number.isascii() and number.isdigit()):
        raise BadRequest(f"Invalid cursor {cursor!r}")
    return int(number)


def graphql_page(
    first: int | None, after: str | None, *, max_limit: int, default_limit: int = DEFAULT_LIMIT
) -> PageRequest:
    size = default_limit if first is None else first
    if size < 0 or size > max_limit:
        raise BadRequest(f"'first' must be between 0 and {max_limit}")
    offset = 0 if after is None else decode_cursor(after) + 1
    return PageRequest(offset=offset, limit=size)
