"""GraphQL types and inputs of activities and the activity-type catalogue.

The root fields are in ``schema/activities_roots.py``.
"""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Any

import strawberry

from app.errors import DomainError
from app.services import activities as service
from app.services import activity_changes as changing
from app.services import activity_reads as reads
from app.services import activity_totals as totals
from app.services import activity_types as types
from app.services import people_reads
from app.services.activity_reads import ActivityRecord, ActivityTypeRecord
from app.services.activity_rules import MAX_NOTES, NewActivity
from resolvers import activities as resolve
from resolvers import people as people_resolve
from resolvers.context import Info
from schema.aggregates import AggregatedConnection, Aggregates, aggregated
from schema.base import Node, event_id_field, register_node, to_global_id
from schema.listing import (
    DateFilter,
    DateTimeFilter,
    EnumFilter,
    IntFilter,
    KeyFilter,
    SortDirection,
    TextFilter,
)
from schema.people_types import Person
from schema.relations import Relation
from schema.text import bounded


@strawberry.enum(description="Where an activity stands: logged, or decided by a coordinator.")
class ActivityStatus(Enum):
    PENDING = strawberry.enum_value("pending", description="Logged; waiting for a decision.")
    CONFIRMED = strawberry.enum_value("confirmed", description="Confirmed by a coordinator.")
    REJECTED = strawberry.enum_value("rejected", description="Rejected, with a reason.")

    @property
    def model(self) -> reads.ActivityStatus:
        return reads.ActivityStatus[self.name]


@strawberry.input(
    description="Conditions on activities (each field's conditions combined with and; "
    "`and`, `or` and `not` combine filters). Applied within what the caller may see."
)
class ActivityFilter:
    date: DateFilter | None = strawberry.field(default=None, description="The day it happened.")
    duration_minutes: IntFilter | None = strawberry.field(
        default=None, description="How long, in minutes."
    )
    status: EnumFilter[ActivityStatus] | None = strawberry.field(
        default=None, description="Pending, confirmed or rejected."
    )
    activity_type_id: KeyFilter | None = strawberry.field(
        default=None, description="The activity type's id."
    )
    peer_mentor_id: KeyFilter | None = strawberry.field(
        default=None, description="The mentor's directory id."
    )
    notes: TextFilter | None = strawberry.field(default=None, description="The mentor's notes.")
    created_at: DateTimeFilter | None = strawberry.field(
        default=None, description="When the server first stored it."
    )
    updated_at: DateTimeFilter | None = strawberry.field(
        default=None, description="When it last changed."
    )
    and_: list[ActivityFilter] | None = strawberry.field(
        name="and", default=None, description="All of these."
    )
    or_: list[ActivityFilter] | None = strawberry.field(
        name="or", default=None, description="Any of these."
    )
    not_: ActivityFilter | None = strawberry.field(
        name="not", default=None, description="Not this."
    )


@strawberry.enum(description="The fields activities may be ordered by.")
class ActivityOrderField(Enum):
    DATE = strawberry.enum_value("date", description="The day it happened.")
    DURATION_MINUTES = strawberry.enum_value("duration_minutes", description="How long.")
    STATUS = strawberry.enum_value("status", description="The status (its stored word).")
    ACTIVITY_TYPE_ID = strawberry.enum_value("activity_type_id", description="The type's id.")
    PEER_MENTOR_ID = strawberry.enum_value("peer_mentor_id", description="The mentor's id.")
    CREATED_AT = strawberry.enum_value("created_at", description="When first stored.")
    UPDATED_AT = strawberry.enum_value("updated_at", description="When it last changed.")


@strawberry.input(description="One key of an activities order.")
class ActivityOrder:
    field: ActivityOrderField = strawberry.field(description="What to order by.")
    direction: SortDirection = strawberry.field(
        default=SortDirection.ASC, description="Ascending (default) or descending."
    )


@strawberry.type(description="A kind of activity peer mentors log (running, meeting, call ...).")
class ActivityType(Node):
    name: str = strawberry.field(description="Display name, unique.")
    description: str | None = strawberry.field(description="What counts as this kind.")
    active: bool = strawberry.field(
        description="False when retired: old activities keep it, new ones may not use it."
    )
    created_at: dt.datetime = strawberry.field(description="When the type was added.")
    updated_at: dt.datetime = strawberry.field(description="When the type last changed.")

    @classmethod
    def from_record(cls, record: ActivityTypeRecord) -> ActivityType:
        return cls(
            id=to_global_id("ActivityType", record.id),
            legacy_id=record.id,
            name=record.name,
            description=record.description,
            active=record.active,
            created_at=record.created_at,
            updated_at=record.updated_at,
        )

    @classmethod
    def from_optional(cls, record: ActivityTypeRecord | None) -> ActivityType | None:
        return None if record is None else cls.from_record(record)


