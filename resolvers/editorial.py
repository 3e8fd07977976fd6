"""Resolvers of the editorial domain: call the services, load relations, hubs and nodes
through the read model's batch readers (``app/services/editorial_reads.py``,
``editorial_pages.py``); every write is one service use case run through ``ctx.run``."""

from __future__ import annotations

from typing import Any

from app.errors import InvalidInput
from app.listing import Filter, Sort
from app.pagination import Paged, PageRequest
from app.services import editorial as service
from app.services import editorial_locks as lock_service
from app.services import editorial_pages as pages
from app.services import editorial_reads as reads
from app.services.editorial_format import normalise_uuid, parse_srn, srn
from app.services.people_reads import PersonRecord
from app.services.policy import EditorialAction, require_editorial_action
from resolvers.context import Context


async def assignment(ctx: Context, uuid: str) -> reads.EditorialAssignmentRecord:
    async with ctx.read() as session:
        return await service.get_assignment(session, ctx.who, uuid)


async def assignments(
    ctx: Context,
    page: PageRequest,
    order: str | None,
    direction: str | None,
    *,
    where: Filter | None = None,
    sort: Sort = (),
) -> Paged[reads.EditorialAssignmentRecord]:
    """The root ``editorialAssignments``: ``order``/``direction`` (``None``: the default)
    or ``sort`` (``orderKeys``, not with the others), narrowed by ``where``."""
    async with ctx.read() as session:
        return await service.list_assignments(
            session, ctx.who, page, order=order, direction=direction, where=where, sort=sort
        )


async def lock(ctx: Context, uuid: str) -> reads.LockView:
    async with ctx.read() as session:
        return await lock_service.get_lock(session, ctx.who, uuid)


# --- node(id): None for a malformed uuid, like an unknown one ------------------------------


async def assignment_node(ctx: Context, key: str) -> reads.EditorialAssignmentRecord | None:
    uuid = normalise_uuid(key)
    return None if uuid is None else await ctx.loaders.get(reads.assignments_by_uuids).load(uuid)


async def issue_node(ctx: Context, key: str) -> reads.IssueRecord | None:
    uuid = normalise_uuid(key)
    return None if uuid is None else await ctx.loaders.get(reads.issues_by_uuids).load(uuid)


async def content_node(ctx: Context, key: str) -> reads.ContentItemRecord | None:
    uuid = normalise_uuid(key)
    return None if uuid is None else await ctx.loaders.get(reads.content_by_uuids).load(uuid)


async def lock_node(ctx: Context, key: str) -> reads.LockRecord | None:
    uuid = normalise_uuid(key)
    return None if uuid is None else await ctx.loaders.get(reads.locks_by_uuids).load(uuid)


# --- relations -----------------------------------------------------------------------------


async def issue(ctx: Context, issue_id: int) -> reads.IssueRecord | None:
    return await ctx.loaders.get(reads.issues_by_ids).load(issue_id)


async def users(ctx: Context, assignment_id: int) -> list[PersonRecord]:
    return await ctx.loaders.get(reads.people_of_assignments).load(assignment_id)


async def children(ctx: Context, assignment_id: int) -> list[reads.ContentItemRecord]:
    return await ctx.loaders.get(reads.children_of_assignments).load(assignment_id)


async def creator(ctx: Context, user_id: int) -> PersonRecord | None:
    return await ctx.loaders.get(reads.creators_by_ids).load(user_id)


async def lock_holder(ctx: Context, user_id: int) -> PersonRecord | None:
    return await ctx.loaders.get(reads.lock_holders_by_ids).load(user_id)


async def active_lock(ctx: Context, srn: str) -> reads.LockRecord | None:
    return await ctx.loaders.get(reads.locks_of_assignments).load(srn)


# --- a person's hub fields -----------------------------------------------------------------


async def assignments_of_person(
    ctx: Context,
    person_id: str,
    page: PageRequest,
    *,
    order: str | None,
    direction: str | None,
    where: Filter | None = None,
    sort: Sort = (),
) -> Paged[reads.EditorialAssignmentRecord] | None:
    """The editorial assignments the person is assigned to (as the root list orders and
    filters them); ``None`` without the ACL action ``ASSIGNMENT list``."""
    key = pages.AssignedPage(person_id, pages.check_order(order, direction, sort), page, where)
    return await ctx.loaders.get(pages.assignment_pages_of_people).load(key)


async def locks_held_by(
    ctx: Context,
    person_id: str,
    page: PageRequest,
    *,
    where: Filter | None = None,
    sort: Sort = (),
) -> Paged[reads.LockRecord] | None:
    """The unexpired editorial locks the person holds matching ``where``, in the ``sort``
    order (empty: oldest first); ``None`` without ``LOCKREQUEST get``."""
    key = pages.HeldLocksPage(person_id, page, where, sort)
    return await ctx.loaders.get(pages.held_lock_pages).load(key)


# --- lock changes --------------------------------------------------------------------------


def require(ctx: Context, action: EditorialAction) -> None:
    require_editorial_action(ctx.who, action)


def canonical_srn(value: str) -> str:
    """The srn with its uuid upper case; BAD_USER_INPUT when it is not an srn."""
    try:
        resource_type, uuid = parse_srn(value)
    except ValueError as exc:
        raise InvalidInput.field("srn", str(exc)) from None
    return srn(resource_type, uuid)


# --- writes --------------------------------------------------------------------------------


async def create(ctx: Context, values: dict[str, Any]) -> reads.EditorialAssignmentRecord:
    return await ctx.run(service.create_assignment, ctx.who, service.input_from(values))


async def update(
    ctx: Context, uuid: str, values: dict[str, Any]
) -> reads.EditorialAssignmentRecord:
    return await ctx.run(service.update_assignment, ctx.who, uuid, service.input_from(values))


async def delete(ctx: Context, uuid: str) -> None:
    await ctx.run(service.delete_assignment, ctx.who, uuid)


async def acquire(ctx: Context, srn: str) -> reads.LockView:
    return await ctx.run(
        lock_service.acquire, ctx.who, srn, ttl=lock_service.lock_ttl(ctx.settings)
    )


async def renew(ctx: Context, uuid: str) -> reads.LockView:
    return await ctx.run(lock_service.renew, ctx.who, uuid, ttl=lock_service.lock_ttl(ctx.settings))


async def release(ctx: Context, uuid: str) -> lock_service.LockChange:
    return await ctx.run(lock_service.release, ctx.who, uuid)
