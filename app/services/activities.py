"""Activities: reading them, and idempotent offline-first inserts (one or a batch).
Changing them is in ``app.services.activity_changes``.

Sync guarantees (README, "Activities: sync guarantees"):

- ``(peer_mentor_id, local_id)`` is unique. An insert is ``INSERT ... ON CONFLICT DO
  NOTHING``; when the key exists, the stored payload fingerprint decides: the same payload
  is a replay (the original record, ``created=False``), a different one is a 422 on
  ``local_id`` and changes nothing.
- The key's mentor is checked against the caller first, so a ``local_id`` only ever
  reaches records of a mentor the caller may log for.
- ``id``, ``status``, ``version`` and timestamps come from the server. Status changes
  other than "back to pending after the mentor's own edit" are decisions of a coordinator
  of the mentor's organisation (or an admin); a mentor asking for one gets 403.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import Principal, Role
from app.errors import BadRequest, Conflict, DomainError, InvalidInput
from app.events import Event, EventKind
from app.ids import new_id
from app.pagination import Paged, PageRequest
from app.repositories import activities as repo
from app.repositories import people as people_repo
from app.services import activity_rules as rules
from app.services.activity_reads import (
    ActivityFilters,
    ActivityPageKey,
    ActivityRecord,
    ActivityStatus,
    activities_by_ids,
    list_page,
)
from app.services.activity_rules import NewActivity
from app.services.activity_types import require_usable_type
from app.services.policy import (
    hears_activity_event,
    hide_unless,
    require_peer_support_role,
    require_role,
)
from app.services.work import Unit, Work
from app.timeutil import format_datetime, utcnow

TOPIC = EventKind.ACTIVITY_CREATED.topic


@dataclass(frozen=True, slots=True)
class Logged:
    activity: ActivityRecord
    created: bool


@dataclass(frozen=True, slots=True)
class SyncResult:
    index: int
    item: NewActivity
    activity: ActivityRecord | None
    created: bool = False
    error: DomainError | None = None


async def record_event(unit: Unit, kind: EventKind, row: Any, previous: str) -> None:
    """Record ``kind`` for ``row`` in ``unit`` (``_event_payload``, with the mentor's
    organisations as they are now)."""
    orgs = sorted(await people_repo.org_ids_of(unit.session, row.peer_mentor_id))
    unit.record(kind, row.id, _event_payload(row, previous, orgs))


def _event_payload(row: Any, previous: str, orgs: list[str]) -> dict[str, Any]:
    """An activity event's payload: the mentor and their organisations (for
    ``may_see_event``), the status and the one before the change."""
    return {
        "peer_mentor_id": row.peer_mentor_id,
        "org_ids": orgs,
        "status": row.status,
        "previous_status": previous,
        "rejection_reason": row.rejection_reason,
        "at": format_datetime(utcnow()),
    }


def parse_status(text: str) -> ActivityStatus:
    try:
        return ActivityStatus(text)
    except ValueError:
        choices = ", ".join(s.value for s in ActivityStatus)
        raise BadRequest(f"status must be one of {choices}") from None


# --- reading -------------------------------------------------------------------------------


def may_see_event(who: Principal, event: Event) -> bool:
    """Whether an activity event reaches ``who`` (``policy.hears_activity_event``, with the
    mentor's organisations the event carries)."""
    payload = event.payload
    return hears_activity_event(who, payload.get("peer_mentor_id"), payload.get("org_ids", ()))


async def get_activity(
    session: AsyncSession, principal: Principal | None, activity_id: str
) -> ActivityRecord:
    """One activity the caller may see; 404 otherwise, as for an unknown id."""
    who = require_peer_support_role(principal)
    (record,) = await activities_by_ids(session, who, [activity_id])
    hide_unless(record is not None, "Activity", activity_id)
    assert record is not None
    return record


async def list_activities(
    session: AsyncSession,
    principal: Principal | None,
    page: PageRequest,
    filters: ActivityFilters,
) -> Paged[ActivityRecord]:
    """Newest first. Mentors see their own, coordinators their organisations' mentors'
    (and their own), admins all (``policy.activity_scope``); the filters narrow that
    further (400 when ``from`` lies after ``to``)."""
    who = require_peer_support_role(principal)
    return await list_page(session, who, filters.checked(), page)


def mentor_page_key(mentor_id: str, filters: ActivityFilters, page: PageRequest) -> ActivityPageKey:
    """The hub's key for a page of a mentor's activities (400 when ``from`` lies after
    ``to``); ``activity_reads.activity_pages`` answers it with what the caller may see."""
    return ActivityPageKey(mentor_id, filters.checked(), page)


# --- logging (idempotent insert) ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Checked:
    """What a new activity's look-ups found: whose it is, its day and fingerprint, the
    activity its ``local_id`` already names (a replay) and, for a new one, the mentor's
    organisations (its event's payload)."""

    mentor_id: str
    day: date
    digest: str
    existing: Any | None
    orgs: list[str]


async def _check_new(session: AsyncSession, who: Principal, new: NewActivity) -> _Checked:
    day = rules.check_new(new)
    mentor_id = who.person_id if new.peer_mentor_id is None else new.peer_mentor_id
    await rules.require_mentor(session, who, mentor_id)
    digest = rules.request_hash(mentor_id, new, day)
    existing = await repo.by_local_id(session, mentor_id, new.local_id)
    if existing is not None:
        return _Checked(mentor_id, day, digest, existing, [])
    await require_usable_type(session, "activity_type_id", new.activity_type_id)
    orgs = sorted(await people_repo.org_ids_of(session, mentor_id))
    return _Checked(mentor_id, day, digest, None, orgs)


def _replayed(existing: Any, new: NewActivity, digest: str) -> Logged:
    """The activity a replayed ``local_id`` created (409 when it was deleted since, 422
    when the replay's payload differs)."""
    if existing.deleted_at is not None:
        raise Conflict(
            f"local_id {new.local_id!r} belongs to activity {existing.id!r}, which was "
            "deleted; a new activity needs a new local_id"
        )
    if existing.request_hash != digest:
        raise InvalidInput.field(
            "local_id",
            f"was already used for a different activity ({existing.id}); "
            "a new activity needs a new local_id",
        )
    return Logged(ActivityRecord.of(existing), False)


async def log_activity(
    unit: Unit, principal: Principal | None, new: NewActivity, checked: _Checked | None = None
) -> Logged:
    """Create a pending activity, or return the one this ``local_id`` already created.

    A replay (same mentor, ``local_id`` and payload) returns the original record even if
    it was edited or decided since, and even if its activity type was retired since.
    ``checked``: the look-ups :func:`log_new_activity` made before the unit began.
    """
    who = require_role(principal, Role.PEER_MENTOR, Role.COORDINATOR)
    session = unit.session
    if checked is None:
        checked = await _check_new(session, who, new)
    if checked.existing is not None:
        return _replayed(checked.existing, new, checked.digest)
    now = utcnow()
    created = await repo.insert_if_absent(
        session,
        {
            "id": new_id("act"),
            "local_id": new.local_id,
            "peer_mentor_id": checked.mentor_id,
            "activity_type_id": new.activity_type_id,
            "date": checked.day,
            "duration_minutes": new.duration_minutes,
            "status": ActivityStatus.PENDING.value,
            "notes": new.notes,
            "created_by": who.person_id,
            "request_hash": checked.digest,
            "version": 1,
            "created_at": now,
            "updated_at": now,
        },
    )
    if created is not None:
        unit.record(
            EventKind.ACTIVITY_CREATED,
            created.id,
            _event_payload(created, created.status, checked.orgs),
        )
        return Logged(ActivityRecord.of(created), True)
    # Another request logged this local_id since the look-ups: answer as its replay.
    existing = await repo.by_local_id(session, checked.mentor_id, new.local_id)
    assert existing is not None
    return _replayed(existing, new, checked.digest)


async def log_new_activity(work: Work, principal: Principal | None, new: NewActivity) -> Logged:
    """:func:`log_activity` with its look-ups (the mentor, the ``local_id``, the type, the
    mentor's organisations) made in a read session before the write unit begins, so the
    unit holds SQLite's write lock for the insert and its event only, and a replay takes
    no write unit at all. The insert still refuses a ``local_id`` taken meanwhile (the
    unique constraint), answered as a replay; what the look-ups found may change
    meanwhile as it may between any request and the next (a type retired a moment later).
    Inside another unit (an ``Idempotency-Key`` request) the look-ups join that unit."""
    who = require_role(principal, Role.PEER_MENTOR, Role.COORDINATOR)
    async with work.db.read() as session:
        checked = await _check_new(session, who, new)
    if checked.existing is not None:
        return _replayed(checked.existing, new, checked.digest)
    return await work.run(log_activity, principal, new, checked)


async def sync_activities(
    unit: Unit,
    principal: Principal | None,
    items: Sequence[NewActivity],
    *,
    max_items: int,
) -> list[SyncResult]:
    """Log many queued inserts; each item succeeds or fails on its own (a savepoint per
    item), so one bad item does not sink the batch, and a retried batch changes nothing.
    The events of the items that were logged are recorded in ``unit``, in item order."""
    who = require_role(principal, Role.PEER_MENTOR, Role.COORDINATOR)
    if len(items) > max_items:
        raise BadRequest(f"A sync batch holds at most {max_items} items")
    results: list[SyncResult] = []
    for index, item in enumerate(items):
        # The item's events join the batch's only once its savepoint is released.
        pending = Unit(unit.session)
        try:
            async with unit.session.begin_nested():
                logged = await log_activity(pending, who, item)
        except DomainError as error:
            results.append(SyncResult(index, item, None, error=error))
            continue
        unit.record_all(pending.events)
        results.append(SyncResult(index, item, logged.activity, created=logged.created))
    return results
