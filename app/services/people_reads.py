"""The people directory's read model: records, and the batch readers every path uses.

A person is seen **in full** (email, roles, memberships, timestamps) by the callers who may
open them at ``/api/v1/people/{id}``: admins, the person themselves, and coordinators of an
organisation the person belongs to (``policy.sees_person_in_full``). Anyone else who
reaches a person through a record they may see (a peer mentor's mentee and coordinator,
an activity's mentor, an editorial item's users) sees only the **directory card**: the id
and the name, as the REST shim's ``mentee_name`` does (docs/decisions.md).

Readers: ``people_by_ids`` (relations: in full or a card), ``people_in_full`` (``node(id)``
and the person's own route: ``None`` for a card), ``orgs_by_ids`` (relations: each marked
``seen`` or not), ``orgs_seen_by_ids`` (``node(id)``, the organisation's own route),
``memberships_of_people``;
pages: ``people_page`` (``people``, ``/api/v1/people``), ``members_pages`` (an
organisation's ``people``), ``orgs_page``. Lists apply ``policy.listed_people`` and
``policy.listed_organisations``; every record leaves as a frozen record, never an ORM object.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import Principal
from app.listing import Filter, Sort
from app.pagination import Paged, PageRequest
from app.repositories import people as repo
from app.repositories.grouped import OwnedPage
from app.services.policy import (
    full_people_scope,
    listed_organisations,
    listed_people,
    sees_organisation,
)
from app.services.reading import batch_reader


@dataclass(frozen=True, slots=True)
class PersonRecord:
    """A person as the caller may see them: ``full`` is False for a directory card, whose
    private fields (``email``, ``roles``, the timestamps) are ``None``."""

    id: str
    name: str
    email: str | None
    roles: tuple[str, ...] | None
    created_at: datetime | None
    updated_at: datetime | None
    full: bool = True

    @classmethod
    def of(cls, row: Any) -> PersonRecord:
        """The full record of a person row (a Core row or a just-written ORM object)."""
        return cls(
            id=row.id,
            name=row.name,
            email=row.email,
            roles=tuple(row.roles),
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    def card(self) -> PersonRecord:
        """Only what every caller who reaches this person through a record may see."""
        return replace(self, email=None, roles=None, created_at=None, updated_at=None, full=False)


@dataclass(frozen=True, slots=True)
class OrgRecord:
    """An organisation; ``seen`` is False when the caller reached it through a relation
    but may not open it (``policy.sees_organisation``): the doors then show no
    organisation, while its thresholds still drive the referring record's follow-up rule."""

    id: str
    name: str
    reminder_days: int | None
    escalation_days: int | None
    created_at: datetime
    seen: bool = True

    @classmethod
    def of(cls, row: Any) -> OrgRecord:
        return cls(
            id=row.id,
            name=row.name,
            reminder_days=row.reminder_days,
            escalation_days=row.escalation_days,
            created_at=row.created_at,
        )


@dataclass(frozen=True, slots=True)
class MembershipRecord:
    person_id: str
    org_id: str
    role: str

    @classmethod
    def of(cls, row: Any) -> MembershipRecord:
        return cls(person_id=row.person_id, org_id=row.org_id, role=row.role)


@batch_reader
async def people_by_ids(
    session: AsyncSession, who: Principal, ids: Sequence[str]
) -> list[PersonRecord | None]:
    """People reached through a relation: in full or as a card, as ``who`` may see them."""
    scope = full_people_scope(who)
    rows = await repo.person_rows(
        session,
        ids,
        everyone=scope.everyone,
        me=who.person_id,
        orgs=scope.org_ids,
    )
    found: dict[str, PersonRecord] = {}
    for row in rows:
        record = PersonRecord.of(row)
        found[row.id] = record if row.full else record.card()
    return [found.get(person_id) for person_id in ids]


@batch_reader
async def orgs_by_ids(
    session: AsyncSession, who: Principal, ids: Sequence[str]
) -> list[OrgRecord | None]:
    """Organisations reached through a relation (an assignment's, a membership's), each
    marked ``seen`` as ``who`` may open it at its own route (one statement either way)."""
    found = {
        row.id: replace(OrgRecord.of(row), seen=sees_organisation(who, row.id))
        for row in await repo.org_rows(session, ids)
    }
    return [found.get(org_id) for org_id in ids]


