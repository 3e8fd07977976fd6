"""The milestones' read model: records, the list vocabulary, and the batch readers every
path uses (REST, GraphQL roots, relations, the person hub, ``node(id)``, subscriptions).

A milestone is seen by admins, its mentor, and coordinators of an organisation the mentor
belongs to (``policy.sees_mentor_records``); a list shows what ``policy.milestone_scope``
allows. A record the caller may not see answers ``None``, exactly as one that does not
exist (or is deleted). The catalogue (definitions) is open to every signed-in caller.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import Principal
from app.listing import Filter, Sort
from app.models.milestones import MilestoneStatus, MilestoneType
from app.pagination import Paged, PageRequest
from app.repositories import milestones as repo
from app.services.policy import milestone_scope, sees_mentor_records
from app.services.reading import batch_reader

__all__ = [
    "MentorMilestonePage",
    "MilestoneDefinitionRecord",
    "MilestoneFilters",
    "MilestoneRecord",
    "MilestoneStatus",
    "MilestoneType",
    "definitions_by_ids",
    "mentees_helped",
    "milestone_pages",
    "milestones_by_ids",
]


@dataclass(frozen=True, slots=True)
class MilestoneDefinitionRecord:
    """A catalogue entry."""

    id: str
    type: str
    threshold: int
    name: str
    badge: str
    active: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: Any) -> MilestoneDefinitionRecord:
        """The record of a definition row (a Core row or a just-written entity)."""
        return cls(
            id=row.id,
            type=row.type,
            threshold=row.threshold,
            name=row.name,
            badge=row.badge,
            active=row.active,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


@dataclass(frozen=True, slots=True)
class MilestoneRecord:
    """A mentor's milestone in a period, with its definition's ``name``, ``type``,
    ``threshold`` and ``badge``."""

    id: str
    mentor_id: str
    definition_id: str
    period_start: date
    period_end: date
    status: str
    value: float
    achieved_at: datetime | None
    detected_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime
    name: str
    type: str
    threshold: int
    badge: str

    @property
    def achieved(self) -> bool:
        return self.status == MilestoneStatus.ACHIEVED

    @classmethod
    def of_row(cls, row: Any) -> MilestoneRecord:
        """The record of a Core row of ``repo.MILESTONE_COLUMNS``."""
        return cls(
            id=row.id,
            mentor_id=row.mentor_id,
            definition_id=row.definition_id,
            period_start=row.period_start,
            period_end=row.period_end,
            status=row.status,
            value=row.value,
            achieved_at=row.achieved_at,
            detected_at=row.detected_at,
            version=row.version,
            created_at=row.created_at,
            updated_at=row.updated_at,
            name=row.name,
            type=row.type,
            threshold=row.threshold,
            badge=row.badge,
        )

    @classmethod
    def of(cls, entity: Any) -> MilestoneRecord:
        """The record of a just-written entity (its definition loaded with it)."""
        definition = entity.definition
        return cls(
            id=entity.id,
            mentor_id=entity.mentor_id,
            definition_id=entity.definition_id,
            period_start=entity.period_start,
            period_end=entity.period_end,
            status=entity.status,
            value=entity.value,
            achieved_at=entity.achieved_at,
            detected_at=entity.detected_at,
            version=entity.version,
            created_at=entity.created_at,
            updated_at=entity.updated_at,
            name=definition.name,
            type=definition.type,
            threshold=definition.threshold,
            badge=definition.badge,
        )


@dataclass(frozen=True, slots=True)
class MilestoneFilters:
    """What a client narrows a milestones list by (``None``: no filter), a filter and an
    order (hashable: part of a hub's DataLoader key)."""

    mentor_id: str | None = None
    status: str | None = None
    type: str | None = None
    period_from: date | None = None  # periods overlapping [period_from, period_to]
    period_to: date | None = None
    achieved_from: datetime | None = None  # achieved_at in [achieved_from, achieved_to)
    achieved_to: datetime | None = None
    where: Filter | None = None  # a GraphQL ``filter`` (``app.listing``)
    sort: Sort = ()  # a GraphQL ``orderBy``; empty: the list's own order


@dataclass(frozen=True, slots=True)
class MentorMilestonePage:
    """A key of ``milestone_pages``: one page of a mentor's milestones list."""

    mentor_id: str
    filters: MilestoneFilters
    page: PageRequest


async def mentor_orgs(session: AsyncSession, mentor_id: str) -> set[str]:
    """The organisations a mentor belongs to: the facts the milestone rules decide on."""
    return (await repo.mentor_orgs(session, [mentor_id])).get(mentor_id, set())


async def visible_mentors(
    session: AsyncSession, who: Principal, mentor_ids: Sequence[str]
) -> set[str]:
    """The mentors among ``mentor_ids`` whose records ``who`` may see. Their organisations
    are loaded (one statement) only for mentors the rule does not show without them."""
    wanted = set(mentor_ids)
    shown = {m for m in wanted if sees_mentor_records(who, m, ())}
    rest = sorted(wanted - shown)
    if rest:
        orgs = await repo.mentor_orgs(session, rest)
        shown |= {m for m in rest if sees_mentor_records(who, m, orgs.get(m, ()))}
    return shown


@batch_reader
async def milestones_by_ids(
    session: AsyncSession, who: Principal, ids: Sequence[str]
) -> list[MilestoneRecord | None]:
    """Live milestones by id, as ``who`` may see them (``None``: hidden or none)."""
    rows = await repo.milestone_rows_by_ids(session, ids)
    shown = await visible_mentors(session, who, [row.mentor_id for row in rows])
    found = {row.id: MilestoneRecord.of_row(row) for row in rows if row.mentor_id in shown}
    return [found.get(key) for key in ids]


@batch_reader
async def definitions_by_ids(
    session: AsyncSession, who: Principal, ids: Sequence[str]
) -> list[MilestoneDefinitionRecord | None]:
    """Catalogue entries by id (retired ones too): open to every signed-in caller."""
    rows = await repo.definition_rows_by_ids(session, ids)
    found = {row.id: MilestoneDefinitionRecord.of(row) for row in rows}
    return [found.get(key) for key in ids]


@batch_reader
async def milestone_pages(
    session: AsyncSession, who: Principal, keys: Sequence[MentorMilestonePage]
) -> list[Paged[MilestoneRecord]]:
    """Each mentor's page of the milestones list ``who`` may see (the person hub's
    ``milestones``); one statement per distinct filters and page among ``keys``."""
    scope = milestone_scope(who)
    groups: dict[tuple[MilestoneFilters, PageRequest], list[str]] = {}
    for key in keys:
        groups.setdefault((key.filters, key.page), []).append(key.mentor_id)
    found: dict[tuple[MilestoneFilters, PageRequest, str], Paged[MilestoneRecord]] = {}
    for (filters, page), mentors in groups.items():
        pages = await repo.pages_per_mentor(session, scope, filters, mentors, page)
        for mentor, paged in pages.items():
            found[(filters, page, mentor)] = paged.map(MilestoneRecord.of_row)
    return [found[(key.filters, key.page, key.mentor_id)] for key in keys]


@batch_reader
async def mentees_helped(
    session: AsyncSession, who: Principal, keys: Sequence[tuple[str, date, date]]
) -> list[int]:
    """How many distinct mentees each ``(mentor_id, start, end)`` key's mentor helped in
    the period (what detection counts as contacts); 0 for a mentor whose records ``who``
    may not see."""
    shown = await visible_mentors(session, who, [mentor for mentor, _start, _end in keys])
    visible = [key for key in keys if key[0] in shown]
    counts = dict(zip(visible, await repo.mentees_helped(session, visible), strict=True))
    return [counts.get(key, 0) for key in keys]
