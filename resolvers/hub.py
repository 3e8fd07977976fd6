"""Resolvers of the graph's hubs: a person's and an organisation's lists across domains.

Every list is its domain's own list field (the same visibility rule, filters and order),
narrowed to the person or organisation, and loaded through a DataLoader whose batch
function answers a whole page of people or organisations in one statement. A caller sees
in a hub exactly what the domain's own list would show them: nothing more. (Mentoring's
hub lists are with its other resolvers, in ``resolvers/mentoring.py``.)
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date

from app.models.activities import Activity, ActivityStatus
from app.models.editorial import EditorialAssignment, EditorialLock
from app.models.milestones import Milestone, MilestoneStatus
from app.models.people import Person
from app.pagination import Paged
from app.repositories import activities as activities_repo
from app.repositories import editorial as editorial_repo
from app.repositories import editorial_locks as locks_repo
from app.repositories import milestones as milestones_repo
from app.repositories import people as people_repo
from app.repositories.grouped import OwnedPage
from app.services import activities as activities_service
from app.services import activity_totals as totals
from app.services import editorial as editorial_service
from app.services import milestones as milestones_service
from app.services import people as people_service
from app.services.activity_rules import can_see_given
from app.services.editorial_acl import Action, allowed
from app.services.milestone_rules import check_period
from app.timeutil import utcnow
from resolvers.context import Context

# --- a person ------------------------------------------------------------------------------


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


async def milestones(
    ctx: Context,
    person_id: str,
    first: int | None,
    after: str | None,
    *,
    status: MilestoneStatus | None,
    type: str | None,
    year: int | None,
    start_date: date | None,
    end_date: date | None,
) -> Paged[Milestone]:
    """The person's milestones the caller may see (``milestones``), newest period first."""
    page = ctx.page(first, after)
    period = None
    if year is not None or start_date is not None or end_date is not None:
        period = check_period(year, start_date, end_date, prefix="")
    spec = milestones_service.visible_filter(
        ctx.who,
        status=status.value if status else None,
        type=type,
        period_from=period.start if period else None,
        period_to=period.end if period else None,
    )
    return await ctx.loaders.get(milestones_repo.milestone_pages).load(
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
