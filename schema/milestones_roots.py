"""Root fields of milestones: queries, mutations and the ``milestoneAchieved`` subscription."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncGenerator
from typing import Annotated

import strawberry

from app.events import EventKind
from app.services import milestones as service
from app.services.event_log import event_id
from app.services.policy import hears_milestone_event, require_peer_support_role
from resolvers import milestones as resolve
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
)
from schema.listing import read_filter, read_order
from schema.milestones_types import (
    CreateMilestoneDefinitionInput,
    DetectMilestonesInput,
    DetectMilestonesPayload,
    Milestone,
    MilestoneConnection,
    MilestoneDefinition,
    MilestoneFilter,
    MilestoneOrder,
    MilestoneStatus,
    MilestoneType,
    UpdateMilestoneDefinitionInput,
    UpdateMilestoneInput,
    word,
)

MilestoneId = Annotated[str, strawberry.argument(description="E.g. `milestone_100h`.")]
MentorId = Annotated[str, strawberry.argument(description="The mentor's directory id.")]
OnlyMentor = Annotated[str | None, strawberry.argument(description="Only this mentor's.")]
Year = Annotated[
    int | None, strawberry.argument(description="A calendar year (without start/end dates).")
]
StartDate = Annotated[
    dt.date | None,
    strawberry.argument(description="First day of the period (with endDate; any length)."),
]
EndDate = Annotated[
    dt.date | None, strawberry.argument(description="Last day of the period (with startDate).")
]
TypeFilter = Annotated[
    MilestoneType | None, strawberry.argument(description="Only milestones of this type.")
]
Filter = Annotated[MilestoneFilter | None, strawberry.argument(description=FILTER_HELP)]
OrderBy = Annotated[list[MilestoneOrder] | None, strawberry.argument(description=ORDER_HELP)]
ExpectedVersion = Annotated[
    int | None,
    strawberry.argument(description="Refuse (CONFLICT) unless this is the current `version`."),
]


@strawberry.type
class MilestoneQuery:
    @strawberry.field(description="One milestone by its id (e.g. `milestone_100h`).")
    async def milestone(self, info: Info, id: MilestoneId) -> Milestone:
        return Milestone.from_record(await resolve.milestone(info.context, id))

    @strawberry.field(
        description="Milestones the caller may see (a mentor: their own; a coordinator: "
        "their organisations' mentors'), by mentor, newest period first."
    )
    async def milestones(
        self,
        info: Info,
        mentor_id: OnlyMentor = None,
        status: Annotated[
            MilestoneStatus | None, strawberry.argument(description="Achieved or in progress.")
        ] = None,
        type: TypeFilter = None,
        year: Year = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        start_date: StartDate = None,
        end_date: EndDate = None,
        filter: Filter = None,
        order_by: OrderBy = None,
    ) -> MilestoneConnection:
        paged = await resolve.milestones(
            info.context,
            paging(info, first, after, last, before),
            mentor_id=mentor_id,
            status=status.model if status else None,
            type=word(type) if type else None,
            year=year,
            start_date=start_date,
            end_date=end_date,
            where=read_filter(filter),
            sort=read_order(order_by),
        )
        return MilestoneConnection.of(paged, Milestone.from_record)

    @strawberry.field(
        description="Milestones a mentor achieved in a period (default: this calendar year), "
        "newest first."
    )
    async def new_milestones(
        self,
        info: Info,
        mentor_id: MentorId,
        start_date: StartDate = None,
        end_date: EndDate = None,
        year: Year = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        filter: Filter = None,
        order_by: OrderBy = None,
    ) -> MilestoneConnection:
        paged = await resolve.new_milestones(
            info.context,
            mentor_id,
            paging(info, first, after, last, before),
            year=year,
            start_date=start_date,
            end_date=end_date,
            where=read_filter(filter),
            sort=read_order(order_by),
        )
        return MilestoneConnection.of(paged, Milestone.from_record)

    @strawberry.field(
        description="A mentor's milestones in progress, of their latest detection period "
        "unless a period is given."
    )
    async def milestones_in_progress(
        self,
        info: Info,
        mentor_id: MentorId,
        start_date: StartDate = None,
        end_date: EndDate = None,
        year: Year = None,
        type: TypeFilter = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        filter: Filter = None,
        order_by: OrderBy = None,
    ) -> MilestoneConnection:
        paged = await resolve.in_progress(
            info.context,
            mentor_id,
            paging(info, first, after, last, before),
            year=year,
            start_date=start_date,
            end_date=end_date,
            type=word(type) if type else None,
            where=read_filter(filter),
            sort=read_order(order_by),
        )
        return MilestoneConnection.of(paged, Milestone.in_progress_item)

    @strawberry.field(description="The milestone catalogue, by type and threshold.")
    async def milestone_definitions(
        self,
        info: Info,
        include_inactive: Annotated[
            bool, strawberry.argument(description="Include retired entries too.")
        ] = False,
    ) -> list[MilestoneDefinition]:
        rows = await resolve.definitions(info.context, include_inactive)
        return [MilestoneDefinition.from_record(row) for row in rows]


@strawberry.type
class MilestoneMutation:
    @strawberry.mutation(
        description="Detect and persist a mentor's milestones for a period (coordinators of "
        "the mentor's organisation, admins). Idempotent: detecting again updates the same "
        "records, and only adds: an achieved milestone stays achieved when the totals went "
        "down (withdraw one with `updateMilestone` or `deleteMilestone`)."
    )
    async def detect_milestones(
        self,
        info: Info,
        input: Annotated[
            DetectMilestonesInput, strawberry.argument(description="Mentor, period, totals.")
        ],
    ) -> DetectMilestonesPayload:
        summary = input.summary
        result = await resolve.detect(
            info.context,
            mentor_id=input.mentor_id,
            year=input.period.year,
            start_date=input.period.start_date,
            end_date=input.period.end_date,
            summary=None
            if summary is None
            else {
                "total_hours": summary.total_hours,
                "unique_contacts_helped": summary.unique_contacts_helped,
                "activity_count": summary.activity_count,
            },
        )
        return DetectMilestonesPayload.of(result)

    @strawberry.mutation(description="Correct a milestone (coordinators, admins).")
    async def update_milestone(
        self,
        info: Info,
        id: MilestoneId,
        input: Annotated[UpdateMilestoneInput, strawberry.argument(description="The changes.")],
        expected_version: ExpectedVersion = None,
    ) -> Milestone:
        changes = service.MilestoneChanges(
            status=word(input.status) if input.status else None,
            achieved_value=input.achieved_value,
            current_value=input.current_value,
            achieved_at=input.achieved_at,
            progress_percentage=input.progress_percentage,
        )
        row = await resolve.update_milestone(info.context, id, changes, expected_version)
        return Milestone.from_record(row)

    @strawberry.mutation(
        description="Remove a milestone (kept as a tombstone an admin can restore)."
    )
    async def delete_milestone(
        self, info: Info, id: MilestoneId, expected_version: ExpectedVersion = None
    ) -> bool:
        await resolve.delete_milestone(info.context, id, expected_version)
        return True

    @strawberry.mutation(description="Bring back a deleted milestone (admin).")
    async def restore_milestone(self, info: Info, id: MilestoneId) -> Milestone:
        return Milestone.from_record(await resolve.restore_milestone(info.context, id))

    @strawberry.mutation(description="Add a milestone to the catalogue (admin).")
    async def create_milestone_definition(
        self,
        info: Info,
        input: Annotated[
            CreateMilestoneDefinitionInput, strawberry.argument(description="The entry.")
        ],
    ) -> MilestoneDefinition:
        row = await resolve.create_definition(
            info.context,
            type=word(input.type),
            threshold=input.threshold,
            name=input.name,
            badge=input.badge,
            active=input.active,
        )
        return MilestoneDefinition.from_record(row)

    @strawberry.mutation(description="Rename, re-badge or retire a catalogue entry (admin).")
    async def update_milestone_definition(
        self,
        info: Info,
        id: Annotated[str, strawberry.argument(description="The entry's id, e.g. msd_hours_10.")],
        input: Annotated[
            UpdateMilestoneDefinitionInput, strawberry.argument(description="The changes.")
        ],
    ) -> MilestoneDefinition:
        row = await resolve.update_definition(
            info.context, id, name=input.name, badge=input.badge, active=input.active
        )
        return MilestoneDefinition.from_record(row)


@strawberry.type
class MilestoneSubscription:
    @strawberry.subscription(
        description="Milestones detection achieves from now on, that the caller may see (the "
        "mentor, coordinators of their organisations, admins); optionally one mentor's."
    )
    async def milestone_achieved(
        self, info: Info, mentor_id: OnlyMentor = None, after: AfterEvent = None
    ) -> AsyncGenerator[Milestone, None]:
        ctx = info.context
        who = require_peer_support_role(ctx.who)  # 403 for roles outside peer support
        async with ctx.changes((EventKind.MILESTONE_ACHIEVED.topic,), after) as events:
            async for event in events:
                if event.kind is not EventKind.MILESTONE_ACHIEVED:
                    continue
                mentor = str(event.payload.get("mentor_id"))
                if mentor_id is not None and mentor != mentor_id:
                    continue
                if not hears_milestone_event(who, mentor, event.payload.get("org_ids", [])):
                    continue
                row = await resolve.milestone_for_event(ctx, event.key)
                if row is not None:
                    achieved = Milestone.from_record(row)
                    achieved.event_id = event_id(event)
                    yield achieved
