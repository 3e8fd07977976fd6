"""SQL for mentoring assignments: look-ups, filtered lists, overdue, and batch loaders.

Read paths select columns (``ASSIGNMENT_ROW`` and friends: Core rows, no ORM identity map)
for the service's read model (``app/services/mentoring_reads.py``); the write paths load
the entity (``get_assignment``). Scopes, filters and hub keys are the service's vocabulary
(``app/services/policy.py``, ``app/services/mentoring_rules.py``), translated here to SQL.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, false, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Bundle, aliased

from app.listing import Filter, Sort
from app.models.base import UTCDateTime
from app.models.mentoring import OPEN, Assignment, ContactEvent, Notification, StatusChange
from app.models.people import Membership, Person
from app.pagination import Paged, PageRequest
from app.repositories.aggregating import AggregateSpec, date_buckets
from app.repositories.common import by_key, fetch_page
from app.repositories.filtering import sort_order
from app.repositories.filtering import where as filtered
from app.repositories.grouped import (
    Column,
    ListShape,
    OwnedPage,
    counts_per_owner,
    load_pages,
    pages_per_owner,
)
from app.repositories.keyset import Order, terms
from app.services.mentoring_rules import AssignmentList, Filters, NotificationList, OverdueKey
from app.services.policy import AssignmentScope
from app.timeutil import utcnow

# The start of the current contact gap: the latest contact, or the start when there was none.
contact_gap_start = func.coalesce(
    Assignment.last_contact_at, Assignment.started_at, type_=UTCDateTime()
)


# Rows of the read paths: the columns of each table, as one Core row per record.
ASSIGNMENT_ROW: Bundle[Any] = Bundle("assignment", *Assignment.__table__.c)
NOTIFICATION_ROW: Bundle[Any] = Bundle("notification", *Notification.__table__.c)


def scope_condition(scope: AssignmentScope) -> ColumnElement[bool]:
    """``scope`` as SQL over ``assignments`` (``AssignmentScope.covers`` for many)."""
    if scope.everything:
        return true()
    parts: list[ColumnElement[bool]] = []
    if scope.orgs:
        parts.append(Assignment.org_id.in_(sorted(scope.orgs)))
    if scope.mentor_id is not None:
        parts.append(Assignment.mentor_id == scope.mentor_id)
    return or_(*parts) if parts else false()


def _live() -> ColumnElement[bool]:
    return Assignment.deleted_at.is_(None)


# Prebuilt hot-path statements (app/repositories/common.py).
_ANY_ASSIGNMENT = select(Assignment).where(Assignment.id == bindparam("id"))
_LIVE_ASSIGNMENT = _ANY_ASSIGNMENT.where(_live())
_LIVE_ASSIGNMENTS = select(ASSIGNMENT_ROW).where(
    Assignment.id.in_(bindparam("ids", expanding=True)), _live()
)


async def get_assignment(
    session: AsyncSession, assignment_id: str, *, include_deleted: bool = False
) -> Assignment | None:
    query = _ANY_ASSIGNMENT if include_deleted else _LIVE_ASSIGNMENT
    return await session.scalar(query, {"id": assignment_id})


async def assignment_rows(session: AsyncSession, ids: Sequence[str]) -> list[Any | None]:
    """The live assignments of ``ids`` (rows of ``ASSIGNMENT_ROW``), one per id."""
    rows = (await session.scalars(_LIVE_ASSIGNMENTS, {"ids": list(ids)})).all()
    return by_key(rows, "id", ids)


# The fields a GraphQL ``filter`` and ``orderBy`` may name (``app.repositories.filtering``):
# those every caller who sees an assignment sees (REST names its people and organisation).
ASSIGNMENT_FIELDS = {
    "status": Assignment.status,
    "mentor_id": Assignment.mentor_id,
    "mentee_id": Assignment.mentee_id,
    "coordinator_id": Assignment.coordinator_id,
    "org_id": Assignment.org_id,
    "start_date": Assignment.started_at,
    "last_contact_at": Assignment.last_contact_at,
    "closed_at": Assignment.closed_at,
    "created_at": Assignment.created_at,
    "updated_at": Assignment.updated_at,
}


# What a list of assignments aggregates (``app.repositories.aggregating``): the dates of
# ASSIGNMENT_FIELDS, grouped by its keys or by the month ... it started.
ASSIGNMENT_AGGREGATES = AggregateSpec(
    bounds={
        name: ASSIGNMENT_FIELDS[name]
        for name in ("start_date", "last_contact_at", "closed_at", "created_at", "updated_at")
    },
    groups={
        **{
            name: ASSIGNMENT_FIELDS[name]
            for name in ("status", "org_id", "mentor_id", "mentee_id", "coordinator_id")
        },
        **date_buckets(Assignment.started_at),
    },
)


def assignment_order(filters: Filters, default: Order) -> Order:
    """A list's order: its ``orderBy`` (the id breaking ties), else ``default``."""
    return sort_order(filters.sort, ASSIGNMENT_FIELDS, Assignment.id, default)


