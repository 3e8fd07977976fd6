"""Resolvers for milestones: decode arguments, call the services (a write runs its use case
in a unit of work, ``ctx.run``, which publishes the events it records).

Validation errors name the GraphQL arguments (camelCase, e.g. ``period.endDate``): the
GraphQL error rendering renames the services' field names (``app.errors.graphql_field``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from app.listing import Filter, Sort
from app.pagination import Paged, PageRequest
from app.services import milestone_catalogue as catalogue
from app.services import milestone_detection as detection
from app.services import milestone_reads as reads
from app.services import milestones as service
from app.services.milestone_reads import (
    MentorMilestonePage,
    MilestoneDefinitionRecord,
    MilestoneRecord,
    MilestoneStatus,
)
from app.services.milestone_rules import Period, check_period
from resolvers.context import Context


def _period(year: int | None, start: date | None, end: date | None) -> Period | None:
    if year is None and start is None and end is None:
        return None
    return check_period(year, start, end, prefix="")


async def milestone(ctx: Context, milestone_id: str) -> MilestoneRecord:
    async with ctx.read() as session:
        return await service.get_milestone(session, ctx.who, milestone_id)


async def visible_milestone(ctx: Context, milestone_id: str) -> MilestoneRecord | None:
    """The milestone if the caller may see it, else ``None`` (for ``node(id)``)."""
    return await ctx.loaders.get(reads.milestones_by_ids).load(milestone_id)


async def milestone_for_event(ctx: Context, milestone_id: str) -> MilestoneRecord | None:
    """A fresh read for a subscription event (no loader cache: the record just changed),
    as the subscriber may see it."""
    async with ctx.read() as session:
        (found,) = await reads.milestones_by_ids(session, ctx.who, [milestone_id])
    return found


async def milestones(
    ctx: Context,
    page: PageRequest,
    *,
    mentor_id: str | None,
    status: MilestoneStatus | None,
    type: str | None,
    year: int | None,
    start_date: date | None = None,
    end_date: date | None = None,
    where: Filter | None = None,
    sort: Sort = (),
) -> Paged[MilestoneRecord]:
    period = _period(year, start_date, end_date)
    async with ctx.read() as session:
        return await service.list_milestones(
            session,
            ctx.who,
            page,
            mentor_id=mentor_id,
            status=status,
            type=type,
            period=period,
            where=where,
            sort=sort,
        )


async def new_milestones(
    ctx: Context,
    mentor_id: str,
    page: PageRequest,
    *,
    year: int | None,
    start_date: date | None,
    end_date: date | None,
    where: Filter | None = None,
    sort: Sort = (),
) -> Paged[MilestoneRecord]:
    period = _period(year, start_date, end_date)
    async with ctx.read() as session:
        return await service.new_milestones(
            session, ctx.who, mentor_id, page, period=period, where=where, sort=sort
        )


async def in_progress(
    ctx: Context,
    mentor_id: str,
    page: PageRequest,
    *,
    year: int | None,
    start_date: date | None,
    end_date: date | None,
    type: str | None,
    where: Filter | None = None,
    sort: Sort = (),
) -> Paged[MilestoneRecord]:
    period = _period(year, start_date, end_date)
    async with ctx.read() as session:
        return await service.in_progress(
            session, ctx.who, mentor_id, page, period=period, type=type, where=where, sort=sort
        )


async def detect(
    ctx: Context,
    *,
    mentor_id: str,
    year: int | None,
    start_date: date | None,
    end_date: date | None,
    summary: dict[str, Any] | None,
) -> detection.Detection:
    return await ctx.run(
        detection.detect,
        ctx.who,
        mentor_id=mentor_id,
        year=year,
        start_date=start_date,
        end_date=end_date,
        summary=summary,
    )


async def update_milestone(
    ctx: Context,
    milestone_id: str,
    changes: service.MilestoneChanges,
    expected_version: int | None,
) -> MilestoneRecord:
    return await ctx.run(
        service.update_milestone, ctx.who, milestone_id, changes, expected_version=expected_version
    )


async def delete_milestone(ctx: Context, milestone_id: str, expected_version: int | None) -> None:
    await ctx.run(
        service.delete_milestone, ctx.who, milestone_id, expected_version=expected_version
    )


async def restore_milestone(ctx: Context, milestone_id: str) -> MilestoneRecord:
    return await ctx.run(service.restore_milestone, ctx.who, milestone_id)


async def definition_by_id(ctx: Context, definition_id: str) -> MilestoneDefinitionRecord | None:
    return await ctx.loaders.get(reads.definitions_by_ids).load(definition_id)


async def definitions(ctx: Context, include_inactive: bool) -> list[MilestoneDefinitionRecord]:
    async with ctx.read() as session:
        return await catalogue.list_definitions(session, ctx.who, include_inactive=include_inactive)


async def visible_definition(ctx: Context, definition_id: str) -> MilestoneDefinitionRecord | None:
    ctx.who  # noqa: B018 - signed-in callers only
    return await definition_by_id(ctx, definition_id)


async def create_definition(
    ctx: Context, *, type: str, threshold: int, name: str, badge: str | None, active: bool
) -> MilestoneDefinitionRecord:
    return await ctx.run(
        catalogue.create_definition,
        ctx.who,
        type=type,
        threshold=threshold,
        name=name,
        badge=badge,
        active=active,
    )


async def update_definition(
    ctx: Context,
    definition_id: str,
    *,
    name: str | None,
    badge: str | None,
    active: bool | None,
) -> MilestoneDefinitionRecord:
    return await ctx.run(
        catalogue.update_definition, ctx.who, definition_id, name=name, badge=badge, active=active
    )


async def person_milestones(
    ctx: Context,
    person_id: str,
    page: PageRequest,
    *,
    status: MilestoneStatus | None,
    type: str | None,
    year: int | None,
    start_date: date | None,
    end_date: date | None,
    where: Filter | None = None,
    sort: Sort = (),
) -> Paged[MilestoneRecord]:
    """The person hub's ``milestones``: the person's milestones the caller may see (as
    ``milestones(mentorId: ...)``), newest period first (or in ``sort``)."""
    filters = service.hub_filters(
        status=status,
        type=type,
        period=_period(year, start_date, end_date),
        where=where,
        sort=sort,
    )
    key = MentorMilestonePage(person_id, filters, page)
    return await ctx.loaders.get(reads.milestone_pages).load(key)
