"""How the GraphQL door writes and reads date-times: one format, at one place.

Every ``DateTime`` field (query results, mutation payloads and subscription events alike)
is serialised here as RFC 3339 in UTC with ``Z`` and second precision,
``2026-03-10T14:30:00Z``: the format of the REST ``/api/v1`` contracts
(``app.timeutil.format_datetime``), whatever precision the value was stored with. Inputs
take any RFC 3339 offset and are read as UTC, as on REST.
"""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.exceptions import StrawberryInputCoercionError
from strawberry.types.scalar import ScalarDefinition

from app.timeutil import format_datetime, parse_datetime


def _serialize(value: datetime) -> str:
    text = format_datetime(value)
    assert text is not None
    return text


def _parse(value: object) -> datetime:
    """An RFC 3339 date-time with an offset, as UTC; a coercion error (``BAD_USER_INPUT``,
    literal or variable) otherwise."""
    try:
        if not isinstance(value, str):
            raise ValueError("must be an RFC 3339 date-time such as 2026-03-10T14:30:00Z")
        return parse_datetime(value)
    except ValueError as exc:
        raise StrawberryInputCoercionError(
            f"Value cannot represent a DateTime: {value!r}: {exc}"
        ) from None


DATETIME = strawberry.scalar(
    name="DateTime",
    description="A date-time: RFC 3339 in UTC with `Z`, second precision "
    "(`2026-03-10T14:30:00Z`). Inputs take any RFC 3339 offset.",
    serialize=_serialize,
    parse_value=_parse,
)

# For ``StrawberryConfig(scalar_map=...)``: every ``datetime`` field is this scalar.
SCALAR_MAP: dict[object, ScalarDefinition] = {datetime: DATETIME}
