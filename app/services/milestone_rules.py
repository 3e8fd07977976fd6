"""The rules milestones are measured by: periods, summaries and their sane bounds, progress.

Field names in errors are the REST contract's (``period.end_date``,
``summary.total_hours`` ...); the GraphQL door renames them to its camelCase arguments.

- A period is ``start_date`` to ``end_date`` inclusive, the end not before the start.
  Given with a ``year``, both dates lie in that year; a ``year`` alone is that calendar
  year. Detection works on yearly totals, so a detection period is at most 366 days;
  listing what was achieved or is in progress in a period takes a period of any length.
- A summary's totals are finite and not negative, and fit the days of the period that
  have begun (up to tomorrow, UTC, as for activities): at most 24 hours, 50 activities
  and 50 new contacts a day, and 5,000 contacts in a period.
- ``progress_percentage`` = floor(100 x value / threshold); ``remaining`` = threshold -
  value, computed in decimal so 0.29 of 1 is 28 %, not 28.999... %.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from app.errors import FieldError, InvalidInput
from app.models.milestones import MilestoneType
from app.timeutil import parse_date, utcnow

MAX_PERIOD_DAYS = 366
MAX_HOURS_PER_DAY = 24
MAX_ACTIVITIES_PER_DAY = 50
MAX_CONTACTS_PER_DAY = 50
MAX_CONTACTS_PER_PERIOD = 5_000
MIN_YEAR, MAX_YEAR = 2000, 2100


@dataclass(frozen=True, slots=True)
class Period:
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def ends_at(self) -> datetime:
        """The last second of the period (its end, in UTC)."""
        return datetime.combine(self.end, time(23, 59, 59), tzinfo=UTC)

    def days_begun(self, today: date) -> int:
        """Days of the period up to tomorrow (UTC): what a summary can cover so far."""
        last = min(self.end, today + timedelta(days=1))
        return max(0, (last - self.start).days + 1)

    @classmethod
    def calendar_year(cls, year: int) -> Period:
        return cls(date(year, 1, 1), date(year, 12, 31))


@dataclass(frozen=True, slots=True)
class Summary:
    total_hours: float
    unique_contacts_helped: int
    activity_count: int

    def value(self, kind: str) -> float:
        if kind == MilestoneType.HOURS_LOGGED:
            return self.total_hours
        if kind == MilestoneType.CONTACTS_HELPED:
            return float(self.unique_contacts_helped)
        return float(self.activity_count)


def _date(errors: list[FieldError], field: str, value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return parse_date(value)
    except ValueError as exc:
        errors.append(FieldError(field, str(exc)))
        return None


def check_period(
    year: int | None,
    start_date: date | str | None,
    end_date: date | str | None,
    *,
    prefix: str = "period.",
    longest: int | None = None,
) -> Period:
    """The period these fields describe, or 422 naming each bad field (also when it spans
    more than ``longest`` days, if given)."""
    errors: list[FieldError] = []
    if year is not None and not (MIN_YEAR <= year <= MAX_YEAR):
        errors.append(FieldError(f"{prefix}year", f"must be between {MIN_YEAR} and {MAX_YEAR}"))
        year = None
    start = _date(errors, f"{prefix}start_date", start_date)
    end = _date(errors, f"{prefix}end_date", end_date)
    InvalidInput.raise_if_any(errors)
    if start is None and end is None:
        if year is None:
            raise InvalidInput.field(prefix.rstrip(".") or "period", "give a year or both dates")
        return Period.calendar_year(year)
    if start is None or end is None:
        missing = "start_date" if start is None else "end_date"
        raise InvalidInput.field(f"{prefix}{missing}", "is required with the other date")
    if year is not None:
        for field, day in (("start_date", start), ("end_date", end)):
            if day.year != year:
                errors.append(FieldError(f"{prefix}{field}", f"does not lie in the year {year}"))
    if end < start:
        errors.append(FieldError(f"{prefix}end_date", "must not be before start_date"))
    elif longest is not None and (end - start).days + 1 > longest:
        errors.append(
            FieldError(
                f"{prefix}end_date",
                f"the period spans {(end - start).days + 1} days; at most {longest}",
            )
        )
    InvalidInput.raise_if_any(errors)
    return Period(start, end)


def check_total(
    errors: list[FieldError], field: str, kind: str, value: Any, days: int
) -> float | None:
    """One total of ``kind`` over ``days`` begun days: a finite, non-negative number (whole
    for counts) within the sane bounds; appends to ``errors`` and returns ``None`` if not."""
    whole = kind != MilestoneType.HOURS_LOGGED
    if isinstance(value, bool) or not isinstance(value, int | float):
        errors.append(FieldError(field, "must be a number"))
        return None
    if not math.isfinite(value):
        errors.append(FieldError(field, "must be a finite number"))
        return None
    if value < 0:
        errors.append(FieldError(field, "must not be negative"))
        return None
    if whole and value != int(value):
        errors.append(FieldError(field, "must be a whole number"))
        return None
    span = f"the {days} day(s) of the period so far"
    if kind == MilestoneType.HOURS_LOGGED and value > MAX_HOURS_PER_DAY * days:
        errors.append(FieldError(field, f"{value:g} hours do not fit in {span}"))
        return None
    if kind == MilestoneType.ACTIVITIES_LOGGED and value > MAX_ACTIVITIES_PER_DAY * days:
        errors.append(
            FieldError(field, f"more than {MAX_ACTIVITIES_PER_DAY} activities a day over {span}")
        )
        return None
    if kind == MilestoneType.CONTACTS_HELPED and (
        value > MAX_CONTACTS_PER_DAY * days or value > MAX_CONTACTS_PER_PERIOD
    ):
        errors.append(
            FieldError(
                field,
                f"more than {MAX_CONTACTS_PER_DAY} new contacts a day over {span}, "
                f"or {MAX_CONTACTS_PER_PERIOD} in a period",
            )
        )
        return None
    return float(value)


def check_summary(
    period: Period,
    total_hours: Any,
    unique_contacts_helped: Any,
    activity_count: Any,
    *,
    prefix: str = "summary.",
    today: date | None = None,
) -> Summary:
    """A client's summary, or 422 naming each missing, negative, NaN or absurd total."""
    errors: list[FieldError] = []
    days = period.days_begun(today or utcnow().date())
    hours = check_total(
        errors, f"{prefix}total_hours", MilestoneType.HOURS_LOGGED, total_hours, days
    )
    contacts = check_total(
        errors,
        f"{prefix}unique_contacts_helped",
        MilestoneType.CONTACTS_HELPED,
        unique_contacts_helped,
        days,
    )
    count = check_total(
        errors, f"{prefix}activity_count", MilestoneType.ACTIVITIES_LOGGED, activity_count, days
    )
    InvalidInput.raise_if_any(errors)
    assert hours is not None
    assert contacts is not None
    assert count is not None
    return Summary(hours, int(contacts), int(count))


def _decimal(value: float) -> Decimal:
    return Decimal(repr(float(value)))


def progress_percentage(value: float, threshold: int) -> int:
    """floor(100 x value / threshold), at most 100."""
    return min(100, math.floor(_decimal(value) * 100 / threshold))


def remaining(value: float, threshold: int) -> float:
    """threshold - value, never below zero."""
    return max(0.0, float(Decimal(threshold) - _decimal(value)))


def as_number(value: float) -> int | float:
    """Whole values as integers (``315``, not ``315.0``), others as they are."""
    return int(value) if float(value).is_integer() else value
