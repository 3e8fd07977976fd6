"""Editorial assignments of the newsroom CMS (SNworks CEO v3): assignments, print issues,
child content items, editorial users (CEO identities of directory people) and locks.

CEO records carry two ids: a numeric ``id`` (an integer key here, answered as a string)
and an upper-case ``uuid`` (8-4-4-4-12 letters/digits). Timestamps are aware UTC.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base
from app.timeutil import utcnow


class EditorialUser(Base):
    """The CEO identity (numeric id + uuid) of a person of the shared directory."""

    __tablename__ = "editorial_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class EditorialIssue(Base):
    """A print issue assignments are planned for."""

    __tablename__ = "editorial_issues"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    label: Mapped[str] = mapped_column(String(200))
    published_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    modified_at: Mapped[datetime] = mapped_column(default=utcnow)


class EditorialContentItem(Base):
    """A piece of content (article, media ...) an assignment collects as a child."""

    __tablename__ = "editorial_content_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    type: Mapped[str] = mapped_column(String(32))
    slug: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    modified_at: Mapped[datetime] = mapped_column(default=utcnow)


class EditorialAssignment(Base):
    """An assignment: collects content, assigned to users, tied to an issue and a due date.

    ``content``/``abstract``/``notes`` are editors' HTML, stored exactly as given.
    ``deleted_at`` marks a tombstone (404 and out of every list afterwards).
    """

    __tablename__ = "editorial_assignments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    slug: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(500))
    abstract: Mapped[str] = mapped_column(Text, default="")
    content: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    modified_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(default=None)
    due_at: Mapped[datetime | None] = mapped_column(default=None)
    creator_id: Mapped[int] = mapped_column(ForeignKey("editorial_users.id"), index=True)
    issue_id: Mapped[int | None] = mapped_column(
        ForeignKey("editorial_issues.id"), index=True, default=None
    )
    deleted_at: Mapped[datetime | None] = mapped_column(default=None)

    __table_args__ = (Index("ix_editorial_assignments_modified_at", "modified_at"),)


class EditorialAssignmentUser(Base):
    """A user an assignment is assigned to; ``position`` keeps the order given."""

    __tablename__ = "editorial_assignment_users"

    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("editorial_assignments.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("editorial_users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(Integer)


class EditorialAssignmentChild(Base):
    """A content item an assignment collects; ``position`` keeps the order given."""

    __tablename__ = "editorial_assignment_children"

    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("editorial_assignments.id", ondelete="CASCADE"), primary_key=True
    )
    content_id: Mapped[int] = mapped_column(
        ForeignKey("editorial_content_items.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(Integer)


class EditorialLock(Base):
    """The exclusive lock on one srn. The srn is the primary key, so the database itself
    guarantees one holder per srn. A row whose ``expires_at`` has passed no longer counts
    and may be taken over; a released lock's row is deleted."""

    __tablename__ = "editorial_locks"

    srn: Mapped[str] = mapped_column(String(200), primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("editorial_users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column()
    modified_at: Mapped[datetime] = mapped_column()
    expires_at: Mapped[datetime] = mapped_column()
