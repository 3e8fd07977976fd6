"""Root fields of mentoring assignments: queries, mutations and the change subscription."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from enum import Enum
from typing import Annotated, TypeVar

import strawberry

from app.services.event_log import event_id
from app.services.followups import NOTIFICATION_TOPIC
from app.services.mentoring_rules import (
    ESCALATION,
    MAX_NOTES,
    MAX_REASON,
    REMINDER,
    UNSET,
    AssignmentPatch,
    Filters,
    NewAssignment,
    Unset,
)
from app.services.policy import hears_assignment_event, require_peer_support_role
from app.timeutil import as_utc
from resolvers import mentoring as resolve
from resolvers.context import Info
from resolvers.prefetch import item_fields, object_fields
from schema.base import (
    FILTER_HELP,
    ORDER_HELP,
    After,
    AfterEvent,
    Before,
    First,
    Last,
    event_id_field,
    paging,
)
from schema.listing import read_filter, read_order
from schema.mentoring_types import (
    Assignment,
    AssignmentConnection,
    AssignmentFilter,
    AssignmentOrder,
    AssignmentStatus,
    AssignmentStatusFilter,
    ContactType,
    Notification,
    NotificationConnection,
    NotificationFilter,
    NotificationKind,
    NotificationOrder,
)
from schema.text import bounded

T = TypeVar("T")

AssignmentId = Annotated[str, strawberry.argument(description="Legacy id, e.g. `asgn_001`.")]
MentorId = Annotated[str, strawberry.argument(description="The mentor's directory id.")]
OnlyMentor = Annotated[str | None, strawberry.argument(description="Only this mentor's.")]
OnlyMentee = Annotated[str | None, strawberry.argument(description="Only this mentee's.")]
OnlyCoordinator = Annotated[str | None, strawberry.argument(description="Only this coordinator's.")]
OnlyOrg = Annotated[str | None, strawberry.argument(description="Only this organisation's.")]
ExpectedVersion = Annotated[
    int | None,
    strawberry.argument(description="Refuse (CONFLICT) unless this is the current `version`."),
]
WhereAssignments = Annotated[AssignmentFilter | None, strawberry.argument(description=FILTER_HELP)]
OrderAssignments = Annotated[
    list[AssignmentOrder] | None, strawberry.argument(description=ORDER_HELP)
]
WhereNotifications = Annotated[
    NotificationFilter | None, strawberry.argument(description=FILTER_HELP)
]
OrderNotifications = Annotated[
    list[NotificationOrder] | None, strawberry.argument(description=ORDER_HELP)
]


@strawberry.input(description="A new assignment.")
class CreateAssignmentInput:
    mentor_id: str = strawberry.field(description="The peer mentor's directory id.")
    mentee_id: str = strawberry.field(description="The mentee's (contact's) directory id.")
    coordinator_id: str | None = strawberry.field(
        default=None, description="The coordinator who follows it up."
    )
    org_id: str | None = strawberry.field(
        default=None,
        description="The organisation; default: the one mentor and mentee share.",
    )
    start_date: datetime | None = strawberry.field(
        default=None, description="When it starts; default: today, 00:00 UTC."
    )
    notes: str | None = strawberry.field(
        default=None, description="Casework notes.", metadata=bounded(MAX_NOTES)
    )


@strawberry.input(description="Changes to an assignment; omitted fields stay as they are.")
class UpdateAssignmentInput:
    mentor_id: str | None = strawberry.field(
        default=strawberry.UNSET, description="Reassign to another mentor."
    )
    mentee_id: str | None = strawberry.field(
        default=strawberry.UNSET, description="Another mentee."
    )
    coordinator_id: str | None = strawberry.field(
        default=strawberry.UNSET, description="Another coordinator (null: none)."
    )
    org_id: str | None = strawberry.field(
        default=strawberry.UNSET, description="Another organisation."
    )
    start_date: datetime | None = strawberry.field(
        default=strawberry.UNSET, description="Another start."
    )
    notes: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="Casework notes (null: none).",
        metadata=bounded(MAX_NOTES),
    )
    status: AssignmentStatus | None = strawberry.field(
        default=strawberry.UNSET,
        description="Close or reopen (no reason kept; see `changeAssignmentStatus`).",
    )


@strawberry.type(description="What one follow-up sweep raised.")
class FollowUpSweepResult:
    reminders: int = strawberry.field(description="Reminders raised to mentors.")
    escalations: int = strawberry.field(description="Escalations raised to coordinators.")
    notifications: list[Notification] = strawberry.field(description="The new outbox entries.")


@strawberry.type(description="A change to an assignment, from either door.")
class AssignmentChange:
    kind: str = strawberry.field(
        description="created, updated, contacted, status_changed, deleted, restored, "
        "reminded or escalated."
    )
    assignment_id: str = strawberry.field(description="The assignment's legacy id.")
    event_id: str = event_id_field()

    @strawberry.field(description="The assignment now; null when deleted or no longer visible.")
    async def assignment(self, info: Info) -> Assignment | None:
        row = await resolve.visible_assignment(info.context, self.assignment_id)
        return None if row is None else Assignment.from_record(row)


def _given(value: T) -> T | Unset:
    """Strawberry's UNSET (argument omitted) as the service's UNSET."""
    return UNSET if value is strawberry.UNSET else value


def _word(member: Enum) -> str:
    """An enum's database word (``AssignmentStatus.OPEN`` -> ``"open"``)."""
    return str(member.value)


