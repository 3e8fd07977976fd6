"""an index in the activities list's own order

The root activities list reads newest first (``date DESC, created_at DESC, id DESC``,
keyset cursors compare the same three columns): with this index a page is read in index
order (backwards) instead of sorting every visible activity (checked with EXPLAIN QUERY
PLAN / EXPLAIN in tests/test_list_indexes.py).

Revision ID: 0010_activity_list_order
Revises: 0003_activities
Create Date: 2026-12-02 18:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0010_activity_list_order"
down_revision: str | Sequence[str] | None = "0003_activities"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_activities_date_created_at_id", "activities", ["date", "created_at", "id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_activities_date_created_at_id", table_name="activities")
