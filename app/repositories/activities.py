"""SQL for activities and the activity-type catalogue."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.activities import Activity, ActivityStatus, ActivityType
from app.models.people import Membership
from app.pagination import Paged, PageRequest
from app.repositories.common import by_key, fetch_page
from app.repositories.grouped import ListShape, OwnedPage, load_pages

# --- activity types ---------------------------------------------------------------------


async def get_activity_type(session: AsyncSession, type_id: str) -> ActivityType | None:
    return await session.get(ActivityType, type_id)


_TYPES = select(ActivityType).where(ActivityType.id.in_(bindparam("ids", expanding=True)))


async def activity_types_by_ids(
    session: AsyncSession, ids: Sequence[str]
) -> list[ActivityType | None]:
    rows = (await session.scalars(_TYPES, {"ids": list(ids)})).all()
    return by_key(rows, "id", ids)


async def list_activity_types(
    session: AsyncSession, *, include_inactive: bool
) -> list[ActivityType]:
    query = select(ActivityType).order_by(ActivityType.name, ActivityType.id)
    if not include_inactive:
        query = query.where(ActivityType.active.is_(True))
    return list((await session.scalars(query)).all())


async def activity_type_named(session: AsyncSession, name: str) -> ActivityType | None:
    return await session.scalar(
        select(ActivityType).where(func.lower(ActivityType.name) == name.lower())
    )


# --- activities ---------------------------------------------------------------------------


async def get_activity(
    session: AsyncSession, activity_id: str, *, include_deleted: bool = False
) -> Activity | None:
    query = select(Activity).where(Activity.id == activity_id)
    if not include_deleted:
        query = query.where(Activity.deleted_at.is_(None))
    return await session.scalar(query)


async def activities_by_ids(session: AsyncSession, ids: Sequence[str]) -> list[Activity | None]:
    rows = (
        await session.scalars(
            select(Activity).where(Activity.id.in_(ids), Activity.deleted_at.is_(None))
        )
    ).all()
    return by_key(rows, "id", ids)


async def by_local_id(session: AsyncSession, peer_mentor_id: str, local_id: str) -> Activity | None:
    """The activity a mentor's ``local_id`` names, tombstoned ones included."""
    return await session.scalar(
        select(Activity)
        .where(Activity.peer_mentor_id == peer_mentor_id, Activity.local_id == local_id)
        .execution_options(populate_existing=True)
    )


