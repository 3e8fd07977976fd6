"""Activities: idempotent offline-first inserts, edits, coordinator decisions, tombstones.

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

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import Principal, Role
from app.errors import BadRequest, Conflict, DomainError, FieldError, Forbidden, InvalidInput
from app.events import Event
from app.ids import new_id
from app.models.activities import Activity, ActivityStatus
from app.pagination import Paged, PageRequest
from app.repositories import activities as repo
from app.repositories import people as people_repo
from app.services import activity_rules as rules
from app.services.activity_rules import NewActivity
from app.services.activity_types import require_usable_type
from app.services.authz import hide_unless, require_principal, require_role
from app.timeutil import format_datetime, utcnow
from app.versioning import check_version

UNSET: object = object()
TOPIC = "activity"
Outbox = list[Event]


@dataclass(frozen=True, slots=True)
class Logged:
    activity: Activity
    created: bool


@dataclass(frozen=True, slots=True)
class ActivityChanges:
    """A PUT / ``updateActivity``: ``None`` (or ``UNSET`` for nullable fields) keeps a field."""

    activity_type_id: str | None = None
    date: str | None = None
    duration_minutes: int | None = None
    notes: str | object | None = UNSET
    status: str | None = None
    rejection_reason: str | object | None = UNSET
    # Echoed back from a GET by REST clients: they must match, they cannot be changed.
    local_id: str | None = None
    peer_mentor_id: str | None = None


@dataclass(frozen=True, slots=True)
class SyncResult:
    index: int
    item: NewActivity
    activity: Activity | None
    created: bool = False
    error: DomainError | None = None


async def _event(
    session: AsyncSession, outbox: Outbox | None, kind: str, row: Activity, previous: str
) -> None:
    if outbox is None:
        return
    orgs = sorted(await people_repo.org_ids_of(session, row.peer_mentor_id))
    payload = {
        "peer_mentor_id": row.peer_mentor_id,
        "org_ids": orgs,
        "status": row.status,
        "previous_status": previous,
        "rejection_reason": row.rejection_reason,
        "at": format_datetime(utcnow()),
    }
    outbox.append(Event(TOPIC, kind, row.id, payload))


def parse_status(text: str) -> ActivityStatus:
    try:
        return ActivityStatus(text)
    except ValueError:
        choices = ", ".join(s.value for s in ActivityStatus)
        raise BadRequest(f"status must be one of {choices}") from None


# --- reading -------------------------------------------------------------------------------


async def may_see(session: AsyncSession, who: Principal, row: Activity) -> bool:
    return await rules.can_see(session, who, row.peer_mentor_id)


def may_see_event(who: Principal, event: Event) -> bool:
    """An activity event reaches admins, the activity's mentor, and coordinators of one
    of the mentor's organisations (as they were when the event happened)."""
    mentor_id = event.payload.get("peer_mentor_id")
    if who.is_admin or mentor_id == who.person_id:
        return True
    return who.has(Role.COORDINATOR) and not who.orgs.isdisjoint(event.payload.get("org_ids", ()))


async def get_activity(
    session: AsyncSession, principal: Principal | None, activity_id: str
) -> Activity:
    who = require_principal(principal)
    row = await repo.get_activity(session, activity_id)
    hide_unless(
        row is not None and await rules.can_see(session, who, row.peer_mentor_id),
        "Activity",
        activity_id,
    )
    assert row is not None
    return row


async def list_activities(
    session: AsyncSession,
    principal: Principal | None,
    page: PageRequest,
    *,
    peer_mentor_id: str | None = None,
    start: date | None = None,
    end: date | None = None,
    status: ActivityStatus | None = None,
    activity_type_id: str | None = None,
) -> Paged[Activity]:
    """Newest first. Mentors see their own, coordinators their organisations' mentors'
    (and their own), admins all; the filters narrow that further."""
    who = require_principal(principal)
    if start is not None and end is not None and start > end:
        raise BadRequest("'from' must not lie after 'to'")
    mentors: frozenset[str] | None = frozenset({who.person_id})
    orgs: frozenset[str] | None = None
    if who.is_admin:
        mentors = None
    elif who.has(Role.COORDINATOR):
        orgs = who.orgs
    where = repo.ActivityFilter(
        mentor_ids=mentors,
        org_ids=orgs,
        peer_mentor_id=peer_mentor_id,
        start=start,
        end=end,
        status=status,
        activity_type_id=activity_type_id,
    )
    return await repo.list_activities(session, where, page)


# --- logging (idempotent insert) ------------------------------------------------------------