@batch_reader
async def memberships_of_people(
    session: AsyncSession, who: Principal, person_ids: Sequence[str]
) -> list[list[MembershipRecord] | None]:
    """Each person's memberships, or ``None`` for a person ``who`` sees only as a card."""
    full = {
        record.id
        for record in await people_by_ids(session, who, person_ids)
        if record is not None and record.full
    }
    grouped: dict[str, list[MembershipRecord]] = defaultdict(list)
    for row in await repo.membership_rows(session, [p for p in person_ids if p in full]):
        grouped[row.person_id].append(MembershipRecord.of(row))
    return [grouped.get(p, []) if p in full else None for p in person_ids]


@batch_reader
async def people_in_full(
    session: AsyncSession, who: Principal, ids: Sequence[str]
) -> list[PersonRecord | None]:
    """People ``who`` may open (``node(id)``): ``None`` for a person seen only as a card."""
    return [
        record if record is not None and record.full else None
        for record in await people_by_ids(session, who, ids)
    ]


async def person_in_full(
    session: AsyncSession, who: Principal, person_id: str
) -> PersonRecord | None:
    """One person as ``people_in_full`` answers (a root field's, a REST route's)."""
    return (await people_in_full(session, who, [person_id]))[0]


@batch_reader
async def orgs_seen_by_ids(
    session: AsyncSession, who: Principal, ids: Sequence[str]
) -> list[OrgRecord | None]:
    """Organisations ``who`` may open (``policy.sees_organisation``), else ``None``."""
    seen = [org_id for org_id in ids if sees_organisation(who, org_id)]
    rows = await repo.org_rows(session, seen) if seen else ()
    found = {row.id: OrgRecord.of(row) for row in rows}
    return [found.get(org_id) for org_id in ids]


# --- lists ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PeopleList:
    """The filters of a list of people (by name): part of the name, a directory role, a
    filter and an order (hashable: part of a hub's DataLoader key)."""

    search: str | None = None
    role: str | None = None
    where: Filter | None = None  # a GraphQL ``filter`` (``app.listing``)
    sort: Sort = ()  # a GraphQL ``orderBy``; empty: by name


@dataclass(frozen=True, slots=True)
class MembersPage:
    """A hub list's key: one page of an organisation's members, filtered."""

    org_id: str
    filters: PeopleList
    page: PageRequest


async def people_page(
    session: AsyncSession,
    who: Principal,
    filters: PeopleList,
    page: PageRequest,
    *,
    org_id: str | None = None,
) -> Paged[PersonRecord]:
    """A page of the people ``who`` may list (``policy.listed_people``; only members of
    ``org_id``), by name (or the filters' order)."""
    scope = listed_people(who)
    org_ids: set[str] | None = {org_id} if org_id else None
    if scope.org_ids is not None:
        org_ids = (org_ids or set(scope.org_ids)) & set(scope.org_ids)
    query = repo.people_query(
        org_ids=org_ids,
        only=scope.only,
        search=filters.search,
        role=filters.role,
        where=filters.where,
    )
    return (await repo.people_page(session, query, page, filters.sort)).map(PersonRecord.of)


@batch_reader
async def members_pages(
    session: AsyncSession, who: Principal, keys: Sequence[MembersPage]
) -> list[Paged[PersonRecord]]:
    """Each organisation's page of the members ``who`` may list, by name: one statement
    for every organisation asking the same page and filters."""
    scope = listed_people(who)
    owned = [OwnedPage(k.org_id, k.filters, k.page) for k in keys]
    pages = await repo.member_row_pages(session, owned, org_ids=scope.org_ids, only=scope.only)
    return [paged.map(PersonRecord.of) for paged in pages]


async def orgs_page(
    session: AsyncSession,
    who: Principal,
    page: PageRequest,
    *,
    where: Filter | None = None,
    sort: Sort = (),
) -> Paged[OrgRecord]:
    """A page of the organisations ``who`` may open, matching ``where``, by name (or in
    ``sort``)."""
    paged = await repo.org_row_page(
        session, page, only=listed_organisations(who), where=where, sort=sort
    )
    return paged.map(OrgRecord.of)
