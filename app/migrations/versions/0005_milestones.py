"""milestones: the milestone catalogue and the records detection keeps per mentor and period

Revision ID: 0005_milestones
Revises: 0001_foundation
Create Date: 2026-11-23 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.models.base

revision: str = "0005_milestones"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "milestone_definitions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("badge", sa.String(length=64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "type IN ('hours_logged', 'contacts_helped', 'activities_logged')",
            name=op.f("ck_milestone_definitions_type_values"),
        ),
        sa.CheckConstraint(
            "threshold >= 1", name=op.f("ck_milestone_definitions_threshold_positive")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_milestone_definitions")),
        sa.UniqueConstraint(
            "type", "threshold", name=op.f("uq_milestone_definitions_type_threshold")
        ),
    )
    op.create_table(
        "milestones",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("mentor_id", sa.String(length=64), nullable=False),
        sa.Column("definition_id", sa.String(length=64), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("value", sa.Double(), nullable=False),
        sa.Column("achieved_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("detected_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", app.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('achieved', 'in_progress')", name=op.f("ck_milestones_status_values")
        ),
        sa.CheckConstraint("value >= 0", name=op.f("ck_milestones_value_not_negative")),
        sa.CheckConstraint("period_end >= period_start", name=op.f("ck_milestones_period_order")),
        sa.ForeignKeyConstraint(
            ["definition_id"],
            ["milestone_definitions.id"],
            name=op.f("fk_milestones_definition_id_milestone_definitions"),
        ),
        sa.ForeignKeyConstraint(
            ["mentor_id"], ["people.id"], name=op.f("fk_milestones_mentor_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_milestones")),
        sa.UniqueConstraint(
            "mentor_id",
            "definition_id",
            "period_start",
            "period_end",
            name=op.f("uq_milestones_mentor_id_definition_id_period_start_period_end"),
        ),
    )
    with op.batch_alter_table("milestones", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_milestones_definition_id"), ["definition_id"], unique=False
        )
        batch_op.create_index(
            "ix_milestones_mentor_id_achieved_at", ["mentor_id", "achieved_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("milestones", schema=None) as batch_op:
        batch_op.drop_index("ix_milestones_mentor_id_achieved_at")
        batch_op.drop_index(batch_op.f("ix_milestones_definition_id"))

    op.drop_table("milestones")
    op.drop_table("milestone_definitions")
