"""CEO (SNworks v3) identifiers and timestamps: uuids, srns and ``YYYY-MM-DD HH:MM:SS``.

A CEO uuid is five groups of letters/digits (8-4-4-4-12), answered upper case
(``AAAAAAAA-1234-4567-7890-BBBBBBBBBBBB``); it is not necessarily hexadecimal. An srn names
a resource: ``srn:tsn:ceo-core/<type>:<UUID>``.
"""

from __future__ import annotations

import re
import uuid as uuidlib
from datetime import UTC, datetime

from app.errors import BadRequest
from app.timeutil import as_utc

_UUID = re.compile(
    r"^[A-Za-z0-9]{8}-[A-Za-z0-9]{4}-[A-Za-z0-9]{4}-[A-Za-z0-9]{4}-[A-Za-z0-9]{12}\Z"
)
UUID_FORMAT = _UUID  # what a uuid path parameter must match (stated in the OpenAPI document)
_SRN = re.compile(r"^srn:tsn:ceo-core/([a-z][a-z0-9-]{0,31}):(.+)\Z")
_CEO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\Z")
CEO_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
# What an srn and a CEO timestamp look like, as the OpenAPI document states them.
SRN_FORMAT, CEO_TIME_PATTERN = _SRN, _CEO_TIME
SRN_PREFIX = "srn:tsn:ceo-core/"


def new_uuid() -> str:
    return str(uuidlib.uuid4()).upper()


def normalise_uuid(value: object) -> str | None:
    """The upper-case uuid, or ``None`` when ``value`` is not a CEO uuid."""
    if isinstance(value, str) and _UUID.match(value):
        return value.upper()
    return None


def is_uuid(value: object) -> bool:
    return normalise_uuid(value) is not None


def path_uuid(value: str, what: str = "assignment") -> str:
    """A uuid from a URL path; 400 when malformed."""
    found = normalise_uuid(value)
    if found is None:
        raise BadRequest(
            f"{value!r} is not a valid {what} uuid (8-4-4-4-12 letters or digits, "
            "e.g. AAAAAAAA-1234-4567-7890-BBBBBBBBBBBB)"
        )
    return found


def srn(resource_type: str, uuid: str) -> str:
    return f"{SRN_PREFIX}{resource_type}:{uuid}"


def parse_srn(value: object) -> tuple[str, str]:
    """``(resource type, UUID)`` of an srn; raises ``ValueError`` with a client message."""
    match = _SRN.match(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError("must be an srn such as srn:tsn:ceo-core/assignment:<UUID>")
    found = normalise_uuid(match.group(2))
    if found is None:
        raise ValueError("names no valid uuid (8-4-4-4-12 letters or digits)")
    return match.group(1), found


def format_ceo_time(value: datetime | None) -> str | None:
    """``YYYY-MM-DD HH:MM:SS`` in UTC without a zone, as CEO answers."""
    return None if value is None else as_utc(value).strftime(CEO_TIME_FORMAT)


def parse_ceo_time(value: str) -> datetime:
    """Parse ``YYYY-MM-DD HH:MM:SS`` (UTC); raises ``ValueError`` with a client message."""
    if not _CEO_TIME.match(value):
        raise ValueError("must be a CEO timestamp 'YYYY-MM-DD HH:MM:SS' (UTC)")
    try:
        return datetime.strptime(value, CEO_TIME_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        raise ValueError("is not a valid date and time") from None
