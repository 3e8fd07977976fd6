"""SQL for milestones: the catalogue, milestone records, and the distinct mentees a mentor
helped in a period (read from mentoring assignments)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, case, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import contains_eager

from app.models.mentoring import Assignment
from app.models.milestones import TYPE_ORDER, Milestone, MilestoneDefinition, MilestoneType
from app.models.people import Membership
from app.pagination import Paged, PageRequest
from app.repositories.common import by_key, fetch_page
from app.repositories.grouped import ListShape, OwnedPage, load_pages
from app.timeutil import as_utc, start_of_day

_TYPE_RANK = case(
    {kind.value: rank for rank, kind in enumerate(TYPE_ORDER)},
    value=MilestoneDefinition.type,
    else_=len(TYPE_ORDER),
)

# --- definitions ------------------------------------------------------------------------


async def list_definitions(
    session: AsyncSession, *, include_inactive: bool
) -> list[MilestoneDefinition]:
    query = select(MilestoneDefinition).order_by(_TYPE_RANK, MilestoneDefinition.threshold)
    if not include_inactive:
        query = query.where(MilestoneDefinition.active.is_(True))
    return list((await session.scalars(query)).all())


async def get_definition(session: AsyncSession, definition_id: str) -> MilestoneDefinition | None:
    return await session.get(MilestoneDefinition, definition_id)


async def definitions_by_ids(
    session: AsyncSession, ids: Sequence[str]
) -> list[MilestoneDefinition | None]:
    rows = (
        await session.scalars(select(MilestoneDefinition).where(MilestoneDefinition.id.in_(ids)))
    ).all()
    return by_key(rows, "id", ids)


async def definition_for(
    session: AsyncSession, kind: MilestoneType, threshold: int
) -> MilestoneDefinition | None:
    return await session.scalar(
        select(MilestoneDefinition).where(
            MilestoneDefinition.type == kind.value, MilestoneDefinition.threshold == threshold
        )
    )


# --- milestone records -------------------------------------------------------------------


def _with_definition() -> Select[Milestone]:
    return (
        select(Milestone).join(Milestone.definition).options(contains_eager(Milestone.definition))
    )


async def get_milestone(
    session: AsyncSession, milestone_id: str, *, include_deleted: bool = False
) -> Milestone | None:
    query = _with_definition().where(Milestone.id == milestone_id)
    if not include_deleted:
        query = query.where(Milestone.deleted_at.is_(None))
    return await session.scalar(query.execution_options(populate_existing=True))


async def milestones_by_ids(session: AsyncSession, ids: Sequence[str]) -> list[Milestone | None]:
    rows = (
        await session.scalars(
            _with_definition().where(Milestone.id.in_(ids), Milestone.deleted_at.is_(None))
        )
    ).all()
    return by_key(rows, "id", ids)


@dataclass(frozen=True, slots=True)
class MilestoneFilter:
    """``org_ids`` / ``only_mentor`` are the caller's visibility (``None``: no limit);
    the rest are the filters a client asked for."""

    org_ids: frozenset[str] | None = None
    only_mentor: str | None = None
    mentor_id: str | None = None
    status: str | None = None
    type: str | None = None
    period_from: date | None = None  # periods overlapping [period_from, period_to]
    period_to: date | None = None
    achieved_from: datetime | None = None  # achieved_at in [achieved_from, achieved_to)
    achieved_to: datetime | None = None


LIST_ORDER = (
    Milestone.mentor_id,
    Milestone.period_start.desc(),
    _TYPE_RANK,
    MilestoneDefinition.threshold,
    Milestone.id,
)


def milestones_query(where: MilestoneFilter, *, newest_first: bool = False) -> Select[Milestone]:
    query = _with_definition().where(Milestone.deleted_at.is_(None))
    if where.org_ids is not None:
        members = select(Membership.person_id).where(Membership.org_id.in_(list(where.org_ids)))
        query = query.where(Milestone.mentor_id.in_(members))
    if where.only_mentor is not None:
        query = query.where(Milestone.mentor_id == where.only_mentor)
    if where.mentor_id is not None:
        query = query.where(Milestone.mentor_id == where.mentor_id)
    if where.status is not None:
        query = query.where(Milestone.status == where.status)
    if where.type is not None:
        query = query.where(MilestoneDefinition.type == where.type)
    if where.period_from is not None:
        query = query.where(Milestone.period_end >= where.period_from)
    if where.period_to is not None:
        query = query.where(Milestone.period_start <= where.period_to)
    if where.achieved_from is not None:
        query = query.where(Milestone.achieved_at >= where.achieved_from)
    if where.achieved_to is not None:
        query = query.where(Milestone.achieved_at < where.achieved_to)
    if newest_first:
        return query.order_by(Milestone.achieved_at.desc(), _TYPE_RANK, Milestone.id)
    return query.order_by(*LIST_ORDER)


async def list_milestones(
    session: AsyncSession, query: Select[Milestone], page: PageRequest
) -> Paged[Milestone]:
    return await fetch_page(session, query, page)


async def latest_period(session: AsyncSession, mentor_id: str) -> tuple[date, date] | None:
    """The period of the mentor's live records that ends last (the most recent detection)."""
    row = (
        await session.execute(
            select(Milestone.period_start, Milestone.period_end)
            .where(Milestone.mentor_id == mentor_id, Milestone.deleted_at.is_(None))
            .order_by(Milestone.period_end.desc(), Milestone.period_start.desc())
            .limit(1)
        )
    ).first()
    return None if row is None else (row[0], row[1])


