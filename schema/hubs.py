"""The hub fields of ``Person`` and ``Organisation``: one question across every domain.

``PersonHub`` and ``OrganisationHub`` are mixed into the types of ``schema/people_types.py``.
The domains' types import ``Person``, so this module names them lazily
(``strawberry.lazy``) and imports their classes inside the resolvers. Every list is its
domain's own list field narrowed to the person or organisation, resolved by the domain's
resolvers through its read model's page readers (``resolvers/<domain>.py``): the same
visibility, filters and order, batched for a whole page of owners.
"""

from __future__ import annotations

from datetime import date
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry

from app.services.activity_reads import ActivityFilters
from app.services.mentoring_rules import Filters
from resolvers import activities as activity_resolve
from resolvers import mentoring as mentoring_resolve
from resolvers import milestones as milestones_resolve
from resolvers import people as people_resolve
from resolvers.context import Info
from resolvers.prefetch import item_fields
from schema.base import (
    FILTER_HELP,
    ORDER_HELP,
    After,
    Before,
    First,
    Last,
    paging,
)
from schema.listing import read_filter, read_order

if TYPE_CHECKING:
    from app.services.activity_reads import YearSummaryRecord
    from schema.activities_types import (
        ActivityConnection,
        ActivityFilter,
        ActivityOrder,
        ActivityStatus,
    )
    from schema.editorial_types import (
        EditorialAssignment,
        EditorialAssignmentConnection,
        EditorialAssignmentFilter,
        EditorialAssignmentOrder,
        EditorialAssignmentOrderField,
        EditorialLock,
        EditorialLockConnection,
        EditorialLockFilter,
        EditorialLockOrder,
        EditorialSortDirection,
    )
    from schema.mentoring_types import (
        Assignment,
        AssignmentConnection,
        AssignmentFilter,
        AssignmentOrder,
        AssignmentStatusFilter,
        Notification,
        NotificationConnection,
        NotificationFilter,
        NotificationKind,
        NotificationOrder,
    )
    from schema.milestones_types import (
        Milestone,
        MilestoneConnection,
        MilestoneFilter,
        MilestoneOrder,
        MilestoneStatus,
        MilestoneType,
    )
    from schema.people_types import Person, PersonConnection, PersonFilter, PersonOrder

_MENTORING = "schema.mentoring_types"
_ACTIVITIES = "schema.activities_types"
_MILESTONES = "schema.milestones_types"
_EDITORIAL = "schema.editorial_types"

AssignmentT = Annotated["Assignment", strawberry.lazy(_MENTORING)]
AssignmentConnectionT = Annotated["AssignmentConnection", strawberry.lazy(_MENTORING)]
NotificationT = Annotated["Notification", strawberry.lazy(_MENTORING)]
NotificationConnectionT = Annotated["NotificationConnection", strawberry.lazy(_MENTORING)]
ActivityConnectionT = Annotated["ActivityConnection", strawberry.lazy(_ACTIVITIES)]
MilestoneT = Annotated["Milestone", strawberry.lazy(_MILESTONES)]
MilestoneConnectionT = Annotated["MilestoneConnection", strawberry.lazy(_MILESTONES)]
EditorialAssignmentT = Annotated["EditorialAssignment", strawberry.lazy(_EDITORIAL)]
EditorialAssignmentConnectionT = Annotated[
    "EditorialAssignmentConnection", strawberry.lazy(_EDITORIAL)
]
EditorialLockT = Annotated["EditorialLock", strawberry.lazy(_EDITORIAL)]
EditorialLockConnectionT = Annotated["EditorialLockConnection", strawberry.lazy(_EDITORIAL)]
PersonT = Annotated["Person", strawberry.lazy("schema.people_types")]
PersonConnectionT = Annotated["PersonConnection", strawberry.lazy("schema.people_types")]
PersonFilterT = Annotated["PersonFilter", strawberry.lazy("schema.people_types")]
PersonOrderT = Annotated["PersonOrder", strawberry.lazy("schema.people_types")]