def _moment(value: datetime | None) -> datetime | None:
    return None if value is None else as_utc(value)


def _patch(data: UpdateAssignmentInput) -> AssignmentPatch:
    status = _given(data.status)
    start = _given(data.start_date)
    return AssignmentPatch(
        mentor_id=_given(data.mentor_id),
        mentee_id=_given(data.mentee_id),
        coordinator_id=_given(data.coordinator_id),
        org_id=_given(data.org_id),
        started_at=_moment(start) if not isinstance(start, Unset) else start,
        notes=_given(data.notes),
        status=_word(status) if isinstance(status, AssignmentStatus) else status,
    )


@strawberry.type
class MentoringQuery:
    @strawberry.field(description="One assignment by its legacy id (e.g. `asgn_001`).")
    async def assignment(self, info: Info, id: AssignmentId) -> Assignment:
        row = await resolve.assignment(info.context, id)
        await resolve.prefetch(info.context, [row], object_fields(info))
        return Assignment.from_record(row)

    @strawberry.field(description="Assignments the caller may see, oldest first.")
    async def assignments(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        status: Annotated[
            AssignmentStatusFilter, strawberry.argument(description="Open, closed or all.")
        ] = AssignmentStatusFilter.OPEN,
        mentor_id: OnlyMentor = None,
        mentee_id: OnlyMentee = None,
        coordinator_id: OnlyCoordinator = None,
        org_id: OnlyOrg = None,
        filter: WhereAssignments = None,
        order_by: OrderAssignments = None,
    ) -> AssignmentConnection:
        filters = Filters(
            status=None if status is AssignmentStatusFilter.ALL else _word(status),
            mentor_id=mentor_id,
            mentee_id=mentee_id,
            coordinator_id=coordinator_id,
            org_id=org_id,
            where=read_filter(filter),
            sort=read_order(order_by),
        )
        paged = await resolve.assignments(
            info.context, paging(info, first, after, last, before), filters
        )
        await resolve.prefetch(info.context, paged.items, item_fields(info))
        return AssignmentConnection.of(paged, Assignment.from_record)

    @strawberry.field(
        description="Open assignments with no contact since `cutoff` (RFC 3339 date or "
        "date-time) or for `days` days; with neither, the organisation's reminder threshold. "
        "Oldest contact first."
    )
    async def overdue_assignments(
        self,
        info: Info,
        cutoff: Annotated[
            str | None, strawberry.argument(description="RFC 3339 date or date-time.")
        ] = None,
        days: Annotated[
            int | None, strawberry.argument(description="Days without contact, 0-36500.")
        ] = None,
        org_id: OnlyOrg = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        filter: WhereAssignments = None,
        order_by: OrderAssignments = None,
    ) -> AssignmentConnection:
        paged = await resolve.overdue(
            info.context,
            paging(info, first, after, last, before),
            cutoff=cutoff,
            days=days,
            org_id=org_id,
            where=read_filter(filter),
            sort=read_order(order_by),
        )
        await resolve.prefetch(info.context, paged.items, item_fields(info))
        return AssignmentConnection.of(paged, Assignment.from_record)

    @strawberry.field(
        description="A mentor's assignments: the open ones (`active`, oldest first) or the "
        "whole history, newest first."
    )
    async def mentor_assignments(
        self,
        info: Info,
        mentor_id: MentorId,
        active: Annotated[
            bool, strawberry.argument(description="Open ones only (default), or the history.")
        ] = True,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        filter: WhereAssignments = None,
        order_by: OrderAssignments = None,
    ) -> AssignmentConnection:
        paged = await resolve.mentor_assignments(
            info.context,
            mentor_id,
            active=active,
            page=paging(info, first, after, last, before),
            where=read_filter(filter),
            sort=read_order(order_by),
        )
        await resolve.prefetch(info.context, paged.items, item_fields(info))
        return AssignmentConnection.of(paged, Assignment.from_record)

    @strawberry.field(description="How many open assignments a mentor has.")
    async def open_assignment_count(self, info: Info, mentor_id: MentorId) -> int:
        return await resolve.open_count(info.context, mentor_id)

    @strawberry.field(description="Follow-up notifications of assignments the caller may see.")
    async def notifications(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        kind: Annotated[
            NotificationKind | None, strawberry.argument(description="Reminders or escalations.")
        ] = None,
        assignment_id: Annotated[
            str | None, strawberry.argument(description="Only this assignment's.")
        ] = None,
        recipient_id: Annotated[
            str | None, strawberry.argument(description="Only those for this person.")
        ] = None,
        filter: WhereNotifications = None,
        order_by: OrderNotifications = None,
    ) -> NotificationConnection:
        paged = await resolve.notifications(
            info.context,
            paging(info, first, after, last, before),
            kind=None if kind is None else _word(kind),
            assignment_id=assignment_id,
            recipient_id=recipient_id,
            where=read_filter(filter),
            sort=read_order(order_by),
        )
        return NotificationConnection.of(paged, Notification.from_record)


