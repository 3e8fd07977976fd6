"""Activities peer mentors log (offline first), and the catalogue of activity types.

An activity's ``(peer_mentor_id, local_id)`` is unique: ``local_id`` is the client's
idempotency key, so a retried insert finds the row it created instead of adding one.
``request_hash`` fingerprints the insert's payload, so a retry is recognised as the same
insert even after the record was edited, and a different payload under the same key is not.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, Timestamps, Versioned
from app.timeutil import utcnow


class ActivityStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


class ActivityType(Base):
    """A kind of activity (``type_running``, ``type_meeting`` ...). Retired types
    (``active = False``) keep their activities but take no new ones."""

    __tablename__ = "activity_types"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str | None] = mapped_column(String(1000), default=None)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Activity(Versioned, Timestamps, Base):
    __tablename__ = "activities"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    local_id: Mapped[str] = mapped_column(String(64))
    peer_mentor_id: Mapped[str] = mapped_column(ForeignKey("people.id"))
    activity_type_id: Mapped[str] = mapped_column(ForeignKey("activity_types.id"), index=True)
    date: Mapped[date] = mapped_column(Date, index=True)
    duration_minutes: Mapped[int]
    status: Mapped[str] = mapped_column(String(16), default=ActivityStatus.PENDING.value)
    notes: Mapped[str | None] = mapped_column(Text, default=None)
    rejection_reason: Mapped[str | None] = mapped_column(String(1000), default=None)
    decided_by: Mapped[str | None] = mapped_column(ForeignKey("people.id"), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    created_by: Mapped[str] = mapped_column(ForeignKey("people.id"))
    request_hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (
        UniqueConstraint("peer_mentor_id", "local_id"),
        Index("ix_activities_peer_mentor_id_date", "peer_mentor_id", "date"),
        # The list's own order (newest first), which its keyset cursors compare.
        Index("ix_activities_date_created_at_id", "date", "created_at", "id"),
        CheckConstraint("duration_minutes BETWEEN 1 AND 1440", name="duration_range"),
        CheckConstraint("status IN ('pending', 'confirmed', 'rejected')", name="status_values"),
    )
