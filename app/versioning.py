"""Optimistic concurrency, one rule for both doors.

A versioned record (``app.models.base.Versioned``) answers REST with ``ETag: "<version>"``
and GraphQL with ``version``. A write may state the version it expects (REST ``If-Match``,
GraphQL ``expectedVersion``); a stale one is refused (REST 412, GraphQL ``CONFLICT``).
"""

from __future__ import annotations

import re

from app.errors import BadRequest, PreconditionFailed

_ETAG = re.compile(r'^(?:W/)?"(\d{1,18})"\Z')


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


def check_version(what: str, key: str, actual: int, expected: int | None) -> None:
    if expected is not None and expected != actual:
        raise PreconditionFailed(
            f"{what} {key!r} is at version {actual}, not {expected}; fetch it again and retry"
        )
