"""Milestone records: read, list, correct, delete, restore (the rules of who may do what
are in ``app.services.policy``; detection is ``milestone_detection``).

Records a caller may not see answer NOT_FOUND. Lists show live records only. Every use
case answers records (``app.services.milestone_reads``); the writes take the unit of work
they run in (``app.services.work``) and record no events (only detection does).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import Principal, Role
from app.errors import BadRequest, FieldError, Forbidden, InvalidInput
from app.listing import Filter, Sort
from app.models.milestones import Milestone
from app.pagination import Paged, PageRequest
from app.repositories import milestones as repo
from app.repositories import people as people_repo
from app.services.milestone_catalogue import parse_type
from app.services.milestone_reads import (
    MilestoneFilters,
    MilestoneRecord,
    MilestoneStatus,
    mentor_orgs,
    milestones_by_ids,
    visible_mentors,
)
from app.services.milestone_rules import (
    Period,
    check_period,
    check_total,
    progress_percentage,
)
from app.services.policy import (
    grades_mentor,
    hide_unless,
    milestone_scope,
    require_peer_support_role,
    require_role,
    sees_mentor_records,
)
from app.services.work import Unit
from app.timeutil import parse_date, parse_datetime, start_of_day, utcnow
from app.versioning import check_version


def parse_status(value: str, *, field: str = "status", query: bool = False) -> MilestoneStatus:
    """``achieved`` or ``in_progress``: 422 in a body, 400 as a query parameter."""
    try:
        return MilestoneStatus(value)
    except ValueError:
        message = f"must be one of achieved, in_progress (got {value!r})"
        if query:
            raise BadRequest(f"Query parameter '{field}' {message}") from None
        raise InvalidInput.field(field, message) from None


async def get_milestone(
    session: AsyncSession, principal: Principal | None, milestone_id: str
) -> MilestoneRecord:
    who = require_peer_support_role(principal)
    (found,) = await milestones_by_ids(session, who, [milestone_id])
    hide_unless(found is not None, "Milestone", milestone_id)
    assert found is not None
    return found


async def require_visible_mentor(session: AsyncSession, who: Principal, mentor_id: str) -> None:
    """The mentor of a ``/:mentor_id/...`` route: unknown or hidden mentors are NOT_FOUND."""
    exists = await people_repo.person_exists(session, mentor_id)
    hide_unless(
        exists and mentor_id in await visible_mentors(session, who, [mentor_id]),
        "Mentor",
        mentor_id,
    )


async def _page(
    session: AsyncSession,
    who: Principal,
    filters: MilestoneFilters,
    page: PageRequest,
    *,
    newest_first: bool = False,
) -> Paged[MilestoneRecord]:
    paged = await repo.milestone_page(
        session, milestone_scope(who), filters, page, newest_first=newest_first
    )
    return paged.map(MilestoneRecord.of_row)


async def list_milestones(
    session: AsyncSession,
    principal: Principal | None,
    page: PageRequest,
    *,
    mentor_id: str | None = None,
    status: MilestoneStatus | None = None,
    type: str | None = None,
    period: Period | None = None,
    where: Filter | None = None,
    sort: Sort = (),
) -> Paged[MilestoneRecord]:
    who = require_peer_support_role(principal)
    filters = MilestoneFilters(
        mentor_id=mentor_id,
        status=status.value if status else None,
        type=parse_type("type", type).value if type else None,
        period_from=period.start if period else None,
        period_to=period.end if period else None,
        where=where,
        sort=sort,
    )
    return await _page(session, who, filters, page)


async def new_milestones(
    session: AsyncSession,
    principal: Principal | None,
    mentor_id: str,
    page: PageRequest,
    *,
    period: Period | None = None,
    where: Filter | None = None,
    sort: Sort = (),
) -> Paged[MilestoneRecord]:
    """Milestones the mentor achieved in the period (default: this calendar year), newest
    first (or in ``sort``), matching ``where``."""
    who = require_peer_support_role(principal)
    await require_visible_mentor(session, who, mentor_id)
    window = period or Period.calendar_year(utcnow().year)
    filters = MilestoneFilters(
        mentor_id=mentor_id,
        status=MilestoneStatus.ACHIEVED.value,
        achieved_from=start_of_day(window.start),
        achieved_to=start_of_day(window.end + timedelta(days=1)),
        where=where,
        sort=sort,
    )
    return await _page(session, who, filters, page, newest_first=True)


async def in_progress(
    session: AsyncSession,
    principal: Principal | None,
    mentor_id: str,
    page: PageRequest,
    *,
    period: Period | None = None,
    type: str | None = None,
    where: Filter | None = None,
    sort: Sort = (),
) -> Paged[MilestoneRecord]:
    """The mentor's in-progress milestones of the detection periods overlapping ``period``;
    without one, of their most recent detection period; matching ``where``."""
    who = require_peer_support_role(principal)
    await require_visible_mentor(session, who, mentor_id)
    if period is None:
        latest = await repo.latest_period(session, mentor_id)
        if latest is not None:
            period = Period(*latest)
    filters = MilestoneFilters(
        mentor_id=mentor_id,
        status=MilestoneStatus.IN_PROGRESS.value,
        type=parse_type("type", type).value if type else None,
        period_from=period.start if period else None,
        period_to=period.end if period else None,
        where=where,
        sort=sort,
    )
    return await _page(session, who, filters, page)


def hub_filters(
    *,
    status: MilestoneStatus | None,
    type: str | None,
    period: Period | None,
    where: Filter | None = None,
    sort: Sort = (),
) -> MilestoneFilters:
    """The filters of a person hub's ``milestones`` (the hub's owner is the mentor)."""
    return MilestoneFilters(
        status=status.value if status else None,
        type=type,
        period_from=period.start if period else None,
        period_to=period.end if period else None,
        where=where,
        sort=sort,
    )


def query_period(year: str | None, start_date: str | None, end_date: str | None) -> Period | None:
    """A period from query parameters (``None`` when none is given): 400 when malformed,
    422 when well-formed but invalid (end before start, dates outside the ``year``). A
    listing's period may be of any length: only detection is bounded to a year."""
    if year is None and start_date is None and end_date is None:
        return None
    number: int | None = None
    if year is not None:
        if not (len(year) == 4 and year.isascii() and year.isdigit()):
            raise BadRequest("Query parameter 'year' must be a year such as 2025")
        number = int(year)
    for name, value in (("start_date", start_date), ("end_date", end_date)):
        if value is not None:
            try:
                parse_date(value)
            except ValueError as exc:
                raise BadRequest(f"Query parameter '{name}' {exc}") from None
    return check_period(number, start_date, end_date, prefix="")


