"""GraphQL types of mentoring assignments (root fields: ``schema/mentoring_roots.py``)."""

from __future__ import annotations

import datetime as dt
from datetime import datetime
from enum import Enum
from typing import Annotated, Any

import strawberry

from app.services import followups, people_reads
from app.services import mentoring_reads as reads
from app.services.mentoring_reads import (
    AssignmentRecord,
    ContactRecord,
    NotificationRecord,
    StatusChangeRecord,
)
from app.timeutil import days_between, utcnow
from resolvers import deliveries as delivery_resolve
from resolvers import mentoring as resolve
from resolvers import people as people_resolve
from resolvers.context import Info
from resolvers.prefetch import now_or_later
from schema.aggregates import AggregatedConnection, Aggregates, aggregated
from schema.base import Node, optional_event_id_field, register_node, to_global_id
from schema.listing import (
    DateTimeFilter,
    EnumFilter,
    IntFilter,
    KeyFilter,
    SortDirection,
)
from schema.people_types import Organisation, Person
from schema.relations import Relation

_MENTOR = Relation(people_reads.people_by_ids, "mentor_id", Person.from_optional)
_MENTEE = Relation(people_reads.people_by_ids, "mentee_id", Person.from_optional)
_COORDINATOR = Relation(people_reads.people_by_ids, "coordinator_id", Person.from_optional)

Last = Annotated[int, strawberry.argument(description="How many of the latest, 1-100.")]


@strawberry.enum(description="Where an assignment is in its lifecycle.")
class AssignmentStatus(Enum):
    OPEN = strawberry.enum_value("open", description="Ongoing (contract 000 says `active`).")
    CLOSED = strawberry.enum_value(
        "closed", description="Finished (contract 000 says `completed`)."
    )


@strawberry.enum(description="Which assignments a list shows, by status.")
class AssignmentStatusFilter(Enum):
    OPEN = strawberry.enum_value("open", description="Only open ones (the default).")
    CLOSED = strawberry.enum_value("closed", description="Only closed ones.")
    ALL = strawberry.enum_value("all", description="Open and closed.")


@strawberry.enum(description="How a mentor and mentee were in touch.")
class ContactType(Enum):
    MESSAGE = strawberry.enum_value("message", description="A text or chat message.")
    CALL = strawberry.enum_value("call", description="A phone or video call.")
    MEETING = strawberry.enum_value("meeting", description="A meeting in person.")
    VISIT = strawberry.enum_value("visit", description="A home or site visit.")
    EMAIL = strawberry.enum_value("email", description="An email.")
    OTHER = strawberry.enum_value("other", description="Anything else.")


@strawberry.enum(description="What a follow-up notification is about.")
class NotificationKind(Enum):
    REMINDER = strawberry.enum_value(
        "reminder", description="To the mentor: no contact for the reminder threshold."
    )
    ESCALATION = strawberry.enum_value(
        "escalation", description="To the coordinator: no contact for the escalation threshold."
    )


@strawberry.input(
    description="Conditions on assignments (each field's conditions combined with and; "
    "`and`, `or` and `not` combine filters). Applied within what the caller may see."
)
class AssignmentFilter:
    status: EnumFilter[AssignmentStatus] | None = strawberry.field(
        default=None, description="Open or closed."
    )
    mentor_id: KeyFilter | None = strawberry.field(
        default=None, description="The peer mentor's directory id."
    )
    mentee_id: KeyFilter | None = strawberry.field(
        default=None, description="The mentee's (contact's) directory id."
    )
    coordinator_id: KeyFilter | None = strawberry.field(
        default=None, description="The coordinator's directory id (null when none is named)."
    )
    org_id: KeyFilter | None = strawberry.field(
        default=None, description="The organisation's id (null when it has none)."
    )
    start_date: DateTimeFilter | None = strawberry.field(
        default=None, description="When the assignment started."
    )
    last_contact_at: DateTimeFilter | None = strawberry.field(
        default=None, description="The latest recorded contact (null when there was none)."
    )
    closed_at: DateTimeFilter | None = strawberry.field(
        default=None, description="When it was closed (null while never closed)."
    )
    created_at: DateTimeFilter | None = strawberry.field(
        default=None, description="When the assignment was created."
    )
    updated_at: DateTimeFilter | None = strawberry.field(
        default=None, description="When it last changed."
    )
    and_: list[AssignmentFilter] | None = strawberry.field(
        name="and", default=None, description="All of these."
    )
    or_: list[AssignmentFilter] | None = strawberry.field(
        name="or", default=None, description="Any of these."
    )
    not_: AssignmentFilter | None = strawberry.field(
        name="not", default=None, description="Not this."
    )