async def period_rows(
    session: AsyncSession, mentor_id: str, start: date, end: date
) -> list[Milestone]:
    """Every record of the mentor and period, tombstones included, locked for update
    (on PostgreSQL; SQLite writers are serialised by BEGIN IMMEDIATE)."""
    query = (
        _with_definition()
        .where(
            Milestone.mentor_id == mentor_id,
            Milestone.period_start == start,
            Milestone.period_end == end,
        )
        .with_for_update(of=Milestone)
        .execution_options(populate_existing=True)
    )
    return list((await session.scalars(query)).all())


async def insert_missing(session: AsyncSession, rows: list[dict[str, Any]]) -> set[str]:
    """Insert records whose (mentor, definition, period) does not exist yet; returns the
    definition ids actually inserted (a concurrent detection may have created the others:
    on PostgreSQL this waits for it to commit, then does nothing)."""
    if not rows:
        return set()
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(Milestone)
        .values(rows)
        .on_conflict_do_nothing(
            index_elements=["mentor_id", "definition_id", "period_start", "period_end"]
        )
        .returning(Milestone.definition_id)
    )
    return set((await session.scalars(statement)).all())


# --- what the mentoring domain records ----------------------------------------------------


async def mentee_first_days(
    session: AsyncSession, mentor_id: str, start: date, end: date
) -> list[datetime]:
    """For each distinct mentee whose assignment with the mentor overlapped the period
    (not deleted), when they first were the mentor's mentee in it; oldest first."""
    period_start = start_of_day(start)
    first = func.min(Assignment.started_at)
    rows = await session.execute(
        select(Assignment.mentee_id, first)
        .where(Assignment.mentor_id == mentor_id, _helped_in(start, end))
        .group_by(Assignment.mentee_id)
    )
    # min() keeps the column's type, so the values come back as aware UTC datetimes.
    return sorted(max(as_utc(started), period_start) for _mentee, started in rows.all())


def _helped_in(start: date, end: date) -> Any:
    """Assignments (not deleted) that overlapped ``start``..``end``: their mentees are the
    people a mentor helped in the period."""
    return and_(
        Assignment.deleted_at.is_(None),
        Assignment.started_at < start_of_day(end + timedelta(days=1)),
        or_(Assignment.closed_at.is_(None), Assignment.closed_at >= start_of_day(start)),
    )


async def mentees_helped(
    session: AsyncSession, keys: Sequence[tuple[str, date, date]]
) -> list[int]:
    """Batch loader: how many distinct mentees each ``(mentor_id, start, end)`` key's mentor
    helped in the period (the length of ``mentee_first_days``); one statement per period."""
    periods: dict[tuple[date, date], set[str]] = defaultdict(set)
    for mentor_id, start, end in keys:
        periods[(start, end)].add(mentor_id)
    found: dict[tuple[str, date, date], int] = {}
    for (start, end), mentors in periods.items():
        rows = await session.execute(
            select(Assignment.mentor_id, func.count(func.distinct(Assignment.mentee_id)))
            .where(Assignment.mentor_id.in_(sorted(mentors)), _helped_in(start, end))
            .group_by(Assignment.mentor_id)
        )
        found.update({(mentor, start, end): int(count) for mentor, count in rows.all()})
    return [found.get(key, 0) for key in keys]


# --- hub fields: many mentors' milestones at once -------------------------------------------


def _milestone_shape(where: MilestoneFilter) -> ListShape:
    return ListShape(
        query=milestones_query(where),
        owner=Milestone.mentor_id,
        order_by=LIST_ORDER,
        row_id=Milestone.id,
        load=_with_definition(),
    )


async def milestone_pages(
    session: AsyncSession, keys: Sequence[OwnedPage[MilestoneFilter]]
) -> list[Paged[Milestone]]:
    """Batch loader: each mentor's page of the milestones list."""
    return await load_pages(session, keys, _milestone_shape)