@dataclass(frozen=True, slots=True)
class MilestoneChanges:
    """A correction as a client sent it; ``None`` leaves a field as it is."""

    status: str | None = None
    achieved_value: Any = None
    current_value: Any = None
    achieved_at: Any = None
    progress_percentage: Any = None


async def _load_for_change(
    session: AsyncSession, who: Principal, milestone_id: str, expected_version: int | None
) -> Milestone:
    row = await repo.get_milestone(session, milestone_id)
    orgs = set() if row is None else await mentor_orgs(session, row.mentor_id)
    hide_unless(
        row is not None and sees_mentor_records(who, row.mentor_id, orgs), "Milestone", milestone_id
    )
    assert row is not None
    if not grades_mentor(who, row.mentor_id, orgs):
        raise Forbidden(
            "Only coordinators of the mentor's organisation and admins change milestones"
        )
    check_version("Milestone", row.id, row.version, expected_version)
    return row


def _achieved_at(errors: list[FieldError], raw: Any) -> datetime | None:
    if raw is None:
        return None
    if isinstance(raw, datetime):
        value = raw
    else:
        try:
            value = parse_datetime(raw)
        except ValueError as exc:
            errors.append(FieldError("achieved_at", str(exc)))
            return None
    if value > utcnow() + timedelta(minutes=5):
        errors.append(FieldError("achieved_at", "must not lie in the future"))
        return None
    return value


