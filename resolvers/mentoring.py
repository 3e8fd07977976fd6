"""Resolvers for mentoring assignments: decode arguments, call the services (each write
use case in its unit of work, which records and publishes its change events), and load
relations and hub lists through the read model's batch readers
(``app/services/mentoring_reads.py``, ``mentoring_pages.py``), which apply the caller's
visibility."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from app.errors import BadRequest
from app.listing import Filter, Sort
from app.pagination import Paged, PageRequest
from app.services import followups, people_reads
from app.services import mentoring as service
from app.services import mentoring_pages as pages
from app.services import mentoring_reads as reads
from app.services.mentoring_reads import (
    AssignmentRecord,
    ContactRecord,
    NotificationRecord,
    StatusChangeRecord,
)
from app.services.mentoring_rules import (
    AssignmentPatch,
    AssignmentsKey,
    FieldNames,
    Filters,
    NewAssignment,
    NotificationsKey,
    OverdueKey,
)
from app.timeutil import parse_date_or_datetime
from resolvers.context import Context
from resolvers.loaders import BatchFn
from resolvers.prefetch import ItemFields, prime

# GraphQL names of the service's fields, so BAD_USER_INPUT names what the client sent.
NAMES = FieldNames(
    {
        "mentor_id": "mentorId",
        "mentee_id": "menteeId",
        "coordinator_id": "coordinatorId",
        "org_id": "orgId",
        "started_at": "startDate",
        "contact_at": "contactAt",
        "contact_type": "contactType",
        "last_contact_at": "lastContactAt",
    }
)
MAX_CONTACTS = 100


async def assignment(ctx: Context, assignment_id: str) -> AssignmentRecord:
    async with ctx.read() as session:
        return await service.get_assignment(session, ctx.who, assignment_id)


async def visible_assignment(ctx: Context, assignment_id: str) -> AssignmentRecord | None:
    """The assignment if the caller may see it, else ``None`` (``node(id)``, subscriptions,
    relations)."""
    return await ctx.loaders.get(reads.assignments_by_ids).load(assignment_id)


async def visible_notification(ctx: Context, notification_id: str) -> NotificationRecord | None:
    """The notification if the caller may see its assignment, else ``None`` (``node(id)``,
    subscriptions)."""
    return await ctx.loaders.get(reads.notifications_by_ids).load(notification_id)


async def assignments(ctx: Context, page: PageRequest, filters: Filters) -> Paged[AssignmentRecord]:
    async with ctx.read() as session:
        return await service.list_assignments(session, ctx.who, filters, page)


async def overdue(
    ctx: Context,
    page: PageRequest,
    *,
    cutoff: str | None,
    days: int | None,
    org_id: str | None,
    where: Filter | None = None,
    sort: Sort = (),
) -> Paged[AssignmentRecord]:
    try:
        moment = None if cutoff is None else parse_date_or_datetime(cutoff)
    except ValueError as exc:
        raise BadRequest(f"'cutoff' {exc}") from None
    async with ctx.read() as session:
        return await followups.overdue(
            session,
            ctx.who,
            ctx.settings,
            page,
            cutoff=moment,
            days=days,
            org_id=org_id,
            where=where,
            sort=sort,
        )


async def mentor_assignments(
    ctx: Context,
    mentor_id: str,
    *,
    active: bool,
    page: PageRequest,
    where: Filter | None = None,
    sort: Sort = (),
) -> Paged[AssignmentRecord]:
    async with ctx.read() as session:
        return await service.mentor_assignments(
            session, ctx.who, mentor_id, page, active=active, where=where, sort=sort
        )


async def open_count(ctx: Context, mentor_id: str) -> int:
    async with ctx.read() as session:
        return await service.open_count(session, ctx.who, mentor_id)


async def notifications(
    ctx: Context,
    page: PageRequest,
    *,
    kind: str | None,
    assignment_id: str | None,
    recipient_id: str | None,
    where: Filter | None = None,
    sort: Sort = (),
) -> Paged[NotificationRecord]:
    async with ctx.read() as session:
        return await followups.list_notifications(
            session,
            ctx.who,
            page,
            kind=kind,
            assignment_id=assignment_id,
            recipient_id=recipient_id,
            where=where,
            sort=sort,
        )


# --- relations (DataLoaders) ---------------------------------------------------------------


async def contacts(ctx: Context, assignment_id: str, last: int) -> list[ContactRecord]:
    _check_last(last)
    return await ctx.loaders.get(reads.latest_contacts).load((assignment_id, last))


def _check_last(last: int) -> None:
    if not 1 <= last <= MAX_CONTACTS:
        raise BadRequest(f"'last' must be between 1 and {MAX_CONTACTS}")


check_last = _check_last


async def status_changes(ctx: Context, assignment_id: str, last: int) -> list[StatusChangeRecord]:
    """The latest ``last`` status changes, oldest first (a history is short: the reader
    loads each whole and slices it)."""
    _check_last(last)
    return (await ctx.loaders.get(reads.status_histories).load(assignment_id))[-last:]


async def notifications_of(ctx: Context, assignment_id: str, last: int) -> list[NotificationRecord]:
    """The latest ``last`` reminders and escalations (two per contact gap), oldest first."""
    _check_last(last)
    return (await ctx.loaders.get(reads.notifications_of_assignments).load(assignment_id))[-last:]


async def prefetch(ctx: Context, rows: Sequence[AssignmentRecord], wanted: ItemFields) -> None:
    """Load the relations a page of assignments has selected (``wanted``, see
    ``resolvers.prefetch``) in one batch each, before the items resolve."""
    people = {
        person_id
        for name, column in (("mentor", "mentor_id"), ("mentee", "mentee_id"))
        if name in wanted
        for person_id in (getattr(row, column) for row in rows)
    }
    if "coordinator" in wanted:
        people |= {row.coordinator_id for row in rows if row.coordinator_id is not None}
    orgs = {row.org_id for row in rows if row.org_id is not None}
    loads: list[tuple[BatchFn[Any], Iterable[Any]]] = [(people_reads.people_by_ids, sorted(people))]
    if "organisation" in wanted or "overdue" in wanted:
        loads.append((people_reads.orgs_by_ids, sorted(orgs)))
    for field in wanted.get("contacts", ()):
        last = field.arguments.get("last", 10)
        if isinstance(last, int) and 1 <= last <= MAX_CONTACTS:
            loads.append((reads.latest_contacts, [(row.id, last) for row in rows]))
    await prime(ctx, loads)


# --- hubs: a person's and an organisation's lists (schema/hubs.py) -------------------------

PERSON_ROLES = ("mentor", "mentee", "coordinator")


async def person_assignments(
    ctx: Context,
    person_id: str,
    role: str,
    status: str | None,
    page: PageRequest,
    *,
    where: Filter | None = None,
    sort: Sort = (),
) -> Paged[AssignmentRecord]:
    """The person's assignments as ``role`` (mentor, mentee or coordinator) that the caller
    may see (``assignments(mentorId: ...)`` and so on)."""
    if role not in PERSON_ROLES:
        raise BadRequest(f"'role' must be one of {', '.join(PERSON_ROLES)}")
    key = AssignmentsKey(person_id, role, Filters(status=status, where=where, sort=sort), page)
    return await ctx.loaders.get(pages.assignment_pages).load(key)


async def person_open_count(ctx: Context, person_id: str) -> int:
    """Open assignments the person mentors, of those the caller may see."""
    return await ctx.loaders.get(pages.open_counts).load(person_id)


async def org_assignments(
    ctx: Context, org_id: str, page: PageRequest, filters: Filters
) -> Paged[AssignmentRecord]:
    """The organisation's assignments the caller may see (``assignments(orgId: ...)``)."""
    key = AssignmentsKey(org_id, "org", filters, page)
    return await ctx.loaders.get(pages.assignment_pages).load(key)