async def insert_if_absent(session: AsyncSession, values: dict[str, Any]) -> bool:
    """``INSERT ... ON CONFLICT (peer_mentor_id, local_id) DO NOTHING``.

    True when this statement created the row. Concurrent identical inserts cannot both
    succeed: the unique constraint lets one through and the others do nothing (on
    PostgreSQL they wait for the first to commit or roll back).
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(Activity)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["peer_mentor_id", "local_id"])
        .returning(Activity.id)
    )
    created = (await session.execute(statement)).scalar_one_or_none()
    return created is not None


def mentors_of_orgs(org_ids: Collection[str]) -> Select[str]:
    return select(Membership.person_id).where(Membership.org_id.in_(list(org_ids)))


@dataclass(frozen=True, slots=True)
class ActivityFilter:
    """What a list asks for. ``mentor_ids``/``org_ids`` are the caller's visibility
    (``None``: no limit); the rest are the documented filters."""

    mentor_ids: frozenset[str] | None = None
    org_ids: frozenset[str] | None = None
    peer_mentor_id: str | None = None
    start: date | None = None
    end: date | None = None
    status: ActivityStatus | None = None
    activity_type_id: str | None = None


LIST_ORDER = (Activity.date.desc(), Activity.created_at.desc(), Activity.id.desc())


def activities_query(where: ActivityFilter) -> Select[Activity]:
    query = select(Activity).where(Activity.deleted_at.is_(None)).order_by(*LIST_ORDER)
    if where.mentor_ids is not None and where.org_ids is not None:
        query = query.where(
            Activity.peer_mentor_id.in_(list(where.mentor_ids))
            | Activity.peer_mentor_id.in_(mentors_of_orgs(where.org_ids))
        )
    elif where.mentor_ids is not None:
        query = query.where(Activity.peer_mentor_id.in_(list(where.mentor_ids)))
    elif where.org_ids is not None:
        query = query.where(Activity.peer_mentor_id.in_(mentors_of_orgs(where.org_ids)))
    if where.peer_mentor_id is not None:
        query = query.where(Activity.peer_mentor_id == where.peer_mentor_id)
    if where.start is not None:
        query = query.where(Activity.date >= where.start)
    if where.end is not None:
        query = query.where(Activity.date <= where.end)
    if where.status is not None:
        query = query.where(Activity.status == where.status.value)
    if where.activity_type_id is not None:
        query = query.where(Activity.activity_type_id == where.activity_type_id)
    return query


async def list_activities(
    session: AsyncSession, where: ActivityFilter, page: PageRequest
) -> Paged[Activity]:
    return await fetch_page(session, activities_query(where), page)


def _confirmed_between(start: date, end: date) -> Any:
    """Confirmed, not deleted, dated ``start``..``end``: what totals count."""
    return (
        (Activity.status == ActivityStatus.CONFIRMED.value)
        & Activity.deleted_at.is_(None)
        & (Activity.date >= start)
        & (Activity.date <= end)
    )


def _confirmed_in(mentor_id: str, start: date, end: date) -> Any:
    return (Activity.peer_mentor_id == mentor_id) & _confirmed_between(start, end)


async def confirmed_totals(
    session: AsyncSession, mentor_id: str, start: date, end: date
) -> tuple[int, int]:
    """(minutes, count) of a mentor's confirmed activities dated ``start``..``end``."""
    row = (
        await session.execute(
            select(
                func.coalesce(func.sum(Activity.duration_minutes), 0), func.count(Activity.id)
            ).where(_confirmed_in(mentor_id, start, end))
        )
    ).one()
    return int(row[0]), int(row[1])


async def confirmed_daily(
    session: AsyncSession, mentor_id: str, start: date, end: date
) -> list[tuple[date, int, int]]:
    """(date, minutes, count) per day with confirmed activities, oldest first."""
    rows = await session.execute(
        select(Activity.date, func.sum(Activity.duration_minutes), func.count(Activity.id))
        .where(_confirmed_in(mentor_id, start, end))
        .group_by(Activity.date)
        .order_by(Activity.date)
    )
    return [(day, int(minutes), int(count)) for day, minutes, count in rows.all()]


# --- hub fields: many mentors at once ------------------------------------------------------


def _activity_shape(where: ActivityFilter) -> ListShape:
    return ListShape(
        query=activities_query(where),
        owner=Activity.peer_mentor_id,
        order_by=LIST_ORDER,
        row_id=Activity.id,
        load=select(Activity),
    )


async def activity_pages(
    session: AsyncSession, keys: Sequence[OwnedPage[ActivityFilter]]
) -> list[Paged[Activity]]:
    """Batch loader: each mentor's page of the activities list, newest first."""
    return await load_pages(session, keys, _activity_shape)


async def confirmed_totals_of(
    session: AsyncSession, mentor_ids: Collection[str], start: date, end: date
) -> dict[str, tuple[int, int]]:
    """``confirmed_totals`` of several mentors in one statement ((0, 0) for those without)."""
    rows = await session.execute(
        select(
            Activity.peer_mentor_id,
            func.coalesce(func.sum(Activity.duration_minutes), 0),
            func.count(Activity.id),
        )
        .where(Activity.peer_mentor_id.in_(sorted(set(mentor_ids))), _confirmed_between(start, end))
        .group_by(Activity.peer_mentor_id)
    )
    found = {mentor: (int(minutes), int(count)) for mentor, minutes, count in rows.all()}
    return {mentor: found.get(mentor, (0, 0)) for mentor in mentor_ids}
