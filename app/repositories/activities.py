"""SQL for activities and the activity-type catalogue.

Read paths select columns (Core rows, no ORM identity map): the service's read model
(``app.services.activity_reads``) builds its records from them. The writes load the ORM
entity they change. Lists take the service's vocabulary (``ActivityList``: the caller's
scope and the filters) and translate it to SQL.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Bundle

from app.models.activities import Activity, ActivityStatus, ActivityType
from app.models.people import Membership
from app.pagination import Paged, PageRequest
from app.repositories.aggregating import AggregateSpec, date_buckets
from app.repositories.common import fetch_page
from app.repositories.filtering import sort_order
from app.repositories.filtering import where as filtered
from app.repositories.grouped import ListShape, OwnedPage, load_pages
from app.repositories.keyset import Order, terms

if TYPE_CHECKING:
    from app.services.activity_reads import ActivityList

# --- activity types ---------------------------------------------------------------------


async def get_activity_type(session: AsyncSession, type_id: str) -> ActivityType | None:
    return await session.get(ActivityType, type_id)


TYPE_COLUMNS = (
    ActivityType.id,
    ActivityType.name,
    ActivityType.description,
    ActivityType.active,
    ActivityType.created_at,
    ActivityType.updated_at,
)
_TYPE_ROWS = select(*TYPE_COLUMNS).where(ActivityType.id.in_(bindparam("ids", expanding=True)))
_ALL_TYPES = select(*TYPE_COLUMNS).order_by(ActivityType.name, ActivityType.id)
_ACTIVE_TYPES = _ALL_TYPES.where(ActivityType.active.is_(True))


async def activity_type_rows(session: AsyncSession, ids: Sequence[str]) -> Sequence[Any]:
    """The types among ``ids`` (any order)."""
    return (await session.execute(_TYPE_ROWS, {"ids": list(ids)})).all()


async def list_activity_types(session: AsyncSession, *, include_inactive: bool) -> Sequence[Any]:
    """The catalogue by name (retired types only with ``include_inactive``)."""
    return (await session.execute(_ALL_TYPES if include_inactive else _ACTIVE_TYPES)).all()


async def activity_type_named(session: AsyncSession, name: str) -> ActivityType | None:
    return await session.scalar(
        select(ActivityType).where(func.lower(ActivityType.name) == name.lower())
    )


# --- activities ---------------------------------------------------------------------------


ACTIVITY_COLUMNS = (
    Activity.id,
    Activity.local_id,
    Activity.peer_mentor_id,
    Activity.activity_type_id,
    Activity.date,
    Activity.duration_minutes,
    Activity.status,
    Activity.notes,
    Activity.rejection_reason,
    Activity.decided_by,
    Activity.decided_at,
    Activity.version,
    Activity.created_at,
    Activity.updated_at,
)
ACTIVITY_ROW: Bundle[Any] = Bundle("activity", *ACTIVITY_COLUMNS)
"""The columns of a record as one selected item: lists select it, so a page's rows (and
each owner's rows of a hub page) are Core rows with these attributes."""

_ACTIVITY_ROWS = select(*ACTIVITY_COLUMNS).where(
    Activity.id.in_(bindparam("ids", expanding=True)), Activity.deleted_at.is_(None)
)
_MENTOR_ORGS = select(Membership.person_id, Membership.org_id).where(
    Membership.person_id.in_(bindparam("ids", expanding=True))
)


async def activity_rows(session: AsyncSession, ids: Sequence[str]) -> Sequence[Any]:
    """The live (not deleted) activities among ``ids`` (any order)."""
    return (await session.execute(_ACTIVITY_ROWS, {"ids": list(ids)})).all()


async def org_ids_of_mentors(
    session: AsyncSession, mentor_ids: Collection[str]
) -> dict[str, set[str]]:
    """Each mentor's organisations (the facts of the visibility rule); one statement."""
    rows = await session.execute(_MENTOR_ORGS, {"ids": sorted(set(mentor_ids))})
    found: dict[str, set[str]] = defaultdict(set)
    for person_id, org_id in rows.all():
        found[person_id].add(org_id)
    return found


async def get_activity(
    session: AsyncSession, activity_id: str, *, include_deleted: bool = False
) -> Activity | None:
    """The entity a write changes."""
    query = select(Activity).where(Activity.id == activity_id)
    if not include_deleted:
        query = query.where(Activity.deleted_at.is_(None))
    return await session.scalar(query)