_MENTOR = Relation(people_reads.people_by_ids, "peer_mentor_id", Person.from_optional)
_TYPE = Relation(reads.activity_types_by_ids, "activity_type_id", ActivityType.from_optional)


@strawberry.type(description="Something a peer mentor did and logged (contract 002).")
class Activity(Node):
    local_id: str = strawberry.field(
        description="The logging client's id for it (its idempotency key)."
    )
    peer_mentor_id: str = strawberry.field(description="The mentor's directory id.")
    activity_type_id: str = strawberry.field(description="The activity type's id.")
    date: dt.date = strawberry.field(description="The day it happened.")
    duration_minutes: int = strawberry.field(description="How long, 1-1440 minutes.")
    status: ActivityStatus = strawberry.field(description="Pending until a coordinator decides.")
    notes: str | None = strawberry.field(description="The mentor's notes, up to 4000 characters.")
    rejection_reason: str | None = strawberry.field(description="Why it was rejected.")
    decided_by_id: str | None = strawberry.field(
        description="Directory id of who confirmed or rejected it."
    )
    decided_at: dt.datetime | None = strawberry.field(description="When it was decided.")
    version: int = strawberry.field(
        description="Changes with every update; pass it as `expectedVersion`."
    )
    created_at: dt.datetime = strawberry.field(description="When the server first stored it.")
    updated_at: dt.datetime = strawberry.field(description="When it last changed.")

    @classmethod
    def from_record(cls, record: ActivityRecord) -> Activity:
        return cls(
            id=to_global_id("Activity", record.id),
            legacy_id=record.id,
            local_id=record.local_id,
            peer_mentor_id=record.peer_mentor_id,
            activity_type_id=record.activity_type_id,
            date=record.date,
            duration_minutes=record.duration_minutes,
            status=ActivityStatus(record.status),
            notes=record.notes,
            rejection_reason=record.rejection_reason,
            decided_by_id=record.decided_by,
            decided_at=record.decided_at,
            version=record.version,
            created_at=record.created_at,
            updated_at=record.updated_at,
        )

    @classmethod
    def from_optional(cls, record: ActivityRecord | None) -> Activity | None:
        return None if record is None else cls.from_record(record)

    @strawberry.field(description="Hours (duration / 60).")
    def hours(self) -> float:
        return self.duration_minutes / 60

    # Sync fields: they answer from the loaders' cache when the list prefetched the page's
    # relations, else return an awaitable (resolvers.prefetch).
    @strawberry.field(
        description="The peer mentor who logged it.",
        graphql_type=Person | None,
        metadata=_MENTOR.metadata,
    )
    def mentor(self, info: Info) -> Any:
        return _MENTOR.resolve(info.context, self)

    @strawberry.field(
        description="What kind of activity it was.",
        graphql_type=ActivityType | None,
        metadata=_TYPE.metadata,
    )
    def activity_type(self, info: Info) -> Any:
        return _TYPE.resolve(info.context, self)


@strawberry.type(description="A mentor's confirmed activities in a period (milestones use it).")
class MentorActivityTotals:
    mentor_id: str = strawberry.field(description="The mentor's directory id.")
    from_: dt.date = strawberry.field(name="from", description="First day counted.")
    to: dt.date = strawberry.field(description="Last day counted.")
    minutes: int = strawberry.field(description="Total minutes of confirmed activities.")
    hours: float = strawberry.field(description="Total hours (minutes / 60).")
    activity_count: int = strawberry.field(description="Number of confirmed activities.")

    @classmethod
    def of(cls, value: totals.ActivityTotals) -> MentorActivityTotals:
        return cls(
            mentor_id=value.mentor_id,
            from_=value.start,
            to=value.end,
            minutes=value.minutes,
            hours=value.hours,
            activity_count=value.activity_count,
        )

    @strawberry.field(description="The mentor.")
    async def mentor(self, info: Info) -> Person | None:
        return Person.from_optional(await people_resolve.person_by_id(info.context, self.mentor_id))


