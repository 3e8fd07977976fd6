"""The activities' read model: records, the list vocabulary, and the batch readers every
path uses (REST, GraphQL roots, relations, hubs, ``node(id)``).

An activity is seen by admins, its mentor, and coordinators of one of the mentor's
organisations (``policy.sees_mentor_records``; lists: ``policy.activity_scope``). The
readers load the mentor's organisations in their batch, only when the rule needs them.
The activity-type catalogue is open to everyone signed in. A mentor's yearly summary
follows the mentor's activities' rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import Principal
from app.errors import BadRequest, DomainError
from app.listing import Filter, Sort
from app.models.activities import ActivityStatus
from app.pagination import Paged, PageRequest
from app.repositories import activities as repo
from app.repositories import milestones as milestones_repo
from app.repositories.grouped import OwnedPage
from app.services.activity_rules import mentors_orgs
from app.services.activity_totals import ActivityTotals, totals_of_mentors
from app.services.milestone_rules import check_period
from app.services.policy import ActivityScope, activity_scope, sees_mentor_records
from app.services.reading import batch_reader
from app.timeutil import utcnow

__all__ = [
    "ActivityFilters",
    "ActivityList",
    "ActivityPageKey",
    "ActivityRecord",
    "ActivityScope",
    "ActivityStatus",
    "ActivityTypeRecord",
    "YearSummaryRecord",
    "activities_by_ids",
    "activity_pages",
    "activity_types_by_ids",
    "yearly_summaries",
]


@dataclass(frozen=True, slots=True)
class ActivityRecord:
    id: str
    local_id: str
    peer_mentor_id: str
    activity_type_id: str
    date: date
    duration_minutes: int
    status: str
    notes: str | None
    rejection_reason: str | None
    decided_by: str | None
    decided_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: Any) -> ActivityRecord:
        """The record of an activity row (a Core row or a just-written ORM object)."""
        return cls(
            id=row.id,
            local_id=row.local_id,
            peer_mentor_id=row.peer_mentor_id,
            activity_type_id=row.activity_type_id,
            date=row.date,
            duration_minutes=row.duration_minutes,
            status=row.status,
            notes=row.notes,
            rejection_reason=row.rejection_reason,
            decided_by=row.decided_by,
            decided_at=row.decided_at,
            version=row.version,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


@dataclass(frozen=True, slots=True)
class ActivityTypeRecord:
    id: str
    name: str
    description: str | None
    active: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: Any) -> ActivityTypeRecord:
        return cls(
            id=row.id,
            name=row.name,
            description=row.description,
            active=row.active,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


@dataclass(frozen=True, slots=True)
class YearSummaryRecord:
    """A mentor's year: confirmed activities (``mentorActivityTotals``) and the distinct
    mentees they helped (what milestone detection counts)."""

    year: int
    totals: ActivityTotals
    people_helped: int


# --- the list vocabulary ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ActivityFilters:
    """The documented filters of an activities list (``None``: not filtered), a filter
    and an order."""

    peer_mentor_id: str | None = None
    start: date | None = None
    end: date | None = None
    status: ActivityStatus | None = None
    activity_type_id: str | None = None
    where: Filter | None = None  # a GraphQL ``filter`` (``app.listing``)
    sort: Sort = ()  # a GraphQL ``orderBy``; empty: newest first

    def checked(self) -> ActivityFilters:
        """These filters, or 400 when ``start`` lies after ``end``."""
        if self.start is not None and self.end is not None and self.start > self.end:
            raise BadRequest("'from' must not lie after 'to'")
        return self


@dataclass(frozen=True, slots=True)
class ActivityList:
    """A list as the repository runs it: the caller's scope and the filters."""

    scope: ActivityScope
    filters: ActivityFilters


@dataclass(frozen=True, slots=True)
class ActivityPageKey:
    """A hub's key: one page of a mentor's activities, filtered (checked filters)."""

    mentor_id: str
    filters: ActivityFilters
    page: PageRequest


# --- batch readers ----------------------------------------------------------------------


@batch_reader
async def activities_by_ids(
    session: AsyncSession, who: Principal, ids: Sequence[str]
) -> list[ActivityRecord | None]:
    """Live activities, ``None`` for those ``who`` may not see (as for unknown ids)."""
    rows = await repo.activity_rows(session, ids)
    orgs = await mentors_orgs(session, who, [row.peer_mentor_id for row in rows])
    found = {
        row.id: ActivityRecord.of(row)
        for row in rows
        if sees_mentor_records(who, row.peer_mentor_id, orgs.get(row.peer_mentor_id, ()))
    }
    return [found.get(activity_id) for activity_id in ids]


@batch_reader
async def activity_types_by_ids(
    session: AsyncSession, who: Principal, ids: Sequence[str]
) -> list[ActivityTypeRecord | None]:
    """Catalogue entries (open to everyone signed in; retired ones included)."""
    found = {
        row.id: ActivityTypeRecord.of(row) for row in await repo.activity_type_rows(session, ids)
    }
    return [found.get(type_id) for type_id in ids]


async def list_page(
    session: AsyncSession, who: Principal, filters: ActivityFilters, page: PageRequest
) -> Paged[ActivityRecord]:
    """One page of the activities ``who`` may see, filtered, newest first."""
    listed = ActivityList(activity_scope(who), filters)
    paged = await repo.list_activities(session, listed, page)
    return paged.map(ActivityRecord.of)


@batch_reader
async def activity_pages(
    session: AsyncSession, who: Principal, keys: Sequence[ActivityPageKey]
) -> list[Paged[ActivityRecord]]:
    """Hub pages: each mentor's activities ``who`` may see (the list's scope and order);
    one statement per distinct filter and page."""
    scope = activity_scope(who)
    owned = [OwnedPage(k.mentor_id, ActivityList(scope, k.filters), k.page) for k in keys]
    return [paged.map(ActivityRecord.of) for paged in await repo.activity_pages(session, owned)]


@batch_reader
async def yearly_summaries(
    session: AsyncSession, who: Principal, keys: Sequence[tuple[str, int | None]]
) -> list[YearSummaryRecord | DomainError | None]:
    """Each ``(mentor_id, year)`` key's summary (``None`` year: this year); ``None`` when
    ``who`` may not see the mentor's activities. A visible key with a year out of range
    answers its error (the DataLoader raises it for that key alone)."""
    orgs = await mentors_orgs(session, who, [mentor for mentor, _ in keys])
    periods: dict[tuple[str, int | None], tuple[str, date, date]] = {}
    answers: dict[tuple[str, int | None], YearSummaryRecord | DomainError | None] = {}
    for mentor_id, year in keys:
        if not sees_mentor_records(who, mentor_id, orgs.get(mentor_id, ())):
            answers[(mentor_id, year)] = None
            continue
        try:
            period = check_period(utcnow().year if year is None else year, None, None, prefix="")
        except DomainError as error:
            answers[(mentor_id, year)] = error
            continue
        periods[(mentor_id, year)] = (mentor_id, period.start, period.end)
    wanted = list(dict.fromkeys(periods.values()))
    if wanted:
        found = dict(zip(wanted, await totals_of_mentors(session, wanted), strict=True))
        helped = dict(
            zip(wanted, await milestones_repo.mentees_helped(session, wanted), strict=True)
        )
        for key, period_key in periods.items():
            answers[key] = YearSummaryRecord(
                period_key[1].year, found[period_key], helped[period_key]
            )
    return [answers[key] for key in keys]
