"""GraphQL types of the people directory: people, organisations, memberships, changes, and
the inputs of its mutations (the root fields are in ``schema/people_roots.py``)."""

from __future__ import annotations

import datetime as dt
from datetime import datetime
from enum import Enum

import strawberry

from app.services import people as service
from app.services.people_reads import MembershipRecord, OrgRecord, PersonRecord
from resolvers import people as resolve
from resolvers.context import Info
from schema.aggregates import AggregatedConnection, Aggregates, aggregated
from schema.base import Node, event_id_field, to_global_id
from schema.hubs import OrganisationHub, PersonHub
from schema.listing import DateTimeFilter, KeyFilter, SortDirection, TextFilter
from schema.text import bounded

_PRIVATE = (
    "Private: null when the caller sees this person only as a directory card (reached "
    "through a record they may see, without the right to open the person)."
)


# Lists of people show only people the caller sees in full, but the filters and orders
# offer only what every caller who sees a person sees on them: no email, no roles.
@strawberry.input(
    description="Conditions on people (each field's conditions combined with and; `and`, "
    "`or` and `not` combine filters). Applied within what the caller may see."
)
class PersonFilter:
    legacy_id: KeyFilter | None = strawberry.field(
        default=None, description="The directory id (`legacyId`), e.g. `user_042`."
    )
    name: TextFilter | None = strawberry.field(default=None, description="The full name.")
    created_at: DateTimeFilter | None = strawberry.field(
        default=None, description="When the person was added."
    )
    updated_at: DateTimeFilter | None = strawberry.field(
        default=None, description="When the person last changed."
    )
    and_: list[PersonFilter] | None = strawberry.field(
        name="and", default=None, description="All of these."
    )
    or_: list[PersonFilter] | None = strawberry.field(
        name="or", default=None, description="Any of these."
    )
    not_: PersonFilter | None = strawberry.field(name="not", default=None, description="Not this.")


@strawberry.enum(description="The fields people may be ordered by.")
class PersonOrderField(Enum):
    LEGACY_ID = strawberry.enum_value("legacy_id", description="The directory id.")
    NAME = strawberry.enum_value("name", description="The full name.")
    CREATED_AT = strawberry.enum_value("created_at", description="When added.")
    UPDATED_AT = strawberry.enum_value("updated_at", description="When last changed.")


@strawberry.input(description="One key of a people order.")
class PersonOrder:
    field: PersonOrderField = strawberry.field(description="What to order by.")
    direction: SortDirection = strawberry.field(
        default=SortDirection.ASC, description="Ascending (default) or descending."
    )


@strawberry.input(
    description="Conditions on organisations (each field's conditions combined with and; "
    "`and`, `or` and `not` combine filters). Applied within what the caller may see."
)
class OrganisationFilter:
    legacy_id: KeyFilter | None = strawberry.field(
        default=None, description="The organisation's id (`legacyId`), e.g. `org_03`."
    )
    name: TextFilter | None = strawberry.field(default=None, description="The display name.")
    created_at: DateTimeFilter | None = strawberry.field(
        default=None, description="When the organisation was added."
    )
    and_: list[OrganisationFilter] | None = strawberry.field(
        name="and", default=None, description="All of these."
    )
    or_: list[OrganisationFilter] | None = strawberry.field(
        name="or", default=None, description="Any of these."
    )
    not_: OrganisationFilter | None = strawberry.field(
        name="not", default=None, description="Not this."
    )


@strawberry.enum(description="The fields organisations may be ordered by.")
class OrganisationOrderField(Enum):
    LEGACY_ID = strawberry.enum_value("legacy_id", description="The organisation's id.")
    NAME = strawberry.enum_value("name", description="The display name.")
    CREATED_AT = strawberry.enum_value("created_at", description="When added.")


@strawberry.input(description="One key of an organisations order.")
class OrganisationOrder:
    field: OrganisationOrderField = strawberry.field(description="What to order by.")
    direction: SortDirection = strawberry.field(
        default=SortDirection.ASC, description="Ascending (default) or descending."
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
    def if_seen(cls, row: OrgRecord | None, info: Info) -> Organisation | None:
        """A relation's organisation: ``None`` when there is none, or when the caller may
        not open it (docs/decisions.md, "People seen through a relation")."""
        return None if row is None or not row.seen else cls.from_row(row, info)

    @classmethod
    def from_row(cls, row: OrgRecord, info: Info) -> Organisation:
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
    def from_row(cls, row: MembershipRecord) -> Membership:
        return cls(org_id=row.org_id, role=row.role)

    @strawberry.field(description="The organisation.")
    async def organisation(self, info: Info) -> Organisation | None:
        return Organisation.if_seen(await resolve.org_by_id(info.context, self.org_id), info)


_REMINDER_HELP = "Days without contact before the mentor is reminded, 1-365 (null: default)."
_ESCALATION_HELP = "Days before the coordinator is alerted, 1-365, not below the reminder."


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


@strawberry.type(description="A change in the people directory.")
class PersonChange:
    kind: str = strawberry.field(description="created, updated or deleted.")
    person_id: str = strawberry.field(description="The person's directory id.")
    event_id: str = event_id_field()


# --- aggregates on the people connections ----------------------------------------------------


@strawberry.enum(description="What grouped people aggregates may group by.")
class PersonGroupBy(Enum):
    DAY = strawberry.enum_value("day", description="The day of `createdAt` (`2025-06-09`).")
    WEEK = strawberry.enum_value("week", description="The ISO week of `createdAt`, by its Monday.")
    MONTH = strawberry.enum_value("month", description="The month of `createdAt` (`2025-06`).")
    YEAR = strawberry.enum_value("year", description="The year of `createdAt` (`2025`).")


@strawberry.type(description="The least or greatest values among the people of a group.")
class PersonBounds:
    created_at: dt.datetime | None = strawberry.field(description="When added; null for none.")
    updated_at: dt.datetime | None = strawberry.field(
        description="When last changed; null for none."
    )


@strawberry.type(description="Aggregates over the people of a list, or of one group of them.")
class PersonAggregates(Aggregates):
    min: PersonBounds = strawberry.field(description="Least values.")
    max: PersonBounds = strawberry.field(description="Greatest values.")


@strawberry.type(description="A page of people, with cursors, the total count and aggregates.")
@aggregated(PersonAggregates, PersonGroupBy)
class PersonConnection(AggregatedConnection[Person]):
    pass


# --- aggregates on the organisations connections ---------------------------------------------


@strawberry.enum(description="What grouped organisations aggregates may group by.")
class OrganisationGroupBy(Enum):
    DAY = strawberry.enum_value("day", description="The day of `createdAt` (`2025-06-09`).")
    WEEK = strawberry.enum_value("week", description="The ISO week of `createdAt`, by its Monday.")
    MONTH = strawberry.enum_value("month", description="The month of `createdAt` (`2025-06`).")
    YEAR = strawberry.enum_value("year", description="The year of `createdAt` (`2025`).")


@strawberry.type(description="The least or greatest values among the organisations of a group.")
class OrganisationBounds:
    created_at: dt.datetime | None = strawberry.field(description="When added; null for none.")


@strawberry.type(
    description="Aggregates over the organisations of a list, or of one group of them."
)
class OrganisationAggregates(Aggregates):
    min: OrganisationBounds = strawberry.field(description="Least values.")
    max: OrganisationBounds = strawberry.field(description="Greatest values.")


@strawberry.type(
    description="A page of organisations, with cursors, the total count and aggregates."
)
@aggregated(OrganisationAggregates, OrganisationGroupBy)
class OrganisationConnection(AggregatedConnection[Organisation]):
    pass