@strawberry.enum(description="The fields assignments may be ordered by.")
class AssignmentOrderField(Enum):
    STATUS = strawberry.enum_value("status", description="The status (its stored word).")
    MENTOR_ID = strawberry.enum_value("mentor_id", description="The mentor's id.")
    MENTEE_ID = strawberry.enum_value("mentee_id", description="The mentee's id.")
    COORDINATOR_ID = strawberry.enum_value("coordinator_id", description="The coordinator's id.")
    ORG_ID = strawberry.enum_value("org_id", description="The organisation's id.")
    START_DATE = strawberry.enum_value("start_date", description="When it started.")
    LAST_CONTACT_AT = strawberry.enum_value("last_contact_at", description="The latest contact.")
    CLOSED_AT = strawberry.enum_value("closed_at", description="When it was closed.")
    CREATED_AT = strawberry.enum_value("created_at", description="When it was created.")
    UPDATED_AT = strawberry.enum_value("updated_at", description="When it last changed.")


@strawberry.input(description="One key of an assignments order.")
class AssignmentOrder:
    field: AssignmentOrderField = strawberry.field(description="What to order by.")
    direction: SortDirection = strawberry.field(
        default=SortDirection.ASC, description="Ascending (default) or descending."
    )


@strawberry.input(
    description="Conditions on follow-up notifications (each field's conditions combined "
    "with and; `and`, `or` and `not` combine filters). Applied within what the caller may see."
)
class NotificationFilter:
    kind: EnumFilter[NotificationKind] | None = strawberry.field(
        default=None, description="Reminder or escalation."
    )
    assignment_id: KeyFilter | None = strawberry.field(
        default=None, description="The assignment's legacy id."
    )
    recipient_id: KeyFilter | None = strawberry.field(
        default=None, description="The recipient's directory id (null when none)."
    )
    days_without_contact: IntFilter | None = strawberry.field(
        default=None, description="Days of the gap when raised."
    )
    created_at: DateTimeFilter | None = strawberry.field(
        default=None, description="When it was raised."
    )
    and_: list[NotificationFilter] | None = strawberry.field(
        name="and", default=None, description="All of these."
    )
    or_: list[NotificationFilter] | None = strawberry.field(
        name="or", default=None, description="Any of these."
    )
    not_: NotificationFilter | None = strawberry.field(
        name="not", default=None, description="Not this."
    )


@strawberry.enum(description="The fields follow-up notifications may be ordered by.")
class NotificationOrderField(Enum):
    KIND = strawberry.enum_value("kind", description="The kind (its stored word).")
    ASSIGNMENT_ID = strawberry.enum_value("assignment_id", description="The assignment's id.")
    RECIPIENT_ID = strawberry.enum_value("recipient_id", description="The recipient's id.")
    DAYS_WITHOUT_CONTACT = strawberry.enum_value(
        "days_without_contact", description="Days of the gap when raised."
    )
    CREATED_AT = strawberry.enum_value("created_at", description="When it was raised.")


@strawberry.input(description="One key of a notifications order.")
class NotificationOrder:
    field: NotificationOrderField = strawberry.field(description="What to order by.")
    direction: SortDirection = strawberry.field(
        default=SortDirection.ASC, description="Ascending (default) or descending."
    )


@strawberry.type(description="One recorded contact between mentor and mentee.")
class AssignmentContact:
    contact_at: datetime = strawberry.field(description="When the contact took place.")
    contact_type: ContactType = strawberry.field(description="How they were in touch.")
    recorded_by_id: str = strawberry.field(description="Directory id of who recorded it.")
    recorded_at: datetime = strawberry.field(description="When it was recorded.")

    @classmethod
    def from_record(cls, row: ContactRecord) -> AssignmentContact:
        return cls(
            contact_at=row.contact_at,
            contact_type=ContactType(row.contact_type),
            recorded_by_id=row.recorded_by,
            recorded_at=row.created_at,
        )


@strawberry.type(description="One status change of an assignment, with its reason.")
class AssignmentStatusChange:
    from_status: AssignmentStatus = strawberry.field(description="The status before.")
    to_status: AssignmentStatus = strawberry.field(description="The status after.")
    reason: str | None = strawberry.field(description="Why, as given by who changed it.")
    changed_by_id: str = strawberry.field(description="Directory id of who changed it.")
    changed_at: datetime = strawberry.field(description="When it changed.")

    @classmethod
    def from_record(cls, row: StatusChangeRecord) -> AssignmentStatusChange:
        return cls(
            from_status=AssignmentStatus(row.from_status),
            to_status=AssignmentStatus(row.to_status),
            reason=row.reason,
            changed_by_id=row.changed_by,
            changed_at=row.changed_at,
        )


