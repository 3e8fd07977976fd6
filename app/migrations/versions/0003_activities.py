"""activities: activity types and the activities peer mentors log

Revision ID: 0003_activities
Revises: 0001_foundation
Create Date: 2026-11-23 09:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.models.base

revision: str = "0003_activities"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "activity_types",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity_types")),
        sa.UniqueConstraint("name", name=op.f("uq_activity_types_name")),
    )
    op.create_table(
        "activities",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("local_id", sa.String(length=64), nullable=False),
        sa.Column("peer_mentor_id", sa.String(length=64), nullable=False),
        sa.Column("activity_type_id", sa.String(length=64), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("rejection_reason", sa.String(length=1000), nullable=True),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "duration_minutes BETWEEN 1 AND 1440", name=op.f("ck_activities_duration_range")
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'confirmed', 'rejected')",
            name=op.f("ck_activities_status_values"),
        ),
        sa.ForeignKeyConstraint(
            ["activity_type_id"],
            ["activity_types.id"],
            name=op.f("fk_activities_activity_type_id_activity_types"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["people.id"], name=op.f("fk_activities_created_by_people")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["people.id"], name=op.f("fk_activities_decided_by_people")
        ),
        sa.ForeignKeyConstraint(
            ["peer_mentor_id"], ["people.id"], name=op.f("fk_activities_peer_mentor_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activities")),
        sa.UniqueConstraint(
            "peer_mentor_id", "local_id", name=op.f("uq_activities_peer_mentor_id_local_id")
        ),
    )
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_activities_activity_type_id"), ["activity_type_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_activities_date"), ["date"], unique=False)
        batch_op.create_index(
            "ix_activities_peer_mentor_id_date", ["peer_mentor_id", "date"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.drop_index("ix_activities_peer_mentor_id_date")
        batch_op.drop_index(batch_op.f("ix_activities_date"))
        batch_op.drop_index(batch_op.f("ix_activities_activity_type_id"))

    op.drop_table("activities")
    op.drop_table("activity_types")
