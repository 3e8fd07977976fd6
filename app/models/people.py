"""The shared people directory: people, organisations and memberships."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, Timestamps


class Person(Timestamps, Base):
    __tablename__ = "people"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320), default=None)
    roles: Mapped[list[str]] = mapped_column(default=list)

    # The people list's own order, by name (migration 0011).
    __table_args__ = (Index("ix_people_name_id", "name", "id"),)


class Organisation(Timestamps, Base):
    __tablename__ = "organisations"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    reminder_days: Mapped[int | None] = mapped_column(default=None)
    escalation_days: Mapped[int | None] = mapped_column(default=None)

    # The organisations list's own order, by name (migration 0011).
    __table_args__ = (Index("ix_organisations_name_id", "name", "id"),)


class Membership(Base):
    """A person's place in an organisation; ``role`` is the role they hold there."""

    __tablename__ = "memberships"

    person_id: Mapped[str] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    org_id: Mapped[str] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[str] = mapped_column(String(32), default="member")
