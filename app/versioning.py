"""Optimistic concurrency, one rule for both doors.

A versioned record (``app.models.base.Versioned``) answers REST with ``ETag: "<version>"``
and GraphQL with ``version``. A write may state the version it expects (REST ``If-Match``,
GraphQL ``expectedVersion``); a stale one is refused (REST 412, GraphQL ``CONFLICT``).
A read may state the tags it already holds (REST ``If-None-Match``): when one matches, the
answer is ``304 Not Modified`` without a body (RFC 9110, weak comparison).
"""

from __future__ import annotations

import re

from app.errors import BadRequest, PreconditionFailed

_ETAG = re.compile(r'^(?:W/)?"(\d{1,18})"\Z')
# One member of an If-None-Match list: an entity tag, weak or strong, then a comma or the end.
_TAG_IN_LIST = re.compile(r'\s*(?:W/)?"([\x21\x23-\x7e\x80-\xff]*)"\s*(?:,|\Z)')


def etag(version: int) -> str:
    return f'"{version}"'


def parse_if_match(header: str | None) -> int | None:
    """The version an ``If-Match`` header asks for; ``None`` when absent or ``*``."""
    if header is None or header.strip() == "*":
        return None
    match = _ETAG.match(header.strip())
    if match is None:
        raise BadRequest('If-Match must be an ETag this API returned, e.g. "3"')
    return int(match.group(1))


def none_match(header: str | None, tag: str) -> bool:
    """Whether ``If-None-Match`` lets a GET answer in full: ``False`` (answer 304) when the
    header is ``*`` or lists ``tag`` under weak comparison (``W/"3"`` matches ``"3"``).
    An absent or malformed header asks for nothing, so the full answer is given."""
    if header is None:
        return True
    if header.strip() == "*":
        return False
    wanted = tag.removeprefix("W/")
    held: list[str] = []
    position = 0
    while position < len(header):
        match = _TAG_IN_LIST.match(header, position)
        if match is None or match.end() == position:
            return True
        held.append(f'"{match.group(1)}"')
        position = match.end()
    return wanted not in held


def check_version(what: str, key: str, actual: int, expected: int | None) -> None:
    if expected is not None and expected != actual:
        raise PreconditionFailed(
            f"{what} {key!r} is at version {actual}, not {expected}; fetch it again and retry"
        )