async def log_activity(
    session: AsyncSession,
    principal: Principal | None,
    new: NewActivity,
    *,
    outbox: Outbox | None = None,
) -> Logged:
    """Create a pending activity, or return the one this ``local_id`` already created.

    A replay (same mentor, ``local_id`` and payload) returns the original record even if
    it was edited or decided since, and even if its activity type was retired since.
    """
    who = require_role(principal, Role.PEER_MENTOR, Role.COORDINATOR)
    day = rules.check_new(new)
    mentor_id = who.person_id if new.peer_mentor_id is None else new.peer_mentor_id
    await rules.require_mentor(session, who, mentor_id)
    digest = rules.request_hash(mentor_id, new, day)
    existing = await repo.by_local_id(session, mentor_id, new.local_id)
    if existing is None:
        await require_usable_type(session, "activity_type_id", new.activity_type_id)
        now = utcnow()
        created = await repo.insert_if_absent(
            session,
            {
                "id": new_id("act"),
                "local_id": new.local_id,
                "peer_mentor_id": mentor_id,
                "activity_type_id": new.activity_type_id,
                "date": day,
                "duration_minutes": new.duration_minutes,
                "status": ActivityStatus.PENDING.value,
                "notes": new.notes,
                "created_by": who.person_id,
                "request_hash": digest,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            },
        )
        existing = await repo.by_local_id(session, mentor_id, new.local_id)
        assert existing is not None
        if created:
            await _event(session, outbox, "created", existing, existing.status)
            return Logged(existing, True)
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
    return Logged(existing, False)


async def sync_activities(
    session: AsyncSession,
    principal: Principal | None,
    items: Sequence[NewActivity],
    *,
    max_items: int,
    outbox: Outbox | None = None,
) -> list[SyncResult]:
    """Log many queued inserts; each item succeeds or fails on its own (a savepoint per
    item), so one bad item does not sink the batch, and a retried batch changes nothing."""
    who = require_role(principal, Role.PEER_MENTOR, Role.COORDINATOR)
    if len(items) > max_items:
        raise BadRequest(f"A sync batch holds at most {max_items} items")
    results: list[SyncResult] = []
    for index, item in enumerate(items):
        pending: Outbox = []
        try:
            async with session.begin_nested():
                logged = await log_activity(session, who, item, outbox=pending)
        except DomainError as error:
            results.append(SyncResult(index, item, None, error=error))
            continue
        if outbox is not None:
            outbox.extend(pending)
        results.append(SyncResult(index, item, logged.activity, created=logged.created))
    return results


# --- changing -------------------------------------------------------------------------------


async def _editable(
    session: AsyncSession, who: Principal, activity_id: str
) -> tuple[Activity, bool]:
    """The activity and whether ``who`` decides on it; 404 hidden, 403 not theirs."""
    row = await get_activity(session, who, activity_id)
    decider = await rules.may_decide(session, who, row.peer_mentor_id)
    if not decider and who.person_id != row.peer_mentor_id:
        raise Forbidden("Only the mentor, their coordinators and admins change an activity")
    return row, decider


def _apply_decision(
    row: Activity, who: Principal, target: ActivityStatus, reason: str | None
) -> None:
    row.status = target.value
    if target is ActivityStatus.PENDING:
        row.decided_by, row.decided_at, row.rejection_reason = None, None, None
        return
    row.decided_by, row.decided_at = who.person_id, utcnow()
    row.rejection_reason = reason.strip() if reason and target is ActivityStatus.REJECTED else None


def _check_changes(
    row: Activity, changes: ActivityChanges
) -> tuple[date | None, ActivityStatus | None]:
    errors: list[FieldError] = []
    for field, given, stored in (
        ("local_id", changes.local_id, row.local_id),
        ("peer_mentor_id", changes.peer_mentor_id, row.peer_mentor_id),
    ):
        if given is not None and given != stored:
            errors.append(FieldError(field, "cannot be changed"))
    day = None
    if changes.date is not None:
        day = rules.check_date(errors, "date", changes.date)
    if changes.duration_minutes is not None:
        rules.check_duration(errors, "duration_minutes", changes.duration_minutes)
    if changes.notes is not UNSET:
        rules.check_notes(errors, "notes", changes.notes)
    if changes.activity_type_id is not None and not changes.activity_type_id:
        errors.append(FieldError("activity_type_id", "must name an activity type"))
    target = None
    if changes.status is not None:
        try:
            target = ActivityStatus(changes.status)
        except ValueError:
            errors.append(FieldError("status", "must be pending, confirmed or rejected"))
    InvalidInput.raise_if_any(errors)
    return day, target


def _check_reason(
    row: Activity, changes: ActivityChanges, target: ActivityStatus | None
) -> str | None:
    given = changes.rejection_reason
    if target is ActivityStatus.REJECTED:
        if given is UNSET or given is None:
            if row.status == ActivityStatus.REJECTED.value:
                return row.rejection_reason
            raise InvalidInput.field("rejection_reason", "is required to reject an activity")
        errors: list[FieldError] = []
        rules.check_reason(errors, "rejection_reason", given)
        InvalidInput.raise_if_any(errors)
        return str(given)
    if given is not UNSET and given != row.rejection_reason:
        raise InvalidInput.field("rejection_reason", "is only set when rejecting an activity")
    return None


