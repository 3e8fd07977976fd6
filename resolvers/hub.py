"""Resolvers of the graph's hubs: a person's and an organisation's lists across domains.

Every list is its domain's own list field (the same visibility rule, filters and order),
narrowed to the person or organisation, and loaded through a DataLoader whose batch
function answers a whole page of people or organisations in one statement. A caller sees
in a hub exactly what the domain's own list would show them: nothing more.
"""

from __future__ import annotations

from datetime import datetime

from app.errors import BadRequest
from app.models.mentoring import Assignment, Notification
from app.pagination import Paged
from app.repositories import mentoring as mentoring_repo
from app.repositories.grouped import OwnedPage
from app.repositories.mentoring import AssignmentList, Filters, NotificationList, OverdueKey
from app.services import followups
from app.services.mentoring_rules import scope_of
from app.services.people_reads import MembersPage, PeopleList, PersonRecord, members_pages
from app.timeutil import parse_date_or_datetime
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


# --- an organisation -----------------------------------------------------------------------


async def org_people(
    ctx: Context,
    org_id: str,
    first: int | None,
    after: str | None,
    *,
    search: str | None,
    role: str | None,
) -> Paged[PersonRecord]:
    """The organisation's members the caller may see (``people(orgId: ...)``), by name."""
    key = MembersPage(org_id, PeopleList(search or None, role), ctx.page(first, after))
    return await ctx.loaders.get(members_pages).load(key)


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
