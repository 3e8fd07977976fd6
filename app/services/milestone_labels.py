"""``accessibility_label``: the sentence a screen reader speaks for a milestone.

Every type x status, in English and Norwegian bokmål, lives here and nowhere else.

Achieved (the date written out):

- hours: "You reached 100 hours of mentoring on July 14, 2025" /
  "Du nådde 100 timer med mentorarbeid den 14. juli 2025"
- contacts: "You helped your 50th unique contact on ..." / "Du hjalp din 50. unike kontakt
  den ..."
- activities: "You logged your 250th activity on ..." / "Du registrerte din 250. aktivitet
  den ..."

In progress:

- hours: "You have logged 312.5 out of 500 hours of mentoring" /
  "Du har registrert 312,5 av 500 timer med mentorarbeid"
- contacts: "You have helped 47 out of 50 unique contacts" /
  "Du har hjulpet 47 av 50 unike kontakter"
- activities: "You have logged 198 out of 250 activities" /
  "Du har registrert 198 av 250 aktiviteter"

Where the remaining amount is shown (the in-progress list), in-progress sentences end
with ", 3 remaining" / ", 3 gjenstår". Dates are written out; numbers use the locale's
decimal mark and at most two decimals.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from app.models.milestones import MilestoneStatus, MilestoneType
from app.services.milestone_rules import remaining


class Locale(StrEnum):
    EN = "en"
    NB = "nb"


# Norwegian tags a bokmål reader sends: nb, no (Norwegian) and their regional variants.
_BOKMAL = ("nb", "no")
_MONTHS = {
    Locale.EN: (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
    Locale.NB: (
        "januar",
        "februar",
        "mars",
        "april",
        "mai",
        "juni",
        "juli",
        "august",
        "september",
        "oktober",
        "november",
        "desember",
    ),
}


def negotiate(accept_language: str | None) -> Locale:
    """Bokmål when the client's ``Accept-Language`` ranks it above English (``nb``, ``no``
    and regional variants such as ``nb-NO``); English otherwise. Equal weights keep the
    tag listed first; ``q=0`` means "not this one"."""
    best, best_q = Locale.EN, 0.0
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        name, _, raw = params.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                quality = float(raw)
            except ValueError:
                continue
        primary = tag.strip().lower().split("-")[0]
        locale = Locale.NB if primary in _BOKMAL else Locale.EN if primary == "en" else None
        if locale is not None and quality > best_q:
            best, best_q = locale, quality
    return best


def format_number(value: float, locale: Locale) -> str:
    text = f"{round(value, 2):.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") if locale is Locale.NB else text


def format_day(day: date | datetime, locale: Locale) -> str:
    """``July 14, 2025`` / ``14. juli 2025``."""
    month = _MONTHS[locale][day.month - 1]
    if locale is Locale.NB:
        return f"{day.day}. {month} {day.year}"
    return f"{month} {day.day}, {day.year}"


def ordinal(number: int, locale: Locale) -> str:
    if locale is Locale.NB:
        return f"{number}."
    if 11 <= number % 100 <= 13:
        return f"{number}th"
    return f"{number}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(number % 10, 'th') }"


def _achieved(kind: str, threshold: int, when: str, locale: Locale) -> str:
    if locale is Locale.NB:
        if kind == MilestoneType.HOURS_LOGGED:
            unit = "time" if threshold == 1 else "timer"
            return f"Du nådde {threshold} {unit} med mentorarbeid{when}"
        if kind == MilestoneType.CONTACTS_HELPED:
            return f"Du hjalp din {ordinal(threshold, locale)} unike kontakt{when}"
        return f"Du registrerte din {ordinal(threshold, locale)} aktivitet{when}"
    if kind == MilestoneType.HOURS_LOGGED:
        unit = "hour" if threshold == 1 else "hours"
        return f"You reached {threshold} {unit} of mentoring{when}"
    if kind == MilestoneType.CONTACTS_HELPED:
        return f"You helped your {ordinal(threshold, locale)} unique contact{when}"
    return f"You logged your {ordinal(threshold, locale)} activity{when}"


def _in_progress(kind: str, threshold: int, value: str, locale: Locale) -> str:
    one = threshold == 1
    if locale is Locale.NB:
        if kind == MilestoneType.HOURS_LOGGED:
            unit = "time" if one else "timer"
            return f"Du har registrert {value} av {threshold} {unit} med mentorarbeid"
        if kind == MilestoneType.CONTACTS_HELPED:
            unit = "unik kontakt" if one else "unike kontakter"
            return f"Du har hjulpet {value} av {threshold} {unit}"
        unit = "aktivitet" if one else "aktiviteter"
        return f"Du har registrert {value} av {threshold} {unit}"
    if kind == MilestoneType.HOURS_LOGGED:
        unit = "hour" if one else "hours"
        return f"You have logged {value} out of {threshold} {unit} of mentoring"
    if kind == MilestoneType.CONTACTS_HELPED:
        unit = "unique contact" if one else "unique contacts"
        return f"You have helped {value} out of {threshold} {unit}"
    unit = "activity" if one else "activities"
    return f"You have logged {value} out of {threshold} {unit}"


def accessibility_label(
    *,
    kind: str,
    status: str,
    threshold: int,
    value: float,
    achieved_at: datetime | None,
    locale: Locale = Locale.EN,
    with_remaining: bool = False,
) -> str:
    if status == MilestoneStatus.ACHIEVED:
        when = ""
        if achieved_at is not None:
            on = "den" if locale is Locale.NB else "on"
            when = f" {on} {format_day(achieved_at, locale)}"
        return _achieved(kind, threshold, when, locale)
    sentence = _in_progress(kind, threshold, format_number(value, locale), locale)
    if with_remaining:
        left = format_number(remaining(value, threshold), locale)
        sentence += f", {left} gjenstår" if locale is Locale.NB else f", {left} remaining"
    return sentence