AssignmentStatusFilterT = Annotated["AssignmentStatusFilter", strawberry.lazy(_MENTORING)]
NotificationKindT = Annotated["NotificationKind", strawberry.lazy(_MENTORING)]
AssignmentFilterT = Annotated["AssignmentFilter", strawberry.lazy(_MENTORING)]
AssignmentOrderT = Annotated["AssignmentOrder", strawberry.lazy(_MENTORING)]
NotificationFilterT = Annotated["NotificationFilter", strawberry.lazy(_MENTORING)]
NotificationOrderT = Annotated["NotificationOrder", strawberry.lazy(_MENTORING)]
ActivityStatusT = Annotated["ActivityStatus", strawberry.lazy(_ACTIVITIES)]
ActivityFilterT = Annotated["ActivityFilter", strawberry.lazy(_ACTIVITIES)]
ActivityOrderT = Annotated["ActivityOrder", strawberry.lazy(_ACTIVITIES)]
MilestoneStatusT = Annotated["MilestoneStatus", strawberry.lazy(_MILESTONES)]
MilestoneTypeT = Annotated["MilestoneType", strawberry.lazy(_MILESTONES)]
MilestoneFilterT = Annotated["MilestoneFilter", strawberry.lazy(_MILESTONES)]
MilestoneOrderT = Annotated["MilestoneOrder", strawberry.lazy(_MILESTONES)]
OrderFieldT = Annotated["EditorialAssignmentOrderField", strawberry.lazy(_EDITORIAL)]
DirectionT = Annotated["EditorialSortDirection", strawberry.lazy(_EDITORIAL)]
EditorialFilterT = Annotated["EditorialAssignmentFilter", strawberry.lazy(_EDITORIAL)]
EditorialOrderT = Annotated["EditorialAssignmentOrder", strawberry.lazy(_EDITORIAL)]
LockFilterT = Annotated["EditorialLockFilter", strawberry.lazy(_EDITORIAL)]
LockOrderT = Annotated["EditorialLockOrder", strawberry.lazy(_EDITORIAL)]
_STATUS_HELP = "Open (when null), closed or all."


@strawberry.enum(description="The part a person plays in an assignment.")
class AssignmentRole(Enum):
    MENTOR = strawberry.enum_value("mentor", description="The peer mentor.")
    MENTEE = strawberry.enum_value("mentee", description="The person supported (contact).")
    COORDINATOR = strawberry.enum_value(
        "coordinator", description="The coordinator who follows the assignment up."
    )


def _status(value: Enum | None) -> str | None:
    """An ``AssignmentStatusFilter`` as the service's filter (null: open)."""
    if value is None:
        return "open"
    return None if value.value == "all" else str(value.value)


@strawberry.type(
    description="A mentor's year: confirmed activities (as `mentorActivityTotals` counts "
    "them) and the distinct people they helped (as milestone detection counts them)."
)
class PersonYearSummary:
    year: int = strawberry.field(description="The calendar year.")
    from_: date = strawberry.field(name="from", description="First day counted (1 January).")
    to: date = strawberry.field(description="Last day counted (31 December).")
    minutes: int = strawberry.field(description="Minutes of confirmed activities.")
    hours: float = strawberry.field(description="Hours of confirmed activities (minutes / 60).")
    activity_count: int = strawberry.field(description="Confirmed activities.")
    people_helped: int = strawberry.field(
        description="Distinct mentees whose assignment with the mentor overlapped the year."
    )

    @classmethod
    def of(cls, summary: YearSummaryRecord) -> PersonYearSummary:
        found = summary.totals
        return cls(
            year=summary.year,
            from_=found.start,
            to=found.end,
            minutes=found.minutes,
            hours=found.hours,
            activity_count=found.activity_count,
            people_helped=summary.people_helped,
        )


