"""Resolvers for activities: decode arguments, call the services (writes run as use cases
in a unit of work, which records and publishes their events).

Validation errors name the GraphQL arguments (camelCase): the GraphQL error rendering,
and a sync item's error, rename the services' field names (``app.errors.graphql_field``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from app.errors import DomainError
from app.pagination import Paged, PageRequest
from app.services import activities as service
from app.services import activity_changes as changing
from app.services import activity_reads as reads
from app.services import activity_totals as totals
from app.services import activity_types as types
from app.services import people_reads
from app.services.activity_reads import (
    ActivityFilters,
    ActivityRecord,
    ActivityStatus,
    ActivityTypeRecord,
    YearSummaryRecord,
)
from app.services.activity_rules import NewActivity
from resolvers.context import Context
from resolvers.loaders import BatchFn
from resolvers.prefetch import ItemFields, prime


async def activity(ctx: Context, activity_id: str) -> ActivityRecord:
    async with ctx.read() as session:
        return await service.get_activity(session, ctx.who, activity_id)


async def visible_activity(ctx: Context, activity_id: str) -> ActivityRecord | None:
    """The activity if the caller may see it, else ``None`` (for ``node(id)``)."""
    return await ctx.loaders.get(reads.activities_by_ids).load(activity_id)


async def activities(
    ctx: Context, page: PageRequest, filters: ActivityFilters
) -> Paged[ActivityRecord]:
    async with ctx.read() as session:
        return await service.list_activities(session, ctx.who, page, filters)


async def mentor_activities(
    ctx: Context, person_id: str, page: PageRequest, filters: ActivityFilters
) -> Paged[ActivityRecord]:
    """A person's hub field ``activities``: their activities the caller may see, newest
    first (as ``activities(peerMentorId: ...)``), batched for a page of people."""
    key = service.mentor_page_key(person_id, filters, page)
    return await ctx.loaders.get(reads.activity_pages).load(key)


async def yearly_summary(
    ctx: Context, person_id: str, year: int | None
) -> YearSummaryRecord | None:
    """A person's hub field ``yearlySummary``: ``None`` when the caller may not see the
    person's activities (the mentor, their organisations' coordinators and admins may)."""
    found = await ctx.loaders.get(reads.yearly_summaries).load((person_id, year))
    if isinstance(found, DomainError):  # the loader raises these; narrows the type
        raise found
    return found


async def prefetch(ctx: Context, rows: Sequence[ActivityRecord], wanted: ItemFields) -> None:
    """Load the relations a page of activities has selected (``wanted``, see
    ``resolvers.prefetch``) in one batch each, before the items resolve."""
    loads: list[tuple[BatchFn[Any], Iterable[Any]]] = []
    if "mentor" in wanted:
        loads.append((people_reads.people_by_ids, sorted({row.peer_mentor_id for row in rows})))
    if "activityType" in wanted:
        loads.append((reads.activity_types_by_ids, sorted({row.activity_type_id for row in rows})))
    await prime(ctx, loads)


async def activity_type_by_id(ctx: Context, type_id: str) -> ActivityTypeRecord | None:
    return await ctx.loaders.get(reads.activity_types_by_ids).load(type_id)


async def activity_types(ctx: Context, include_inactive: bool) -> list[ActivityTypeRecord]:
    async with ctx.read() as session:
        return await types.list_types(session, ctx.who, include_inactive=include_inactive)


async def visible_activity_type(ctx: Context, type_id: str) -> ActivityTypeRecord | None:
    ctx.who  # noqa: B018 - authenticated callers only
    return await activity_type_by_id(ctx, type_id)


async def mentor_totals(
    ctx: Context, mentor_id: str, start: date, end: date
) -> totals.ActivityTotals:
    async with ctx.read() as session:
        return await totals.get_mentor_totals(session, ctx.who, mentor_id, start, end)


async def log_activity(ctx: Context, new: NewActivity) -> service.Logged:
    return await ctx.write_with(service.log_new_activity, ctx.work, ctx.who, new)


async def sync_activities(ctx: Context, items: Sequence[NewActivity]) -> list[service.SyncResult]:
    return await ctx.run(
        service.sync_activities, ctx.who, items, max_items=ctx.settings.activity_sync_max_items
    )


async def update_activity(
    ctx: Context, activity_id: str, changes: changing.ActivityChanges, expected_version: int | None
) -> ActivityRecord:
    return await ctx.run(
        changing.update_activity, ctx.who, activity_id, changes, expected_version=expected_version
    )


async def decide(
    ctx: Context,
    activity_id: str,
    target: ActivityStatus,
    reason: str | None,
    expected_version: int | None,
) -> ActivityRecord:
    return await ctx.run(
        changing.decide,
        ctx.who,
        activity_id,
        target,
        reason=reason,
        expected_version=expected_version,
    )


async def delete_activity(ctx: Context, activity_id: str, expected_version: int | None) -> None:
    await ctx.run(changing.delete_activity, ctx.who, activity_id, expected_version=expected_version)


async def restore_activity(ctx: Context, activity_id: str) -> ActivityRecord:
    return await ctx.run(changing.restore_activity, ctx.who, activity_id)


async def create_activity_type(
    ctx: Context, type_id: str, name: str, description: str | None, active: bool
) -> ActivityTypeRecord:
    return await ctx.run(
        types.create_type,
        ctx.who,
        type_id=type_id,
        name=name,
        description=description,
        active=active,
    )


async def update_activity_type(
    ctx: Context,
    type_id: str,
    *,
    name: str | None,
    description: str | object | None,
    active: bool | None,
) -> ActivityTypeRecord:
    return await ctx.run(
        types.update_type, ctx.who, type_id, name=name, description=description, active=active
    )
