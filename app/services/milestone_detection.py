"""Detection: which milestones a mentor reached in a period, persisted idempotently.

The totals come from the client's summary or, without one, from what is recorded:
confirmed activities (hours, count; ``app.services.activity_totals``) and mentoring
assignments that overlapped the period (distinct mentees). Per type, every threshold the
total reaches is ``achieved`` and the next one ``in_progress``.

Records are keyed by (mentor, definition, period), so detecting again updates the same
rows. Detection only adds achievements: a milestone already achieved (a live ``achieved``
record) stays achieved with its value and ``achieved_at`` even when a recount finds less
(an activity rejected, an assignment deleted); the next threshold in progress is then the
lowest one neither reached nor earned. Withdrawing an earned milestone is an explicit
correction (``PUT``/``updateMilestone`` to ``in_progress``, or ``DELETE``/
``deleteMilestone``), never a side effect of detection. In-progress records of thresholds
no longer next are tombstoned, and tombstoned ones the plan needs again are restored (with
their ids). An achievement keeps the ``achieved_at`` it was first recorded with. A new one
gets the day the recorded running total crossed the threshold (00:00:00Z, as every
date-only value), or, when the records do not reach it, the detection time capped at the
period's last second.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import Principal, Role
from app.errors import Forbidden, InvalidInput
from app.events import EventKind
from app.ids import new_id
from app.models.milestones import Milestone, MilestoneDefinition, MilestoneStatus, MilestoneType
from app.repositories import milestones as repo
from app.repositories import people as people_repo
from app.services.activity_totals import DailyTotal, mentor_daily_totals
from app.services.milestone_reads import MilestoneRecord, mentor_orgs
from app.services.milestone_rules import (
    MAX_PERIOD_DAYS,
    Period,
    Summary,
    check_period,
    check_summary,
)
from app.services.policy import grades_mentor, require_role, sees_mentor_records
from app.services.work import Unit
from app.timeutil import start_of_day, utcnow

PROVIDED = "provided"
RECORDED = "recorded"


@dataclass(frozen=True, slots=True)
class Evidence:
    """What is recorded for the mentor in the period."""

    daily: Sequence[DailyTotal]
    mentee_firsts: Sequence[datetime]

    def summary(self) -> Summary:
        minutes = sum(day.minutes for day in self.daily)
        count = sum(day.activity_count for day in self.daily)
        return Summary(round(minutes / 60, 2), len(self.mentee_firsts), count)

    def crossed(self, kind: str, threshold: int) -> datetime | None:
        """When the recorded running total first reached ``threshold``; ``None`` if never."""
        if kind == MilestoneType.CONTACTS_HELPED:
            firsts = self.mentee_firsts
            return firsts[threshold - 1] if len(firsts) >= threshold else None
        hours = kind == MilestoneType.HOURS_LOGGED
        goal = threshold * 60 if hours else threshold
        running = 0
        for day in self.daily:
            running += day.minutes if hours else day.activity_count
            if running >= goal:
                return start_of_day(day.day)
        return None


@dataclass(frozen=True, slots=True)
class Target:
    definition: MilestoneDefinition
    status: MilestoneStatus
    value: float
    crossed_at: datetime | None
    # An earned achievement the totals no longer reach: kept exactly as it is.
    kept: bool = False


def plan(
    definitions: Sequence[MilestoneDefinition],
    summary: Summary,
    evidence: Evidence,
    earned: Collection[str] = (),
) -> list[Target]:
    """Every reached threshold achieved, every ``earned`` one (definition ids of records
    already achieved) kept, and the lowest threshold neither reached nor earned in
    progress, per type (``definitions`` ordered by type, then threshold)."""
    targets: list[Target] = []
    next_found: set[str] = set()
    for definition in definitions:
        kind = definition.type
        value = summary.value(kind)
        if value >= definition.threshold:
            crossed = evidence.crossed(kind, definition.threshold)
            targets.append(Target(definition, MilestoneStatus.ACHIEVED, value, crossed))
        elif definition.id in earned:
            targets.append(Target(definition, MilestoneStatus.ACHIEVED, value, None, kept=True))
        elif kind not in next_found:
            targets.append(Target(definition, MilestoneStatus.IN_PROGRESS, value, None))
            next_found.add(kind)
    return targets


@dataclass(slots=True)
class Detection:
    mentor_id: str
    period: Period
    summary: Summary
    source: str
    milestones: list[MilestoneRecord]
    created: int
    newly_achieved: list[MilestoneRecord]


async def gather_evidence(session: AsyncSession, mentor_id: str, period: Period) -> Evidence:
    daily = await mentor_daily_totals(session, mentor_id, period.start, period.end)
    firsts = await repo.mentee_first_days(session, mentor_id, period.start, period.end)
    return Evidence(daily, firsts)


async def _check_mentor(session: AsyncSession, who: Principal, mentor_id: Any) -> str:
    if not isinstance(mentor_id, str) or not mentor_id:
        raise InvalidInput.field("mentor_id", "is required")
    exists = await people_repo.person_exists(session, mentor_id)
    orgs = await mentor_orgs(session, mentor_id) if exists else set()
    if not exists or not sees_mentor_records(who, mentor_id, orgs):
        raise InvalidInput.field("mentor_id", f"unknown person {mentor_id!r}")
    if not grades_mentor(who, mentor_id, orgs):
        raise Forbidden(
            "Only coordinators of the mentor's organisation and admins detect milestones"
        )
    return mentor_id


async def detect(
    unit: Unit,
    principal: Principal | None,
    *,
    mentor_id: Any,
    year: int | None,
    start_date: Any,
    end_date: Any,
    summary: dict[str, Any] | None,
) -> Detection:
    """Detect and persist the mentor's milestones of the period (see the module doc); each
    newly achieved milestone records a ``milestone/achieved`` event in the unit."""
    session = unit.session
    who = require_role(principal, Role.COORDINATOR)  # peer mentors never detect: 403
    mentor = await _check_mentor(session, who, mentor_id)
    period = check_period(year, start_date, end_date, longest=MAX_PERIOD_DAYS)
    given: Summary | None = None
    if summary is not None:
        given = check_summary(
            period,
            summary.get("total_hours"),
            summary.get("unique_contacts_helped"),
            summary.get("activity_count"),
        )
    evidence = await gather_evidence(session, mentor, period)
    totals = given or evidence.summary()
    definitions = await repo.list_definitions(session, include_inactive=False)
    live, created, newly = await _persist(session, mentor, period, definitions, totals, evidence)
    source = PROVIDED if given is not None else RECORDED
    records = [MilestoneRecord.of(row) for row in live]
    achieved = [MilestoneRecord.of(row) for row in newly]
    if achieved:
        orgs = sorted(await mentor_orgs(session, mentor))
        for row in achieved:
            unit.record(
                EventKind.MILESTONE_ACHIEVED, row.id, {"mentor_id": mentor, "org_ids": orgs}
            )
    return Detection(mentor, period, totals, source, records, created, achieved)


async def _persist(
    session: AsyncSession,
    mentor_id: str,
    period: Period,
    definitions: Sequence[MilestoneDefinition],
    totals: Summary,
    evidence: Evidence,
) -> tuple[list[Milestone], int, list[Milestone]]:
    """Plan and upsert the period's records; returns them, how many were created, and
    which are newly achieved."""
    now = utcnow()

    def achieved_at(target: Target) -> datetime:
        return target.crossed_at or min(now, period.ends_at)

    def fresh(targets: list[Target]) -> list[dict[str, Any]]:
        return [
            {
                "id": new_id("ms"),
                "mentor_id": mentor_id,
                "definition_id": t.definition.id,
                "period_start": period.start,
                "period_end": period.end,
                "status": t.status.value,
                "value": t.value,
                "achieved_at": achieved_at(t) if t.status is MilestoneStatus.ACHIEVED else None,
                "detected_at": now,
                "version": 1,
                "created_at": now,
                "updated_at": now,
                "deleted_at": None,
            }
            for t in targets
        ]

    # Insert what the totals alone plan, then lock the period's rows: the achievements
    # already earned are known only now. They change the plan only when the totals went
    # down (it then may need a higher in-progress record).
    targets = plan(definitions, totals, evidence)
    inserted = await repo.insert_missing(session, fresh(targets))
    existing = await repo.period_rows(session, mentor_id, period.start, period.end)
    rows = {row.definition_id: row for row in existing}
    earned = {
        row.definition_id
        for row in existing
        if row.deleted_at is None and row.status == MilestoneStatus.ACHIEVED
    }
    final = plan(definitions, totals, evidence, earned)
    missing = [t for t in final if t.definition.id not in rows]
    if missing:
        inserted |= await repo.insert_missing(session, fresh(missing))
        existing = await repo.period_rows(session, mentor_id, period.start, period.end)
        rows = {row.definition_id: row for row in existing}
    targets = final
    newly: list[Milestone] = []
    for target in targets:
        row = rows[target.definition.id]
        achieved = target.status is MilestoneStatus.ACHIEVED
        if target.kept:
            continue
        if row.definition_id in inserted:
            if achieved:
                newly.append(row)
            continue
        was_achieved = row.deleted_at is None and row.status == MilestoneStatus.ACHIEVED
        if achieved and not was_achieved:
            newly.append(row)
        if achieved and row.achieved_at is None:
            row.achieved_at = achieved_at(target)
        if not achieved:
            row.achieved_at = None
        row.status = target.status.value
        row.value = target.value
        row.deleted_at = None
        row.detected_at = now
        row.updated_at = now
    planned = {t.definition.id for t in targets}
    evaluated = {d.id for d in definitions}
    for row in rows.values():
        stale = row.definition_id in evaluated and row.definition_id not in planned
        if stale and row.deleted_at is None:
            row.deleted_at = now
            row.updated_at = now
    await session.flush()
    live = [rows[t.definition.id] for t in targets]
    return live, len(inserted), newly