@strawberry.type
class MentoringMutation:
    @strawberry.mutation(description="Create an assignment (admins, coordinators).")
    async def create_assignment(
        self,
        info: Info,
        input: Annotated[
            CreateAssignmentInput, strawberry.argument(description="The new assignment.")
        ],
    ) -> Assignment:
        new = NewAssignment(
            mentor_id=input.mentor_id,
            mentee_id=input.mentee_id,
            coordinator_id=input.coordinator_id,
            org_id=input.org_id,
            started_at=_moment(input.start_date),
            notes=input.notes,
        )
        return Assignment.from_record(await resolve.create(info.context, new))

    @strawberry.mutation(
        description="Change an assignment. `expectedVersion`: refuse (CONFLICT) if it changed "
        "since. Peer mentors may change only the notes of their own."
    )
    async def update_assignment(
        self,
        info: Info,
        id: AssignmentId,
        input: Annotated[UpdateAssignmentInput, strawberry.argument(description="The changes.")],
        expected_version: ExpectedVersion = None,
    ) -> Assignment:
        row = await resolve.update(info.context, id, _patch(input), expected_version)
        return Assignment.from_record(row)

    @strawberry.mutation(
        description="Record a contact (default: now; not in the future). The latest contact "
        "becomes `lastContactAt` and restarts the follow-up clock."
    )
    async def record_contact(
        self,
        info: Info,
        id: AssignmentId,
        contact_type: Annotated[
            ContactType, strawberry.argument(description="How they were in touch.")
        ],
        contact_at: Annotated[
            datetime | None, strawberry.argument(description="When (default: now).")
        ] = None,
        expected_version: ExpectedVersion = None,
    ) -> Assignment:
        row = await resolve.record_contact(
            info.context,
            id,
            contact_type=_word(contact_type),
            contact_at=_moment(contact_at),
            expected_version=expected_version,
        )
        return Assignment.from_record(row)

    @strawberry.mutation(
        description="Close or reopen an assignment with a reason (at most 2,000 characters)."
    )
    async def change_assignment_status(
        self,
        info: Info,
        id: AssignmentId,
        status: Annotated[AssignmentStatus, strawberry.argument(description="The new status.")],
        reason: Annotated[
            str | None, strawberry.argument(description="Why.", metadata=bounded(MAX_REASON))
        ] = None,
        expected_version: ExpectedVersion = None,
    ) -> Assignment:
        row = await resolve.change_status(
            info.context, id, status=_word(status), reason=reason, expected_version=expected_version
        )
        return Assignment.from_record(row)

    @strawberry.mutation(description="Delete an assignment (a tombstone an admin can restore).")
    async def delete_assignment(
        self, info: Info, id: AssignmentId, expected_version: ExpectedVersion = None
    ) -> bool:
        await resolve.delete(info.context, id, expected_version)
        return True

    @strawberry.mutation(description="Restore a deleted assignment (admin).")
    async def restore_assignment(self, info: Info, id: AssignmentId) -> Assignment:
        return Assignment.from_record(await resolve.restore(info.context, id))

    @strawberry.mutation(description="Raise every due reminder and escalation now (admin).")
    async def run_follow_up_sweep(self, info: Info) -> FollowUpSweepResult:
        result = await resolve.run_sweep(info.context)
        return FollowUpSweepResult(
            reminders=result.count(REMINDER),
            escalations=result.count(ESCALATION),
            notifications=[Notification.from_record(row) for row in result.notifications],
        )


