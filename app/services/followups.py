"""Follow-up of assignments: overdue lists, the reminder/escalation sweep, the outbox.

An open assignment whose current contact gap (since the latest contact, or its start when
there was none) reaches the organisation's reminder threshold gets a reminder to its
mentor; at the escalation threshold its coordinator is alerted. Each is raised at most once
per gap (a new contact starts a new gap) and written to the notification outbox. The sweep
is idempotent and safe to run from several workers at once (see
``app.repositories.followups``); it runs as ``gateway followups run``, as the admin's
``runFollowUpSweep`` mutation, or every ``GATEWAY_FOLLOWUP_INTERVAL_SECONDS`` inside
``gateway serve``.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import Principal, Role
from app.errors import BadRequest
from app.events import Event, EventKind
from app.ids import new_id
from app.leases import lease
from app.listing import Filter, Sort
from app.models.mentoring import Notification
from app.models.people import Organisation
from app.pagination import Paged, PageRequest
from app.repositories import followups as repo
from app.repositories import mentoring as assignments_repo
from app.services.background import start_repeating
from app.services.mentoring_reads import (
    AssignmentRecord,
    NotificationRecord,
    assignment_page,
    notification_page,
)
from app.services.mentoring_rules import ESCALATION, MAX_DAYS, REMINDER
from app.services.people import HasThresholds, thresholds_for
from app.services.policy import assignment_scope, require_peer_support_role, require_role
from app.services.work import Unit, Work
from app.settings import Settings
from app.timeutil import days_between, utcnow

log = logging.getLogger("gateway.followups")

KINDS = (REMINDER, ESCALATION)
NOTIFICATION_TOPIC = "notification"


@dataclass(slots=True)
class SweepResult:
    notifications: list[NotificationRecord] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)

    def count(self, kind: str) -> int:
        return sum(1 for n in self.notifications if n.kind == kind)


async def _cutoffs(
    session: AsyncSession, settings: Settings, now: datetime, kind: str
) -> tuple[dict[str, datetime], datetime]:
    """Per-organisation cutoffs for ``kind`` and the default for the others."""

    def days(org: Organisation | None) -> int:
        limits = thresholds_for(org, settings)
        return limits.escalation_days if kind == ESCALATION else limits.reminder_days

    orgs = await repo.live_orgs(session)
    cutoffs = {org.id: now - timedelta(days=days(org)) for org in orgs}
    return cutoffs, now - timedelta(days=days(None))


def is_overdue(
    *,
    is_open: bool,
    gap_start: datetime,
    org: HasThresholds | None,
    settings: Settings,
    now: datetime | None = None,
) -> bool:
    """The row-level form of ``overdue``'s default rule (``gap_before`` with the reminder
    cutoffs): open, and its contact gap (since the last contact, or the start) began before
    its organisation's reminder threshold."""
    cutoff = (now or utcnow()) - timedelta(days=thresholds_for(org, settings).reminder_days)
    return is_open and gap_start < cutoff


def check_overdue_args(cutoff: datetime | None, days: int | None) -> None:
    """An overdue list takes ``cutoff`` or ``days`` (or neither: each organisation's
    reminder threshold); 400 otherwise."""
    if cutoff is not None and days is not None:
        raise BadRequest("Give either 'cutoff' or 'days', not both")
    if days is not None and not 0 <= days <= MAX_DAYS:
        raise BadRequest(f"'days' must be a whole number from 0 to {MAX_DAYS}")


async def overdue(
    session: AsyncSession,
    principal: Principal | None,
    settings: Settings,
    page: PageRequest,
    *,
    cutoff: datetime | None = None,
    days: int | None = None,
    org_id: str | None = None,
    where: Filter | None = None,
    sort: Sort = (),
) -> Paged[AssignmentRecord]:
    """Open assignments whose gap started before ``cutoff`` (or ``days`` ago; with neither,
    their organisation's reminder threshold ago), oldest contact first (or as ``sort``),
    narrowed by ``where``."""
    who = require_peer_support_role(principal)
    check_overdue_args(cutoff, days)
    now = utcnow()
    if cutoff is None and days is None:
        cutoffs, default = await _cutoffs(session, settings, now, REMINDER)
    else:
        cutoffs, default = {}, cutoff if cutoff is not None else now - timedelta(days=days or 0)
    due = assignments_repo.gap_before(cutoffs, default)
    scope = assignment_scope(who)
    return assignment_page(
        await assignments_repo.list_overdue(
            session, scope, due, page, org_id=org_id, where=where, sort=sort
        )
    )


