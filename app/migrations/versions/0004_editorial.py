"""editorial: CEO v3 assignments, issues, content items, editorial users and locks

Revision ID: 0004_editorial
Revises: 0001_foundation
Create Date: 2026-11-23 12:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.models.base

revision: str = "0004_editorial"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = app.models.base.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "editorial_content_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("slug", sa.String(length=255), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("modified_at", UTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_editorial_content_items")),
        sa.UniqueConstraint("uuid", name=op.f("uq_editorial_content_items_uuid")),
    )
    op.create_table(
        "editorial_issues",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("published_at", UTC(timezone=True), nullable=True),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("modified_at", UTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_editorial_issues")),
        sa.UniqueConstraint("uuid", name=op.f("uq_editorial_issues_uuid")),
    )
    op.create_table(
        "editorial_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("person_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_editorial_users_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_editorial_users")),
        sa.UniqueConstraint("person_id", name=op.f("uq_editorial_users_person_id")),
        sa.UniqueConstraint("uuid", name=op.f("uq_editorial_users_uuid")),
    )
    op.create_table(
        "editorial_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("slug", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("abstract", sa.Text(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("modified_at", UTC(timezone=True), nullable=False),
        sa.Column("published_at", UTC(timezone=True), nullable=True),
        sa.Column("due_at", UTC(timezone=True), nullable=True),
        sa.Column("creator_id", sa.Integer(), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=True),
        sa.Column("deleted_at", UTC(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["creator_id"],
            ["editorial_users.id"],
            name=op.f("fk_editorial_assignments_creator_id_editorial_users"),
        ),
        sa.ForeignKeyConstraint(
            ["issue_id"],
            ["editorial_issues.id"],
            name=op.f("fk_editorial_assignments_issue_id_editorial_issues"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_editorial_assignments")),
        sa.UniqueConstraint("uuid", name=op.f("uq_editorial_assignments_uuid")),
    )
    with op.batch_alter_table("editorial_assignments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_editorial_assignments_creator_id"), ["creator_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_editorial_assignments_issue_id"), ["issue_id"], unique=False
        )
        batch_op.create_index("ix_editorial_assignments_modified_at", ["modified_at"], unique=False)

    op.create_table(
        "editorial_assignment_children",
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("content_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["editorial_assignments.id"],
            name=op.f("fk_editorial_assignment_children_assignment_id_editorial_assignments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["content_id"],
            ["editorial_content_items.id"],
            name=op.f("fk_editorial_assignment_children_content_id_editorial_content_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "assignment_id", "content_id", name=op.f("pk_editorial_assignment_children")
        ),
    )
    with op.batch_alter_table("editorial_assignment_children", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_editorial_assignment_children_content_id"), ["content_id"], unique=False
        )

    op.create_table(
        "editorial_assignment_users",
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["editorial_assignments.id"],
            name=op.f("fk_editorial_assignment_users_assignment_id_editorial_assignments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["editorial_users.id"],
            name=op.f("fk_editorial_assignment_users_user_id_editorial_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "assignment_id", "user_id", name=op.f("pk_editorial_assignment_users")
        ),
    )
    with op.batch_alter_table("editorial_assignment_users", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_editorial_assignment_users_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "editorial_locks",
        sa.Column("srn", sa.String(length=200), nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("modified_at", UTC(timezone=True), nullable=False),
        sa.Column("expires_at", UTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["editorial_users.id"],
            name=op.f("fk_editorial_locks_user_id_editorial_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("srn", name=op.f("pk_editorial_locks")),
        sa.UniqueConstraint("uuid", name=op.f("uq_editorial_locks_uuid")),
    )
    with op.batch_alter_table("editorial_locks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_editorial_locks_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("editorial_locks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_editorial_locks_user_id"))
    op.drop_table("editorial_locks")
    with op.batch_alter_table("editorial_assignment_users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_editorial_assignment_users_user_id"))
    op.drop_table("editorial_assignment_users")
    with op.batch_alter_table("editorial_assignment_children", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_editorial_assignment_children_content_id"))
    op.drop_table("editorial_assignment_children")
    with op.batch_alter_table("editorial_assignments", schema=None) as batch_op:
        batch_op.drop_index("ix_editorial_assignments_modified_at")
        batch_op.drop_index(batch_op.f("ix_editorial_assignments_issue_id"))
        batch_op.drop_index(batch_op.f("ix_editorial_assignments_creator_id"))
    op.drop_table("editorial_assignments")
    op.drop_table("editorial_users")
    op.drop_table("editorial_issues")
    op.drop_table("editorial_content_items")