@strawberry.type
class MentoringSubscription:
    @strawberry.subscription(
        description="Changes to assignments the caller may see (admins: all; coordinators: "
        "their organisations'; peer mentors: their own), from GraphQL and REST alike."
    )
    async def assignment_changed(
        self, info: Info, after: AfterEvent = None
    ) -> AsyncGenerator[AssignmentChange, None]:
        ctx = info.context
        who = require_peer_support_role(ctx.who)  # 403 for roles outside peer support
        async with ctx.changes(("assignment",), after) as events:
            async for event in events:
                if hears_assignment_event(who, event.payload):
                    ctx.loaders.clear()  # each event is resolved against fresh data
                    yield AssignmentChange(
                        kind=event.action, assignment_id=event.key, event_id=event_id(event)
                    )

    @strawberry.subscription(
        description="Follow-up reminders and escalations as the sweep raises them, for "
        "assignments the caller may see (admins: all; coordinators: their organisations'; "
        "peer mentors: their own). Each event is checked against the assignment as it is then."
    )
    async def notification_raised(
        self,
        info: Info,
        kind: Annotated[
            NotificationKind | None,
            strawberry.argument(description="Only reminders or only escalations."),
        ] = None,
        after: AfterEvent = None,
    ) -> AsyncGenerator[Notification, None]:
        ctx = info.context
        who = require_peer_support_role(ctx.who)  # 403 for roles outside peer support
        async with ctx.changes((NOTIFICATION_TOPIC,), after) as events:
            async for event in events:
                if kind is not None and event.action != _word(kind):
                    continue
                if not hears_assignment_event(who, event.payload):
                    continue
                ctx.loaders.clear()
                row = await resolve.visible_notification(ctx, event.key)
                if row is not None:
                    raised = Notification.from_record(row)
                    raised.event_id = event_id(event)
                    yield raised
