"""Root fields of the people directory: queries, mutations, the change subscription, and
``node(id)`` for people and organisations."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Annotated, Any

import strawberry

from app.services import people as service
from app.services.event_log import event_id
from app.services.policy import hears_person_event
from resolvers import people as resolve
from resolvers.context import Info
from schema.base import (
    FILTER_HELP,
    ORDER_HELP,
    After,
    AfterEvent,
    Before,
    First,
    Last,
    paging,
    register_node,
)
from schema.listing import read_filter, read_order
from schema.people_types import (
    CreateOrganisationInput,
    CreatePersonInput,
    Membership,
    Organisation,
    OrganisationConnection,
    OrganisationFilter,
    OrganisationOrder,
    Person,
    PersonChange,
    PersonConnection,
    PersonFilter,
    PersonOrder,
    UpdateOrganisationInput,
    UpdatePersonInput,
)

PersonId = Annotated[str, strawberry.argument(description="A directory id, e.g. `user_042`.")]
OrgId = Annotated[str, strawberry.argument(description="An organisation's id, e.g. `org_03`.")]


def _input(description: str) -> Any:
    return strawberry.argument(description=description)


async def _person_node(info: Info, key: str) -> Person | None:
    return Person.from_optional(await resolve.visible_person(info.context, key))


async def _org_node(info: Info, key: str) -> Organisation | None:
    row = await resolve.visible_org(info.context, key)
    return None if row is None else Organisation.from_row(row, info)


register_node("Person", _person_node)
register_node("Organisation", _org_node)


@strawberry.type
class PeopleQuery:
    @strawberry.field(description="The person the token belongs to.")
    async def me(self, info: Info) -> Person:
        return Person.from_record(await resolve.me(info.context))

    @strawberry.field(description="One person by their directory id.")
    async def person(self, info: Info, id: PersonId) -> Person:
        return Person.from_record(await resolve.person(info.context, id))

    @strawberry.field(description="People the caller may see, by name.")
    async def people(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        org_id: Annotated[
            str | None, strawberry.argument(description="Only members of this organisation.")
        ] = None,
        search: Annotated[str | None, strawberry.argument(description="Part of the name.")] = None,
        role: Annotated[
            str | None, strawberry.argument(description="Only people with this directory role.")
        ] = None,
        filter: Annotated[PersonFilter | None, strawberry.argument(description=FILTER_HELP)] = None,
        order_by: Annotated[
            list[PersonOrder] | None, strawberry.argument(description=ORDER_HELP)
        ] = None,
    ) -> PersonConnection:
        paged = await resolve.people(
            info.context,
            paging(info, first, after, last, before),
            org_id=org_id,
            search=search,
            role=role,
            where=read_filter(filter),
            sort=read_order(order_by),
        )
        return PersonConnection.of(paged, Person.from_record)

    @strawberry.field(description="One organisation by id.")
    async def organisation(self, info: Info, id: OrgId) -> Organisation:
        return Organisation.from_row(await resolve.organisation(info.context, id), info)

    @strawberry.field(description="Organisations the caller belongs to (all, for admins).")
    async def organisations(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        filter: Annotated[
            OrganisationFilter | None, strawberry.argument(description=FILTER_HELP)
        ] = None,
        order_by: Annotated[
            list[OrganisationOrder] | None, strawberry.argument(description=ORDER_HELP)
        ] = None,
    ) -> OrganisationConnection:
        paged = await resolve.organisations(
            info.context,
            paging(info, first, after, last, before),
            where=read_filter(filter),
            sort=read_order(order_by),
        )
        return OrganisationConnection.of(paged, lambda row: Organisation.from_row(row, info))


@strawberry.type
class PeopleMutation:
    @strawberry.mutation(description="Add a person to the directory (admin).")
    async def create_person(
        self, info: Info, input: Annotated[CreatePersonInput, _input("The new person.")]
    ) -> Person:
        row = await resolve.create_person(
            info.context, input.id, input.name, email=input.email, roles=input.roles
        )
        return Person.from_record(row)

    @strawberry.mutation(description="Change a person (admin; a person may rename themselves).")
    async def update_person(
        self,
        info: Info,
        id: PersonId,
        input: Annotated[UpdatePersonInput, _input("The changes.")],
    ) -> Person:
        row = await resolve.update_person(
            info.context,
            id,
            name=input.name,
            email=service.UNSET if input.email is strawberry.UNSET else input.email,
            roles=input.roles,
        )
        return Person.from_record(row)

    @strawberry.mutation(
        description="Remove a person from the directory (admin; kept as a tombstone)."
    )
    async def delete_person(self, info: Info, id: PersonId) -> bool:
        await resolve.delete_person(info.context, id)
        return True

    @strawberry.mutation(description="Add an organisation (admin).")
    async def create_organisation(
        self, info: Info, input: Annotated[CreateOrganisationInput, _input("The organisation.")]
    ) -> Organisation:
        row = await resolve.create_org(
            info.context,
            input.id,
            input.name,
            reminder_days=input.reminder_days,
            escalation_days=input.escalation_days,
        )
        return Organisation.from_row(row, info)

    @strawberry.mutation(
        description="Change an organisation (admin; its coordinators may set its thresholds)."
    )
    async def update_organisation(
        self,
        info: Info,
        id: OrgId,
        input: Annotated[UpdateOrganisationInput, _input("The changes.")],
    ) -> Organisation:
        row = await resolve.update_org(
            info.context,
            id,
            name=input.name,
            reminder_days=input.reminder_days,
            escalation_days=input.escalation_days,
        )
        return Organisation.from_row(row, info)

    @strawberry.mutation(description="Put a person in an organisation with a role (admin).")
    async def add_membership(
        self,
        info: Info,
        person_id: PersonId,
        org_id: OrgId,
        role: Annotated[str, _input("The role held there (e.g. coordinator).")] = "member",
    ) -> Membership:
        return Membership.from_row(
            await resolve.add_membership(info.context, person_id, org_id, role)
        )

    @strawberry.mutation(description="Take a person out of an organisation (admin).")
    async def remove_membership(self, info: Info, person_id: PersonId, org_id: OrgId) -> bool:
        await resolve.remove_membership(info.context, person_id, org_id)
        return True


@strawberry.type
class PeopleSubscription:
    @strawberry.subscription(
        description="Directory changes the caller may see (admins: everyone; others: themselves)."
    )
    async def person_changed(
        self, info: Info, after: AfterEvent = None
    ) -> AsyncGenerator[PersonChange, None]:
        who = info.context.who
        async with info.context.changes(("person",), after) as events:
            async for event in events:
                if hears_person_event(who, event.key):
                    yield PersonChange(
                        kind=event.action, person_id=event.key, event_id=event_id(event)
                    )
