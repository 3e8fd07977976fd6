"""SQL for mentoring assignments: look-ups, filtered lists, overdue, and batch loaders."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.base import UTCDateTime
from app.models.mentoring import OPEN, Assignment, ContactEvent, Notification, StatusChange
from app.models.people import Membership, Person
from app.pagination import Paged, PageRequest
from app.repositories.common import by_key, fetch_page

# The start of the current contact gap: the latest contact, or the start when there was none.
contact_gap_start = func.coalesce(
    Assignment.last_contact_at, Assignment.started_at, type_=UTCDateTime()
)


@dataclass(frozen=True, slots=True)
class Scope:
    """Which assignments a caller may see: all, those of some organisations, and/or those
    they mentor."""

    everything: bool = False
    orgs: frozenset[str] = frozenset()
    mentor_id: str | None = None

    def condition(self) -> ColumnElement[bool]:
        if self.everything:
            return true()
        parts: list[ColumnElement[bool]] = []
        if self.orgs:
            parts.append(Assignment.org_id.in_(sorted(self.orgs)))
        if self.mentor_id is not None:
            parts.append(Assignment.mentor_id == self.mentor_id)
        return or_(*parts) if parts else false()


@dataclass(frozen=True, slots=True)
class Filters:
    status: str | None = OPEN  # "open", "closed" or None for all
    mentor_id: str | None = None
    mentee_id: str | None = None
    coordinator_id: str | None = None
    org_id: str | None = None


def _live() -> ColumnElement[bool]:
    return Assignment.deleted_at.is_(None)


async def get_assignment(
    session: AsyncSession, assignment_id: str, *, include_deleted: bool = False
) -> Assignment | None:
    query = select(Assignment).where(Assignment.id == assignment_id)
    if not include_deleted:
        query = query.where(_live())
    return await session.scalar(query)


async def assignments_by_ids(session: AsyncSession, ids: Sequence[str]) -> list[Assignment | None]:
    rows = (await session.scalars(select(Assignment).where(Assignment.id.in_(ids), _live()))).all()
    return by_key(rows, "id", ids)


def assignment_query(scope: Scope, filters: Filters) -> Select[Assignment]:
    query = select(Assignment).where(_live(), scope.condition())
    if filters.status is not None:
        query = query.where(Assignment.status == filters.status)
    for column, value in (
        (Assignment.mentor_id, filters.mentor_id),
        (Assignment.mentee_id, filters.mentee_id),
        (Assignment.coordinator_id, filters.coordinator_id),
        (Assignment.org_id, filters.org_id),
    ):
        if value is not None:
            query = query.where(column == value)
    return query


async def list_assignments(
    session: AsyncSession, scope: Scope, filters: Filters, page: PageRequest
) -> Paged[Assignment]:
    query = assignment_query(scope, filters).order_by(Assignment.created_at, Assignment.id)
    return await fetch_page(session, query, page)


async def mentor_active(
    session: AsyncSession, scope: Scope, mentor_id: str, page: PageRequest
) -> Paged[Assignment]:
    query = assignment_query(scope, Filters(status=OPEN, mentor_id=mentor_id))
    return await fetch_page(session, query.order_by(Assignment.started_at, Assignment.id), page)


async def mentor_history(
    session: AsyncSession, scope: Scope, mentor_id: str, page: PageRequest
) -> Paged[Assignment]:
    """Every assignment of the mentor, open or closed, newest first."""
    query = assignment_query(scope, Filters(status=None, mentor_id=mentor_id))
    return await fetch_page(
        session, query.order_by(Assignment.started_at.desc(), Assignment.id.desc()), page
    )


async def count_open(session: AsyncSession, scope: Scope, mentor_id: str) -> int:
    query = assignment_query(scope, Filters(status=OPEN, mentor_id=mentor_id))
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    return int(total or 0)


def gap_before(cutoffs: dict[str, datetime], default_cutoff: datetime) -> ColumnElement[bool]:
    """The gap started before its organisation's cutoff (``default_cutoff`` for the others)."""
    parts: list[ColumnElement[bool]] = [
        and_(Assignment.org_id == org, contact_gap_start < cutoff)
        for org, cutoff in cutoffs.items()
    ]
    others: ColumnElement[bool] = true()
    if cutoffs:
        others = or_(Assignment.org_id.is_(None), Assignment.org_id.not_in(sorted(cutoffs)))
    parts.append(and_(others, contact_gap_start < default_cutoff))
    return or_(*parts)


