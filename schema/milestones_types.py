"""GraphQL types, enums and inputs of milestones (contract 003). The root fields are in
``schema/milestones_roots.py``."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Annotated

import strawberry

from app.services import milestone_detection as detection
from app.services import milestone_reads as reads
from app.services.milestone_badges import badge_url
from app.services.milestone_labels import Locale, accessibility_label
from app.services.milestone_rules import progress_percentage, remaining
from resolvers import milestones as resolve
from resolvers import people as people_resolve
from resolvers.context import Info
from schema.aggregates import AggregatedConnection, Aggregates, aggregated
from schema.base import Node, optional_event_id_field, register_node, to_global_id
from schema.listing import (
    DateFilter,
    DateTimeFilter,
    EnumFilter,
    FloatFilter,
    IntFilter,
    KeyFilter,
    SortDirection,
)
from schema.people_types import Person


def word(member: Enum) -> str:
    """The stored word of a GraphQL enum member (``HOURS_LOGGED`` -> ``hours_logged``)."""
    return str(member.value)


@strawberry.enum(description="What a milestone counts.")
class MilestoneType(Enum):
    HOURS_LOGGED = strawberry.enum_value(
        "hours_logged", description="Hours of confirmed activities."
    )
    CONTACTS_HELPED = strawberry.enum_value(
        "contacts_helped", description="Distinct mentees the mentor had assignments with."
    )
    ACTIVITIES_LOGGED = strawberry.enum_value(
        "activities_logged", description="Confirmed activities."
    )


@strawberry.enum(description="Whether a milestone's threshold has been reached.")
class MilestoneStatus(Enum):
    ACHIEVED = strawberry.enum_value("achieved", description="The threshold was reached.")
    IN_PROGRESS = strawberry.enum_value(
        "in_progress", description="The next threshold of its type, not reached yet."
    )

    @property
    def model(self) -> reads.MilestoneStatus:
        return reads.MilestoneStatus(word(self))


_IN = "Any of these (at most 100; none matches nothing)."
_NOT_IN = "None of these (at most 100); a null field matches."


@strawberry.input(
    description="Conditions on milestones (each field's conditions combined with and; `and`, "
    "`or` and `not` combine filters). Applied within what the caller may see."
)
class MilestoneFilter:
    status: EnumFilter[MilestoneStatus] | None = strawberry.field(
        default=None, description="Achieved or in progress."
    )
    type: EnumFilter[MilestoneType] | None = strawberry.field(
        default=None, description="What it counts (its definition's type)."
    )
    mentor_id: KeyFilter | None = strawberry.field(
        default=None, description="The mentor's directory id."
    )
    threshold: IntFilter | None = strawberry.field(
        default=None, description="The total that reaches it (its definition's)."
    )
    current_value: FloatFilter | None = strawberry.field(
        default=None, description="The total at the last detection or correction."
    )
    period_start: DateFilter | None = strawberry.field(
        default=None, description="First day of the detection period."
    )
    period_end: DateFilter | None = strawberry.field(
        default=None, description="Last day of the detection period."
    )
    achieved_at: DateTimeFilter | None = strawberry.field(
        default=None, description="When the threshold was crossed (null while in progress)."
    )
    detected_at: DateTimeFilter | None = strawberry.field(
        default=None, description="When last detected (null if never)."
    )
    and_: list[MilestoneFilter] | None = strawberry.field(
        name="and", default=None, description="All of these."
    )
    or_: list[MilestoneFilter] | None = strawberry.field(
        name="or", default=None, description="Any of these."
    )
    not_: MilestoneFilter | None = strawberry.field(
        name="not", default=None, description="Not this."
    )


@strawberry.enum(description="The fields milestones may be ordered by.")
class MilestoneOrderField(Enum):
    STATUS = strawberry.enum_value("status", description="The status (its stored word).")
    TYPE = strawberry.enum_value("type", description="The type (its stored word).")
    MENTOR_ID = strawberry.enum_value("mentor_id", description="The mentor's id.")
    THRESHOLD = strawberry.enum_value("threshold", description="The threshold.")
    CURRENT_VALUE = strawberry.enum_value("current_value", description="The current total.")
    PERIOD_START = strawberry.enum_value("period_start", description="The period's first day.")
    PERIOD_END = strawberry.enum_value("period_end", description="The period's last day.")
    ACHIEVED_AT = strawberry.enum_value("achieved_at", description="When achieved.")
    DETECTED_AT = strawberry.enum_value("detected_at", description="When last detected.")


@strawberry.input(description="One key of a milestones order.")
class MilestoneOrder:
    field: MilestoneOrderField = strawberry.field(description="What to order by.")
    direction: SortDirection = strawberry.field(
        default=SortDirection.ASC, description="Ascending (default) or descending."
    )


@strawberry.enum(description="Language of an accessibility label.")
class MilestoneLocale(Enum):
    EN = strawberry.enum_value("en", description="English (the default).")
    NB = strawberry.enum_value("nb", description="Norwegian bokmål.")


@strawberry.enum(description="Where the totals of a detection came from.")
class MilestoneSource(Enum):
    PROVIDED = strawberry.enum_value("provided", description="The summary the caller sent.")
    RECORDED = strawberry.enum_value(
        "recorded", description="Confirmed activities and mentoring assignments of the period."
    )


@strawberry.type(
    description="A catalogue entry: a threshold of one type, its name and badge (admin data)."
)
class MilestoneDefinition(Node):
    type: MilestoneType = strawberry.field(description="What it counts.")
    threshold: int = strawberry.field(description="The total that reaches it.")
    name: str = strawberry.field(description='Display name, e.g. "100 Hours Milestone".')
    badge: str = strawberry.field(description="Badge image name (see `badgeImageUrl`).")
    badge_image_url: str = strawberry.field(description="Path of the badge PNG (public).")
    active: bool = strawberry.field(description="False when retired: no longer detected.")
    created_at: dt.datetime = strawberry.field(description="When it was added.")
    updated_at: dt.datetime = strawberry.field(description="When it last changed.")

    @classmethod
    def from_record(cls, row: reads.MilestoneDefinitionRecord) -> MilestoneDefinition:
        return cls(
            id=to_global_id("MilestoneDefinition", row.id),
            legacy_id=row.id,
            type=MilestoneType(row.type),
            threshold=row.threshold,
            name=row.name,
            badge=row.badge,
            badge_image_url=badge_url(row.badge),
            active=row.active,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


@strawberry.type(description="A mentor's milestone in a period: achieved, or the next one.")
class Milestone(Node):
    mentor_id: str = strawberry.field(description="The mentor's directory id.")
    name: str = strawberry.field(description="The definition's name.")
    type: MilestoneType = strawberry.field(description="What it counts.")
    status: MilestoneStatus = strawberry.field(description="Achieved or in progress.")
    threshold: int = strawberry.field(description="The total that reaches it.")
    current_value: float = strawberry.field(
        description="The total at the last detection or correction."
    )
    achieved_value: float | None = strawberry.field(
        description="The total when last detected, for achieved milestones (else null)."
    )
    achieved_at: dt.datetime | None = strawberry.field(
        description="When the threshold was crossed (achieved milestones only)."
    )
    progress_percentage: int = strawberry.field(
        description="floor(100 x currentValue / threshold), at most 100."
    )
    remaining: float = strawberry.field(description="threshold - currentValue, at least 0.")
    period_start: dt.date = strawberry.field(description="First day of the detection period.")
    period_end: dt.date = strawberry.field(description="Last day of the detection period.")
    badge_image_url: str = strawberry.field(description="Path of the badge PNG (public).")
    detected_at: dt.datetime | None = strawberry.field(description="When last detected.")
    version: int = strawberry.field(
        description="Changes with every update; pass it as `expectedVersion`."
    )
    created_at: dt.datetime = strawberry.field(description="When the record was created.")
    updated_at: dt.datetime = strawberry.field(description="When the record last changed.")
    definition_id: strawberry.Private[str]
    remaining_by_default: strawberry.Private[bool]
    event_id: str | None = optional_event_id_field()

    @classmethod
    def from_record(
        cls, row: reads.MilestoneRecord, *, in_progress_list: bool = False
    ) -> Milestone:
        achieved = row.achieved
        return cls(
            id=to_global_id("Milestone", row.id),
            legacy_id=row.id,
            mentor_id=row.mentor_id,
            name=row.name,
            type=MilestoneType(row.type),
            status=MilestoneStatus(row.status),
            threshold=row.threshold,
            current_value=row.value,
            achieved_value=row.value if achieved else None,
            achieved_at=row.achieved_at if achieved else None,
            progress_percentage=progress_percentage(row.value, row.threshold),
            remaining=remaining(row.value, row.threshold),
            period_start=row.period_start,
            period_end=row.period_end,
            badge_image_url=badge_url(row.badge),
            detected_at=row.detected_at,
            version=row.version,
            created_at=row.created_at,
            updated_at=row.updated_at,
            definition_id=row.definition_id,
            remaining_by_default=in_progress_list,
        )

    @classmethod
    def in_progress_item(cls, row: reads.MilestoneRecord) -> Milestone:
        return cls.from_record(row, in_progress_list=True)

    @strawberry.field(
        description='A sentence a screen reader speaks, e.g. "You reached 100 hours of '
        'mentoring on July 14, 2025". `withRemaining` (default: true in '
        "`milestonesInProgress`, else false) adds what remains to in-progress ones."
    )
    def accessibility_label(
        self,
        locale: Annotated[
            MilestoneLocale, strawberry.argument(description="The label's language.")
        ] = MilestoneLocale.EN,
        with_remaining: Annotated[
            bool | None, strawberry.argument(description="Say what remains (null: default).")
        ] = None,
    ) -> str:
        return accessibility_label(
            kind=word(self.type),
            status=word(self.status),
            threshold=self.threshold,
            value=self.current_value,
            achieved_at=self.achieved_at,
            locale=Locale(word(locale)),
            with_remaining=self.remaining_by_default if with_remaining is None else with_remaining,
        )

    @strawberry.field(description="The mentor (from the people directory).")
    async def mentor(self, info: Info) -> Person | None:
        return Person.from_optional(await people_resolve.person_by_id(info.context, self.mentor_id))

    @strawberry.field(description="The catalogue entry this milestone is of.")
    async def definition(self, info: Info) -> MilestoneDefinition | None:
        row = await resolve.definition_by_id(info.context, self.definition_id)
        return None if row is None else MilestoneDefinition.from_record(row)


@strawberry.type(description="The totals a detection measured.")
class MilestoneTotals:
    total_hours: float = strawberry.field(description="Hours of mentoring.")
    unique_contacts_helped: int = strawberry.field(description="Distinct mentees helped.")
    activity_count: int = strawberry.field(description="Activities logged.")


@strawberry.type(description="The outcome of a detection.")
class DetectMilestonesPayload:
    milestones: list[Milestone] = strawberry.field(
        description="The period's milestones now: every achieved one and the next per type."
    )
    newly_achieved: list[Milestone] = strawberry.field(
        description="Milestones this detection achieved (each raised `milestoneAchieved`)."
    )
    created: int = strawberry.field(description="How many records this detection created.")
    totals: MilestoneTotals = strawberry.field(description="The totals used.")
    source: MilestoneSource = strawberry.field(description="Where the totals came from.")
    period_start: dt.date = strawberry.field(description="First day of the period.")
    period_end: dt.date = strawberry.field(description="Last day of the period.")

    @classmethod
    def of(cls, result: detection.Detection) -> DetectMilestonesPayload:
        summary = result.summary
        return cls(
            milestones=[Milestone.from_record(row) for row in result.milestones],
            newly_achieved=[Milestone.from_record(row) for row in result.newly_achieved],
            created=result.created,
            totals=MilestoneTotals(
                total_hours=summary.total_hours,
                unique_contacts_helped=summary.unique_contacts_helped,
                activity_count=summary.activity_count,
            ),
            source=MilestoneSource(result.source),
            period_start=result.period.start,
            period_end=result.period.end,
        )


@strawberry.input(
    description="A detection period: a calendar `year`, or `startDate`..`endDate` (at most "
    "366 days)."
)
class MilestonePeriodInput:
    year: int | None = strawberry.field(default=None, description="A calendar year.")
    start_date: dt.date | None = strawberry.field(default=None, description="First day.")
    end_date: dt.date | None = strawberry.field(default=None, description="Last day.")


@strawberry.input(description="A mentor's totals for the period, as the client counted them.")
class MilestoneSummaryInput:
    total_hours: float = strawberry.field(description="Hours of mentoring, not negative.")
    unique_contacts_helped: int = strawberry.field(description="Distinct people helped.")
    activity_count: int = strawberry.field(description="Activities logged.")


@strawberry.input(description="What to detect: a mentor, a period and, optionally, their totals.")
class DetectMilestonesInput:
    mentor_id: str = strawberry.field(description="The mentor's directory id.")
    period: MilestonePeriodInput = strawberry.field(description="The period to detect in.")
    summary: MilestoneSummaryInput | None = strawberry.field(
        default=None,
        description="The totals; without them the gateway counts the mentor's confirmed "
        "activities and assignments of the period.",
    )


@strawberry.input(description="A correction; omitted fields stay as they are.")
class UpdateMilestoneInput:
    status: MilestoneStatus | None = strawberry.field(default=None, description="New status.")
    achieved_value: float | None = strawberry.field(default=None, description="The total.")
    current_value: float | None = strawberry.field(
        default=None, description="The total (same as `achievedValue`; send one)."
    )
    achieved_at: dt.datetime | None = strawberry.field(
        default=None, description="When it was achieved (achieved ones only; not in the future)."
    )
    progress_percentage: int | None = strawberry.field(
        default=None, description="0-100; must match the value, or sets it when none is sent."
    )


@strawberry.input(description="A new catalogue entry (admin).")
class CreateMilestoneDefinitionInput:
    type: MilestoneType = strawberry.field(description="What it counts.")
    threshold: int = strawberry.field(description="1 to 1,000,000; unique per type.")
    name: str = strawberry.field(description="Display name.")
    badge: str | None = strawberry.field(
        default=None, description="Badge image name; default: the type's generic badge."
    )
    active: bool = strawberry.field(default=True, description="Detected from now on.")


@strawberry.input(description="Changes to a catalogue entry (its type and threshold are fixed).")
class UpdateMilestoneDefinitionInput:
    name: str | None = strawberry.field(default=None, description="Display name.")
    badge: str | None = strawberry.field(default=None, description="Badge image name.")
    active: bool | None = strawberry.field(default=None, description="False retires it.")


async def _milestone_node(info: Info, key: str) -> Milestone | None:
    row = await resolve.visible_milestone(info.context, key)
    return None if row is None else Milestone.from_record(row)


async def _definition_node(info: Info, key: str) -> MilestoneDefinition | None:
    row = await resolve.visible_definition(info.context, key)
    return None if row is None else MilestoneDefinition.from_record(row)


register_node("Milestone", _milestone_node)
register_node("MilestoneDefinition", _definition_node)


# --- aggregates on the milestones connections ------------------------------------------------


@strawberry.enum(description="What grouped milestones aggregates may group by.")
class MilestoneGroupBy(Enum):
    STATUS = strawberry.enum_value("status", description="The status (its stored word).")
    TYPE = strawberry.enum_value("type", description="What it counts (its stored word).")
    MENTOR = strawberry.enum_value("mentor_id", description="The mentor's directory id.")
    DAY = strawberry.enum_value("day", description="The day of `periodStart` (`2025-06-09`).")
    WEEK = strawberry.enum_value(
        "week", description="The ISO week of `periodStart`, by its Monday."
    )
    MONTH = strawberry.enum_value("month", description="The month of `periodStart` (`2025-06`).")
    YEAR = strawberry.enum_value("year", description="The year of `periodStart` (`2025`).")


@strawberry.type(description="Sums over the milestones of a group.")
class MilestoneSums:
    threshold: int = strawberry.field(description="The threshold, in all (0 for none).")
    current_value: float = strawberry.field(
        description="The value counted so far, in all (0 for none)."
    )


@strawberry.type(description="Averages over the milestones of a group.")
class MilestoneAverages:
    threshold: float | None = strawberry.field(description="The threshold; null for none.")
    current_value: float | None = strawberry.field(
        description="The value counted so far; null for none."
    )


@strawberry.type(description="The least or greatest values among the milestones of a group.")
class MilestoneBounds:
    threshold: int | None = strawberry.field(description="The threshold; null for none.")
    current_value: float | None = strawberry.field(
        description="The value counted so far; null for none."
    )
    period_start: dt.date | None = strawberry.field(
        description="The period's first day; null for none."
    )
    period_end: dt.date | None = strawberry.field(
        description="The period's last day; null for none."
    )
    achieved_at: dt.datetime | None = strawberry.field(description="When achieved; null for none.")
    detected_at: dt.datetime | None = strawberry.field(
        description="When last detected; null for none."
    )


@strawberry.type(description="Aggregates over the milestones of a list, or of one group of them.")
class MilestoneAggregates(Aggregates):
    sum: MilestoneSums = strawberry.field(description="Sums.")
    avg: MilestoneAverages = strawberry.field(description="Averages.")
    min: MilestoneBounds = strawberry.field(description="Least values.")
    max: MilestoneBounds = strawberry.field(description="Greatest values.")


@strawberry.type(description="A page of milestones, with cursors, the total count and aggregates.")
@aggregated(MilestoneAggregates, MilestoneGroupBy)
class MilestoneConnection(AggregatedConnection[Milestone]):
    pass
