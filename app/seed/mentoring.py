"""Demo assignments: every record contracts 000 and 001 name, with those ids and dates, plus
``60 * scale`` generated ones (with some contact history) for benchmarks."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.models.mentoring import (
    CLOSED,
    OPEN,
    REMINDER,
    VIA_CASEWORK,
    VIA_FOLLOWUP,
    Assignment,
    ContactEvent,
    Notification,
    StatusChange,
)
from app.seed.people import scaled_mentees, scaled_mentors
from app.timeutil import start_of_day, utcnow

PER_SCALE = 60  # one per scaled mentee (scaled_mentees gives 60 per unit)
CONTACT_TYPES = ("message", "call", "meeting", "visit", "email", "other")


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def _examples() -> list[Assignment]:
    return [
        Assignment(  # contract 000, GET /:id
            id="asgn_001",
            mentor_id="user_042",
            mentee_id="user_101",
            coordinator_id="user_007",
            org_id="org_03",
            status=OPEN,
            created_via=VIA_FOLLOWUP,
            started_at=_at("2026-01-15T00:00:00Z"),
            last_contact_at=_at("2026-03-10T14:30:00Z"),
            reminder_sent_at=_at("2026-03-18T08:00:00Z"),
            created_at=_at("2026-01-15T09:00:00Z"),
            updated_at=_at("2026-03-18T08:00:01Z"),
        ),
        Assignment(  # contract 000, list: no contact yet
            id="asgn_002",
            mentor_id="user_019",
            mentee_id="user_102",
            coordinator_id="user_007",
            org_id="org_03",
            status=OPEN,
            created_via=VIA_FOLLOWUP,
            started_at=_at("2026-02-20T00:00:00Z"),
            created_at=_at("2026-02-20T11:00:00Z"),
            updated_at=_at("2026-02-20T11:00:00Z"),
        ),
        Assignment(  # contract 001, GET /:id
            id="assign_001aa",
            mentor_id="mentor_a1b2c3",
            mentee_id="contact_xyz123",
            org_id="org_03",
            status=OPEN,
            created_via=VIA_CASEWORK,
            notes="Initial assessment completed. Weekly meetings ongoing.",
            started_at=_at("2025-11-01T00:00:00Z"),
            last_contact_at=_at("2026-03-20T00:00:00Z"),
            created_at=_at("2025-11-01T08:00:00Z"),
            updated_at=_at("2026-03-20T15:00:00Z"),
        ),
        Assignment(  # contract 001, list
            id="assign_002bb",
            mentor_id="mentor_a1b2c3",
            mentee_id="contact_abc456",
            org_id="org_03",
            status=OPEN,
            created_via=VIA_CASEWORK,
            started_at=_at("2026-01-15T00:00:00Z"),
            last_contact_at=_at("2026-03-18T00:00:00Z"),
            created_at=_at("2026-01-15T09:00:00Z"),
            updated_at=_at("2026-03-18T00:00:00Z"),
        ),
        Assignment(  # contract 001, /mentor/:id/history
            id="assign_000zz",
            mentor_id="mentor_a1b2c3",
            mentee_id="contact_old001",
            org_id="org_03",
            status=CLOSED,
            created_via=VIA_CASEWORK,
            started_at=_at("2024-06-01T00:00:00Z"),
            closed_at=_at("2024-12-15T00:00:00Z"),
            created_at=_at("2024-06-01T08:00:00Z"),
            updated_at=_at("2024-12-15T00:00:00Z"),
        ),
    ]


def _example_history() -> list[object]:
    return [
        ContactEvent(
            assignment_id="asgn_001",
            contact_at=_at("2026-03-10T14:30:00Z"),
            contact_type="meeting",
            recorded_by="user_042",
            created_at=_at("2026-03-10T14:31:00Z"),
        ),
        ContactEvent(
            assignment_id="assign_001aa",
            contact_at=_at("2026-03-20T00:00:00Z"),
            contact_type="meeting",
            recorded_by="mentor_a1b2c3",
            created_at=_at("2026-03-20T15:00:00Z"),
        ),
        ContactEvent(
            assignment_id="assign_002bb",
            contact_at=_at("2026-03-18T00:00:00Z"),
            contact_type="call",
            recorded_by="mentor_a1b2c3",
            created_at=_at("2026-03-18T00:00:00Z"),
        ),
        StatusChange(
            assignment_id="assign_000zz",
            from_status=OPEN,
            to_status=CLOSED,
            reason="Contact moved to another municipality",
            changed_by="user_007",
            changed_at=_at("2024-12-15T00:00:00Z"),
        ),
        Notification(
            id="ntf_asgn001rem",
            assignment_id="asgn_001",
            kind=REMINDER,
            recipient_id="user_042",
            gap_start=_at("2026-03-10T14:30:00Z"),
            days_without_contact=7,
            created_at=_at("2026-03-18T08:00:00Z"),
        ),
    ]


def _scaled(scale: int) -> tuple[list[Assignment], list[ContactEvent]]:
    rng = random.Random(7)  # noqa: S311 - demo data, not secrets
    mentors, mentees = scaled_mentors(scale), scaled_mentees(scale)
    today = start_of_day(utcnow().date())
    rows: list[Assignment] = []
    contacts: list[ContactEvent] = []
    for i in range(PER_SCALE * scale):
        started = today - timedelta(days=rng.randint(5, 200))
        closed = i % 10 == 9
        row = Assignment(
            id=f"asgn_s{i:06d}",
            mentor_id=mentors[i % len(mentors)],
            mentee_id=mentees[i % len(mentees)],
            coordinator_id="user_007",
            org_id="org_03",
            status=CLOSED if closed else OPEN,
            created_via=VIA_FOLLOWUP if i % 2 else VIA_CASEWORK,
            started_at=started,
            closed_at=today - timedelta(days=1) if closed else None,
            created_at=started + timedelta(hours=9),
            updated_at=started + timedelta(hours=9),
        )
        span = max((today - started).days, 1)
        for _ in range(rng.choice((0, 1, 2, 4))):
            when = started + timedelta(days=rng.randint(0, span - 1), hours=rng.randint(8, 18))
            contacts.append(
                ContactEvent(
                    assignment_id=row.id,
                    contact_at=when,
                    contact_type=rng.choice(CONTACT_TYPES),
                    recorded_by=row.mentor_id,
                    created_at=when,
                )
            )
            if row.last_contact_at is None or when > row.last_contact_at:
                row.last_contact_at = when
        rows.append(row)
    return rows, contacts


async def seed(session: AsyncSession, scale: int) -> None:
    scaled, contacts = _scaled(scale)
    session.add_all([*_examples(), *scaled])
    await session.flush()  # assignments before the rows that refer to them
    session.add_all([*_example_history(), *contacts])
    await session.flush()