async def org_overdue(
    ctx: Context,
    org_id: str,
    page: PageRequest,
    *,
    cutoff: str | None,
    days: int | None,
    reminder_days: int,
    where: Filter | None = None,
    sort: Sort = (),
) -> Paged[AssignmentRecord]:
    """``overdueAssignments(orgId: ...)``: without ``cutoff`` or ``days``, the
    organisation's reminder threshold."""
    try:
        moment = None if cutoff is None else parse_date_or_datetime(cutoff)
    except ValueError as exc:
        raise BadRequest(f"'cutoff' {exc}") from None
    followups.check_overdue_args(moment, days)
    if moment is None and days is None:
        days = reminder_days
    key = OverdueKey(org_id, page, cutoff=moment, days=days, where=where, sort=sort)
    return await ctx.loaders.get(pages.overdue_pages).load(key)


async def org_notifications(
    ctx: Context,
    org_id: str,
    page: PageRequest,
    *,
    kind: str | None,
    where: Filter | None = None,
    sort: Sort = (),
) -> Paged[NotificationRecord]:
    """The follow-up notifications of the organisation's assignments the caller may see."""
    key = NotificationsKey(org_id, page, kind, where=where, sort=sort)
    return await ctx.loaders.get(pages.notification_pages).load(key)


# --- mutations -----------------------------------------------------------------------------


async def create(ctx: Context, new: NewAssignment) -> AssignmentRecord:
    return await ctx.run(service.create_assignment, ctx.who, new, NAMES)


async def update(
    ctx: Context, assignment_id: str, patch: AssignmentPatch, expected_version: int | None
) -> AssignmentRecord:
    return await ctx.run(
        service.update_assignment,
        ctx.who,
        assignment_id,
        patch,
        expected_version=expected_version,
        names=NAMES,
    )


async def record_contact(
    ctx: Context,
    assignment_id: str,
    *,
    contact_type: str,
    contact_at: datetime | None,
    expected_version: int | None,
) -> AssignmentRecord:
    return await ctx.run(
        service.record_contact,
        ctx.who,
        assignment_id,
        contact_type=contact_type,
        contact_at=contact_at,
        expected_version=expected_version,
        names=NAMES,
    )


async def change_status(
    ctx: Context,
    assignment_id: str,
    *,
    status: str,
    reason: str | None,
    expected_version: int | None,
) -> AssignmentRecord:
    return await ctx.run(
        service.change_status,
        ctx.who,
        assignment_id,
        status=status,
        reason=reason,
        expected_version=expected_version,
    )


async def delete(ctx: Context, assignment_id: str, expected_version: int | None) -> None:
    await ctx.run(
        service.delete_assignment, ctx.who, assignment_id, expected_version=expected_version
    )


async def restore(ctx: Context, assignment_id: str) -> AssignmentRecord:
    return await ctx.run(service.restore_assignment, ctx.who, assignment_id)


async def run_sweep(ctx: Context) -> followups.SweepResult:
    return await ctx.run(followups.run_sweep, ctx.who, ctx.settings)
