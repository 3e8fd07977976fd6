"""GraphQL types and root fields of the people directory."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Annotated, Any

import strawberry

from app.auth import Principal
from app.events import Event
from app.models import people as models
from app.services import people as service
from app.services.people_reads import MembershipRecord, OrgRecord, PersonRecord
from resolvers import people as resolve
from resolvers.context import Info
from schema.base import After, Connection, First, Node, register_node, to_global_id
from schema.hubs import OrganisationHub, PersonHub
from schema.text import bounded

_PRIVATE = (
    "Private: null when the caller sees this person only as a directory card (reached "
    "through a record they may see, without the right to open the person)."
)


@strawberry.type(
    description="A person in the shared directory: mentor, mentee, coordinator, editor ..."
)
class Person(Node, PersonHub):
    name: str = strawberry.field(description="Full name as shown to users.")
    email: str | None = strawberry.field(description="Contact email, when known. " + _PRIVATE)
    roles: list[str] | None = strawberry.field(
        description="Directory roles: admin, coordinator, peer_mentor, editor, mentee. " + _PRIVATE
    )
    created_at: datetime | None = strawberry.field(
        description="When the person was added. " + _PRIVATE
    )
    updated_at: datetime | None = strawberry.field(
        description="When the person last changed. " + _PRIVATE
    )
    full: strawberry.Private[bool] = True

    @classmethod
    def from_record(cls, record: PersonRecord) -> Person:
        return cls(
            id=to_global_id("Person", record.id),
            legacy_id=record.id,
            name=record.name,
            email=record.email,
            roles=None if record.roles is None else list(record.roles),
            created_at=record.created_at,
            updated_at=record.updated_at,
            full=record.full,
        )

    @classmethod
    def from_row(cls, row: models.Person) -> Person:
        """A person the caller may see in full (a root field's, a write's answer)."""
        return cls.from_record(PersonRecord.of(row))

    @classmethod
    def from_optional(cls, record: PersonRecord | None) -> Person | None:
        """A relation's person, in full or as a directory card (``None``: no one)."""
        return None if record is None else cls.from_record(record)

    @strawberry.field(
        description="The organisations this person belongs to, with their role there. " + _PRIVATE
    )
    async def memberships(self, info: Info) -> list[Membership] | None:
        if not self.full:
            return None
        rows = await resolve.memberships(info.context, self.legacy_id)
        return None if rows is None else [Membership.from_row(row) for row in rows]


@strawberry.type(description="An organisation: a team of coordinators and peer mentors.")
class Organisation(Node, OrganisationHub):
    name: str = strawberry.field(description="Display name.")
    reminder_days: int = strawberry.field(
        description="Days without contact before the mentor gets a reminder."
    )
    escalation_days: int = strawberry.field(
        description="Days without contact before the coordinator is alerted."
    )
    created_at: datetime = strawberry.field(description="When the organisation was added.")

    @classmethod
    def from_row(cls, row: models.Organisation | OrgRecord, info: Info) -> Organisation:
        limits = service.thresholds_for(row, info.context.settings)
        return cls(
            id=to_global_id("Organisation", row.id),
            legacy_id=row.id,
            name=row.name,
            reminder_days=limits.reminder_days,
            escalation_days=limits.escalation_days,
            created_at=row.created_at,
        )


@strawberry.type(description="A person's membership of an organisation.")
class Membership:
    org_id: str = strawberry.field(description="The organisation's id.")
    role: str = strawberry.field(description="The role the person holds there.")

    @classmethod
    def from_row(cls, row: models.Membership | MembershipRecord) -> Membership:
        return cls(org_id=row.org_id, role=row.role)

    @strawberry.field(description="The organisation.")
    async def organisation(self, info: Info) -> Organisation | None:
        row = await resolve.org_by_id(info.context, self.org_id)
        return None if row is None else Organisation.from_row(row, info)


_REMINDER_HELP = "Days without contact before the mentor is reminded, 1-365 (null: default)."
_ESCALATION_HELP = "Days before the coordinator is alerted, 1-365, not below the reminder."
PersonId = Annotated[str, strawberry.argument(description="A directory id, e.g. `user_042`.")]
OrgId = Annotated[str, strawberry.argument(description="An organisation's id, e.g. `org_03`.")]


