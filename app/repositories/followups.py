"""SQL for the follow-up sweep: claim due assignments atomically, write the outbox.

Exactly once, however many sweeps run at once:
1. due rows are selected ``FOR UPDATE SKIP LOCKED`` in id order on PostgreSQL (a concurrent
   sweep skips what another one holds; SQLite writers are serialised by ``BEGIN IMMEDIATE``);
2. one conditional ``UPDATE ... WHERE <sent> IS NULL AND <gap still due> RETURNING`` claims
   them (a row claimed meanwhile no longer matches);
3. the outbox insert ignores rows whose ``(assignment_id, kind, gap_start)`` exists.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.mentoring import ESCALATION, OPEN, Assignment, Notification
from app.models.people import Membership, Organisation
from app.repositories.mentoring import contact_gap_start


@dataclass(frozen=True, slots=True)
class Claimed:
    """An assignment a sweep just marked as reminded or escalated."""

    id: str
    mentor_id: str
    coordinator_id: str | None
    org_id: str | None
    gap_start: datetime


async def live_orgs(session: AsyncSession) -> list[Organisation]:
    rows = await session.scalars(
        select(Organisation).where(Organisation.deleted_at.is_(None)).order_by(Organisation.id)
    )
    return list(rows.all())


async def org_coordinators(session: AsyncSession) -> dict[str, str]:
    """One coordinator per organisation (the first by id): who gets an escalation when the
    assignment names none."""
    rows = await session.execute(
        select(Membership.org_id, Membership.person_id)
        .where(Membership.role == "coordinator")
        .order_by(Membership.org_id, Membership.person_id)
    )
    found: dict[str, str] = {}
    for row in rows:
        found.setdefault(row.org_id, row.person_id)
    return found


async def claim_due(
    session: AsyncSession, kind: str, due: ColumnElement[bool], now: datetime
) -> list[Claimed]:
    """Mark every open assignment matching ``due`` whose ``kind`` was not yet raised in its
    current gap; returns the rows this call claimed."""
    sent = Assignment.escalation_sent_at if kind == ESCALATION else Assignment.reminder_sent_at
    condition = and_(
        Assignment.status == OPEN, Assignment.deleted_at.is_(None), sent.is_(None), due
    )
    locked = (
        select(Assignment.id)
        .where(condition)
        .order_by(Assignment.id)
        .with_for_update(skip_locked=True)
    )
    ids = list((await session.scalars(locked)).all())
    if not ids:
        return []
    statement = (
        update(Assignment)
        .where(Assignment.id.in_(ids), condition)
        .values({sent: now, Assignment.updated_at: now, Assignment.version: Assignment.version + 1})
        .returning(
            Assignment.id,
            Assignment.mentor_id,
            Assignment.coordinator_id,
            Assignment.org_id,
            contact_gap_start.label("gap_start"),
        )
        .execution_options(synchronize_session=False)
    )
    rows = await session.execute(statement)
    return sorted((Claimed(*row) for row in rows), key=lambda c: c.id)


async def insert_outbox(session: AsyncSession, rows: Sequence[Notification]) -> set[str]:
    """Insert notifications, skipping any whose (assignment, kind, gap) exists; returns the
    ids actually inserted."""
    if not rows:
        return set()
    dialect = session.get_bind().dialect.name
    insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
    values = [
        {
            "id": n.id,
            "assignment_id": n.assignment_id,
            "kind": n.kind,
            "recipient_id": n.recipient_id,
            "gap_start": n.gap_start,
            "days_without_contact": n.days_without_contact,
            "created_at": n.created_at,
            "delivered_at": None,
        }
        for n in rows
    ]
    statement = (
        insert(Notification)
        .values(values)
        .on_conflict_do_nothing(index_elements=["assignment_id", "kind", "gap_start"])
        .returning(Notification.id)
    )
    return set((await session.scalars(statement)).all())