def assignment_query(scope: AssignmentScope, filters: Filters) -> Select[Any]:
    """The live assignments ``scope`` covers, narrowed by the filters (unordered)."""
    query = select(ASSIGNMENT_ROW).where(_live(), scope_condition(scope))
    if filters.where is not None:
        query = query.where(filtered(filters.where, ASSIGNMENT_FIELDS))
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


LIST_ORDER = terms(Assignment.created_at, Assignment.id)
ACTIVE_ORDER = terms(Assignment.started_at, Assignment.id)
HISTORY_ORDER = terms(Assignment.started_at.desc(), Assignment.id.desc())


async def list_assignments(
    session: AsyncSession, scope: AssignmentScope, filters: Filters, page: PageRequest
) -> Paged[Any]:
    query = assignment_query(scope, filters)
    order = assignment_order(filters, LIST_ORDER)
    return await fetch_page(session, query, order, page, ASSIGNMENT_AGGREGATES)


async def mentor_active(
    session: AsyncSession,
    scope: AssignmentScope,
    mentor_id: str,
    page: PageRequest,
    *,
    where: Filter | None = None,
    sort: Sort = (),
) -> Paged[Any]:
    filters = Filters(status=OPEN, mentor_id=mentor_id, where=where, sort=sort)
    query = assignment_query(scope, filters)
    order = assignment_order(filters, ACTIVE_ORDER)
    return await fetch_page(session, query, order, page, ASSIGNMENT_AGGREGATES)


async def mentor_history(
    session: AsyncSession,
    scope: AssignmentScope,
    mentor_id: str,
    page: PageRequest,
    *,
    where: Filter | None = None,
    sort: Sort = (),
) -> Paged[Any]:
    """Every assignment of the mentor, open or closed, newest first (or as ``sort``)."""
    filters = Filters(status=None, mentor_id=mentor_id, where=where, sort=sort)
    query = assignment_query(scope, filters)
    order = assignment_order(filters, HISTORY_ORDER)
    return await fetch_page(session, query, order, page, ASSIGNMENT_AGGREGATES)


async def count_open(session: AsyncSession, scope: AssignmentScope, mentor_id: str) -> int:
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


OVERDUE_ORDER = terms(contact_gap_start, Assignment.id)


async def list_overdue(
    session: AsyncSession,
    scope: AssignmentScope,
    due: ColumnElement[bool],
    page: PageRequest,
    *,
    org_id: str | None = None,
    where: Filter | None = None,
    sort: Sort = (),
) -> Paged[Any]:
    """Open assignments matching ``due`` (see ``gap_before``), oldest contact first (or
    as ``sort``), narrowed by ``where``."""
    filters = Filters(status=OPEN, org_id=org_id, where=where, sort=sort)
    query = assignment_query(scope, filters).where(due)
    order = assignment_order(filters, OVERDUE_ORDER)
    return await fetch_page(session, query, order, page, ASSIGNMENT_AGGREGATES)


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


