"""SQL for milestones: the catalogue, milestone records, and the distinct mentees a mentor
helped in a period (read from mentoring assignments).

Read paths select columns (Core rows, no ORM identity map): ``DEFINITION_COLUMNS`` and
``MILESTONE_COLUMNS`` (a record's columns and its definition's name, type, threshold and
badge), which ``app.services.milestone_reads`` turns into records. Write paths (detection,
corrections, the catalogue's changes) load ORM entities.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, and_, bindparam, case, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Bundle, contains_eager

from app.models.mentoring import Assignment
from app.models.milestones import TYPE_ORDER, Milestone, MilestoneDefinition, MilestoneType
from app.models.people import Membership
from app.pagination import Paged, PageRequest
from app.repositories.aggregating import AggregateSpec, date_buckets
from app.repositories.common import row_page
from app.repositories.filtering import sort_order
from app.repositories.filtering import where as filtered
from app.repositories.grouped import ListShape, pages_per_owner
from app.repositories.keyset import Order, terms
from app.services.policy import MilestoneScope
from app.timeutil import as_utc, start_of_day

if TYPE_CHECKING:
    from app.services.milestone_reads import MilestoneFilters

_TYPE_RANK = case(
    {kind.value: rank for rank, kind in enumerate(TYPE_ORDER)},
    value=MilestoneDefinition.type,
    else_=len(TYPE_ORDER),
)

# --- definitions ------------------------------------------------------------------------

DEFINITION_COLUMNS = (
    MilestoneDefinition.id,
    MilestoneDefinition.type,
    MilestoneDefinition.threshold,
    MilestoneDefinition.name,
    MilestoneDefinition.badge,
    MilestoneDefinition.active,
    MilestoneDefinition.created_at,
    MilestoneDefinition.updated_at,
)
_CATALOGUE_ORDER = (_TYPE_RANK, MilestoneDefinition.threshold)
_DEFINITION_ROWS = select(*DEFINITION_COLUMNS).where(
    MilestoneDefinition.id.in_(bindparam("ids", expanding=True))
)


async def list_definitions(
    session: AsyncSession, *, include_inactive: bool
) -> list[MilestoneDefinition]:
    """The catalogue's entities, by type and threshold (detection plans with them)."""
    query = select(MilestoneDefinition).order_by(*_CATALOGUE_ORDER)
    if not include_inactive:
        query = query.where(MilestoneDefinition.active.is_(True))
    return list((await session.scalars(query)).all())


async def definition_rows(session: AsyncSession, *, include_inactive: bool) -> Sequence[Any]:
    query = select(*DEFINITION_COLUMNS).order_by(*_CATALOGUE_ORDER)
    if not include_inactive:
        query = query.where(MilestoneDefinition.active.is_(True))
    return (await session.execute(query)).all()


async def definition_rows_by_ids(session: AsyncSession, ids: Sequence[str]) -> Sequence[Any]:
    return (await session.execute(_DEFINITION_ROWS, {"ids": list(ids)})).all()


async def get_definition(session: AsyncSession, definition_id: str) -> MilestoneDefinition | None:
    return await session.get(MilestoneDefinition, definition_id)


async def definition_for(
    session: AsyncSession, kind: MilestoneType, threshold: int
) -> MilestoneDefinition | None:
    return await session.scalar(
        select(MilestoneDefinition).where(
            MilestoneDefinition.type == kind.value, MilestoneDefinition.threshold == threshold
        )
    )


# --- milestone records -------------------------------------------------------------------

MILESTONE_COLUMNS = (
    Milestone.id,
    Milestone.mentor_id,
    Milestone.definition_id,
    Milestone.period_start,
    Milestone.period_end,
    Milestone.status,
    Milestone.value,
    Milestone.achieved_at,
    Milestone.detected_at,
    Milestone.version,
    Milestone.created_at,
    Milestone.updated_at,
    MilestoneDefinition.name,
    MilestoneDefinition.type,
    MilestoneDefinition.threshold,
    MilestoneDefinition.badge,
)
_MILESTONE_BUNDLE: Bundle[Any] = Bundle("milestone", *MILESTONE_COLUMNS)
_OF_DEFINITION = Milestone.definition_id == MilestoneDefinition.id
_MILESTONE_ROWS = (
    select(*MILESTONE_COLUMNS)
    .join_from(Milestone, MilestoneDefinition, _OF_DEFINITION)
    .where(Milestone.id.in_(bindparam("ids", expanding=True)), Milestone.deleted_at.is_(None))
)
_MENTOR_ORGS = select(Membership.person_id, Membership.org_id).where(
    Membership.person_id.in_(bindparam("ids", expanding=True))
)


def _with_definition() -> Select[Milestone]:
    return (
        select(Milestone).join(Milestone.definition).options(contains_eager(Milestone.definition))
    )


async def get_milestone(
    session: AsyncSession, milestone_id: str, *, include_deleted: bool = False
) -> Milestone | None:
    """The entity, to change it (corrections, deletes, restores)."""
    query = _with_definition().where(Milestone.id == milestone_id)
    if not include_deleted:
        query = query.where(Milestone.deleted_at.is_(None))
    return await session.scalar(query.execution_options(populate_existing=True))


