"""Resolvers for the people directory: decode arguments, call the service, return records."""

from __future__ import annotations

from app.listing import Filter, Sort
from app.pagination import Paged, PageRequest
from app.services import people as service
from app.services import people_reads as reads
from app.services.people_reads import MembershipRecord, OrgRecord, PersonRecord
from resolvers.context import Context


async def me(ctx: Context) -> PersonRecord:
    async with ctx.read() as session:
        return await service.get_person(session, ctx.who, ctx.who.person_id)


async def person(ctx: Context, person_id: str) -> PersonRecord:
    async with ctx.read() as session:
        return await service.get_person(session, ctx.who, person_id)


async def visible_person(ctx: Context, person_id: str) -> PersonRecord | None:
    """The person if the caller may open them, else ``None`` (for ``node(id)``)."""
    return await ctx.loaders.get(reads.people_in_full).load(person_id)


async def people(
    ctx: Context,
    page: PageRequest,
    *,
    org_id: str | None,
    search: str | None,
    role: str | None,
    where: Filter | None = None,
    sort: Sort = (),
) -> Paged[PersonRecord]:
    async with ctx.read() as session:
        return await service.list_people(
            session,
            ctx.who,
            page,
            org_id=org_id,
            search=search,
            role=role,
            where=where,
            sort=sort,
        )


async def organisations(
    ctx: Context, page: PageRequest, *, where: Filter | None = None, sort: Sort = ()
) -> Paged[OrgRecord]:
    async with ctx.read() as session:
        return await service.list_orgs(session, ctx.who, page, where=where, sort=sort)


async def organisation(ctx: Context, org_id: str) -> OrgRecord:
    async with ctx.read() as session:
        return await service.get_org(session, ctx.who, org_id)


async def memberships(ctx: Context, person_id: str) -> list[MembershipRecord] | None:
    """``None`` when the caller sees the person only as a directory card."""
    return await ctx.loaders.get(reads.memberships_of_people).load(person_id)


async def org_by_id(ctx: Context, org_id: str) -> OrgRecord | None:
    return await ctx.loaders.get(reads.orgs_by_ids).load(org_id)


async def person_by_id(ctx: Context, person_id: str) -> PersonRecord | None:
    """A person reached through a relation: in full or as a directory card."""
    return await ctx.loaders.get(reads.people_by_ids).load(person_id)


async def visible_org(ctx: Context, org_id: str) -> OrgRecord | None:
    """The organisation if the caller may open it, else ``None`` (for ``node(id)``)."""
    return await ctx.loaders.get(reads.orgs_seen_by_ids).load(org_id)


async def create_person(
    ctx: Context, person_id: str, name: str, *, email: str | None, roles: list[str]
) -> PersonRecord:
    return await ctx.run(
        service.create_person, ctx.who, person_id=person_id, name=name, email=email, roles=roles
    )


async def update_person(
    ctx: Context,
    person_id: str,
    *,
    name: str | None,
    email: str | object | None,
    roles: list[str] | None,
) -> PersonRecord:
    return await ctx.run(
        service.update_person, ctx.who, person_id, name=name, email=email, roles=roles
    )


async def delete_person(ctx: Context, person_id: str) -> None:
    await ctx.run(service.delete_person, ctx.who, person_id)


async def create_org(
    ctx: Context,
    org_id: str,
    name: str,
    *,
    reminder_days: int | None,
    escalation_days: int | None,
) -> OrgRecord:
    return await ctx.run(
        service.create_org,
        ctx.who,
        org_id=org_id,
        name=name,
        reminder_days=reminder_days,
        escalation_days=escalation_days,
    )


async def update_org(
    ctx: Context,
    org_id: str,
    *,
    name: str | None,
    reminder_days: int | None,
    escalation_days: int | None,
) -> OrgRecord:
    return await ctx.run(
        service.update_org,
        ctx.who,
        org_id,
        name=name,
        reminder_days=reminder_days,
        escalation_days=escalation_days,
    )


async def add_membership(ctx: Context, person_id: str, org_id: str, role: str) -> MembershipRecord:
    return await ctx.run(service.add_membership, ctx.who, person_id, org_id, role)


async def remove_membership(ctx: Context, person_id: str, org_id: str) -> None:
    await ctx.run(service.remove_membership, ctx.who, person_id, org_id)


async def org_people(
    ctx: Context,
    org_id: str,
    page: PageRequest,
    *,
    search: str | None,
    role: str | None,
    where: Filter | None = None,
    sort: Sort = (),
) -> Paged[PersonRecord]:
    """The organisation's members the caller may see (``people(orgId: ...)``), by name or
    in ``sort``: one statement for a page of organisations (``people_reads.members_pages``)."""
    filters = reads.PeopleList(search or None, role, where=where, sort=sort)
    key = reads.MembersPage(org_id, filters, page)
    return await ctx.loaders.get(reads.members_pages).load(key)