_NAMES = select(Person.id, Person.name).where(Person.id.in_(bindparam("ids", expanding=True)))


async def names_of(session: AsyncSession, person_ids: Collection[str]) -> dict[str, str]:
    """Names of people (tombstoned ones too: an assignment keeps its mentee's name)."""
    if not person_ids:
        return {}
    rows = await session.execute(_NAMES, {"ids": sorted(set(person_ids))})
    return {row.id: row.name for row in rows}


async def shared_orgs(session: AsyncSession, person_ids: Sequence[str]) -> list[set[str]]:
    rows = await session.execute(
        select(Membership.person_id, Membership.org_id).where(Membership.person_id.in_(person_ids))
    )
    grouped: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        grouped[row.person_id].add(row.org_id)
    return [grouped.get(pid, set()) for pid in person_ids]


# The assignment's facts a visibility rule asks about, beside each history row.
_OWNER_COLUMNS = (
    Assignment.org_id.label("assignment_org_id"),
    Assignment.mentor_id.label("assignment_mentor_id"),
)


def _latest_contacts_statement() -> Select[Any]:
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
        .where(ContactEvent.assignment_id.in_(bindparam("ids", expanding=True)))
        .subquery()
    )
    return (
        select(*ContactEvent.__table__.c, *_OWNER_COLUMNS)
        .join(ranked, ranked.c.id == ContactEvent.id)
        .join(Assignment, Assignment.id == ContactEvent.assignment_id)
        .where(ranked.c.rank <= bindparam("limit"), _live())
        .order_by(ContactEvent.contact_at.desc(), ContactEvent.id.desc())
    )


_LATEST_CONTACTS = _latest_contacts_statement()


async def latest_contact_rows(
    session: AsyncSession, keys: Sequence[tuple[str, int]]
) -> list[list[Any]]:
    """The newest ``n`` contacts of each ``(assignment_id, n)`` key, newest first, with
    their live assignment's ``assignment_org_id``/``assignment_mentor_id``; one statement
    per distinct ``n`` (a window function ranks each history)."""
    by_limit: dict[int, set[str]] = defaultdict(set)
    for assignment_id, limit in keys:
        by_limit[limit].add(assignment_id)
    found: dict[tuple[str, int], list[Any]] = defaultdict(list)
    for limit, ids in by_limit.items():
        rows = await session.execute(_LATEST_CONTACTS, {"ids": sorted(ids), "limit": limit})
        for row in rows:
            found[(row.assignment_id, limit)].append(row)
    return [found.get(key, []) for key in keys]


_STATUS_CHANGES = (
    select(*StatusChange.__table__.c, *_OWNER_COLUMNS)
    .join(Assignment, Assignment.id == StatusChange.assignment_id)
    .where(StatusChange.assignment_id.in_(bindparam("ids", expanding=True)), _live())
    .order_by(StatusChange.changed_at, StatusChange.id)
)


async def status_change_rows(
    session: AsyncSession, assignment_ids: Sequence[str]
) -> list[list[Any]]:
    """Each live assignment's status changes, oldest first (with the owner columns)."""
    grouped: dict[str, list[Any]] = defaultdict(list)
    for row in await session.execute(_STATUS_CHANGES, {"ids": list(assignment_ids)}):
        grouped[row.assignment_id].append(row)
    return [grouped.get(key, []) for key in assignment_ids]


_NOTIFICATIONS_OF = (
    select(*Notification.__table__.c, *_OWNER_COLUMNS)
    .join(Assignment, Assignment.id == Notification.assignment_id)
    .where(Notification.assignment_id.in_(bindparam("ids", expanding=True)), _live())
    .order_by(Notification.created_at, Notification.id)
)