async def update_activity(
    session: AsyncSession,
    principal: Principal | None,
    activity_id: str,
    changes: ActivityChanges,
    *,
    expected_version: int | None = None,
    outbox: Outbox | None = None,
) -> Activity:
    """Change an activity (REST ``PUT``, GraphQL ``updateActivity``).

    A status that differs from the stored one is a decision: coordinators of the mentor's
    organisation and admins only (403 otherwise). The mentor may change their own activity;
    a confirmed or rejected one only with its current version, and a change to what counts
    (type, date, duration) sends it back to ``pending`` for a new decision.
    """
    who = require_principal(principal)
    row, decider = await _editable(session, who, activity_id)
    day, target = _check_changes(row, changes)
    transition = target is not None and target.value != row.status
    if transition and not decider:
        raise Forbidden(
            "Confirming or rejecting an activity is for a coordinator of the mentor's "
            "organisation; the mentor's own change cannot set its status"
        )
    rules.require_version_to_edit_decided(row, decider=decider, expected_version=expected_version)
    check_version("Activity", row.id, row.version, expected_version)
    reason = _check_reason(row, changes, target if decider else None)
    type_id = changes.activity_type_id
    if type_id is not None and type_id != row.activity_type_id:
        await require_usable_type(session, "activity_type_id", type_id)
    previous = row.status
    counted = False
    if type_id is not None and type_id != row.activity_type_id:
        row.activity_type_id, counted = type_id, True
    if day is not None and day != row.date:
        row.date, counted = day, True
    if changes.duration_minutes is not None and changes.duration_minutes != row.duration_minutes:
        row.duration_minutes, counted = changes.duration_minutes, True
    if changes.notes is not UNSET and changes.notes != row.notes:
        row.notes = changes.notes if isinstance(changes.notes, str) else None
    if target is not None and decider and (transition or reason != row.rejection_reason):
        _apply_decision(row, who, target, reason)
    elif counted and not decider and row.status != ActivityStatus.PENDING.value:
        _apply_decision(row, who, ActivityStatus.PENDING, None)
    await session.flush()
    kind = "status_changed" if row.status != previous else "updated"
    await _event(session, outbox, kind, row, previous)
    return row


async def decide(
    session: AsyncSession,
    principal: Principal | None,
    activity_id: str,
    target: ActivityStatus,
    *,
    reason: str | None = None,
    expected_version: int | None = None,
    outbox: Outbox | None = None,
) -> Activity:
    """Confirm or reject (with a reason) an activity: a coordinator of the mentor's
    organisation or an admin. Confirming a confirmed activity changes nothing."""
    who = require_principal(principal)
    row, decider = await _editable(session, who, activity_id)
    if not decider:
        raise Forbidden("Confirming or rejecting needs a coordinator of the mentor's organisation")
    if target is ActivityStatus.REJECTED:
        errors: list[FieldError] = []
        rules.check_reason(errors, "reason", reason)
        InvalidInput.raise_if_any(errors)
    check_version("Activity", row.id, row.version, expected_version)
    new_reason = reason.strip() if reason and target is ActivityStatus.REJECTED else None
    if row.status == target.value and row.rejection_reason == new_reason:
        return row
    previous = row.status
    _apply_decision(row, who, target, reason)
    await session.flush()
    await _event(session, outbox, "status_changed", row, previous)
    return row


async def delete_activity(
    session: AsyncSession,
    principal: Principal | None,
    activity_id: str,
    *,
    expected_version: int | None = None,
    outbox: Outbox | None = None,
) -> Activity:
    """Tombstone an activity (it leaves every list and answers 404). Its ``local_id``
    stays taken, so a late retry of its insert does not bring it back."""
    who = require_principal(principal)
    row, decider = await _editable(session, who, activity_id)
    rules.require_version_to_edit_decided(row, decider=decider, expected_version=expected_version)
    check_version("Activity", row.id, row.version, expected_version)
    row.deleted_at = utcnow()
    await session.flush()
    await _event(session, outbox, "deleted", row, row.status)
    return row


async def restore_activity(
    session: AsyncSession,
    principal: Principal | None,
    activity_id: str,
    *,
    outbox: Outbox | None = None,
) -> Activity:
    """Bring back a deleted activity (admin)."""
    require_role(principal, Role.ADMIN)
    row = await repo.get_activity(session, activity_id, include_deleted=True)
    hide_unless(row is not None, "Activity", activity_id)
    assert row is not None
    if row.deleted_at is not None:
        row.deleted_at = None
        await session.flush()
        await _event(session, outbox, "restored", row, row.status)
    return row