@strawberry.type(description="A mentor assigned to a person they support (mentee / contact).")
class Assignment(Node):
    status: AssignmentStatus = strawberry.field(description="Open or closed.")
    legacy_status: str = strawberry.field(
        description="The status word the REST contract that created it uses "
        "(`active`/`completed` for 000, `open`/`closed` otherwise)."
    )
    notes: str | None = strawberry.field(description="Casework notes.")
    start_date: datetime = strawberry.field(
        description="When the assignment started (REST `start_date` / `assigned_date`)."
    )
    last_contact_at: datetime | None = strawberry.field(
        description="The latest recorded contact; null when there was none."
    )
    closed_at: datetime | None = strawberry.field(description="When it was closed.")
    reminder_sent_at: datetime | None = strawberry.field(
        description="When the mentor was reminded in the current contact gap."
    )
    escalation_sent_at: datetime | None = strawberry.field(
        description="When the coordinator was alerted in the current contact gap."
    )
    created_at: datetime = strawberry.field(description="When the assignment was created.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
    version: int = strawberry.field(
        description="Changes with every update; pass it as `expectedVersion` to update safely."
    )
    mentor_id: strawberry.Private[str]
    mentee_id: strawberry.Private[str]
    coordinator_id: strawberry.Private[str | None]
    org_id: strawberry.Private[str | None]

    @classmethod
    def from_record(cls, row: AssignmentRecord) -> Assignment:
        return cls(
            id=to_global_id("Assignment", row.id),
            legacy_id=row.id,
            status=AssignmentStatus(row.status),
            legacy_status=row.status_word,
            notes=row.notes,
            start_date=row.started_at,
            last_contact_at=row.last_contact_at,
            closed_at=row.closed_at,
            reminder_sent_at=row.reminder_sent_at,
            escalation_sent_at=row.escalation_sent_at,
            created_at=row.created_at,
            updated_at=row.updated_at,
            version=row.version,
            mentor_id=row.mentor_id,
            mentee_id=row.mentee_id,
            coordinator_id=row.coordinator_id,
            org_id=row.org_id,
        )

    @strawberry.field(description="Whole days since the latest contact (UTC); null without one.")
    def days_since_contact(self) -> int | None:
        last = self.last_contact_at
        return None if last is None else days_between(last, utcnow())

    # Relations answer from the DataLoader cache without awaiting when the page they are
    # on prefetched them (resolvers/prefetch.py); otherwise they load as usual.
    @strawberry.field(
        description="Open, with no contact for its organisation's reminder threshold: what "
        "`overdueAssignments` lists when given no `cutoff` or `days`.",
        graphql_type=bool,
    )
    def overdue(self, info: Info) -> Any:
        ctx = info.context

        def rule(org: Any) -> bool:
            return followups.is_overdue(
                is_open=self.status is AssignmentStatus.OPEN,
                gap_start=self.last_contact_at or self.start_date,
                org=org,
                settings=ctx.settings,
            )

        if self.org_id is None:
            return rule(None)
        return now_or_later(ctx, people_reads.orgs_by_ids, self.org_id, rule)

    @strawberry.field(
        description="The peer mentor.", graphql_type=Person | None, metadata=_MENTOR.metadata
    )
    def mentor(self, info: Info) -> Any:
        return _MENTOR.resolve(info.context, self)

    @strawberry.field(
        description="The person the mentor supports (contract 001: the contact).",
        graphql_type=Person | None,
        metadata=_MENTEE.metadata,
    )
    def mentee(self, info: Info) -> Any:
        return _MENTEE.resolve(info.context, self)

    @strawberry.field(
        description="The coordinator who follows the assignment up, if named.",
        graphql_type=Person | None,
        metadata=_COORDINATOR.metadata,
    )
    def coordinator(self, info: Info) -> Any:
        return _COORDINATOR.resolve(info.context, self)

    @strawberry.field(
        description="The organisation the assignment belongs to.",
        graphql_type=Organisation | None,
    )
    def organisation(self, info: Info) -> Any:
        if self.org_id is None:
            return None
        return now_or_later(
            info.context,
            people_reads.orgs_by_ids,
            self.org_id,
            lambda row: Organisation.if_seen(row, info),
        )

    @strawberry.field(
        description="Recorded contacts, newest first (at most `last`, 1-100).",
        graphql_type=list[AssignmentContact],
    )
    def contacts(self, info: Info, last: Last = 10) -> Any:
        resolve.check_last(last)
        return now_or_later(
            info.context,
            reads.latest_contacts,
            (self.legacy_id, last),
            lambda rows: [AssignmentContact.from_record(row) for row in rows],
        )

    @strawberry.field(description="The latest status changes (at most `last`), oldest first.")
    async def status_changes(self, info: Info, last: Last = 20) -> list[AssignmentStatusChange]:
        rows = await resolve.status_changes(info.context, self.legacy_id, last)
        return [AssignmentStatusChange.from_record(row) for row in rows]

    @strawberry.field(
        description="The latest reminders and escalations raised for it (at most `last`), "
        "oldest first."
    )
    async def notifications(self, info: Info, last: Last = 20) -> list[Notification]:
        rows = await resolve.notifications_of(info.context, self.legacy_id, last)
        return [Notification.from_record(row) for row in rows]


@strawberry.type(description="A follow-up reminder or escalation in the notification outbox.")
class Notification(Node):
    kind: NotificationKind = strawberry.field(description="Reminder or escalation.")
    gap_start: datetime = strawberry.field(
        description="Start of the contact gap it was raised for (last contact, or the start)."
    )
    days_without_contact: int = strawberry.field(description="Days of the gap when raised.")
    created_at: datetime = strawberry.field(description="When it was raised.")
    delivered_at: datetime | None = strawberry.field(
        description="When a delivery worker sent it (through its last pending channel); "
        "null while waiting in the outbox."
    )
    assignment_id: strawberry.Private[str]
    recipient_id: strawberry.Private[str | None]
    delivery_attempts: strawberry.Private[int] = 0
    delivery_error: strawberry.Private[str | None] = None
    dead_lettered_at_value: strawberry.Private[datetime | None] = None
    event_id: str | None = optional_event_id_field()

    @classmethod
    def from_record(cls, row: NotificationRecord) -> Notification:
        return cls(
            id=to_global_id("Notification", row.id),
            legacy_id=row.id,
            kind=NotificationKind(row.kind),
            gap_start=row.gap_start,
            days_without_contact=row.days_without_contact,
            created_at=row.created_at,
            delivered_at=row.delivered_at,
            assignment_id=row.assignment_id,
            recipient_id=row.recipient_id,
            delivery_attempts=row.delivery_attempts,
            delivery_error=row.delivery_error,
            dead_lettered_at_value=row.dead_lettered_at,
        )

    @strawberry.field(
        description="Delivery attempts begun over its channels (admins and the "
        "organisation's coordinators; null for others)."
    )
    async def attempts(self, info: Info) -> int | None:
        shown = await delivery_resolve.sees_delivery_details(info.context, self.assignment_id)
        return self.delivery_attempts if shown else None

    @strawberry.field(
        description="The error of its last failed delivery attempt (admins and the "
        "organisation's coordinators; null for others, and when none failed)."
    )
    async def last_error(self, info: Info) -> str | None:
        shown = await delivery_resolve.sees_delivery_details(info.context, self.assignment_id)
        return self.delivery_error if shown else None

    @strawberry.field(
        description="When a channel gave up on it after the last attempt (dead-lettered; "
        "admins and the organisation's coordinators; null for others)."
    )
    async def dead_lettered_at(self, info: Info) -> datetime | None:
        shown = await delivery_resolve.sees_delivery_details(info.context, self.assignment_id)
        return self.dead_lettered_at_value if shown else None

    @strawberry.field(description="Who it is for: the mentor (reminder) or coordinator.")
    async def recipient(self, info: Info) -> Person | None:
        if self.recipient_id is None:
            return None
        return Person.from_optional(
            await people_resolve.person_by_id(info.context, self.recipient_id)
        )

    @strawberry.field(description="The assignment it is about (null once deleted).")
    async def assignment(self, info: Info) -> Assignment | None:
        row = await resolve.visible_assignment(info.context, self.assignment_id)
        return None if row is None else Assignment.from_record(row)


async def _assignment_node(info: Info, key: str) -> Assignment | None:
    row = await resolve.visible_assignment(info.context, key)
    return None if row is None else Assignment.from_record(row)


async def _notification_node(info: Info, key: str) -> Notification | None:
    row = await resolve.visible_notification(info.context, key)
    return None if row is None else Notification.from_record(row)


register_node("Assignment", _assignment_node)
register_node("Notification", _notification_node)


# --- aggregates on the assignments connections -----------------------------------------------


@strawberry.enum(description="What grouped assignments aggregates may group by.")
class AssignmentGroupBy(Enum):
    STATUS = strawberry.enum_value("status", description="The status (its stored word).")
    ORGANISATION = strawberry.enum_value(
        "org_id", description="The organisation's id (null when none)."
    )
    MENTOR = strawberry.enum_value("mentor_id", description="The peer mentor's directory id.")
    MENTEE = strawberry.enum_value("mentee_id", description="The mentee's directory id.")
    COORDINATOR = strawberry.enum_value(
        "coordinator_id", description="The coordinator's directory id (null when none)."
    )
    DAY = strawberry.enum_value("day", description="The day of `startDate` (`2025-06-09`).")
    WEEK = strawberry.enum_value("week", description="The ISO week of `startDate`, by its Monday.")
    MONTH = strawberry.enum_value("month", description="The month of `startDate` (`2025-06`).")
    YEAR = strawberry.enum_value("year", description="The year of `startDate` (`2025`).")


@strawberry.type(description="The least or greatest values among the assignments of a group.")
class AssignmentBounds:
    start_date: dt.datetime | None = strawberry.field(description="When it started; null for none.")
    last_contact_at: dt.datetime | None = strawberry.field(
        description="The latest recorded contact; null for none."
    )
    closed_at: dt.datetime | None = strawberry.field(
        description="When it was closed; null for none."
    )
    created_at: dt.datetime | None = strawberry.field(description="When created; null for none.")
    updated_at: dt.datetime | None = strawberry.field(
        description="When it last changed; null for none."
    )


@strawberry.type(description="Aggregates over the assignments of a list, or of one group of them.")
class AssignmentAggregates(Aggregates):
    min: AssignmentBounds = strawberry.field(description="Least values.")
    max: AssignmentBounds = strawberry.field(description="Greatest values.")


@strawberry.type(description="A page of assignments, with cursors, the total count and aggregates.")
@aggregated(AssignmentAggregates, AssignmentGroupBy)
class AssignmentConnection(AggregatedConnection[Assignment]):
    pass


# --- aggregates on the notifications connections ---------------------------------------------


@strawberry.enum(description="What grouped notifications aggregates may group by.")
class NotificationGroupBy(Enum):
    KIND = strawberry.enum_value("kind", description="Reminder or escalation (its stored word).")
    ASSIGNMENT = strawberry.enum_value("assignment_id", description="The assignment's id.")
    RECIPIENT = strawberry.enum_value(
        "recipient_id", description="The recipient's directory id (null when none)."
    )
    DAY = strawberry.enum_value("day", description="The day of `createdAt` (`2025-06-09`).")
    WEEK = strawberry.enum_value("week", description="The ISO week of `createdAt`, by its Monday.")
    MONTH = strawberry.enum_value("month", description="The month of `createdAt` (`2025-06`).")
    YEAR = strawberry.enum_value("year", description="The year of `createdAt` (`2025`).")


@strawberry.type(description="Sums over the notifications of a group.")
class NotificationSums:
    days_without_contact: int = strawberry.field(
        description="Days without contact, in all (0 for none)."
    )


@strawberry.type(description="Averages over the notifications of a group.")
class NotificationAverages:
    days_without_contact: float | None = strawberry.field(
        description="Days without contact; null for none."
    )


@strawberry.type(description="The least or greatest values among the notifications of a group.")
class NotificationBounds:
    days_without_contact: int | None = strawberry.field(
        description="Days without contact; null for none."
    )
    gap_start: dt.datetime | None = strawberry.field(
        description="When the gap in contact began; null for none."
    )
    created_at: dt.datetime | None = strawberry.field(description="When queued; null for none.")
    delivered_at: dt.datetime | None = strawberry.field(
        description="When delivered; null for none."
    )


@strawberry.type(
    description="Aggregates over the notifications of a list, or of one group of them."
)
class NotificationAggregates(Aggregates):
    sum: NotificationSums = strawberry.field(description="Sums.")
    avg: NotificationAverages = strawberry.field(description="Averages.")
    min: NotificationBounds = strawberry.field(description="Least values.")
    max: NotificationBounds = strawberry.field(description="Greatest values.")


@strawberry.type(
    description="A page of notifications, with cursors, the total count and aggregates."
)
@aggregated(NotificationAggregates, NotificationGroupBy)
class NotificationConnection(AggregatedConnection[Notification]):
    pass