async def notification_rows_of(
    session: AsyncSession, assignment_ids: Sequence[str]
) -> list[list[Any]]:
    """Each live assignment's notifications, oldest first (with the owner columns)."""
    grouped: dict[str, list[Any]] = defaultdict(list)
    for row in await session.execute(_NOTIFICATIONS_OF, {"ids": list(assignment_ids)}):
        grouped[row.assignment_id].append(row)
    return [grouped.get(key, []) for key in assignment_ids]


_NOTIFICATIONS = (
    select(*Notification.__table__.c, *_OWNER_COLUMNS)
    .join(Assignment, Assignment.id == Notification.assignment_id)
    .where(Notification.id.in_(bindparam("ids", expanding=True)), _live())
)


async def notification_rows(session: AsyncSession, ids: Sequence[str]) -> list[Any | None]:
    """The notifications of ``ids`` whose assignment is live (with the owner columns)."""
    rows = (await session.execute(_NOTIFICATIONS, {"ids": list(ids)})).all()
    return by_key(rows, "id", ids)


NOTIFICATION_ORDER = terms(Notification.created_at.desc(), Notification.id.desc())
# The fields a GraphQL ``filter`` and ``orderBy`` may name: those every caller who sees a
# notification sees (not its delivery details, shown to admins and coordinators only).
NOTIFICATION_FIELDS = {
    "kind": Notification.kind,
    "assignment_id": Notification.assignment_id,
    "recipient_id": Notification.recipient_id,
    "days_without_contact": Notification.days_without_contact,
    "created_at": Notification.created_at,
}


# What a list of notifications aggregates, grouped by its keys or by the day ... it was queued.
NOTIFICATION_AGGREGATES = AggregateSpec(
    numbers={"days_without_contact": Notification.days_without_contact},
    bounds={
        "gap_start": Notification.gap_start,
        "created_at": Notification.created_at,
        "delivered_at": Notification.delivered_at,
    },
    groups={
        "kind": Notification.kind,
        "assignment_id": Notification.assignment_id,
        "recipient_id": Notification.recipient_id,
        **date_buckets(Notification.created_at),
    },
)


def notification_order(sort: Sort) -> Order:
    """A notifications list's order: ``sort`` (the id breaking ties), else newest first."""
    return sort_order(sort, NOTIFICATION_FIELDS, Notification.id, NOTIFICATION_ORDER)


def notifications_query(
    scope: AssignmentScope,
    *,
    kind: str | None = None,
    assignment_id: str | None = None,
    recipient_id: str | None = None,
    where: Filter | None = None,
) -> Select[Any]:
    """The outbox entries of the live assignments ``scope`` covers, filtered (unordered)."""
    visible = select(Assignment.id).where(_live(), scope_condition(scope))
    query: Select[Any] = select(NOTIFICATION_ROW).where(Notification.assignment_id.in_(visible))
    if where is not None:
        query = query.where(filtered(where, NOTIFICATION_FIELDS))
    if kind is not None:
        query = query.where(Notification.kind == kind)
    if assignment_id is not None:
        query = query.where(Notification.assignment_id == assignment_id)
    if recipient_id is not None:
        query = query.where(Notification.recipient_id == recipient_id)
    return query


async def list_notifications(
    session: AsyncSession,
    scope: AssignmentScope,
    page: PageRequest,
    *,
    kind: str | None = None,
    assignment_id: str | None = None,
    recipient_id: str | None = None,
    where: Filter | None = None,
    sort: Sort = (),
) -> Paged[Any]:
    query = notifications_query(
        scope, kind=kind, assignment_id=assignment_id, recipient_id=recipient_id, where=where
    )
    return await fetch_page(session, query, notification_order(sort), page, NOTIFICATION_AGGREGATES)


# --- hub fields: many people's or organisations' lists in one statement --------------------

