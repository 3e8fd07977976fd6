"""mentoring: assignments, contact history, status changes, follow-up outbox

Revision ID: 0002_mentoring
Revises: 0001_foundation
Create Date: 2026-11-23 09:10:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.models.base

revision: str = "0002_mentoring"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OPEN_AND_LIVE = "status = 'open' AND deleted_at IS NULL"


def upgrade() -> None:
    op.create_table(
        "assignments",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("mentor_id", sa.String(length=64), nullable=False),
        sa.Column("mentee_id", sa.String(length=64), nullable=False),
        sa.Column("coordinator_id", sa.String(length=64), nullable=True),
        sa.Column("org_id", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_via", sa.String(length=16), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("started_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_contact_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reminder_sent_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("escalation_sent_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["coordinator_id"], ["people.id"], name=op.f("fk_assignments_coordinator_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["mentee_id"], ["people.id"], name=op.f("fk_assignments_mentee_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["mentor_id"], ["people.id"], name=op.f("fk_assignments_mentor_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_assignments_org_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignments")),
    )
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_assignments_coordinator_id"), ["coordinator_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_assignments_mentee_id"), ["mentee_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_assignments_mentor_id"), ["mentor_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_assignments_org_id"), ["org_id"], unique=False)
        batch_op.create_index(
            "ix_assignments_status_created_at", ["status", "created_at"], unique=False
        )
        batch_op.create_index(
            "uq_assignments_open_pair",
            ["mentor_id", "mentee_id"],
            unique=True,
            sqlite_where=sa.text(_OPEN_AND_LIVE),
            postgresql_where=sa.text(_OPEN_AND_LIVE),
        )

    op.create_table(
        "assignment_contacts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("assignment_id", sa.String(length=64), nullable=False),
        sa.Column("contact_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("contact_type", sa.String(length=16), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["assignments.id"],
            name=op.f("fk_assignment_contacts_assignment_id_assignments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignment_contacts")),
    )
    with op.batch_alter_table("assignment_contacts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_assignment_contacts_assignment_id"), ["assignment_id"], unique=False
        )

    op.create_table(
        "assignment_status_changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("assignment_id", sa.String(length=64), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=False),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("changed_by", sa.String(length=64), nullable=False),
        sa.Column("changed_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["assignments.id"],
            name=op.f("fk_assignment_status_changes_assignment_id_assignments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignment_status_changes")),
    )
    with op.batch_alter_table("assignment_status_changes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_assignment_status_changes_assignment_id"),
            ["assignment_id"],
            unique=False,
        )

    op.create_table(
        "assignment_notifications",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("assignment_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("recipient_id", sa.String(length=64), nullable=True),
        sa.Column("gap_start", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("days_without_contact", sa.Integer(), nullable=False),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["assignments.id"],
            name=op.f("fk_assignment_notifications_assignment_id_assignments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignment_notifications")),
        sa.UniqueConstraint(
            "assignment_id",
            "kind",
            "gap_start",
            name=op.f("uq_assignment_notifications_assignment_id_kind_gap_start"),
        ),
    )
    with op.batch_alter_table("assignment_notifications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_assignment_notifications_assignment_id"),
            ["assignment_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_assignment_notifications_recipient_id"),
            ["recipient_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("assignment_notifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assignment_notifications_recipient_id"))
        batch_op.drop_index(batch_op.f("ix_assignment_notifications_assignment_id"))
    op.drop_table("assignment_notifications")

    with op.batch_alter_table("assignment_status_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assignment_status_changes_assignment_id"))
    op.drop_table("assignment_status_changes")

    with op.batch_alter_table("assignment_contacts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assignment_contacts_assignment_id"))
    op.drop_table("assignment_contacts")

    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.drop_index("uq_assignments_open_pair")
        batch_op.drop_index("ix_assignments_status_created_at")
        batch_op.drop_index(batch_op.f("ix_assignments_org_id"))
        batch_op.drop_index(batch_op.f("ix_assignments_mentor_id"))
        batch_op.drop_index(batch_op.f("ix_assignments_mentee_id"))
        batch_op.drop_index(batch_op.f("ix_assignments_coordinator_id"))
    op.drop_table("assignments")
