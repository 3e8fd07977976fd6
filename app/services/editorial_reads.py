"""The editorial read model: records, and the batch readers every path uses.

Records are built from Core rows (``app/repositories/editorial.py``,
``editorial_locks.py``); the writes' use cases answer records too, so no entity reaches a
door. CEO has no per-item visibility: the readers apply the ACL predicates of
``app/services/policy.py`` (EDITORIAL) for the caller, and a caller without them gets
``None`` (or nothing) for every key, as for a key that names nothing.

People reached through an assignment or a lock in GraphQL (``users``, ``creator``,
``holder``) are ``people_reads`` records: in full, or the directory card (id + name) for a
caller who may not open them. The REST ``/v3`` shapes name editorial users
(``UserRecord``: CEO id and uuid, person id, name) as the contract does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import Principal
from app.events import Event
from app.repositories import editorial as repo
from app.repositories import editorial_locks as locks
from app.services import people_reads
from app.services.editorial_format import srn
from app.services.people_reads import PersonRecord
from app.services.policy import (
    sees_editorial_assignments,
    sees_editorial_locks,
    sees_editorial_users,
)
from app.services.reading import batch_reader
from app.timeutil import parse_datetime


@dataclass(frozen=True, slots=True)
class EditorialAssignmentRecord:
    id: int
    uuid: str
    slug: str
    type: str
    title: str
    abstract: str
    content: str
    notes: str
    created_at: datetime
    modified_at: datetime
    published_at: datetime | None
    due_at: datetime | None
    creator_id: int
    issue_id: int | None

    @property
    def srn(self) -> str:
        return srn("assignment", self.uuid)

    @classmethod
    def of(cls, row: Any) -> EditorialAssignmentRecord:
        """The record of an assignment row (a Core row or a just-written entity)."""
        return cls(
            id=row.id,
            uuid=row.uuid,
            slug=row.slug,
            type=row.type,
            title=row.title,
            abstract=row.abstract,
            content=row.content,
            notes=row.notes,
            created_at=row.created_at,
            modified_at=row.modified_at,
            published_at=row.published_at,
            due_at=row.due_at,
            creator_id=row.creator_id,
            issue_id=row.issue_id,
        )


@dataclass(frozen=True, slots=True)
class IssueRecord:
    id: int
    uuid: str
    label: str
    published_at: datetime | None
    created_at: datetime
    modified_at: datetime

    @classmethod
    def of(cls, row: Any) -> IssueRecord:
        return cls(
            id=row.id,
            uuid=row.uuid,
            label=row.label,
            published_at=row.published_at,
            created_at=row.created_at,
            modified_at=row.modified_at,
        )


@dataclass(frozen=True, slots=True)
class ContentItemRecord:
    id: int
    uuid: str
    type: str
    slug: str
    title: str
    created_at: datetime
    modified_at: datetime

    @classmethod
    def of(cls, row: Any) -> ContentItemRecord:
        return cls(
            id=row.id,
            uuid=row.uuid,
            type=row.type,
            slug=row.slug,
            title=row.title,
            created_at=row.created_at,
            modified_at=row.modified_at,
        )


@dataclass(frozen=True, slots=True)
class UserRecord:
    """An editorial user (a CEO identity) with their directory person's id and name."""

    id: int
    uuid: str
    person_id: str
    name: str

    @classmethod
    def of(cls, row: Any) -> UserRecord:
        return cls(id=row.id, uuid=row.uuid, person_id=row.person_id, name=row.name)


@dataclass(frozen=True, slots=True)
class LockRecord:
    srn: str
    uuid: str
    user_id: int
    created_at: datetime
    modified_at: datetime
    expires_at: datetime

    @classmethod
    def of(cls, row: Any) -> LockRecord:
        return cls(
            srn=row.srn,
            uuid=row.uuid,
            user_id=row.user_id,
            created_at=row.created_at,
            modified_at=row.modified_at,
            expires_at=row.expires_at,
        )


