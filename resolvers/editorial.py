"""Resolvers of the editorial domain: call the services, batch relations through loaders,
and announce lock changes once they are committed."""

from __future__ import annotations

from typing import Any

from app.errors import InvalidInput
from app.models.editorial import (
    EditorialAssignment,
    EditorialContentItem,
    EditorialIssue,
    EditorialLock,
)
from app.pagination import Paged
from app.repositories import editorial as repo
from app.repositories import editorial_locks as locks
from app.services import editorial as service
from app.services import editorial_locks as lock_service
from app.services.editorial_acl import Action, allowed, require_action
from app.services.editorial_format import normalise_uuid, parse_srn, srn
from resolvers.context import Context


async def assignment(ctx: Context, uuid: str) -> EditorialAssignment:
    async with ctx.read() as session:
        return await service.get_assignment(session, ctx.who, uuid)


async def assignments(
    ctx: Context, first: int | None, after: str | None, order: str, direction: str
) -> Paged[EditorialAssignment]:
    page = ctx.page(first, after)
    async with ctx.read() as session:
        return await service.list_assignments(
            session, ctx.who, page, order=order, direction=direction
        )


async def visible_assignment(ctx: Context, uuid: str) -> EditorialAssignment | None:
    """For ``node(id)``: the assignment if the caller holds ``ASSIGNMENT get``, else None."""
    key = normalise_uuid(uuid)
    if key is None or not allowed(ctx.who, Action.ASSIGNMENT_GET):
        return None
    return await ctx.loaders.get(repo.assignments_by_uuids).load(key)


async def lock(ctx: Context, uuid: str) -> lock_service.LockView:
    async with ctx.read() as session:
        return await lock_service.get_lock(session, ctx.who, uuid)


async def issue(ctx: Context, issue_id: int) -> EditorialIssue | None:
    return await ctx.loaders.get(repo.issues_by_ids).load(issue_id)


async def users(ctx: Context, assignment_id: int) -> list[repo.UserView]:
    return await ctx.loaders.get(repo.users_of_assignments).load(assignment_id)


async def children(ctx: Context, assignment_id: int) -> list[EditorialContentItem]:
    return await ctx.loaders.get(repo.children_of_assignments).load(assignment_id)


async def user(ctx: Context, user_id: int) -> repo.UserView | None:
    return await ctx.loaders.get(repo.user_views_by_ids).load(user_id)


async def lock_holder(ctx: Context, user_id: int) -> repo.UserView | None:
    return await ctx.loaders.get(repo.lock_holders_by_ids).load(user_id)


async def active_lock(ctx: Context, srn: str) -> EditorialLock | None:
    return await ctx.loaders.get(locks.active_by_srns).load(srn)


def require(ctx: Context, action: Action) -> None:
    require_action(ctx.who, action)


def canonical_srn(value: str) -> str:
    """The srn with its uuid upper case; BAD_USER_INPUT when it is not an srn."""
    try:
        resource_type, uuid = parse_srn(value)
    except ValueError as exc:
        raise InvalidInput.field("srn", str(exc)) from None
    return srn(resource_type, uuid)


async def create(ctx: Context, values: dict[str, Any]) -> EditorialAssignment:
    async with ctx.write() as session:
        return await service.create_assignment(session, ctx.who, service.input_from(values))


async def update(ctx: Context, uuid: str, values: dict[str, Any]) -> EditorialAssignment:
    async with ctx.write() as session:
        return await service.update_assignment(session, ctx.who, uuid, service.input_from(values))


async def delete(ctx: Context, uuid: str) -> None:
    async with ctx.write() as session:
        released = await service.delete_assignment(session, ctx.who, uuid)
    if released is not None:
        ctx.events.publish(released.event())


async def acquire(ctx: Context, srn: str) -> lock_service.LockView:
    async with ctx.write() as session:
        outcome = await lock_service.acquire(
            session, ctx.who, srn, ttl=lock_service.lock_ttl(ctx.settings)
        )
    ctx.events.publish(outcome.event())
    return outcome.view


async def renew(ctx: Context, uuid: str) -> lock_service.LockView:
    async with ctx.write() as session:
        outcome = await lock_service.renew(
            session, ctx.who, uuid, ttl=lock_service.lock_ttl(ctx.settings)
        )
    ctx.events.publish(outcome.event())
    return outcome.view


async def release(ctx: Context, uuid: str) -> lock_service.LockChange:
    async with ctx.write() as session:
        outcome = await lock_service.release(session, ctx.who, uuid)
    ctx.events.publish(outcome.event())
    return outcome.change
