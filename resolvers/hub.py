"""Resolvers of the graph's hubs: a person's and an organisation's lists across domains.

Every list is its domain's own list field (the same visibility rule, filters and order),
narrowed to the person or organisation, and loaded through a DataLoader whose batch
function answers a whole page of people or organisations in one statement. A caller sees
in a hub exactly what the domain's own list would show them: nothing more.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, datetime

from app.errors import BadRequest
from app.models.activities import Activity, ActivityStatus
from app.models.editorial import EditorialAssignment, EditorialLock
from app.models.mentoring import Assignment, Notification
from app.models.people import Person
from app.pagination import Paged
from app.repositories import activities as activities_repo
from app.repositories import editorial as editorial_repo
from app.repositories import editorial_locks as locks_repo
from app.repositories import mentoring as mentoring_repo
from app.repositories import milestones as milestones_repo
from app.repositories import people as people_repo
from app.repositories.grouped import OwnedPage
from app.repositories.mentoring import AssignmentList, Filters, NotificationList, OverdueKey
from app.services import activities as activities_service
from app.services import activity_totals as totals
from app.services import editorial as editorial_service
from app.services import followups
from app.services import people as people_service
from app.services.activity_rules import can_see_given
from app.services.editorial_acl import Action, allowed
from app.services.mentoring_rules import scope_of
from app.services.milestone_rules import check_period
from app.timeutil import parse_date_or_datetime, utcnow
from resolvers.context import Context

ROLES = ("mentor", "mentee", "coordinator")


# --- a person ------------------------------------------------------------------------------


async def assignments(
    ctx: Context,
    person_id: str,
    role: str,
    status: str | None,
    first: int | None,
    after: str | None,
) -> Paged[Assignment]:
    """The person's assignments as ``role`` (mentor, mentee or coordinator) that the caller
    may see (``assignments(mentorId: ...)`` and so on)."""
    if role not in ROLES:
        raise BadRequest(f"'role' must be one of {', '.join(ROLES)}")
    spec = AssignmentList(role, scope_of(ctx.who), Filters(status=status))
    key = OwnedPage(person_id, spec, ctx.page(first, after))
    return await ctx.loaders.get(mentoring_repo.assignment_pages).load(key)


async def open_assignment_count(ctx: Context, person_id: str) -> int:
    """Open assignments the person mentors, of those the caller may see."""
    key = (person_id, scope_of(ctx.who))
    return await ctx.loaders.get(mentoring_repo.open_counts).load(key)


async def activities(
    ctx: Context,
    person_id: str,
    first: int | None,
    after: str | None,
    *,
    start: date | None,
    end: date | None,
    status: ActivityStatus | None,
    activity_type_id: str | None,
) -> Paged[Activity]:
    """The person's activities the caller may see, newest first (``activities``)."""
    page = ctx.page(first, after)
    spec = activities_service.visible_filter(
        ctx.who, start=start, end=end, status=status, activity_type_id=activity_type_id
    )
    return await ctx.loaders.get(activities_repo.activity_pages).load(
        OwnedPage(person_id, spec, page)
    )


@dataclass(frozen=True, slots=True)
class YearSummary:
    """A mentor's year: confirmed activities (``mentorActivityTotals``) and the distinct
    mentees they helped (what milestone detection counts)."""

    year: int
    totals: totals.ActivityTotals
    people_helped: int


async def yearly_summary(ctx: Context, person_id: str, year: int | None) -> YearSummary | None:
    """``None`` when the caller may not see the person's activities (the mentor, their
    organisations' coordinators and admins may)."""
    memberships = await ctx.loaders.get(people_repo.memberships_of_people).load(person_id)
    if not can_see_given(ctx.who, person_id, {m.org_id for m in memberships}):
        return None
    period = check_period(utcnow().year if year is None else year, None, None, prefix="")
    key = (person_id, period.start, period.end)
    found, helped = await asyncio.gather(
        ctx.loaders.get(totals.totals_of_mentors).load(key),
        ctx.loaders.get(milestones_repo.mentees_helped).load(key),
    )
    return YearSummary(period.start.year, found, helped)


async def editorial_assignments(
    ctx: Context,
    person_id: str,
    first: int | None,
    after: str | None,
    *,
    order: str | None,
    direction: str | None,
) -> Paged[EditorialAssignment] | None:
    """The editorial assignments the person is assigned to; ``None`` without the ACL
    action ``ASSIGNMENT list``."""
    if not allowed(ctx.who, Action.ASSIGNMENT_LIST):
        return None
    column, descending = editorial_service.check_order(order, direction)
    key = OwnedPage(
        person_id, editorial_repo.AssignmentOrder(column, descending), ctx.page(first, after)
    )
    return await ctx.loaders.get(editorial_repo.assignment_pages_of_people).load(key)


async def held_locks(
    ctx: Context, person_id: str, first: int | None, after: str | None
) -> Paged[EditorialLock] | None:
    """The unexpired editorial locks the person holds; ``None`` without ``LOCKREQUEST get``."""
    if not allowed(ctx.who, Action.LOCKREQUEST_GET):
        return None
    key: OwnedPage[None] = OwnedPage(person_id, None, ctx.page(first, after))
    return await ctx.loaders.get(locks_repo.held_pages).load(key)


# --- an organisation -----------------------------------------------------------------------


async def org_people(
    ctx: Context,
    org_id: str,
    first: int | None,
    after: str | None,
    *,
    search: str | None,
    role: str | None,
) -> Paged[Person]:
    """The organisation's members the caller may see (``people(orgId: ...)``), by name."""
    spec = people_repo.PeopleList(people_service.people_scope(ctx.who), search or None, role)
    key = OwnedPage(org_id, spec, ctx.page(first, after))
    return await ctx.loaders.get(people_repo.people_pages).load(key)


async def org_assignments(
    ctx: Context, org_id: str, first: int | None, after: str | None, filters: Filters
) -> Paged[Assignment]:
    """The organisation's assignments the caller may see (``assignments(orgId: ...)``)."""
    spec = AssignmentList("org", scope_of(ctx.who), filters)
    key = OwnedPage(org_id, spec, ctx.page(first, after))
    return await ctx.loaders.get(mentoring_repo.assignment_pages).load(key)


async def org_overdue(
    ctx: Context,
    org_id: str,
    first: int | None,
    after: str | None,
    *,
    cutoff: str | None,
    days: int | None,
    reminder_days: int,
) -> Paged[Assignment]:
    """``overdueAssignments(orgId: ...)``: without ``cutoff`` or ``days``, the
    organisation's reminder threshold."""
    page = ctx.page(first, after)
    try:
        moment: datetime | None = None if cutoff is None else parse_date_or_datetime(cutoff)
    except ValueError as exc:
        raise BadRequest(f"'cutoff' {exc}") from None
    followups.check_overdue_args(moment, days)
    if moment is None and days is None:
        days = reminder_days
    key = OverdueKey(org_id, scope_of(ctx.who), page, cutoff=moment, days=days)
    return await ctx.loaders.get(mentoring_repo.overdue_pages).load(key)


async def org_notifications(
    ctx: Context, org_id: str, first: int | None, after: str | None, *, kind: str | None
) -> Paged[Notification]:
    """The follow-up notifications of the organisation's assignments the caller may see."""
    spec = NotificationList(scope_of(ctx.who), kind)
    key = OwnedPage(org_id, spec, ctx.page(first, after))
    return await ctx.loaders.get(mentoring_repo.notification_pages).load(key)
