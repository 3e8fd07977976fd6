"""Mentoring assignments: validation, authorization and the lifecycle both doors call.

Every use case returns records of the read model (``app.services.mentoring_reads``), never
an ORM object. A write use case runs in a unit of work (``app.services.work``): it writes
through ``unit.session`` and records its ``assignment`` change event in the unit, which
stores it in the outbox with the change and publishes it once committed. Who may do what:
``app.services.policy``; vocabularies: ``app.services.mentoring_rules``. Rules:
- A mentor and a mentee that exist in the directory (and that the caller may see) are
  required; coordinator and organisation must exist when given. Without an organisation,
  the one mentor and mentee share is taken (else the mentor's), so its coordinators see it.
- One open, live assignment per mentor and mentee (409; a partial unique index guards races).
- A contact is kept as history; ``last_contact_at`` only moves forward, and moving it
  restarts the follow-up clock (clears ``reminder_sent_at``/``escalation_sent_at``).
- Closing sets ``closed_at``, reopening clears it; each change is kept with its reason.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Concatenate, ParamSpec

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import Principal, Role
from app.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from app.events import EventKind
from app.ids import new_id
from app.listing import Filter, Sort
from app.models.mentoring import CLOSED, OPEN, Assignment, ContactEvent, StatusChange
from app.pagination import Paged, PageRequest
from app.repositories import mentoring as repo
from app.services import people as people_service
from app.services.mentoring_reads import (
    AssignmentRecord,
    assignment_page,
    assignments_by_ids,
    mentee_names,
)
from app.services.mentoring_rules import (
    MAX_NOTES,
    MAX_REASON,
    PATCH_REQUIRED,
    UNSET,
    AssignmentPatch,
    FieldNames,
    Filters,
    NewAssignment,
    Unset,
    change_event,
    check_contact_type,
)
from app.services.policy import (
    assignment_scope,
    hide_unless,
    manages_assignment,
    require_peer_support_role,
    require_role,
    sees_assignment,
)
from app.services.work import Unit
from app.timeutil import start_of_day, utcnow
from app.versioning import check_version

P = ParamSpec("P")
_MENTOR_MAY_CHANGE = frozenset({"notes", "last_contact_at"})


def _changed(
    unit: Unit,
    kind: EventKind,
    record: AssignmentRecord,
    previous: tuple[str | None, str] | None = None,
) -> AssignmentRecord:
    """Record the change event of ``record`` in the unit; the record."""
    unit.record_all((change_event(kind, record, previous),))
    return record


@dataclass(frozen=True, slots=True)
class Written:
    """An assignment as a write use case left it, with its mentee's name read in the same
    unit (what a REST answer shows)."""

    record: AssignmentRecord
    mentee_names: dict[str, str]


def with_mentee_name(
    use_case: Callable[Concatenate[Unit, P], Awaitable[AssignmentRecord]],
) -> Callable[Concatenate[Unit, P], Awaitable[Written]]:
    """``use_case`` answering with the mentee's name too, looked up in its own unit (no
    session of its own)."""

    async def named(unit: Unit, /, *args: P.args, **kwargs: P.kwargs) -> Written:
        record = await use_case(unit, *args, **kwargs)
        return Written(record, await mentee_names(unit.session, [record]))

    return named


async def _flush(session: AsyncSession) -> None:
    try:
        await session.flush()
    except IntegrityError as exc:
        text = str(exc.orig).lower()
        if "uq_assignments_open_pair" in text or "unique" in text or "duplicate" in text:
            raise Conflict("The mentor already has an open assignment with this mentee") from None
        raise


async def _visible(session: AsyncSession, who: Principal, assignment_id: str) -> Assignment:
    row = await repo.get_assignment(session, assignment_id)
    seen = row is not None and sees_assignment(who, row.org_id, row.mentor_id)
    hide_unless(seen, "Assignment", assignment_id)
    assert row is not None
    return row


def _check_notes(errors: list[FieldError], field: str, notes: str | None) -> None:
    if notes is not None and len(notes) > MAX_NOTES:
        errors.append(FieldError(field, f"must be at most {MAX_NOTES} characters"))


async def _check_people(
    session: AsyncSession, who: Principal, fields: dict[str, str | None]
) -> None:
    """422 for people unknown to the directory, or that the caller may not see (the same
    answer, so other organisations' people are not revealed)."""
    await people_service.require_people(session, fields)
    errors = [
        FieldError(field, f"unknown person {value!r}")
        for field, value in fields.items()
        if value is not None and not await people_service.can_see_person(session, who, value)
    ]
    InvalidInput.raise_if_any(errors)


async def _check_org(session: AsyncSession, who: Principal, field: str, org_id: str | None) -> None:
    await people_service.require_org(session, field, org_id)
    if org_id is not None and not manages_assignment(who, org_id):
        raise Forbidden(f"You coordinate no organisation {org_id!r}")


async def _derive_org(
    session: AsyncSession, who: Principal, mentor: str, mentee: str
) -> str | None:
    mentor_orgs, mentee_orgs = await repo.shared_orgs(session, [mentor, mentee])
    allowed = {org for org in mentor_orgs if manages_assignment(who, org)}
    for candidates in (allowed & mentee_orgs, allowed):
        if candidates:
            return sorted(candidates)[0]
    return None


async def _ensure_no_open_duplicate(session: AsyncSession, row: Assignment) -> None:
    if row.status != OPEN:
        return
    with session.no_autoflush:  # the pending change is flushed (and mapped) by _flush
        taken = await repo.open_pair_exists(
            session, row.mentor_id, row.mentee_id, other_than=row.id
        )
    if taken:
        raise Conflict(
            f"Mentor {row.mentor_id!r} already has an open assignment with {row.mentee_id!r}"
        )


def _contact(row: Assignment, when: datetime, contact_type: str, by: str) -> ContactEvent:
    """Record a contact; the latest one becomes ``last_contact_at`` and restarts follow-up."""
    if row.last_contact_at is None or when > row.last_contact_at:
        row.last_contact_at = when
        row.reminder_sent_at = None
        row.escalation_sent_at = None
    row.updated_at = utcnow()
    return ContactEvent(
        assignment_id=row.id, contact_at=when, contact_type=contact_type, recorded_by=by
    )


def _status(row: Assignment, status: str, reason: str | None, by: str) -> StatusChange | None:
    if status == row.status:
        return None
    change = StatusChange(
        assignment_id=row.id, from_status=row.status, to_status=status, reason=reason, changed_by=by
    )
    row.status = status
    row.closed_at = utcnow() if status == CLOSED else None
    row.updated_at = utcnow()
    return change


def _check_contact_date(when: datetime, field: str) -> None:
    if when > utcnow():
        raise InvalidInput.field(field, "may not lie in the future")


async def get_assignment(
    session: AsyncSession, principal: Principal | None, assignment_id: str
) -> AssignmentRecord:
    who = require_peer_support_role(principal)
    record = (await assignments_by_ids(session, who, [assignment_id]))[0]
    hide_unless(record is not None, "Assignment", assignment_id)
    assert record is not None
    return record


async def list_assignments(
    session: AsyncSession, principal: Principal | None, filters: Filters, page: PageRequest
) -> Paged[AssignmentRecord]:
    who = require_peer_support_role(principal)
    return assignment_page(
        await repo.list_assignments(session, assignment_scope(who), filters, page)
    )


async def create_assignment(
    unit: Unit,
    principal: Principal | None,
    new: NewAssignment,
    names: FieldNames = FieldNames(),
) -> AssignmentRecord:
    who = require_role(principal, Role.COORDINATOR)
    session = unit.session
    errors: list[FieldError] = []
    _check_notes(errors, names("notes"), new.notes)
    if new.mentor_id == new.mentee_id:
        errors.append(FieldError(names("mentee_id"), "must be another person than the mentor"))
    InvalidInput.raise_if_any(errors)
    await _check_people(
        session,
        who,
        {
            names("mentor_id"): new.mentor_id,
            names("mentee_id"): new.mentee_id,
            names("coordinator_id"): new.coordinator_id,
        },
    )
    await _check_org(session, who, names("org_id"), new.org_id)
    org_id = new.org_id or await _derive_org(session, who, new.mentor_id, new.mentee_id)
    if org_id is None and not manages_assignment(who, None):
        raise Forbidden("Name an organisation you coordinate (org_id) for this assignment")
    row = Assignment(
        id=new_id("asgn"),
        mentor_id=new.mentor_id,
        mentee_id=new.mentee_id,
        coordinator_id=new.coordinator_id,
        org_id=org_id,
        status=OPEN,
        created_via=new.created_via,
        notes=new.notes,
        started_at=new.started_at or start_of_day(utcnow().date()),
    )
    await _ensure_no_open_duplicate(session, row)
    session.add(row)
    await _flush(session)
    return _changed(unit, EventKind.ASSIGNMENT_CREATED, AssignmentRecord.of(row))


def _changed_fields(row: Assignment, patch: AssignmentPatch) -> set[str]:
    changed: set[str] = set()
    for name in AssignmentPatch.__dataclass_fields__:
        value = getattr(patch, name)
        if value is UNSET:
            continue
        if value != getattr(row, name):
            changed.add(name)
    return changed


async def update_assignment(
    unit: Unit,
    principal: Principal | None,
    assignment_id: str,
    patch: AssignmentPatch,
    *,
    expected_version: int | None = None,
    names: FieldNames = FieldNames(),
) -> AssignmentRecord:
    """Change what the patch sets; its ``updated`` event names the organisation and mentor
    before too (so those who lost sight of it still hear about it).

    Peer mentors may change only notes and record contacts (``last_contact_at``) on their
    own assignments; a ``last_contact_at`` other than the current one records a contact."""
    who = require_peer_support_role(principal)
    session = unit.session
    row = await _visible(session, who, assignment_id)
    check_version("Assignment", row.id, row.version, expected_version)
    changed = _changed_fields(row, patch)
    if not manages_assignment(who, row.org_id) and changed - _MENTOR_MAY_CHANGE:
        raise Forbidden("Peer mentors may only change notes and record contacts")
    errors = [
        FieldError(names(key), "may not be null")
        for key in PATCH_REQUIRED
        if getattr(patch, key) is None
    ]
    _check_notes(errors, names("notes"), patch.notes if isinstance(patch.notes, str) else None)
    InvalidInput.raise_if_any(errors)
    if isinstance(patch.last_contact_at, datetime):
        _check_contact_date(patch.last_contact_at, names("last_contact_at"))
    people = {
        names(key): getattr(patch, key)
        for key in ("mentor_id", "mentee_id", "coordinator_id")
        if key in changed and getattr(patch, key) is not None
    }
    await _check_people(session, who, people)
    if "org_id" in changed:
        new_org = None if isinstance(patch.org_id, Unset) else patch.org_id
        if new_org is None and not manages_assignment(who, None):
            raise Forbidden("Only admins may take an assignment out of every organisation")
        await _check_org(session, who, names("org_id"), new_org)
    previous = (row.org_id, row.mentor_id)
    for key in ("mentor_id", "mentee_id", "coordinator_id", "org_id", "started_at", "notes"):
        if key in changed:
            setattr(row, key, getattr(patch, key))
    if row.mentor_id == row.mentee_id:
        raise InvalidInput.field(names("mentee_id"), "must be another person than the mentor")
    if "status" in changed and isinstance(patch.status, str):
        change = _status(row, patch.status, None, who.person_id)
        if change is not None:
            session.add(change)
    if "last_contact_at" in changed and isinstance(patch.last_contact_at, datetime):
        session.add(_contact(row, patch.last_contact_at, "other", who.person_id))
    if changed:
        row.updated_at = utcnow()
    if changed & {"mentor_id", "mentee_id", "status"}:
        await _ensure_no_open_duplicate(session, row)
    await _flush(session)
    return _changed(unit, EventKind.ASSIGNMENT_UPDATED, AssignmentRecord.of(row), previous)


async def record_contact(
    unit: Unit,
    principal: Principal | None,
    assignment_id: str,
    *,
    contact_type: str,
    contact_at: datetime | None = None,
    expected_version: int | None = None,
    names: FieldNames = FieldNames(),
) -> AssignmentRecord:
    who = require_peer_support_role(principal)
    session = unit.session
    row = await _visible(session, who, assignment_id)
    check_version("Assignment", row.id, row.version, expected_version)
    check_contact_type(contact_type, names("contact_type"))
    when = contact_at or utcnow().replace(microsecond=0)
    _check_contact_date(when, names("contact_at"))
    session.add(_contact(row, when, contact_type, who.person_id))
    await _flush(session)
    return _changed(unit, EventKind.ASSIGNMENT_CONTACTED, AssignmentRecord.of(row))


async def change_status(
    unit: Unit,
    principal: Principal | None,
    assignment_id: str,
    *,
    status: str,
    reason: str | None = None,
    expected_version: int | None = None,
) -> AssignmentRecord:
    """Close or reopen (``status`` canonical). Setting the current status changes nothing
    (its ``status_changed`` event is recorded all the same)."""
    who = require_peer_support_role(principal)
    session = unit.session
    row = await _visible(session, who, assignment_id)
    if not manages_assignment(who, row.org_id):
        raise Forbidden("Only the organisation's coordinators may change an assignment's status")
    check_version("Assignment", row.id, row.version, expected_version)
    if reason is not None and len(reason) > MAX_REASON:
        raise InvalidInput.field("reason", f"must be at most {MAX_REASON} characters")
    change = _status(row, status, reason, who.person_id)
    if change is not None:
        session.add(change)
        await _ensure_no_open_duplicate(session, row)
        await _flush(session)
    return _changed(unit, EventKind.ASSIGNMENT_STATUS_CHANGED, AssignmentRecord.of(row))


async def delete_assignment(
    unit: Unit,
    principal: Principal | None,
    assignment_id: str,
    *,
    expected_version: int | None = None,
) -> AssignmentRecord:
    """Tombstone: the record answers 404 afterwards and leaves every list."""
    who = require_peer_support_role(principal)
    session = unit.session
    row = await _visible(session, who, assignment_id)
    if not manages_assignment(who, row.org_id):
        raise Forbidden("Only the organisation's coordinators may delete an assignment")
    check_version("Assignment", row.id, row.version, expected_version)
    row.deleted_at = utcnow()
    await _flush(session)
    return _changed(unit, EventKind.ASSIGNMENT_DELETED, AssignmentRecord.of(row))


async def restore_assignment(
    unit: Unit, principal: Principal | None, assignment_id: str
) -> AssignmentRecord:
    """Bring a tombstoned assignment back (admin)."""
    require_role(principal, Role.ADMIN)
    session = unit.session
    row = await repo.get_assignment(session, assignment_id, include_deleted=True)
    if row is None or row.deleted_at is None:
        raise NotFound(f"No deleted assignment {assignment_id!r}")
    await _ensure_no_open_duplicate(session, row)
    row.deleted_at = None
    await _flush(session)
    return _changed(unit, EventKind.ASSIGNMENT_RESTORED, AssignmentRecord.of(row))


async def require_visible_mentor(
    session: AsyncSession, principal: Principal | None, mentor_id: str
) -> Principal:
    """The mentor routes: 404 for people unknown to, or hidden from, the caller."""
    who = require_peer_support_role(principal)
    found = await people_service.can_see_person(session, who, mentor_id)
    hide_unless(found and bool(await repo.names_of(session, [mentor_id])), "Mentor", mentor_id)
    return who


async def mentor_assignments(
    session: AsyncSession,
    principal: Principal | None,
    mentor_id: str,
    page: PageRequest,
    *,
    active: bool,
    where: Filter | None = None,
    sort: Sort = (),
) -> Paged[AssignmentRecord]:
    """``active``: the open ones (oldest first); otherwise the whole history, newest first
    (or as ``sort``), narrowed by ``where``."""
    who = await require_visible_mentor(session, principal, mentor_id)
    scope = assignment_scope(who)
    read = repo.mentor_active if active else repo.mentor_history
    return assignment_page(await read(session, scope, mentor_id, page, where=where, sort=sort))


async def open_count(session: AsyncSession, principal: Principal | None, mentor_id: str) -> int:
    who = await require_visible_mentor(session, principal, mentor_id)
    return await repo.count_open(session, assignment_scope(who), mentor_id)
