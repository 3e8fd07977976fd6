"""A mentor's confirmed activity totals for a period: hours and count.

Other domains (milestones) call ``mentor_totals`` / ``mentor_daily_totals`` inside their
own unit of work; they do their own authorization. ``get_mentor_totals`` is the
authorized door for clients (GraphQL ``mentorActivityTotals``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import Principal
from app.errors import BadRequest
from app.repositories import activities as repo
from app.repositories import people as people_repo
from app.services.activity_rules import mentor_orgs
from app.services.policy import hide_unless, require_peer_support_role, sees_mentor_records


@dataclass(frozen=True, slots=True)
class ActivityTotals:
    mentor_id: str
    start: date
    end: date
    minutes: int
    activity_count: int

    @property
    def hours(self) -> float:
        """Minutes / 60, unrounded (e.g. 312.5)."""
        return self.minutes / 60


@dataclass(frozen=True, slots=True)
class DailyTotal:
    day: date
    minutes: int
    activity_count: int


async def mentor_totals(
    session: AsyncSession, mentor_id: str, start: date, end: date
) -> ActivityTotals:
    """Total minutes (``.hours``) and number of a mentor's **confirmed**, not deleted
    activities dated ``start`` to ``end`` inclusive. Pending and rejected activities do not
    count. No authorization: the caller has done its own. One SQL statement.
    """
    minutes, count = await repo.confirmed_totals(session, mentor_id, start, end)
    return ActivityTotals(mentor_id, start, end, minutes, count)


async def totals_of_mentors(
    session: AsyncSession, keys: Sequence[tuple[str, date, date]]
) -> list[ActivityTotals]:
    """``mentor_totals`` of each ``(mentor_id, start, end)`` key; one statement per distinct
    period (a batch function for DataLoaders). No authorization, as ``mentor_totals``."""
    periods: dict[tuple[date, date], set[str]] = defaultdict(set)
    for mentor_id, start, end in keys:
        periods[(start, end)].add(mentor_id)
    found: dict[tuple[str, date, date], ActivityTotals] = {}
    for (start, end), mentors in periods.items():
        totals = await repo.confirmed_totals_of(session, mentors, start, end)
        for mentor_id, (minutes, count) in totals.items():
            found[(mentor_id, start, end)] = ActivityTotals(mentor_id, start, end, minutes, count)
    return [found[key] for key in keys]


async def mentor_daily_totals(
    session: AsyncSession, mentor_id: str, start: date, end: date
) -> list[DailyTotal]:
    """The same confirmed activities summed per day, oldest first (days without any are
    left out): running sums over it tell the date a threshold was crossed."""
    rows = await repo.confirmed_daily(session, mentor_id, start, end)
    return [DailyTotal(day, minutes, count) for day, minutes, count in rows]


async def get_mentor_totals(
    session: AsyncSession, principal: Principal | None, mentor_id: str, start: date, end: date
) -> ActivityTotals:
    """``mentor_totals`` for a caller who may see the mentor's activities (the mentor,
    their coordinators, admins); others get NOT_FOUND, as for an unknown mentor."""
    who = require_peer_support_role(principal)
    if start > end:
        raise BadRequest("'from' must not lie after 'to'")
    visible = await people_repo.person_exists(session, mentor_id) and sees_mentor_records(
        who, mentor_id, await mentor_orgs(session, who, mentor_id)
    )
    hide_unless(visible, "Mentor", mentor_id)
    return await mentor_totals(session, mentor_id, start, end)
