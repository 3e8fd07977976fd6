"""The read model of mentoring: records, and the batch readers every path uses.

An assignment is seen by the callers ``policy.sees_assignment`` names (admins; the
coordinators of its organisation; its peer mentor); its contacts, status changes and
notifications are seen by exactly those who see it (one rule: a notification's visibility
is its assignment's). A reader answers ``None`` (or an empty list or page, or 0) for a key
the caller may not see, as for a key that names nothing. Hub pages (a person's or an
organisation's lists) are in ``app/services/mentoring_pages.py``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import Principal
from app.pagination import Paged
from app.repositories import mentoring as repo
from app.services.mentoring_rules import OPEN, status_word
from app.services.policy import sees_assignment
from app.services.reading import batch_reader


@dataclass(frozen=True, slots=True)
class AssignmentRecord:
    id: str
    mentor_id: str
    mentee_id: str
    coordinator_id: str | None
    org_id: str | None
    status: str  # canonical: "open" or "closed"
    created_via: str
    notes: str | None
    started_at: datetime
    last_contact_at: datetime | None
    closed_at: datetime | None
    reminder_sent_at: datetime | None
    escalation_sent_at: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int

    @classmethod
    def of(cls, row: Any) -> AssignmentRecord:
        """The record of an assignment row (a Core row or a just-written ORM object)."""
        return cls(
            id=row.id,
            mentor_id=row.mentor_id,
            mentee_id=row.mentee_id,
            coordinator_id=row.coordinator_id,
            org_id=row.org_id,
            status=row.status,
            created_via=row.created_via,
            notes=row.notes,
            started_at=row.started_at,
            last_contact_at=row.last_contact_at,
            closed_at=row.closed_at,
            reminder_sent_at=row.reminder_sent_at,
            escalation_sent_at=row.escalation_sent_at,
            created_at=row.created_at,
            updated_at=row.updated_at,
            version=row.version,
        )

    @property
    def is_open(self) -> bool:
        return self.status == OPEN

    @property
    def gap_start(self) -> datetime:
        """Start of the current contact gap: the latest contact, or the start."""
        return self.last_contact_at or self.started_at

    @property
    def status_word(self) -> str:
        """The status in the vocabulary of the contract that created the record."""
        return status_word(self)


@dataclass(frozen=True, slots=True)
class ContactRecord:
    id: int
    assignment_id: str
    contact_at: datetime
    contact_type: str
    recorded_by: str
    created_at: datetime

    @classmethod
    def of(cls, row: Any) -> ContactRecord:
        return cls(
            id=row.id,
            assignment_id=row.assignment_id,
            contact_at=row.contact_at,
            contact_type=row.contact_type,
            recorded_by=row.recorded_by,
            created_at=row.created_at,
        )


@dataclass(frozen=True, slots=True)
class StatusChangeRecord:
    id: int
    assignment_id: str
    from_status: str
    to_status: str
    reason: str | None
    changed_by: str
    changed_at: datetime

    @classmethod
    def of(cls, row: Any) -> StatusChangeRecord:
        return cls(
            id=row.id,
            assignment_id=row.assignment_id,
            from_status=row.from_status,
            to_status=row.to_status,
            reason=row.reason,
            changed_by=row.changed_by,
            changed_at=row.changed_at,
        )


@dataclass(frozen=True, slots=True)
class NotificationRecord:
    id: str
    assignment_id: str
    kind: str  # "reminder" or "escalation"
    recipient_id: str | None
    gap_start: datetime
    days_without_contact: int
    created_at: datetime
    delivered_at: datetime | None
    delivery_attempts: int = 0
    delivery_error: str | None = None
    dead_lettered_at: datetime | None = None

    @classmethod
    def of(cls, row: Any) -> NotificationRecord:
        return cls(
            id=row.id,
            assignment_id=row.assignment_id,
            kind=row.kind,
            recipient_id=row.recipient_id,
            gap_start=row.gap_start,
            days_without_contact=row.days_without_contact,
            created_at=row.created_at,
            delivered_at=row.delivered_at,
            delivery_attempts=row.delivery_attempts,
            delivery_error=row.delivery_error,
            dead_lettered_at=row.dead_lettered_at,
        )


def assignment_page(paged: Paged[Any]) -> Paged[AssignmentRecord]:
    return paged.map(AssignmentRecord.of)


def notification_page(paged: Paged[Any]) -> Paged[NotificationRecord]:
    return paged.map(NotificationRecord.of)


def _seen(who: Principal, row: Any) -> bool:
    """May ``who`` see the row of a history (it carries its assignment's owner columns)?"""
    return sees_assignment(who, row.assignment_org_id, row.assignment_mentor_id)


@batch_reader
async def assignments_by_ids(
    session: AsyncSession, who: Principal, ids: Sequence[str]
) -> list[AssignmentRecord | None]:
    """Live assignments the caller may see (``None`` for the others)."""
    return [
        None
        if row is None or not sees_assignment(who, row.org_id, row.mentor_id)
        else AssignmentRecord.of(row)
        for row in await repo.assignment_rows(session, ids)
    ]


@batch_reader
async def latest_contacts(
    session: AsyncSession, who: Principal, keys: Sequence[tuple[str, int]]
) -> list[list[ContactRecord]]:
    """The newest ``n`` contacts of each ``(assignment_id, n)`` key, newest first."""
    return [
        [ContactRecord.of(row) for row in rows if _seen(who, row)]
        for rows in await repo.latest_contact_rows(session, keys)
    ]


@batch_reader
async def status_histories(
    session: AsyncSession, who: Principal, assignment_ids: Sequence[str]
) -> list[list[StatusChangeRecord]]:
    """Each assignment's status changes, oldest first."""
    return [
        [StatusChangeRecord.of(row) for row in rows if _seen(who, row)]
        for rows in await repo.status_change_rows(session, assignment_ids)
    ]


@batch_reader
async def notifications_of_assignments(
    session: AsyncSession, who: Principal, assignment_ids: Sequence[str]
) -> list[list[NotificationRecord]]:
    """Each assignment's reminders and escalations, oldest first."""
    return [
        [NotificationRecord.of(row) for row in rows if _seen(who, row)]
        for rows in await repo.notification_rows_of(session, assignment_ids)
    ]


@batch_reader
async def notifications_by_ids(
    session: AsyncSession, who: Principal, ids: Sequence[str]
) -> list[NotificationRecord | None]:
    """Notifications whose (live) assignment the caller may see."""
    return [
        None if row is None or not _seen(who, row) else NotificationRecord.of(row)
        for row in await repo.notification_rows(session, ids)
    ]


async def mentee_names(
    session: AsyncSession, records: Iterable[AssignmentRecord]
) -> dict[str, str]:
    """The mentees' names of records the caller already may see (REST ``mentee_name``): a
    name is what the directory card shows of anyone reached through a record; a tombstoned
    mentee keeps their name on the assignment."""
    return await repo.names_of(session, {record.mentee_id for record in records})