async def sweep(unit: Unit, settings: Settings, now: datetime | None = None) -> SweepResult:
    """Raise every due reminder and escalation once (no authorization: the caller decides);
    their events are recorded in the unit."""
    session = unit.session
    now = now or utcnow()
    result = SweepResult()
    coordinators = await repo.org_coordinators(session)
    for kind in KINDS:
        raised = (
            EventKind.ASSIGNMENT_REMINDED if kind == REMINDER else EventKind.ASSIGNMENT_ESCALATED
        )
        cutoffs, default = await _cutoffs(session, settings, now, kind)
        claimed = await repo.claim_due(
            session, kind, assignments_repo.gap_before(cutoffs, default), now
        )
        outbox = [
            Notification(
                id=new_id("ntf"),
                assignment_id=row.id,
                kind=kind,
                recipient_id=row.mentor_id
                if kind == REMINDER
                else row.coordinator_id or coordinators.get(row.org_id or ""),
                gap_start=row.gap_start,
                days_without_contact=days_between(row.gap_start, now),
                created_at=now,
            )
            for row in claimed
        ]
        inserted = await repo.insert_outbox(session, outbox)
        result.notifications += [NotificationRecord.of(n) for n in outbox if n.id in inserted]
        result.events += [
            Event(
                raised,
                row.id,
                {"org_id": row.org_id, "mentor_id": row.mentor_id},
            )
            for row in claimed
        ]
        # The typed outbox event (``notificationRaised``), with the same visibility payload.
        claimed_by_id = {row.id: row for row in claimed}
        result.events += [
            Event(
                EventKind.of(NOTIFICATION_TOPIC, n.kind),
                n.id,
                {
                    "org_id": claimed_by_id[n.assignment_id].org_id,
                    "mentor_id": claimed_by_id[n.assignment_id].mentor_id,
                    "assignment_id": n.assignment_id,
                },
            )
            for n in outbox
            if n.id in inserted
        ]
    unit.record_all(result.events)
    return result


async def run_sweep(unit: Unit, principal: Principal | None, settings: Settings) -> SweepResult:
    """The sweep on demand (admin)."""
    require_role(principal, Role.ADMIN)
    return await sweep(unit, settings)


async def list_notifications(
    session: AsyncSession,
    principal: Principal | None,
    page: PageRequest,
    *,
    kind: str | None = None,
    assignment_id: str | None = None,
    recipient_id: str | None = None,
    where: Filter | None = None,
    sort: Sort = (),
) -> Paged[NotificationRecord]:
    """The outbox entries of the assignments the caller may see, newest first (or as
    ``sort``), narrowed by ``where``."""
    who = require_peer_support_role(principal)
    paged = await assignments_repo.list_notifications(
        session,
        assignment_scope(who),
        page,
        kind=kind,
        assignment_id=assignment_id,
        recipient_id=recipient_id,
        where=where,
        sort=sort,
    )
    return notification_page(paged)


# --- running the sweep outside a request -------------------------------------------------


async def sweep_once(work: Work) -> SweepResult:
    """One sweep in its own unit of work; its events are published after commit (by the
    relay of a serving process when ``work`` publishes none, as in the CLI)."""
    return await work.run(sweep, work.settings)


async def _leased_sweep(work: Work) -> None:
    async with lease(work.db, work.settings, "followups") as leader:
        # One worker sweeps per tick; the others skip (the sweep is idempotent too).
        result = await sweep_once(work) if leader else SweepResult()
    if result.notifications:
        log.info(
            "follow-up sweep: %d reminders, %d escalations",
            result.count(REMINDER),
            result.count(ESCALATION),
        )


def start_periodic(work: Work) -> asyncio.Task[None] | None:
    """The sweep as a background task of ``gateway serve`` every
    ``followup_interval_seconds`` (0: off); a failed sweep is logged and retried at the
    next tick."""
    return start_repeating(
        log, "follow-up sweep", work.settings.followup_interval_seconds, lambda: _leased_sweep(work)
    )