def _input(description: str) -> Any:
    return strawberry.argument(description=description)


@strawberry.input(description="A new person in the directory.")
class CreatePersonInput:
    id: str = strawberry.field(description="The person's id, kept as given (e.g. `user_042`).")
    name: str = strawberry.field(description="Full name, 1-200 characters.")
    email: str | None = strawberry.field(
        default=None, description="Contact email.", metadata=bounded(service.MAX_EMAIL)
    )
    roles: list[str] = strawberry.field(
        default_factory=list,
        description="Directory roles: admin, coordinator, peer_mentor, editor, mentee.",
    )


@strawberry.input(description="Changes to a person; omitted fields stay as they are.")
class UpdatePersonInput:
    name: str | None = strawberry.field(default=None, description="A new full name.")
    email: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="A new email; null clears it.",
        metadata=bounded(service.MAX_EMAIL),
    )
    roles: list[str] | None = strawberry.field(
        default=None, description="The new directory roles (admin only)."
    )


@strawberry.input(description="A new organisation.")
class CreateOrganisationInput:
    id: str = strawberry.field(description="The organisation's id, kept as given (e.g. `org_03`).")
    name: str = strawberry.field(description="Display name, 1-200 characters.")
    reminder_days: int | None = strawberry.field(default=None, description=_REMINDER_HELP)
    escalation_days: int | None = strawberry.field(default=None, description=_ESCALATION_HELP)


@strawberry.input(description="Changes to an organisation; omitted fields stay as they are.")
class UpdateOrganisationInput:
    name: str | None = strawberry.field(default=None, description="A new display name.")
    reminder_days: int | None = strawberry.field(default=None, description=_REMINDER_HELP)
    escalation_days: int | None = strawberry.field(default=None, description=_ESCALATION_HELP)


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
        return Person.from_row(await resolve.me(info.context))

    @strawberry.field(description="One person by their directory id.")
    async def person(self, info: Info, id: PersonId) -> Person:
        return Person.from_row(await resolve.person(info.context, id))

    @strawberry.field(description="People the caller may see, by name.")
    async def people(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        org_id: Annotated[
            str | None, strawberry.argument(description="Only members of this organisation.")
        ] = None,
        search: Annotated[str | None, strawberry.argument(description="Part of the name.")] = None,
        role: Annotated[
            str | None, strawberry.argument(description="Only people with this directory role.")
        ] = None,
    ) -> Connection[Person]:
        paged = await resolve.people(
            info.context, first, after, org_id=org_id, search=search, role=role
        )
        return Connection.of(paged, Person.from_row)

    @strawberry.field(description="One organisation by id.")
    async def organisation(self, info: Info, id: OrgId) -> Organisation:
        return Organisation.from_row(await resolve.organisation(info.context, id), info)

    @strawberry.field(description="Organisations the caller belongs to (all, for admins).")
    async def organisations(
        self, info: Info, first: First = None, after: After = None
    ) -> Connection[Organisation]:
        paged = await resolve.organisations(info.context, first, after)
        return Connection.of(paged, lambda row: Organisation.from_row(row, info))


@strawberry.type
class PeopleMutation:
    @strawberry.mutation(description="Add a person to the directory (admin).")
    async def create_person(
        self, info: Info, input: Annotated[CreatePersonInput, _input("The new person.")]
    ) -> Person:
        row = await resolve.create_person(
            info.context, input.id, input.name, email=input.email, roles=input.roles
        )
        return Person.from_row(row)

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
        return Person.from_row(row)

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


def _may_see(principal: Principal, event: Event) -> bool:
    return principal.is_admin or event.key == principal.person_id


@strawberry.type
class PeopleSubscription:
    @strawberry.subscription(
        description="Directory changes the caller may see (admins: everyone; others: themselves)."
    )
    async def person_changed(self, info: Info) -> AsyncGenerator[PersonChange, None]:
        who = info.context.who
        async with info.context.events.subscribe("person") as queue:
            while True:
                event = await queue.get()
                if _may_see(who, event):
                    yield PersonChange(kind=event.kind, person_id=event.key)


@strawberry.type(description="A change in the people directory.")
class PersonChange:
    kind: str = strawberry.field(description="created, updated or deleted.")
    person_id: str = strawberry.field(description="The person's directory id.")
