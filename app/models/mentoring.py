"""Mentoring assignments: one record behind both legacy contracts (000 follow-up, 001 casework).

- ``assignments``: a mentor assigned to a person they support (a mentee / contact).
  ``status`` is stored canonically (``open``/``closed``); ``created_via`` remembers which
  contract created the record, so REST answers in that contract's vocabulary.
- ``assignment_contacts``: every recorded contact (the history behind ``last_contact_at``).
- ``assignment_status_changes``: every status change, with its reason.
- ``assignment_notifications``: the follow-up outbox (reminders to mentors, escalations to
  coordinators). ``(assignment_id, kind, gap_start)`` is unique: one of each per contact gap,
  however many sweeps run at once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, Timestamps, Versioned
from app.timeutil import utcnow

OPEN = "open"
CLOSED = "closed"

# Which door created the record (decides the REST status vocabulary).
VIA_FOLLOWUP = "followup"  # contract 000: active / completed
VIA_CASEWORK = "casework"  # contract 001: open / closed
VIA_GRAPHQL = "graphql"  # answers open / closed on REST

_LIVE = "deleted_at IS NULL"
_OPEN_AND_LIVE = f"status = 'open' AND {_LIVE}"


class Assignment(Versioned, Timestamps, Base):
    __tablename__ = "assignments"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    mentor_id: Mapped[str] = mapped_column(ForeignKey("people.id"), index=True)
    mentee_id: Mapped[str] = mapped_column(ForeignKey("people.id"), index=True)
    coordinator_id: Mapped[str | None] = mapped_column(
        ForeignKey("people.id"), default=None, index=True
    )
    org_id: Mapped[str | None] = mapped_column(
        ForeignKey("organisations.id"), default=None, index=True
    )
    status: Mapped[str] = mapped_column(String(16), default=OPEN)
    created_via: Mapped[str] = mapped_column(String(16), default=VIA_GRAPHQL)
    notes: Mapped[str | None] = mapped_column(Text, default=None)
    started_at: Mapped[datetime] = mapped_column()
    last_contact_at: Mapped[datetime | None] = mapped_column(default=None)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    reminder_sent_at: Mapped[datetime | None] = mapped_column(default=None)
    escalation_sent_at: Mapped[datetime | None] = mapped_column(default=None)

    __table_args__ = (
        # At most one open, live assignment per mentor and mentee, even under concurrency.
        Index(
            "uq_assignments_open_pair",
            "mentor_id",
            "mentee_id",
            unique=True,
            sqlite_where=text(_OPEN_AND_LIVE),
            postgresql_where=text(_OPEN_AND_LIVE),
        ),
        # Read paths (migration 0007): an organisation's open ones oldest first, a mentor's.
        Index("ix_assignments_org_id_status_created_at", "org_id", "status", "created_at", "id"),
        Index("ix_assignments_mentor_id_status_started_at", "mentor_id", "status", "started_at"),
        # The lists' own orders, over the live ones (migration 0011): the root list's, of
        # one status or of all, and a mentor's active (oldest start first) and history
        # (newest first) lists'.
        Index(
            "ix_assignments_live_status_created_at_id",
            "status",
            "created_at",
            "id",
            sqlite_where=text(_LIVE),
            postgresql_where=text(_LIVE),
        ),
        Index(
            "ix_assignments_live_created_at_id",
            "created_at",
            "id",
            sqlite_where=text(_LIVE),
            postgresql_where=text(_LIVE),
        ),
        Index(
            "ix_assignments_live_mentor_id_started_at_id",
            "mentor_id",
            "started_at",
            "id",
            sqlite_where=text(_LIVE),
            postgresql_where=text(_LIVE),
        ),
    )


class ContactEvent(Base):
    """One recorded contact between mentor and mentee."""

    __tablename__ = "assignment_contacts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    assignment_id: Mapped[str] = mapped_column(ForeignKey("assignments.id"), index=True)
    contact_at: Mapped[datetime] = mapped_column()
    contact_type: Mapped[str] = mapped_column(String(16))
    recorded_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    # The newest contacts of an assignment (migration 0007).
    __table_args__ = (
        Index("ix_assignment_contacts_assignment_id_contact_at", "assignment_id", "contact_at"),
    )


class StatusChange(Base):
    """One status change of an assignment, with the reason given."""

    __tablename__ = "assignment_status_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    assignment_id: Mapped[str] = mapped_column(ForeignKey("assignments.id"), index=True)
    from_status: Mapped[str] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    changed_by: Mapped[str] = mapped_column(String(64))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)


REMINDER = "reminder"
ESCALATION = "escalation"


class Notification(Base):
    """The follow-up outbox: a reminder (to the mentor) or an escalation (to the
    coordinator) raised for one contact gap, which starts at ``gap_start`` (the last
    contact, or the assignment's start when there was none)."""

    __tablename__ = "assignment_notifications"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    assignment_id: Mapped[str] = mapped_column(ForeignKey("assignments.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    recipient_id: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    gap_start: Mapped[datetime] = mapped_column()
    days_without_contact: Mapped[int] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)
    # Delivery (app/services/deliveries.py, migration 0009): attempts begun over its
    # channels, the last error, and when its last channel gave up (dead-lettered).
    delivery_attempts: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    delivery_error: Mapped[str | None] = mapped_column(Text, default=None)
    dead_lettered_at: Mapped[datetime | None] = mapped_column(default=None)

    __table_args__ = (
        UniqueConstraint("assignment_id", "kind", "gap_start"),
        # The notifications list's own order, newest first (migration 0011).
        Index("ix_assignment_notifications_created_at_id", "created_at", "id"),
    )
