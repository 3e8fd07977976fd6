"""indexes in the lists' own orders

Each list's default order (its keyset cursors compare the same columns) gets an index in
that order, so a page is read in index order instead of sorting every visible row
(checked with EXPLAIN QUERY PLAN / EXPLAIN in tests/test_list_indexes.py):
- assignments, oldest first (``status, created_at, id`` for one status, ``created_at, id``
  for all), over the live ones; the first replaces the one on ``status, created_at``;
- a mentor's assignments by start (``mentor_id, started_at, id``), over the live ones: the
  active list reads it forwards, the history backwards;
- notifications, newest first (``created_at, id``, read backwards);
- people and organisations by name (``name, id``); the people index replaces the one on
  ``name`` alone.

Revision ID: 0011_list_orders
Revises: 0007_indexes
Create Date: 2026-12-03 14:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_list_orders"
down_revision: str | Sequence[str] | None = "0007_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_LIVE = "deleted_at IS NULL"

# (name, table, columns, only the live rows)
_INDEXES = (
    (
        "ix_assignments_live_status_created_at_id",
        "assignments",
        ["status", "created_at", "id"],
        True,
    ),
    ("ix_assignments_live_created_at_id", "assignments", ["created_at", "id"], True),
    (
        "ix_assignments_live_mentor_id_started_at_id",
        "assignments",
        ["mentor_id", "started_at", "id"],
        True,
    ),
    (
        "ix_assignment_notifications_created_at_id",
        "assignment_notifications",
        ["created_at", "id"],
        False,
    ),
    ("ix_people_name_id", "people", ["name", "id"], False),
    ("ix_organisations_name_id", "organisations", ["name", "id"], False),
)

# Indexes the new ones cover (a prefix of theirs, and the live rows are all that list reads).
_REPLACED = (
    ("ix_assignments_status_created_at", "assignments", ["status", "created_at"]),
    ("ix_people_name", "people", ["name"]),
)


def upgrade() -> None:
    for name, table, columns, live in _INDEXES:
        where = sa.text(_LIVE) if live else None
        op.create_index(
            name, table, columns, unique=False, sqlite_where=where, postgresql_where=where
        )
    for name, table, _columns in _REPLACED:
        op.drop_index(name, table_name=table)


def downgrade() -> None:
    for name, table, columns in _REPLACED:
        op.create_index(name, table, columns, unique=False)
    for name, table, _columns, _live in reversed(_INDEXES):
        op.drop_index(name, table_name=table)
