"""Time and date parsing/formatting rules shared by every door (UTC everywhere)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})\Z"
)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}\Z")


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """A naive datetime is taken as UTC (databases without time zones give those back)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def format_datetime(value: datetime | None) -> str | None:
    """RFC 3339 in UTC with ``Z`` and second precision: ``2026-03-10T14:30:00Z``."""
    if value is None:
        return None
    if value.tzinfo is not UTC:
        value = as_utc(value)
    # isoformat is C and always writes a four-digit year; a UTC value without its zone
    # and microseconds is exactly the text wanted, before the "Z".
    return value.replace(tzinfo=None, microsecond=0).isoformat() + "Z"


def format_date(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def parse_datetime(text: str) -> datetime:
    """Parse an RFC 3339 date-time with any offset; returns an aware UTC datetime.

    Raises ``ValueError`` with a message fit for a client.
    """
    if not isinstance(text, str) or not _RFC3339.match(text):
        raise ValueError("must be an RFC 3339 date-time such as 2026-03-10T14:30:00Z")
    normalised = text.replace("z", "Z").replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(normalised)
    except ValueError:
        raise ValueError("is not a valid date-time") from None
    return parsed.astimezone(UTC)


def parse_date(text: str) -> date:
    """Parse ``YYYY-MM-DD``; raises ``ValueError`` with a message fit for a client."""
    if not isinstance(text, str) or not _DATE.match(text):
        raise ValueError("must be a date in the form YYYY-MM-DD")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError("is not a valid calendar date") from None


def parse_date_or_datetime(text: str) -> datetime:
    """A date means 00:00:00Z of that day; otherwise an RFC 3339 date-time."""
    if isinstance(text, str) and _DATE.match(text):
        return start_of_day(parse_date(text))
    return parse_datetime(text)


def start_of_day(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=UTC)


def days_between(earlier: datetime, later: datetime) -> int:
    """Whole days (floor) from ``earlier`` to ``later``."""
    return (as_utc(later) - as_utc(earlier)) // timedelta(days=1)