async def milestone_rows_by_ids(session: AsyncSession, ids: Sequence[str]) -> Sequence[Any]:
    """The live records among ``ids`` with their definitions' columns."""
    return (await session.execute(_MILESTONE_ROWS, {"ids": list(ids)})).all()


async def mentor_orgs(session: AsyncSession, mentor_ids: Sequence[str]) -> dict[str, set[str]]:
    """The organisations each mentor belongs to (mentors without any are left out)."""
    found: dict[str, set[str]] = defaultdict(set)
    for person_id, org_id in await session.execute(_MENTOR_ORGS, {"ids": list(mentor_ids)}):
        found[person_id].add(org_id)
    return dict(found)


LIST_ORDER = terms(
    Milestone.mentor_id,
    Milestone.period_start.desc(),
    _TYPE_RANK,
    MilestoneDefinition.threshold,
    Milestone.id,
)
NEWEST_FIRST = terms(Milestone.achieved_at.desc(), _TYPE_RANK, Milestone.id)
# The fields a GraphQL ``filter`` and ``orderBy`` may name (``app.repositories.filtering``);
# the type and threshold are the joined definition's.
FIELDS = {
    "status": Milestone.status,
    "type": MilestoneDefinition.type,
    "mentor_id": Milestone.mentor_id,
    "threshold": MilestoneDefinition.threshold,
    "current_value": Milestone.value,
    "period_start": Milestone.period_start,
    "period_end": Milestone.period_end,
    "achieved_at": Milestone.achieved_at,
    "detected_at": Milestone.detected_at,
}


# What a list of milestones aggregates (``app.repositories.aggregating``), grouped by its
# keys or by the month ... its period starts.
AGGREGATES = AggregateSpec(
    numbers={name: FIELDS[name] for name in ("threshold", "current_value")},
    bounds={
        name: FIELDS[name] for name in ("period_start", "period_end", "achieved_at", "detected_at")
    },
    groups={
        **{name: FIELDS[name] for name in ("status", "type", "mentor_id")},
        **date_buckets(Milestone.period_start),
    },
)


def list_order(filters: MilestoneFilters, *, newest_first: bool = False) -> Order:
    """The list's order: its ``orderBy`` (the id breaking ties), else by mentor, newest
    period first (or newest achievement first)."""
    default = NEWEST_FIRST if newest_first else LIST_ORDER
    return sort_order(filters.sort, FIELDS, Milestone.id, default)


def _listed(scope: MilestoneScope, filters: MilestoneFilters, *columns: Any) -> Select[Any]:
    """The live records ``scope`` shows that match ``filters`` (unordered)."""
    query = (
        select(*(columns or MILESTONE_COLUMNS))
        .select_from(Milestone)
        .join(MilestoneDefinition, _OF_DEFINITION)
        .where(Milestone.deleted_at.is_(None))
    )
    if scope.org_ids is not None:
        members = select(Membership.person_id).where(Membership.org_id.in_(list(scope.org_ids)))
        query = query.where(Milestone.mentor_id.in_(members))
    if scope.only_mentor is not None:
        query = query.where(Milestone.mentor_id == scope.only_mentor)
    if filters.mentor_id is not None:
        query = query.where(Milestone.mentor_id == filters.mentor_id)
    if filters.status is not None:
        query = query.where(Milestone.status == filters.status)
    if filters.type is not None:
        query = query.where(MilestoneDefinition.type == filters.type)
    if filters.period_from is not None:
        query = query.where(Milestone.period_end >= filters.period_from)
    if filters.period_to is not None:
        query = query.where(Milestone.period_start <= filters.period_to)
    if filters.achieved_from is not None:
        query = query.where(Milestone.achieved_at >= filters.achieved_from)
    if filters.achieved_to is not None:
        query = query.where(Milestone.achieved_at < filters.achieved_to)
    if filters.where is not None:
        query = query.where(filtered(filters.where, FIELDS))
    return query


async def milestone_page(
    session: AsyncSession,
    scope: MilestoneScope,
    filters: MilestoneFilters,
    page: PageRequest,
    *,
    newest_first: bool = False,
) -> Paged[Any]:
    """One page of the list (by mentor, newest period first; or newest achievement first;
    or the filters' ``sort``) and its total; two statements."""
    order = list_order(filters, newest_first=newest_first)
    return await row_page(session, _listed(scope, filters), order, page, AGGREGATES)


async def pages_per_mentor(
    session: AsyncSession,
    scope: MilestoneScope,
    filters: MilestoneFilters,
    mentor_ids: Sequence[str],
    page: PageRequest,
) -> dict[str, Paged[Any]]:
    """Each mentor's page of the list and its total, in one statement
    (``app.repositories.grouped``; the items are rows of ``MILESTONE_COLUMNS``)."""
    shape = ListShape(
        query=_listed(scope, filters),
        owner=Milestone.mentor_id,
        order=list_order(filters),
        row_id=Milestone.id,
        load=select(_MILESTONE_BUNDLE).join_from(Milestone, MilestoneDefinition, _OF_DEFINITION),
        aggregates=AGGREGATES,
    )
    return await pages_per_owner(session, shape, mentor_ids, page)


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