OWNER_COLUMNS: dict[str, Column] = {
    "mentor": Assignment.mentor_id,
    "mentee": Assignment.mentee_id,
    "coordinator": Assignment.coordinator_id,
    "org": Assignment.org_id,
}


def _assignment_shape(spec: AssignmentList) -> ListShape:
    return ListShape(
        query=assignment_query(spec.scope, spec.filters),
        owner=OWNER_COLUMNS[spec.owner_column],
        order=assignment_order(spec.filters, LIST_ORDER),
        row_id=Assignment.id,
        load=select(ASSIGNMENT_ROW),
        aggregates=ASSIGNMENT_AGGREGATES,
    )


async def assignment_pages(
    session: AsyncSession, keys: Sequence[OwnedPage[AssignmentList]]
) -> list[Paged[Any]]:
    """Each owner's page of assignments (one statement per distinct list)."""
    return await load_pages(session, keys, _assignment_shape)


async def open_counts(
    session: AsyncSession, scope: AssignmentScope, mentor_ids: Sequence[str]
) -> list[int]:
    """Open assignments ``scope`` covers of each mentor; one statement."""
    query = assignment_query(scope, Filters(status=OPEN))
    counts = await counts_per_owner(session, query, Assignment.mentor_id, mentor_ids)
    return [counts[mentor] for mentor in mentor_ids]


async def overdue_pages(
    session: AsyncSession, scope: AssignmentScope, keys: Sequence[OverdueKey]
) -> list[Paged[Any]]:
    """Every organisation's page of ``list_overdue`` (oldest contact first, or as its
    ``sort``). One statement per page, filter and order: each organisation's own cutoff
    goes into one ``gap_before`` condition (an organisation asked twice with different
    cutoffs, e.g. under two aliases, goes into a second statement)."""
    now = utcnow()
    batches: list[tuple[PageRequest, Filters, dict[str, datetime]]] = []
    batch_of: list[int] = []
    for key in keys:
        cutoff = key.cutoff if key.cutoff is not None else now - timedelta(days=key.days or 0)
        filters = Filters(status=OPEN, where=key.where, sort=key.sort)
        index = next(
            (
                i
                for i, (page, listed, cutoffs) in enumerate(batches)
                if page == key.page
                and listed == filters
                and cutoffs.get(key.org_id, cutoff) == cutoff
            ),
            len(batches),
        )
        if index == len(batches):
            batches.append((key.page, filters, {}))
        batches[index][2][key.org_id] = cutoff
        batch_of.append(index)
    found: dict[tuple[int, str], Paged[Any]] = {}
    for index, (page, filters, cutoffs) in enumerate(batches):
        due = gap_before(cutoffs, min(cutoffs.values()))
        shape = ListShape(
            query=assignment_query(scope, filters).where(due),
            owner=Assignment.org_id,
            order=assignment_order(filters, OVERDUE_ORDER),
            row_id=Assignment.id,
            load=select(ASSIGNMENT_ROW),
            aggregates=ASSIGNMENT_AGGREGATES,
        )
        pages = await pages_per_owner(session, shape, list(cutoffs), page)
        found.update({(index, org): paged for org, paged in pages.items()})
    return [found[(index, key.org_id)] for index, key in zip(batch_of, keys, strict=True)]


def _notification_shape(spec: NotificationList) -> ListShape:
    owner = aliased(Assignment)
    return ListShape(
        query=notifications_query(spec.scope, kind=spec.kind, where=spec.where).join(
            owner, owner.id == Notification.assignment_id
        ),
        owner=owner.org_id,
        order=notification_order(spec.sort),
        row_id=Notification.id,
        load=select(NOTIFICATION_ROW),
        aggregates=NOTIFICATION_AGGREGATES,
    )


async def notification_pages(
    session: AsyncSession, keys: Sequence[OwnedPage[NotificationList]]
) -> list[Paged[Any]]:
    """Each organisation's page of notifications, newest first."""
    return await load_pages(session, keys, _notification_shape)