@strawberry.input(description="An activity as the client logged it (offline, with its local id).")
class LogActivityInput:
    local_id: str = strawberry.field(
        description="The client's id for it, 1-64 characters: retrying with it never duplicates."
    )
    activity_type_id: str = strawberry.field(description="An active activity type's id.")
    date: str = strawberry.field(description="YYYY-MM-DD, not after tomorrow.")
    duration_minutes: int = strawberry.field(description="1-1440.")
    notes: str | None = strawberry.field(
        default=None, description="The mentor's notes.", metadata=bounded(MAX_NOTES)
    )
    peer_mentor_id: str | None = strawberry.field(
        default=None, description="Whose activity; defaults to the caller."
    )

    def to_new(self) -> NewActivity:
        return NewActivity(
            local_id=self.local_id,
            activity_type_id=self.activity_type_id,
            date=self.date,
            duration_minutes=self.duration_minutes,
            notes=self.notes,
            peer_mentor_id=self.peer_mentor_id,
        )


@strawberry.input(description="Changes to an activity; omitted fields stay as they are.")
class UpdateActivityInput:
    activity_type_id: str | None = strawberry.field(
        default=None, description="An active activity type's id."
    )
    date: str | None = strawberry.field(default=None, description="YYYY-MM-DD, not after tomorrow.")
    duration_minutes: int | None = strawberry.field(default=None, description="1-1440.")
    notes: str | None = strawberry.field(
        default=strawberry.UNSET, description="null clears.", metadata=bounded(MAX_NOTES)
    )

    def to_changes(self) -> changing.ActivityChanges:
        return changing.ActivityChanges(
            activity_type_id=self.activity_type_id,
            date=self.date,
            duration_minutes=self.duration_minutes,
            notes=changing.UNSET if self.notes is strawberry.UNSET else self.notes,
        )


@strawberry.input(description="A new activity type (admin).")
class CreateActivityTypeInput:
    id: str = strawberry.field(description="`type_` and lower-case letters, digits or `_`.")
    name: str = strawberry.field(description="Display name, 1-200 characters, unique.")
    description: str | None = strawberry.field(
        default=None,
        description="What counts as this kind.",
        metadata=bounded(types.MAX_DESCRIPTION),
    )
    active: bool = strawberry.field(default=True, description="false adds it retired.")


@strawberry.input(description="Changes to an activity type; omitted fields stay as they are.")
class UpdateActivityTypeInput:
    name: str | None = strawberry.field(default=None, description="A new display name.")
    description: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="A new description; null clears it.",
        metadata=bounded(types.MAX_DESCRIPTION),
    )
    active: bool | None = strawberry.field(default=None, description="false retires the type.")


@strawberry.type(description="What logging one activity did.")
class LogActivityPayload:
    created: bool = strawberry.field(
        description="True when this call stored it; false when it returns the record an "
        "earlier call with the same localId and payload stored."
    )
    activity: Activity = strawberry.field(description="The stored activity.")


@strawberry.enum(description="What happened to one item of a sync batch.")
class SyncOutcome(Enum):
    CREATED = strawberry.enum_value("created", description="Stored by this call.")
    EXISTING = strawberry.enum_value(
        "existing", description="Stored earlier from the same localId and payload."
    )
    REJECTED = strawberry.enum_value("rejected", description="Not stored; see `error`.")


@strawberry.type(description="An invalid field of a rejected sync item.")
class SyncFieldError:
    field: str = strawberry.field(description="The input field, e.g. `durationMinutes`.")
    message: str = strawberry.field(description="What is wrong with it.")


@strawberry.type(description="Why a sync item was rejected.")
class SyncItemError:
    code: str = strawberry.field(description="BAD_USER_INPUT, FORBIDDEN, CONFLICT ...")
    message: str = strawberry.field(description="A sentence for the person who logged it.")
    fields: list[SyncFieldError] = strawberry.field(description="Invalid fields, if any.")

    @classmethod
    def of(cls, error: DomainError) -> SyncItemError:
        fields = [SyncFieldError(field=e.field, message=e.message) for e in error.graphql_errors()]
        code = error.extensions()["code"]
        return cls(code=code, message=error.graphql_message(), fields=fields)


