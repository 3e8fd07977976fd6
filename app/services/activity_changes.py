"""Changing activities: edits (REST ``PUT``, ``updateActivity``), coordinator decisions,
tombstones and restores.

Who decides: a coordinator of the mentor's organisation, or an admin ("deciders"). The
mentor may edit their own activity, but a status change is a decision (403 for the mentor);
a confirmed or rejected activity changes only with its current version (``If-Match`` /
``expectedVersion``), and a mentor's change to what counts (type, date, duration) sends it
back to ``pending``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import Principal, Role
from app.errors import FieldError, Forbidden, InvalidInput
from app.events import EventKind
from app.models.activities import Activity
from app.repositories import activities as repo
from app.services import activity_rules as rules
from app.services.activities import record_event
from app.services.activity_reads import ActivityRecord, ActivityStatus
from app.services.activity_types import require_usable_type
from app.services.policy import (
    grades_mentor,
    hide_unless,
    require_peer_support_role,
    require_principal,
    require_role,
    sees_mentor_records,
)
from app.services.work import Unit
from app.timeutil import utcnow
from app.versioning import check_version

UNSET: object = object()


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


async def _editable(
    session: AsyncSession, who: Principal, activity_id: str
) -> tuple[Activity, bool]:
    """The activity and whether ``who`` decides on it; 404 hidden, 403 not theirs."""
    require_peer_support_role(who)
    row = await repo.get_activity(session, activity_id)
    orgs = (
        frozenset[str]()
        if row is None
        else await rules.mentor_orgs(session, who, row.peer_mentor_id)
    )
    hide_unless(
        row is not None and sees_mentor_records(who, row.peer_mentor_id, orgs),
        "Activity",
        activity_id,
    )
    assert row is not None
    decider = grades_mentor(who, row.peer_mentor_id, orgs)
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
    unit: Unit,
    principal: Principal | None,
    activity_id: str,
    changes: ActivityChanges,
    *,
    expected_version: int | None = None,
) -> ActivityRecord:
    """Change an activity (REST ``PUT``, GraphQL ``updateActivity``).

    A status that differs from the stored one is a decision: coordinators of the mentor's
    organisation and admins only (403 otherwise). The mentor may change their own activity;
    a confirmed or rejected one only with its current version, and a change to what counts
    (type, date, duration) sends it back to ``pending`` for a new decision.
    """
    who = require_principal(principal)
    session = unit.session
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
    changed = row.status != previous
    kind = EventKind.ACTIVITY_STATUS_CHANGED if changed else EventKind.ACTIVITY_UPDATED
    await record_event(unit, kind, row, previous)
    return ActivityRecord.of(row)


async def decide(
    unit: Unit,
    principal: Principal | None,
    activity_id: str,
    target: ActivityStatus,
    *,
    reason: str | None = None,
    expected_version: int | None = None,
) -> ActivityRecord:
    """Confirm or reject (with a reason) an activity: a coordinator of the mentor's
    organisation or an admin. Confirming a confirmed activity changes nothing."""
    who = require_principal(principal)
    session = unit.session
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
        return ActivityRecord.of(row)
    previous = row.status
    _apply_decision(row, who, target, reason)
    await session.flush()
    await record_event(unit, EventKind.ACTIVITY_STATUS_CHANGED, row, previous)
    return ActivityRecord.of(row)


async def delete_activity(
    unit: Unit,
    principal: Principal | None,
    activity_id: str,
    *,
    expected_version: int | None = None,
) -> ActivityRecord:
    """Tombstone an activity (it leaves every list and answers 404). Its ``local_id``
    stays taken, so a late retry of its insert does not bring it back."""
    who = require_principal(principal)
    session = unit.session
    row, decider = await _editable(session, who, activity_id)
    rules.require_version_to_edit_decided(row, decider=decider, expected_version=expected_version)
    check_version("Activity", row.id, row.version, expected_version)
    row.deleted_at = utcnow()
    await session.flush()
    await record_event(unit, EventKind.ACTIVITY_DELETED, row, row.status)
    return ActivityRecord.of(row)


async def restore_activity(
    unit: Unit,
    principal: Principal | None,
    activity_id: str,
) -> ActivityRecord:
    """Bring back a deleted activity (admin)."""
    require_role(principal, Role.ADMIN)
    session = unit.session
    row = await repo.get_activity(session, activity_id, include_deleted=True)
    hide_unless(row is not None, "Activity", activity_id)
    assert row is not None
    if row.deleted_at is not None:
        row.deleted_at = None
        await session.flush()
        await record_event(unit, EventKind.ACTIVITY_RESTORED, row, row.status)
    return ActivityRecord.of(row)