@dataclass(frozen=True, slots=True)
class LockView:
    """A lock with its holder (``None`` once the holder's directory entry is gone)."""

    lock: LockRecord
    holder: UserRecord | None


@dataclass(frozen=True, slots=True)
class AssignmentView:
    """An assignment with everything its CEO representation shows."""

    assignment: EditorialAssignmentRecord
    issue: IssueRecord | None
    users: list[UserRecord]
    children: list[ContentItemRecord]
    lock: LockView | None


def _optional(convert: Any, rows: Sequence[Any | None]) -> list[Any]:
    return [None if row is None else convert(row) for row in rows]


# --- batch readers -------------------------------------------------------------------------


@batch_reader
async def assignments_by_uuids(
    session: AsyncSession, who: Principal, uuids: Sequence[str]
) -> list[EditorialAssignmentRecord | None]:
    """Live assignments by (upper-case) uuid, for ``node(id)``."""
    if not sees_editorial_assignments(who):
        return [None] * len(uuids)
    return _optional(EditorialAssignmentRecord.of, await repo.assignment_rows(session, uuids))


@batch_reader
async def issues_by_ids(
    session: AsyncSession, who: Principal, ids: Sequence[int]
) -> list[IssueRecord | None]:
    """An assignment's issue."""
    if not sees_editorial_assignments(who):
        return [None] * len(ids)
    return _optional(IssueRecord.of, await repo.issues_by_ids(session, ids))


@batch_reader
async def issues_by_uuids(
    session: AsyncSession, who: Principal, uuids: Sequence[str]
) -> list[IssueRecord | None]:
    if not sees_editorial_assignments(who):
        return [None] * len(uuids)
    return _optional(IssueRecord.of, await repo.issues_by_uuids(session, uuids))


@batch_reader
async def content_by_uuids(
    session: AsyncSession, who: Principal, uuids: Sequence[str]
) -> list[ContentItemRecord | None]:
    if not sees_editorial_assignments(who):
        return [None] * len(uuids)
    return _optional(ContentItemRecord.of, await repo.content_by_uuids(session, uuids))


@batch_reader
async def children_of_assignments(
    session: AsyncSession, who: Principal, assignment_ids: Sequence[int]
) -> list[list[ContentItemRecord]]:
    """Each assignment's content items, in the order given."""
    if not sees_editorial_assignments(who):
        return [[] for _ in assignment_ids]
    found = await repo.children_of_assignments(session, assignment_ids)
    return [[ContentItemRecord.of(row) for row in rows] for rows in found]


@batch_reader
async def people_of_assignments(
    session: AsyncSession, who: Principal, assignment_ids: Sequence[int]
) -> list[list[PersonRecord]]:
    """Each assignment's users as directory people (in full or as cards), in order."""
    if not sees_editorial_assignments(who):
        return [[] for _ in assignment_ids]
    found = await repo.person_ids_of_assignments(session, assignment_ids)
    people = await _people(session, who, [p for person_ids in found for p in person_ids])
    return [[people[p] for p in person_ids if p in people] for person_ids in found]


async def _people(
    session: AsyncSession, who: Principal, person_ids: Sequence[str]
) -> dict[str, PersonRecord]:
    wanted = list(dict.fromkeys(person_ids))
    if not wanted:
        return {}
    found = await people_reads.people_by_ids(session, who, wanted)
    return {record.id: record for record in found if record is not None}


async def _people_of_users(
    session: AsyncSession, who: Principal, user_ids: Sequence[int]
) -> list[PersonRecord | None]:
    if not sees_editorial_users(who):
        return [None] * len(user_ids)
    person_of = await repo.person_ids_of_users(session, user_ids)
    people = await _people(session, who, list(person_of.values()))
    return [people.get(person_of.get(user_id, "")) for user_id in user_ids]