def _new_value(errors: list[FieldError], row: Milestone, changes: MilestoneChanges) -> float:
    period = Period(row.period_start, row.period_end)
    days = period.days_begun(utcnow().date())
    kind, value = row.definition.type, row.value
    given = {
        f: v
        for f, v in (
            ("achieved_value", changes.achieved_value),
            ("current_value", changes.current_value),
        )
        if v is not None
    }
    checked = {f: check_total(errors, f, kind, v, days) for f, v in given.items()}
    if len({v for v in checked.values() if v is not None}) > 1:
        errors.append(FieldError("current_value", "differs from achieved_value; send one"))
    for number in checked.values():
        if number is not None:
            value = number
    pct = changes.progress_percentage
    if pct is not None:
        if isinstance(pct, bool) or not isinstance(pct, int | float) or pct != int(pct):
            errors.append(FieldError("progress_percentage", "must be a whole number"))
        elif not (0 <= pct <= 100):
            errors.append(FieldError("progress_percentage", "must be between 0 and 100"))
        elif not given:
            value = float(Decimal(row.definition.threshold) * Decimal(int(pct)) / 100)
        elif progress_percentage(value, row.definition.threshold) != pct:
            expected = progress_percentage(value, row.definition.threshold)
            errors.append(
                FieldError("progress_percentage", f"does not match the value ({expected})")
            )
    return value


async def update_milestone(
    unit: Unit,
    principal: Principal | None,
    milestone_id: str,
    changes: MilestoneChanges,
    *,
    expected_version: int | None = None,
) -> MilestoneRecord:
    """A coordinator's correction. The result must be consistent: an achieved milestone
    has a value at its threshold or above and an ``achieved_at`` (now, if none is given);
    an in-progress one stays below its threshold and has no ``achieved_at``."""
    session = unit.session
    who = require_peer_support_role(principal)
    row = await _load_for_change(session, who, milestone_id, expected_version)
    status = (
        parse_status(changes.status) if changes.status is not None else MilestoneStatus(row.status)
    )
    errors: list[FieldError] = []
    value = _new_value(errors, row, changes)
    when = _achieved_at(errors, changes.achieved_at)
    InvalidInput.raise_if_any(errors)
    threshold = row.definition.threshold
    value_field = "current_value" if changes.current_value is not None else "achieved_value"
    if status is MilestoneStatus.ACHIEVED:
        if value < threshold:
            errors.append(FieldError(value_field, f"is below the threshold {threshold}"))
        if changes.progress_percentage is not None and changes.progress_percentage != 100:
            errors.append(FieldError("progress_percentage", "must be 100 when achieved"))
    else:
        if value >= threshold:
            errors.append(
                FieldError(value_field, f"reaches the threshold {threshold}; set status achieved")
            )
        if when is not None:
            errors.append(FieldError("achieved_at", "only an achieved milestone has one"))
    InvalidInput.raise_if_any(errors)
    now = utcnow()
    row.status = status.value
    row.value = value
    if status is MilestoneStatus.ACHIEVED:
        row.achieved_at = when or row.achieved_at or now
    else:
        row.achieved_at = None
    row.updated_at = now
    await session.flush()
    return MilestoneRecord.of(row)


async def delete_milestone(
    unit: Unit,
    principal: Principal | None,
    milestone_id: str,
    *,
    expected_version: int | None = None,
) -> MilestoneRecord:
    session = unit.session
    who = require_peer_support_role(principal)
    row = await _load_for_change(session, who, milestone_id, expected_version)
    row.deleted_at = row.updated_at = utcnow()
    await session.flush()
    return MilestoneRecord.of(row)


async def restore_milestone(
    unit: Unit, principal: Principal | None, milestone_id: str
) -> MilestoneRecord:
    session = unit.session
    require_role(principal, Role.ADMIN)
    row = await repo.get_milestone(session, milestone_id, include_deleted=True)
    hide_unless(row is not None, "Milestone", milestone_id)
    assert row is not None
    row.deleted_at = None
    row.updated_at = utcnow()
    await session.flush()
    return MilestoneRecord.of(row)