async def list_overdue(
    session: AsyncSession,
    scope: Scope,
    due: ColumnElement[bool],
    page: PageRequest,
    *,
    org_id: str | None = None,
) -> Paged[Assignment]:
    """Open assignments matching ``due`` (see ``gap_before``), oldest contact first."""
    query = assignment_query(scope, Filters(status=OPEN, org_id=org_id)).where(due)
    return await fetch_page(session, query.order_by(contact_gap_start, Assignment.id), page)


async def open_pair_exists(
    session: AsyncSession, mentor_id: str, mentee_id: str, *, other_than: str | None = None
) -> bool:
    query = select(Assignment.id).where(
        Assignment.mentor_id == mentor_id,
        Assignment.mentee_id == mentee_id,
        Assignment.status == OPEN,
        _live(),
    )
    if other_than is not None:
        query = query.where(Assignment.id != other_than)
    return (await session.scalar(query.limit(1))) is not None


async def names_of(session: AsyncSession, person_ids: Collection[str]) -> dict[str, str]:
    """Names of people (tombstoned ones too: an assignment keeps its mentee's name)."""
    if not person_ids:
        return {}
    rows = await session.execute(
        select(Person.id, Person.name).where(Person.id.in_(sorted(set(person_ids))))
    )
    return {row.id: row.name for row in rows}


async def shared_orgs(session: AsyncSession, person_ids: Sequence[str]) -> list[set[str]]:
    rows = await session.execute(
        select(Membership.person_id, Membership.org_id).where(Membership.person_id.in_(person_ids))
    )
    grouped: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        grouped[row.person_id].add(row.org_id)
    return [grouped.get(pid, set()) for pid in person_ids]


async def latest_contacts(
    session: AsyncSession, keys: Sequence[tuple[str, int]]
) -> list[list[ContactEvent]]:
    """Batch loader: the newest ``n`` contacts of each ``(assignment_id, n)`` key, newest
    first; one statement per distinct ``n`` (a window function ranks each history)."""
    by_limit: dict[int, set[str]] = defaultdict(set)
    for assignment_id, limit in keys:
        by_limit[limit].add(assignment_id)
    found: dict[tuple[str, int], list[ContactEvent]] = defaultdict(list)
    for limit, ids in by_limit.items():
        rank = (
            func.row_number()
            .over(
                partition_by=ContactEvent.assignment_id,
                order_by=(ContactEvent.contact_at.desc(), ContactEvent.id.desc()),
            )
            .label("rank")
        )
        ranked = (
            select(ContactEvent.id.label("id"), rank)
            .where(ContactEvent.assignment_id.in_(sorted(ids)))
            .subquery()
        )
        rows = await session.scalars(
            select(ContactEvent)
            .join(ranked, ranked.c.id == ContactEvent.id)
            .where(ranked.c.rank <= limit)
            .order_by(ContactEvent.contact_at.desc(), ContactEvent.id.desc())
        )
        for row in rows:
            found[(row.assignment_id, limit)].append(row)
    return [found.get(key, []) for key in keys]


async def status_changes_of(
    session: AsyncSession, assignment_ids: Sequence[str]
) -> list[list[StatusChange]]:
    rows = await session.scalars(
        select(StatusChange)
        .where(StatusChange.assignment_id.in_(assignment_ids))
        .order_by(StatusChange.changed_at, StatusChange.id)
    )
    grouped: dict[str, list[StatusChange]] = defaultdict(list)
    for row in rows:
        grouped[row.assignment_id].append(row)
    return [grouped.get(key, []) for key in assignment_ids]


async def notifications_of(
    session: AsyncSession, assignment_ids: Sequence[str]
) -> list[list[Notification]]:
    rows = await session.scalars(
        select(Notification)
        .where(Notification.assignment_id.in_(assignment_ids))
        .order_by(Notification.created_at, Notification.id)
    )
    grouped: dict[str, list[Notification]] = defaultdict(list)
    for row in rows:
        grouped[row.assignment_id].append(row)
    return [grouped.get(key, []) for key in assignment_ids]


async def list_notifications(
    session: AsyncSession,
    scope: Scope,
    page: PageRequest,
    *,
    kind: str | None = None,
    assignment_id: str | None = None,
    recipient_id: str | None = None,
) -> Paged[Notification]:
    visible = select(Assignment.id).where(_live(), scope.condition())
    query: Select[Any] = select(Notification).where(Notification.assignment_id.in_(visible))
    if kind is not None:
        query = query.where(Notification.kind == kind)
    if assignment_id is not None:
        query = query.where(Notification.assignment_id == assignment_id)
    if recipient_id is not None:
        query = query.where(Notification.recipient_id == recipient_id)
    query = query.order_by(Notification.created_at.desc(), Notification.id.desc())
    return await fetch_page(session, query, page)