@batch_reader
async def creators_by_ids(
    session: AsyncSession, who: Principal, user_ids: Sequence[int]
) -> list[PersonRecord | None]:
    """The directory people of editorial users (an assignment's creator)."""
    return await _people_of_users(session, who, user_ids)


@batch_reader
async def lock_holders_by_ids(
    session: AsyncSession, who: Principal, user_ids: Sequence[int]
) -> list[PersonRecord | None]:
    """The same look-up as ``creators_by_ids``, as its own reader: lock holders load one
    level deeper than creators, so they get their own DataLoader (one batch per relation,
    whatever the page size, never answered from another relation's cache)."""
    return await _people_of_users(session, who, user_ids)


@batch_reader
async def locks_of_assignments(
    session: AsyncSession, who: Principal, srns: Sequence[str]
) -> list[LockRecord | None]:
    """The unexpired lock of each assignment srn: part of the assignment, so whoever sees
    the assignment sees it."""
    if not sees_editorial_assignments(who):
        return [None] * len(srns)
    return _optional(LockRecord.of, await locks.active_by_srns(session, srns))


@batch_reader
async def locks_by_uuids(
    session: AsyncSession, who: Principal, uuids: Sequence[str]
) -> list[LockRecord | None]:
    """Unexpired locks by lock-request uuid (``node(id)``)."""
    if not sees_editorial_locks(who):
        return [None] * len(uuids)
    return _optional(LockRecord.of, await locks.active_by_uuids(session, uuids))


# --- views for the REST shapes -------------------------------------------------------------


async def lock_view(session: AsyncSession, lock: Any) -> LockView:
    """A lock row (or record) with its holder."""
    (holder,) = await repo.users_by_ids(session, [lock.user_id])
    return LockView(LockRecord.of(lock), None if holder is None else UserRecord.of(holder))


async def expand(
    session: AsyncSession, records: Sequence[EditorialAssignmentRecord]
) -> list[AssignmentView]:
    """Each assignment with its issue, users, children and lock: five queries in all (the
    caller has passed the use case's ACL check)."""
    ids = [record.id for record in records]
    issue_ids = sorted({r.issue_id for r in records if r.issue_id is not None})
    issues = {
        row.id: IssueRecord.of(row)
        for row in await repo.issues_by_ids(session, issue_ids)
        if row is not None
    }
    users = await repo.users_of_assignments(session, ids)
    children = await repo.children_of_assignments(session, ids)
    active = await locks.active_by_srns(session, [record.srn for record in records])
    holder_ids = sorted({lock.user_id for lock in active if lock is not None})
    holders = {
        row.id: UserRecord.of(row)
        for row in await repo.users_by_ids(session, holder_ids)
        if row is not None
    }
    return [
        AssignmentView(
            assignment=record,
            issue=issues.get(record.issue_id) if record.issue_id is not None else None,
            users=[UserRecord.of(row) for row in users[i]],
            children=[ContentItemRecord.of(row) for row in children[i]],
            lock=None if lock is None else LockView(LockRecord.of(lock), holders.get(lock.user_id)),
        )
        for i, (record, lock) in enumerate(zip(records, active, strict=True))
    ]


# --- lock changes (subscriptions) ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LockChangeRecord:
    """A committed lock change as a subscriber sees it."""

    kind: str
    srn: str
    lock_uuid: str
    holder_id: str | None
    expires_at: datetime | None


def lock_change_for(who: Principal, event: Event, srn: str | None) -> LockChangeRecord | None:
    """The per-event check of ``lockChanged``: the change if ``who`` may see lock changes
    and it concerns ``srn`` (any srn when ``None``), else ``None``."""
    if not sees_editorial_locks(who) or (srn is not None and event.key != srn):
        return None
    expires = event.payload.get("expires_at")
    return LockChangeRecord(
        kind=event.action,
        srn=event.key,
        lock_uuid=event.payload["uuid"],
        holder_id=event.payload.get("person_id"),
        expires_at=parse_datetime(expires) if expires else None,
    )
