"""indexes for the read paths the benchmark measures (docs/performance.md)

Each index serves a filter and its ORDER BY, so a page is read in index order instead of
being sorted in a temporary B-tree (checked with EXPLAIN QUERY PLAN / EXPLAIN):
- an organisation's open assignments, oldest first (the assignment list);
- a mentor's assignments by status, by start (the mentor routes and open counts);
- an assignment's contacts, newest first (the "last contacts" of every list).

Revision ID: 0007_indexes
Revises: 0002_mentoring
Create Date: 2026-11-23 11:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0007_indexes"
down_revision: str | Sequence[str] | None = "0002_mentoring"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEXES = (
    (
        "ix_assignments_org_id_status_created_at",
        "assignments",
        ["org_id", "status", "created_at", "id"],
    ),
    (
        "ix_assignments_mentor_id_status_started_at",
        "assignments",
        ["mentor_id", "status", "started_at"],
    ),
    (
        "ix_assignment_contacts_assignment_id_contact_at",
        "assignment_contacts",
        ["assignment_id", "contact_at"],
    ),
)


def upgrade() -> None:
    for name, table, columns in _INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, table, _columns in reversed(_INDEXES):
        op.drop_index(name, table_name=table)