@strawberry.type(description="The answer for one item of a sync batch.")
class SyncItemResult:
    index: int = strawberry.field(description="The item's position in the batch, from 0.")
    local_id: str = strawberry.field(description="The item's localId.")
    outcome: SyncOutcome = strawberry.field(description="Created, existing or rejected.")
    activity: Activity | None = strawberry.field(description="The record, unless rejected.")
    error: SyncItemError | None = strawberry.field(description="Why, when rejected.")

    @classmethod
    def of(cls, result: service.SyncResult) -> SyncItemResult:
        if result.activity is None:
            assert result.error is not None
            return cls(
                index=result.index,
                local_id=result.item.local_id,
                outcome=SyncOutcome.REJECTED,
                activity=None,
                error=SyncItemError.of(result.error),
            )
        return cls(
            index=result.index,
            local_id=result.item.local_id,
            outcome=SyncOutcome.CREATED if result.created else SyncOutcome.EXISTING,
            activity=Activity.from_record(result.activity),
            error=None,
        )


@strawberry.type(description="The answers for a sync batch, one per item, in order.")
class SyncActivitiesPayload:
    results: list[SyncItemResult] = strawberry.field(description="One per item, in order.")
    created_count: int = strawberry.field(description="Items stored by this call.")
    existing_count: int = strawberry.field(description="Items stored by an earlier call.")
    rejected_count: int = strawberry.field(description="Items refused.")

    @classmethod
    def of(cls, results: list[service.SyncResult]) -> SyncActivitiesPayload:
        items = [SyncItemResult.of(r) for r in results]
        count = {o: sum(1 for i in items if i.outcome is o) for o in SyncOutcome}
        return cls(
            results=items,
            created_count=count[SyncOutcome.CREATED],
            existing_count=count[SyncOutcome.EXISTING],
            rejected_count=count[SyncOutcome.REJECTED],
        )


@strawberry.type(description="An activity's status changed (decision, or back to pending).")
class ActivityStatusChange:
    activity_id: str = strawberry.field(description="The activity's id (`legacyId`).")
    peer_mentor_id: str = strawberry.field(description="The activity's mentor.")
    status: ActivityStatus = strawberry.field(description="The status now.")
    previous_status: ActivityStatus = strawberry.field(description="The status before.")
    rejection_reason: str | None = strawberry.field(description="Why, when rejected.")
    changed_at: dt.datetime = strawberry.field(description="When it changed.")
    event_id: str = event_id_field()


async def _activity_node(info: Info, key: str) -> Activity | None:
    return Activity.from_optional(await resolve.visible_activity(info.context, key))


async def _activity_type_node(info: Info, key: str) -> ActivityType | None:
    return ActivityType.from_optional(await resolve.visible_activity_type(info.context, key))


register_node("Activity", _activity_node)
register_node("ActivityType", _activity_type_node)


# --- aggregates on the activities connections ------------------------------------------------


@strawberry.enum(description="What grouped activity aggregates may group by.")
class ActivityGroupBy(Enum):
    ACTIVITY_TYPE = strawberry.enum_value("activity_type_id", description="The type's id.")
    STATUS = strawberry.enum_value("status", description="The status (its stored word).")
    PEER_MENTOR = strawberry.enum_value("peer_mentor_id", description="The mentor's id.")
    DAY = strawberry.enum_value("day", description="The day (`2025-06-09`).")
    WEEK = strawberry.enum_value("week", description="The ISO week, by its Monday.")
    MONTH = strawberry.enum_value("month", description="The month (`2025-06`).")
    YEAR = strawberry.enum_value("year", description="The year (`2025`).")


@strawberry.type(description="Sums over the activities of a group.")
class ActivitySums:
    duration_minutes: int = strawberry.field(description="Minutes, in all (0 for none).")


@strawberry.type(description="Averages over the activities of a group.")
class ActivityAverages:
    duration_minutes: float | None = strawberry.field(description="Minutes; null for none.")


@strawberry.type(description="The least or greatest values among the activities of a group.")
class ActivityBounds:
    duration_minutes: int | None = strawberry.field(description="Minutes; null for none.")
    date: dt.date | None = strawberry.field(description="The day; null for none.")
    created_at: dt.datetime | None = strawberry.field(description="When stored; null for none.")


@strawberry.type(
    description="Aggregates over the activities of the list (all its pages, its filters, "
    "what the caller may see), or of one group of them."
)
class ActivityAggregates(Aggregates):
    sum: ActivitySums = strawberry.field(description="Sums.")
    avg: ActivityAverages = strawberry.field(description="Averages.")
    min: ActivityBounds = strawberry.field(description="Least values.")
    max: ActivityBounds = strawberry.field(description="Greatest values.")


@strawberry.type(
    name="ActivityConnection",
    description="A page of activities, with cursors, the total count and aggregates.",
)
@aggregated(ActivityAggregates, ActivityGroupBy)
class ActivityConnection(AggregatedConnection[Activity]):
    pass
