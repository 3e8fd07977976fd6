"""Accessibility labels (every type x status, English and bokmål), locale negotiation and
the progress arithmetic."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from app.services.milestone_labels import (
    Locale,
    accessibility_label,
    format_day,
    format_number,
    negotiate,
    ordinal,
)
from app.services.milestone_rules import Period, as_number, progress_percentage, remaining

JULY_14 = datetime(2025, 7, 14, 16, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("kind", "status", "threshold", "value", "locale", "with_remaining", "expected"),
    [
        (
            "hours_logged",
            "achieved",
            100,
            312.5,
            Locale.EN,
            False,
            "You reached 100 hours of mentoring on July 14, 2025",
        ),
        (
            "hours_logged",
            "achieved",
            100,
            312.5,
            Locale.NB,
            False,
            "Du nådde 100 timer med mentorarbeid den 14. juli 2025",
        ),
        (
            "hours_logged",
            "in_progress",
            500,
            312.5,
            Locale.EN,
            False,
            "You have logged 312.5 out of 500 hours of mentoring",
        ),
        (
            "hours_logged",
            "in_progress",
            500,
            312.5,
            Locale.EN,
            True,
            "You have logged 312.5 out of 500 hours of mentoring, 187.5 remaining",
        ),
        (
            "hours_logged",
            "in_progress",
            500,
            312.5,
            Locale.NB,
            True,
            "Du har registrert 312,5 av 500 timer med mentorarbeid, 187,5 gjenstår",
        ),
        (
            "contacts_helped",
            "achieved",
            50,
            52,
            Locale.EN,
            False,
            "You helped your 50th unique contact on July 14, 2025",
        ),
        (
            "contacts_helped",
            "achieved",
            50,
            52,
            Locale.NB,
            False,
            "Du hjalp din 50. unike kontakt den 14. juli 2025",
        ),
        (
            "contacts_helped",
            "in_progress",
            50,
            47,
            Locale.EN,
            False,
            "You have helped 47 out of 50 unique contacts",
        ),
        (
            "contacts_helped",
            "in_progress",
            50,
            47,
            Locale.EN,
            True,
            "You have helped 47 out of 50 unique contacts, 3 remaining",
        ),
        (
            "contacts_helped",
            "in_progress",
            50,
            47,
            Locale.NB,
            True,
            "Du har hjulpet 47 av 50 unike kontakter, 3 gjenstår",
        ),
        (
            "activities_logged",
            "achieved",
            250,
            260,
            Locale.EN,
            False,
            "You logged your 250th activity on July 14, 2025",
        ),
        (
            "activities_logged",
            "achieved",
            250,
            260,
            Locale.NB,
            False,
            "Du registrerte din 250. aktivitet den 14. juli 2025",
        ),
        (
            "activities_logged",
            "in_progress",
            250,
            198,
            Locale.EN,
            True,
            "You have logged 198 out of 250 activities, 52 remaining",
        ),
        (
            "activities_logged",
            "in_progress",
            250,
            198,
            Locale.NB,
            False,
            "Du har registrert 198 av 250 aktiviteter",
        ),
        # Singular thresholds an admin might add.
        (
            "hours_logged",
            "achieved",
            1,
            1,
            Locale.EN,
            False,
            "You reached 1 hour of mentoring on July 14, 2025",
        ),
        (
            "hours_logged",
            "in_progress",
            1,
            0.5,
            Locale.NB,
            False,
            "Du har registrert 0,5 av 1 time med mentorarbeid",
        ),
        (
            "contacts_helped",
            "in_progress",
            1,
            0,
            Locale.EN,
            False,
            "You have helped 0 out of 1 unique contact",
        ),
        (
            "contacts_helped",
            "in_progress",
            1,
            0,
            Locale.NB,
            False,
            "Du har hjulpet 0 av 1 unik kontakt",
        ),
        (
            "activities_logged",
            "in_progress",
            1,
            0,
            Locale.EN,
            False,
            "You have logged 0 out of 1 activity",
        ),
        (
            "activities_logged",
            "in_progress",
            1,
            0,
            Locale.NB,
            True,
            "Du har registrert 0 av 1 aktivitet, 1 gjenstår",
        ),
        # With remaining asked for, achieved ones say nothing more.
        (
            "contacts_helped",
            "achieved",
            5,
            47,
            Locale.EN,
            True,
            "You helped your 5th unique contact on July 14, 2025",
        ),
    ],
)
def test_labels(kind, status, threshold, value, locale, with_remaining, expected):
    label = accessibility_label(
        kind=kind,
        status=status,
        threshold=threshold,
        value=value,
        achieved_at=JULY_14,
        locale=locale,
        with_remaining=with_remaining,
    )
    assert label == expected


@pytest.mark.parametrize(
    ("number", "english"),
    [
        (1, "1st"),
        (2, "2nd"),
        (3, "3rd"),
        (4, "4th"),
        (11, "11th"),
        (12, "12th"),
        (13, "13th"),
        (21, "21st"),
        (22, "22nd"),
        (101, "101st"),
        (111, "111th"),
        (1000, "1000th"),
    ],
)
def test_ordinals(number, english):
    assert ordinal(number, Locale.EN) == english
    assert ordinal(number, Locale.NB) == f"{number}."


def test_dates_are_written_out():
    assert format_day(date(2026, 1, 3), Locale.EN) == "January 3, 2026"
    assert format_day(date(2026, 1, 3), Locale.NB) == "3. januar 2026"
    assert [format_day(date(2025, m, 1), Locale.NB).split()[1] for m in range(1, 13)] == [
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
    ]


def test_numbers():
    assert format_number(312.5, Locale.EN) == "312.5"
    assert format_number(312.5, Locale.NB) == "312,5"
    assert format_number(315.0, Locale.EN) == "315"
    assert format_number(1 / 3, Locale.EN) == "0.33"
    assert format_number(0, Locale.NB) == "0"


@pytest.mark.parametrize(
    ("header", "locale"),
    [
        (None, Locale.EN),
        ("", Locale.EN),
        ("nb", Locale.NB),
        ("nb-NO", Locale.NB),
        ("no", Locale.NB),
        ("NB-no;q=0.8", Locale.NB),
        ("nb-NO,nb;q=0.9,en-US;q=0.8,en;q=0.7", Locale.NB),
        ("en-US,en;q=0.9,nb;q=0.8", Locale.EN),
        ("en;q=0.5, nb;q=0.6", Locale.NB),
        ("nb;q=0.5, en;q=0.5", Locale.NB),  # equal weights: the first listed
        ("nb;q=0", Locale.EN),  # "not this one"
        ("nn", Locale.EN),  # nynorsk is not bokmål
        ("da, sv", Locale.EN),
        ("*", Locale.EN),
        ("nb;q=abc, en", Locale.EN),
        (";;;,,,", Locale.EN),
    ],
)
def test_accept_language(header, locale):
    assert negotiate(header) is locale


def test_progress_arithmetic():
    assert progress_percentage(312.5, 500) == 62
    assert progress_percentage(47, 50) == 94
    assert progress_percentage(0.29, 1) == 29  # not 28.999...
    assert progress_percentage(499.99, 500) == 99
    assert progress_percentage(600, 500) == 100
    assert remaining(312.5, 500) == 187.5
    assert remaining(47.1, 50) == 2.9  # not 2.8999...
    assert remaining(600, 500) == 0
    assert as_number(315.0) == 315
    assert isinstance(as_number(315.0), int)
    assert as_number(312.5) == 312.5


def test_periods():
    year = Period.calendar_year(2024)
    assert year.days == 366
    assert year.ends_at == datetime(2024, 12, 31, 23, 59, 59, tzinfo=UTC)
    assert year.days_begun(date(2024, 3, 1)) == 62  # Jan 1 to Mar 2 (tomorrow)
    assert year.days_begun(date(2023, 6, 1)) == 0
    assert year.days_begun(date(2030, 1, 1)) == 366