async def by_local_id(session: AsyncSession, peer_mentor_id: str, local_id: str) -> Activity | None:
    """The activity a mentor's ``local_id`` names, tombstoned ones included."""
    return await session.scalar(
        select(Activity)
        .where(Activity.peer_mentor_id == peer_mentor_id, Activity.local_id == local_id)
        .execution_options(populate_existing=True)
    )


async def insert_if_absent(session: AsyncSession, values: dict[str, Any]) -> Any | None:
    """``INSERT ... ON CONFLICT (peer_mentor_id, local_id) DO NOTHING RETURNING *``.

    The row this statement created (every column, as stored), or None when the mentor's
    ``local_id`` was taken. Concurrent identical inserts cannot both succeed: the unique
    constraint lets one through and the others do nothing (on PostgreSQL they wait for
    the first to commit or roll back).
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(Activity)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["peer_mentor_id", "local_id"])
        .returning(*Activity.__table__.c)
    )
    return (await session.execute(statement)).one_or_none()


def mentors_of_orgs(org_ids: Collection[str]) -> Select[str]:
    return select(Membership.person_id).where(Membership.org_id.in_(list(org_ids)))


LIST_ORDER = terms(Activity.date.desc(), Activity.created_at.desc(), Activity.id.desc())
# The fields a GraphQL ``filter`` and ``orderBy`` may name (``app.repositories.filtering``).
FIELDS = {
    "date": Activity.date,
    "duration_minutes": Activity.duration_minutes,
    "status": Activity.status,
    "activity_type_id": Activity.activity_type_id,
    "peer_mentor_id": Activity.peer_mentor_id,
    "notes": Activity.notes,
    "created_at": Activity.created_at,
    "updated_at": Activity.updated_at,
}


def list_order(listed: ActivityList) -> Order:
    """The list's order: its ``orderBy`` (the id breaking ties), else newest first."""
    return sort_order(listed.filters.sort, FIELDS, Activity.id, LIST_ORDER)


def activities_query(listed: ActivityList) -> Select[Any]:
    """The list's rows (``ACTIVITY_ROW``; unordered, ``LIST_ORDER`` is newest first): the
    scope's mentors, narrowed by the filters."""
    scope, where = listed.scope, listed.filters
    query = select(ACTIVITY_ROW).where(Activity.deleted_at.is_(None))
    if scope.mentor_ids is not None and scope.org_ids is not None:
        query = query.where(
            Activity.peer_mentor_id.in_(list(scope.mentor_ids))
            | Activity.peer_mentor_id.in_(mentors_of_orgs(scope.org_ids))
        )
    elif scope.mentor_ids is not None:
        query = query.where(Activity.peer_mentor_id.in_(list(scope.mentor_ids)))
    elif scope.org_ids is not None:
        query = query.where(Activity.peer_mentor_id.in_(mentors_of_orgs(scope.org_ids)))
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
    if where.where is not None:
        query = query.where(filtered(where.where, FIELDS))
    return query


async def list_activities(
    session: AsyncSession, listed: ActivityList, page: PageRequest
) -> Paged[Any]:
    """One page of the list (Core rows) and its total."""
    return await fetch_page(session, activities_query(listed), list_order(listed), page, AGGREGATES)


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


def _activity_shape(listed: ActivityList) -> ListShape:
    return ListShape(
        query=activities_query(listed),
        owner=Activity.peer_mentor_id,
        order=list_order(listed),
        row_id=Activity.id,
        load=select(ACTIVITY_ROW),
        aggregates=AGGREGATES,
    )


async def activity_pages(
    session: AsyncSession, keys: Sequence[OwnedPage[ActivityList]]
) -> list[Paged[Any]]:
    """Each mentor's page of the activities list (Core rows), newest first."""
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


# What a list of activities aggregates (``app.repositories.aggregating``).
AGGREGATES = AggregateSpec(
    numbers={"duration_minutes": Activity.duration_minutes},
    bounds={"date": Activity.date, "created_at": Activity.created_at},
    groups={
        "activity_type_id": Activity.activity_type_id,
        "status": Activity.status,
        "peer_mentor_id": Activity.peer_mentor_id,
        **date_buckets(Activity.date),
    },
)