@strawberry.type(description="The cross-domain fields of a person (see `Person`).")
class PersonHub:
    if TYPE_CHECKING:
        legacy_id: str

    @strawberry.field(
        description="The person's assignments as mentor (default), mentee or coordinator, "
        "of those the caller may see (as `assignments`), oldest first."
    )
    async def assignments(
        self,
        info: Info,
        role: Annotated[
            AssignmentRole, strawberry.argument(description="The part the person plays.")
        ] = AssignmentRole.MENTOR,
        status: Annotated[
            AssignmentStatusFilterT | None, strawberry.argument(description=_STATUS_HELP)
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        filter: Annotated[
            AssignmentFilterT | None, strawberry.argument(description=FILTER_HELP)
        ] = None,
        order_by: Annotated[
            list[AssignmentOrderT] | None, strawberry.argument(description=ORDER_HELP)
        ] = None,
    ) -> AssignmentConnectionT:
        from schema.mentoring_types import Assignment, AssignmentConnection

        paged = await mentoring_resolve.person_assignments(
            info.context,
            self.legacy_id,
            str(role.value),
            _status(status),
            paging(info, first, after, last, before),
            where=read_filter(filter),
            sort=read_order(order_by),
        )
        await mentoring_resolve.prefetch(info.context, paged.items, item_fields(info))
        return AssignmentConnection.of(paged, Assignment.from_record)

    @strawberry.field(
        description="How many open assignments the person mentors, of those the caller may see."
    )
    async def open_assignment_count(self, info: Info) -> int:
        return await mentoring_resolve.person_open_count(info.context, self.legacy_id)

    @strawberry.field(
        description="The person's activities the caller may see (as `activities`), newest first."
    )
    async def activities(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        from_: Annotated[
            date | None, strawberry.argument(name="from", description="Dated on or after this day.")
        ] = None,
        to: Annotated[
            date | None, strawberry.argument(description="Dated on or before this day.")
        ] = None,
        status: Annotated[
            ActivityStatusT | None,
            strawberry.argument(description="Only activities in this status."),
        ] = None,
        activity_type_id: Annotated[
            str | None, strawberry.argument(description="Only this activity type.")
        ] = None,
        filter: Annotated[
            ActivityFilterT | None, strawberry.argument(description=FILTER_HELP)
        ] = None,
        order_by: Annotated[
            list[ActivityOrderT] | None, strawberry.argument(description=ORDER_HELP)
        ] = None,
    ) -> ActivityConnectionT:
        from schema.activities_types import Activity, ActivityConnection

        filters = ActivityFilters(
            None,
            from_,
            to,
            None if status is None else status.model,
            activity_type_id,
            where=read_filter(filter),
            sort=read_order(order_by),
        )
        paged = await activity_resolve.mentor_activities(
            info.context, self.legacy_id, paging(info, first, after, last, before), filters
        )
        await activity_resolve.prefetch(info.context, paged.items, item_fields(info))
        return ActivityConnection.of(paged, Activity.from_record)

    @strawberry.field(
        description="The person's milestones the caller may see (as `milestones`), newest "
        "period first."
    )
    async def milestones(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        status: Annotated[
            MilestoneStatusT | None,
            strawberry.argument(description="Only achieved or only in-progress milestones."),
        ] = None,
        type: Annotated[
            MilestoneTypeT | None,
            strawberry.argument(description="Only milestones of this type."),
        ] = None,
        year: Annotated[
            int | None,
            strawberry.argument(description="Only periods overlapping this calendar year."),
        ] = None,
        start_date: Annotated[
            date | None,
            strawberry.argument(description="With `endDate`: only periods overlapping these."),
        ] = None,
        end_date: Annotated[
            date | None, strawberry.argument(description="Last day of the periods' window.")
        ] = None,
        filter: Annotated[
            MilestoneFilterT | None, strawberry.argument(description=FILTER_HELP)
        ] = None,
        order_by: Annotated[
            list[MilestoneOrderT] | None, strawberry.argument(description=ORDER_HELP)
        ] = None,
    ) -> MilestoneConnectionT:
        from schema.milestones_types import Milestone, MilestoneConnection

        paged = await milestones_resolve.person_milestones(
            info.context,
            self.legacy_id,
            paging(info, first, after, last, before),
            status=None if status is None else status.model,
            type=None if type is None else str(type.value),
            year=year,
            start_date=start_date,
            end_date=end_date,
            where=read_filter(filter),
            sort=read_order(order_by),
        )
        return MilestoneConnection.of(paged, Milestone.from_record)

    @strawberry.field(
        description="The person's year as a mentor (default: this year); null when the caller "
        "may not see their activities (they themselves, their organisations' coordinators "
        "and admins may)."
    )
    async def yearly_summary(
        self,
        info: Info,
        year: Annotated[
            int | None, strawberry.argument(description="A calendar year, 2000-2100.")
        ] = None,
    ) -> PersonYearSummary | None:
        summary = await activity_resolve.yearly_summary(info.context, self.legacy_id, year)
        return None if summary is None else PersonYearSummary.of(summary)

    @strawberry.field(
        description="The editorial assignments the person is assigned to (`users`); null "
        "without the ACL action ASSIGNMENT list."
    )
    async def editorial_assignments(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        order_by: Annotated[
            OrderFieldT | None,
            strawberry.argument(description="Order by (null: MODIFIED_AT, as REST `order`)."),
        ] = None,
        direction: Annotated[
            DirectionT | None,
            strawberry.argument(description="Direction (null: DESC, as REST `dir`)."),
        ] = None,
        filter: Annotated[
            EditorialFilterT | None, strawberry.argument(description=FILTER_HELP)
        ] = None,
        order_keys: Annotated[
            list[EditorialOrderT] | None,
            strawberry.argument(
                description="The order, key by key (the CEO id breaks ties); null or empty: "
                "`orderBy`/`direction`. Not together with `orderBy` or `direction`."
            ),
        ] = None,
    ) -> EditorialAssignmentConnectionT | None:
        from resolvers import editorial as editorial_resolve
        from schema.editorial_types import (
            EditorialAssignment,
            EditorialAssignmentConnection,
            read_order_keys,
        )

        paged = await editorial_resolve.assignments_of_person(
            info.context,
            self.legacy_id,
            paging(info, first, after, last, before),
            order=None if order_by is None else str(order_by.value),
            direction=None if direction is None else str(direction.value),
            where=read_filter(filter),
            sort=read_order_keys(order_keys),
        )
        return (
            None
            if paged is None
            else EditorialAssignmentConnection.of(paged, EditorialAssignment.from_record)
        )

    @strawberry.field(
        description="The editorial locks the person holds now, oldest first; null without "
        "the ACL action LOCKREQUEST get."
    )
    async def held_locks(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        filter: Annotated[LockFilterT | None, strawberry.argument(description=FILTER_HELP)] = None,
        order_by: Annotated[
            list[LockOrderT] | None, strawberry.argument(description=ORDER_HELP)
        ] = None,
    ) -> EditorialLockConnectionT | None:
        from resolvers import editorial as editorial_resolve
        from schema.editorial_types import EditorialLock, EditorialLockConnection

        paged = await editorial_resolve.locks_held_by(
            info.context,
            self.legacy_id,
            paging(info, first, after, last, before),
            where=read_filter(filter),
            sort=read_order(order_by),
        )
        return (
            None if paged is None else EditorialLockConnection.of(paged, EditorialLock.from_record)
        )


@strawberry.type(description="The cross-domain fields of an organisation (see `Organisation`).")
class OrganisationHub:
    if TYPE_CHECKING:
        legacy_id: str
        reminder_days: int

    @strawberry.field(
        description="The organisation's members the caller may see (as `people`), by name."
    )
    async def people(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        search: Annotated[str | None, strawberry.argument(description="Part of the name.")] = None,
        role: Annotated[
            str | None, strawberry.argument(description="Only people with this directory role.")
        ] = None,
        filter: Annotated[
            PersonFilterT | None, strawberry.argument(description=FILTER_HELP)
        ] = None,
        order_by: Annotated[
            list[PersonOrderT] | None, strawberry.argument(description=ORDER_HELP)
        ] = None,
    ) -> PersonConnectionT:
        from schema.people_types import Person, PersonConnection

        paged = await people_resolve.org_people(
            info.context,
            self.legacy_id,
            paging(info, first, after, last, before),
            search=search,
            role=role,
            where=read_filter(filter),
            sort=read_order(order_by),
        )
        return PersonConnection.of(paged, Person.from_record)

    @strawberry.field(
        description="The organisation's assignments the caller may see (as `assignments`), "
        "oldest first."
    )
    async def assignments(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        status: Annotated[
            AssignmentStatusFilterT | None, strawberry.argument(description=_STATUS_HELP)
        ] = None,
        mentor_id: Annotated[
            str | None, strawberry.argument(description="Only this mentor's.")
        ] = None,
        mentee_id: Annotated[
            str | None, strawberry.argument(description="Only this mentee's.")
        ] = None,
        coordinator_id: Annotated[
            str | None, strawberry.argument(description="Only this coordinator's.")
        ] = None,
        filter: Annotated[
            AssignmentFilterT | None, strawberry.argument(description=FILTER_HELP)
        ] = None,
        order_by: Annotated[
            list[AssignmentOrderT] | None, strawberry.argument(description=ORDER_HELP)
        ] = None,
    ) -> AssignmentConnectionT:
        from schema.mentoring_types import Assignment, AssignmentConnection

        filters = Filters(
            status=_status(status),
            mentor_id=mentor_id,
            mentee_id=mentee_id,
            coordinator_id=coordinator_id,
            where=read_filter(filter),
            sort=read_order(order_by),
        )
        paged = await mentoring_resolve.org_assignments(
            info.context, self.legacy_id, paging(info, first, after, last, before), filters
        )
        return AssignmentConnection.of(paged, Assignment.from_record)

    @strawberry.field(
        description="Open assignments with no contact since `cutoff` or for `days` days "
        "(with neither: the organisation's reminder threshold), oldest contact first (as "
        "`overdueAssignments`)."
    )
    async def overdue_assignments(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        cutoff: Annotated[
            str | None, strawberry.argument(description="RFC 3339 date or date-time.")
        ] = None,
        days: Annotated[
            int | None, strawberry.argument(description="Days without contact, 0-36500.")
        ] = None,
        filter: Annotated[
            AssignmentFilterT | None, strawberry.argument(description=FILTER_HELP)
        ] = None,
        order_by: Annotated[
            list[AssignmentOrderT] | None, strawberry.argument(description=ORDER_HELP)
        ] = None,
    ) -> AssignmentConnectionT:
        from schema.mentoring_types import Assignment, AssignmentConnection

        paged = await mentoring_resolve.org_overdue(
            info.context,
            self.legacy_id,
            paging(info, first, after, last, before),
            cutoff=cutoff,
            days=days,
            reminder_days=self.reminder_days,
            where=read_filter(filter),
            sort=read_order(order_by),
        )
        return AssignmentConnection.of(paged, Assignment.from_record)

    @strawberry.field(
        description="Follow-up notifications of the organisation's assignments the caller "
        "may see (as `notifications`), newest first."
    )
    async def notifications(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        kind: Annotated[
            NotificationKindT | None,
            strawberry.argument(description="Only reminders or only escalations."),
        ] = None,
        filter: Annotated[
            NotificationFilterT | None, strawberry.argument(description=FILTER_HELP)
        ] = None,
        order_by: Annotated[
            list[NotificationOrderT] | None, strawberry.argument(description=ORDER_HELP)
        ] = None,
    ) -> NotificationConnectionT:
        from schema.mentoring_types import Notification, NotificationConnection

        paged = await mentoring_resolve.org_notifications(
            info.context,
            self.legacy_id,
            paging(info, first, after, last, before),
            kind=None if kind is None else str(kind.value),
            where=read_filter(filter),
            sort=read_order(order_by),
        )
        return NotificationConnection.of(paged, Notification.from_record)
