"""Root fields of the activities domain: queries, mutations and the status subscription."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncGenerator
from typing import Annotated

import strawberry

from app.events import EventKind
from app.services import activities as service
from app.services import activity_types as types
from app.services.activity_reads import ActivityFilters
from app.services.activity_reads import ActivityStatus as ModelStatus
from app.services.activity_rules import MAX_REASON
from app.services.event_log import event_id
from app.services.policy import require_peer_support_role
from app.timeutil import parse_datetime, utcnow
from resolvers import activities as resolve
from resolvers.context import Info
from resolvers.prefetch import item_fields
from schema.activities_types import (
    Activity,
    ActivityConnection,
    ActivityFilter,
    ActivityOrder,
    ActivityStatus,
    ActivityStatusChange,
    ActivityType,
    CreateActivityTypeInput,
    LogActivityInput,
    LogActivityPayload,
    MentorActivityTotals,
    SyncActivitiesPayload,
    UpdateActivityInput,
    UpdateActivityTypeInput,
)
from schema.base import (
    FILTER_HELP,
    ORDER_HELP,
    After,
    AfterEvent,
    Before,
    First,
    Last,
    paging,
)
from schema.listing import read_filter, read_order
from schema.text import CHECKED_PER_ITEM, bounded

_FROM = strawberry.argument(name="from", description="Dated on or after this day.")
_TO = strawberry.argument(description="Dated on or before this day.")
Since = Annotated[dt.date | None, _FROM]
Until = Annotated[dt.date | None, _TO]
PeriodStart = Annotated[dt.date, _FROM]
PeriodEnd = Annotated[dt.date, _TO]
ActivityId = Annotated[
    str, strawberry.argument(description="The activity's id, e.g. act_9f3a12bc.")
]
ExpectedVersion = Annotated[
    int | None,
    strawberry.argument(
        description="The version you last saw; a stale one is refused (CONFLICT). Needed by "
        "a mentor changing their confirmed or rejected activity."
    ),
]
MentorFilter = Annotated[str | None, strawberry.argument(description="Only this mentor's.")]
StatusFilter = Annotated[
    ActivityStatus | None, strawberry.argument(description="Only activities in this status.")
]
TypeFilter = Annotated[str | None, strawberry.argument(description="Only this activity type.")]


@strawberry.type
class ActivityQuery:
    @strawberry.field(description="One activity by its id (e.g. `act_9f3a12bc`).")
    async def activity(self, info: Info, id: ActivityId) -> Activity:
        return Activity.from_record(await resolve.activity(info.context, id))

    @strawberry.field(
        description="Activities the caller may see, newest first: mentors their own, "
        "coordinators their organisations' mentors', admins all."
    )
    async def activities(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        peer_mentor_id: MentorFilter = None,
        from_: Since = None,
        to: Until = None,
        status: StatusFilter = None,
        activity_type_id: TypeFilter = None,
        filter: Annotated[
            ActivityFilter | None, strawberry.argument(description=FILTER_HELP)
        ] = None,
        order_by: Annotated[
            list[ActivityOrder] | None, strawberry.argument(description=ORDER_HELP)
        ] = None,
    ) -> ActivityConnection:
        filters = ActivityFilters(
            peer_mentor_id,
            from_,
            to,
            None if status is None else status.model,
            activity_type_id,
            where=read_filter(filter),
            sort=read_order(order_by),
        )
        paged = await resolve.activities(
            info.context, paging(info, first, after, last, before), filters
        )
        await resolve.prefetch(info.context, paged.items, item_fields(info))
        return ActivityConnection.of(paged, Activity.from_record)

    @strawberry.field(description="The activity-type catalogue, by name.")
    async def activity_types(
        self,
        info: Info,
        include_inactive: Annotated[
            bool, strawberry.argument(description="Include retired types too.")
        ] = False,
    ) -> list[ActivityType]:
        rows = await resolve.activity_types(info.context, include_inactive)
        return [ActivityType.from_record(row) for row in rows]

    @strawberry.field(
        description="Hours and count of a mentor's confirmed activities dated from..to (inclusive)."
    )
    async def mentor_activity_totals(
        self,
        info: Info,
        mentor_id: Annotated[str, strawberry.argument(description="The mentor's directory id.")],
        from_: PeriodStart,
        to: PeriodEnd,
    ) -> MentorActivityTotals:
        value = await resolve.mentor_totals(info.context, mentor_id, from_, to)
        return MentorActivityTotals.of(value)


@strawberry.type
class ActivityMutation:
    @strawberry.mutation(
        description="Log an activity. Idempotent on (mentor, localId): a retry with the same "
        "payload returns the stored record (created: false); another payload is refused."
    )
    async def log_activity(
        self,
        info: Info,
        input: Annotated[LogActivityInput, strawberry.argument(description="The activity.")],
    ) -> LogActivityPayload:
        logged = await resolve.log_activity(info.context, input.to_new())
        return LogActivityPayload(
            created=logged.created, activity=Activity.from_record(logged.activity)
        )

    @strawberry.mutation(
        description="Log a queue of activities at once; every item gets its own answer "
        "(created, existing, rejected with a reason). Retrying the batch changes nothing."
    )
    async def sync_activities(
        self,
        info: Info,
        items: Annotated[
            list[LogActivityInput],
            strawberry.argument(
                description="The queued activities, oldest first (at most 100). An item with "
                "text over its bound is rejected on its own, like any invalid item.",
                metadata=CHECKED_PER_ITEM,
            ),
        ],
    ) -> SyncActivitiesPayload:
        results = await resolve.sync_activities(info.context, [i.to_new() for i in items])
        return SyncActivitiesPayload.of(results)

    @strawberry.mutation(
        description="Change an activity. Its mentor needs `expectedVersion` once it is "
        "confirmed or rejected, and a change to type, date or duration sends it back to "
        "pending."
    )
    async def update_activity(
        self,
        info: Info,
        id: ActivityId,
        input: Annotated[UpdateActivityInput, strawberry.argument(description="The changes.")],
        expected_version: ExpectedVersion = None,
    ) -> Activity:
        row = await resolve.update_activity(info.context, id, input.to_changes(), expected_version)
        return Activity.from_record(row)

    @strawberry.mutation(description="Confirm an activity (coordinator of the mentor, admin).")
    async def confirm_activity(
        self, info: Info, id: ActivityId, expected_version: ExpectedVersion = None
    ) -> Activity:
        row = await resolve.decide(info.context, id, ModelStatus.CONFIRMED, None, expected_version)
        return Activity.from_record(row)

    @strawberry.mutation(description="Reject an activity with a reason (coordinator, admin).")
    async def reject_activity(
        self,
        info: Info,
        id: ActivityId,
        reason: Annotated[
            str,
            strawberry.argument(
                description="Why, for the mentor to read.", metadata=bounded(MAX_REASON)
            ),
        ],
        expected_version: ExpectedVersion = None,
    ) -> Activity:
        row = await resolve.decide(info.context, id, ModelStatus.REJECTED, reason, expected_version)
        return Activity.from_record(row)

    @strawberry.mutation(description="Delete an activity (kept as a tombstone).")
    async def delete_activity(
        self, info: Info, id: ActivityId, expected_version: ExpectedVersion = None
    ) -> bool:
        await resolve.delete_activity(info.context, id, expected_version)
        return True

    @strawberry.mutation(description="Bring back a deleted activity (admin).")
    async def restore_activity(self, info: Info, id: ActivityId) -> Activity:
        return Activity.from_record(await resolve.restore_activity(info.context, id))

    @strawberry.mutation(description="Add an activity type to the catalogue (admin).")
    async def create_activity_type(
        self,
        info: Info,
        input: Annotated[CreateActivityTypeInput, strawberry.argument(description="The type.")],
    ) -> ActivityType:
        row = await resolve.create_activity_type(
            info.context, input.id, input.name, input.description, input.active
        )
        return ActivityType.from_record(row)

    @strawberry.mutation(description="Rename, describe, retire or revive an activity type (admin).")
    async def update_activity_type(
        self,
        info: Info,
        id: Annotated[str, strawberry.argument(description="The type's id, e.g. type_running.")],
        input: Annotated[UpdateActivityTypeInput, strawberry.argument(description="Changes.")],
    ) -> ActivityType:
        row = await resolve.update_activity_type(
            info.context,
            id,
            name=input.name,
            description=(
                types.UNSET if input.description is strawberry.UNSET else input.description
            ),
            active=input.active,
        )
        return ActivityType.from_record(row)


@strawberry.type
class ActivitySubscription:
    @strawberry.subscription(
        description="Status changes of activities the caller may see: a mentor's own, a "
        "coordinator's mentors', every one for admins."
    )
    async def activity_status_changed(
        self, info: Info, peer_mentor_id: MentorFilter = None, after: AfterEvent = None
    ) -> AsyncGenerator[ActivityStatusChange, None]:
        who = require_peer_support_role(info.context.who)  # 403 for roles outside peer support
        async with info.context.changes((service.TOPIC,), after) as events:
            async for event in events:
                if event.kind is not EventKind.ACTIVITY_STATUS_CHANGED:
                    continue
                if not service.may_see_event(who, event):
                    continue
                payload = event.payload
                if peer_mentor_id is not None and payload["peer_mentor_id"] != peer_mentor_id:
                    continue
                yield ActivityStatusChange(
                    activity_id=event.key,
                    peer_mentor_id=payload["peer_mentor_id"],
                    status=ActivityStatus(payload["status"]),
                    previous_status=ActivityStatus(payload["previous_status"]),
                    rejection_reason=payload["rejection_reason"],
                    changed_at=parse_datetime(payload["at"]) if payload.get("at") else utcnow(),
                    event_id=event_id(event),
                )
