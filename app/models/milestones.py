"""Milestones: a catalogue of definitions (type, threshold, name, badge) and the records
detection keeps per mentor and period.

- ``milestone_definitions``: the catalogue, data not code. ``(type, threshold)`` is unique;
  type and threshold never change once created (retire a definition with ``active``).
- ``milestones``: one record per ``(mentor_id, definition_id, period_start, period_end)``,
  the identity that makes detection idempotent. ``status`` is ``achieved`` (``value`` is the
  total at detection, ``achieved_at`` when the threshold was crossed) or ``in_progress``
  (``value`` is the current total). Deleting tombstones (``deleted_at``).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Date, Double, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, Timestamps, Versioned
from app.timeutil import utcnow


class MilestoneType(StrEnum):
    HOURS_LOGGED = "hours_logged"
    CONTACTS_HELPED = "contacts_helped"
    ACTIVITIES_LOGGED = "activities_logged"


class MilestoneStatus(StrEnum):
    ACHIEVED = "achieved"
    IN_PROGRESS = "in_progress"


# The order types are listed in (detection results, lists).
TYPE_ORDER: tuple[MilestoneType, ...] = tuple(MilestoneType)


class MilestoneDefinition(Base):
    __tablename__ = "milestone_definitions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    type: Mapped[str] = mapped_column(String(32))
    threshold: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    badge: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        UniqueConstraint("type", "threshold"),
        CheckConstraint(
            "type IN ('hours_logged', 'contacts_helped', 'activities_logged')", name="type_values"
        ),
        CheckConstraint("threshold >= 1", name="threshold_positive"),
    )


class Milestone(Versioned, Timestamps, Base):
    __tablename__ = "milestones"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    mentor_id: Mapped[str] = mapped_column(ForeignKey("people.id"))
    definition_id: Mapped[str] = mapped_column(ForeignKey("milestone_definitions.id"), index=True)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    value: Mapped[float] = mapped_column(Double)
    achieved_at: Mapped[datetime | None] = mapped_column(default=None)
    detected_at: Mapped[datetime | None] = mapped_column(default=None)

    definition: Mapped[MilestoneDefinition] = relationship(lazy="raise")

    __table_args__ = (
        UniqueConstraint("mentor_id", "definition_id", "period_start", "period_end"),
        Index("ix_milestones_mentor_id_achieved_at", "mentor_id", "achieved_at"),
        CheckConstraint("status IN ('achieved', 'in_progress')", name="status_values"),
        CheckConstraint("value >= 0", name="value_not_negative"),
        CheckConstraint("period_end >= period_start", name="period_order"),
    )
