"""SQL of notification delivery: channels, planning deliveries, claiming them with a lease,
recording outcomes.

At most one worker sends an attempt at a time, however many run at once:
1. due deliveries are selected ``FOR UPDATE SKIP LOCKED`` on PostgreSQL (a concurrent claim
   skips what another one is claiming; SQLite writers queue on ``BEGIN IMMEDIATE``);
2. one ``UPDATE ... WHERE <still due and unclaimed> RETURNING`` claims them: it sets the
   lease (``claimed_until``), a token of the claiming pass, and counts the attempt;
3. an outcome is recorded only by the holder of the token; a worker killed mid-delivery
   records nothing, and once the lease has passed another worker claims it again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from app.ids import new_id
from app.models.deliveries import (
    DEAD,
    DELIVERED,
    PENDING,
    NotificationChannel,
    NotificationDelivery,
)
from app.models.mentoring import Assignment, Notification

Channel = NotificationChannel
Delivery = NotificationDelivery


@dataclass(frozen=True, slots=True)
class ClaimedDelivery:
    """A delivery a pass just claimed, with what it takes to send it."""

    id: str
    attempt: int  # this attempt's number (1 for the first)
    channel_id: str
    channel_kind: str
    target: str
    secret: str | None
    notification_id: str
    kind: str
    assignment_id: str
    org_id: str | None
    recipient_id: str | None
    gap_start: datetime
    days_without_contact: int
    created_at: datetime


# --- channels ------------------------------------------------------------------------------


async def live_channel(session: AsyncSession, channel_id: str) -> Channel | None:
    row = await session.get(Channel, channel_id)
    return None if row is None or row.deleted_at is not None else row


async def list_channels(
    session: AsyncSession, org_ids: frozenset[str] | None, person_id: str | None = None
) -> list[Channel]:
    """Live channels, oldest first: all of them (``org_ids`` None), or those of ``org_ids``
    and those of ``person_id``."""
    query = select(Channel).where(Channel.deleted_at.is_(None))
    if org_ids is not None:
        listed: ColumnElement[bool] = Channel.org_id.in_(sorted(org_ids))
        if person_id is not None:
            listed = or_(listed, Channel.person_id == person_id)
        query = query.where(listed)
    rows = await session.scalars(query.order_by(Channel.created_at, Channel.id))
    return list(rows.all())


async def drop_pending(session: AsyncSession, channel_id: str) -> None:
    """Forget the unfinished deliveries of a deleted channel (finished ones stay)."""
    await session.execute(
        delete(Delivery).where(Delivery.channel_id == channel_id, Delivery.status == PENDING)
    )


# --- planning --------------------------------------------------------------------------------


async def plan(session: AsyncSession, now: datetime, limit: int) -> int:
    """One pending delivery per undelivered notification and each enabled channel that
    covers it (its assignment's organisation, or its recipient) and has none yet; how many
    were added. A concurrent planner's rows are skipped on the unique key."""
    covers = or_(
        and_(Channel.org_id.is_not(None), Channel.org_id == Assignment.org_id),
        and_(Channel.person_id.is_not(None), Channel.person_id == Notification.recipient_id),
    )
    exists = (
        select(Delivery.id)
        .where(Delivery.notification_id == Notification.id, Delivery.channel_id == Channel.id)
        .exists()
    )
    pairs = (
        await session.execute(
            select(Notification.id, Channel.id)
            .join(Assignment, Assignment.id == Notification.assignment_id)
            .join(Channel, covers)
            .where(
                Notification.delivered_at.is_(None),
                Assignment.deleted_at.is_(None),
                Channel.deleted_at.is_(None),
                Channel.enabled.is_(True),
                ~exists,
            )
            .order_by(Notification.created_at, Notification.id, Channel.id)
            .limit(limit)
        )
    ).all()
    if not pairs:
        return 0
    dialect = session.get_bind().dialect.name
    insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(Delivery)
        .values(
            [
                {
                    "id": new_id("dlv"),
                    "notification_id": notification_id,
                    "channel_id": channel_id,
                    "status": PENDING,
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                }
                for notification_id, channel_id in pairs
            ]
        )
        .on_conflict_do_nothing(index_elements=["notification_id", "channel_id"])
        .returning(Delivery.id)
    )
    return len((await session.scalars(statement)).all())


# --- claiming ----------------------------------------------------------------------------------


def _due(now: datetime) -> Any:
    usable = select(Channel.id).where(Channel.deleted_at.is_(None), Channel.enabled.is_(True))
    return and_(
        Delivery.status == PENDING,
        Delivery.next_attempt_at <= now,
        or_(Delivery.claimed_until.is_(None), Delivery.claimed_until <= now),
        Delivery.channel_id.in_(usable),
    )


async def claim(
    session: AsyncSession, now: datetime, until: datetime, token: str, limit: int
) -> list[ClaimedDelivery]:
    """Claim up to ``limit`` due deliveries until ``until`` for ``token``, earliest due
    first; each claim counts an attempt."""
    waiting = (
        select(Delivery.id)
        .where(_due(now))
        .order_by(Delivery.next_attempt_at, Delivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    ids = list((await session.scalars(waiting)).all())
    if not ids:
        return []
    claimed = await session.execute(
        update(Delivery)
        .where(Delivery.id.in_(ids), _due(now))
        .values(claimed_until=until, claim_token=token, attempts=Delivery.attempts + 1)
        .returning(Delivery.id)
        .execution_options(synchronize_session=False)
    )
    won = [row.id for row in claimed]
    if not won:
        return []
    rows = await session.execute(
        select(
            Delivery.id,
            Delivery.attempts,
            Channel.id.label("channel_id"),
            Channel.kind.label("channel_kind"),
            Channel.target,
            Channel.secret,
            Notification.id.label("notification_id"),
            Notification.kind,
            Notification.assignment_id,
            Assignment.org_id,
            Notification.recipient_id,
            Notification.gap_start,
            Notification.days_without_contact,
            Notification.created_at,
        )
        .join(Channel, Channel.id == Delivery.channel_id)
        .join(Notification, Notification.id == Delivery.notification_id)
        .join(Assignment, Assignment.id == Notification.assignment_id)
        .where(Delivery.id.in_(won))
        .order_by(Delivery.id)
    )
    return [ClaimedDelivery(*tuple(row)) for row in rows]


# --- outcomes ------------------------------------------------------------------------------


async def finish(
    session: AsyncSession,
    delivery_id: str,
    token: str,
    *,
    now: datetime,
    error: str | None,
    retry_at: datetime | None,
) -> str | None:
    """Record the outcome of the attempt ``token`` holds: delivered (``error`` None), to
    retry at ``retry_at``, or dead-lettered (an error and no ``retry_at``). Updates the
    notification's delivery summary; its state: "delivered", "retry", "dead", or None when
    the claim was lost (its lease passed and another worker took it)."""
    notification_id = await session.scalar(
        select(Delivery.notification_id).where(Delivery.id == delivery_id)
    )
    if notification_id is None:
        return None
    # The notification's row first: its deliveries' outcomes are summed one at a time.
    await session.execute(
        select(Notification.id).where(Notification.id == notification_id).with_for_update()
    )
    if error is None:
        values: dict[str, Any] = {"status": DELIVERED, "delivered_at": now, "last_error": None}
        state = "delivered"
    elif retry_at is not None:
        values = {"next_attempt_at": retry_at, "last_error": error}
        state = "retry"
    else:
        values = {"status": DEAD, "dead_at": now, "last_error": error}
        state = "dead"
    done = await session.execute(
        update(Delivery)
        .where(
            Delivery.id == delivery_id, Delivery.claim_token == token, Delivery.status == PENDING
        )
        .values(claimed_until=None, claim_token=None, **values)
        .returning(Delivery.id)
        .execution_options(synchronize_session=False)
    )
    if done.first() is None:
        return None
    await summarise(session, notification_id, now=now, error=error)
    return state


async def summarise(
    session: AsyncSession, notification_id: str, *, now: datetime, error: str | None
) -> None:
    """The notification's attempts (over its deliveries), its last error and, once no
    delivery is pending, when it was delivered (any channel delivered) and dead-lettered
    (any channel gave up)."""
    stats = (
        await session.execute(
            select(
                func.coalesce(func.sum(Delivery.attempts), 0),
                func.count().filter(Delivery.status == PENDING),
                func.count().filter(Delivery.status == DEAD),
                func.max(Delivery.delivered_at),
            ).where(Delivery.notification_id == notification_id)
        )
    ).one()
    attempts, pending, dead, delivered_at = stats
    values: dict[str, Any] = {"delivery_attempts": int(attempts)}
    if error is not None:
        values["delivery_error"] = error
    if not pending:
        values["delivered_at"] = delivered_at
        values["dead_lettered_at"] = now if dead else None
    await session.execute(
        update(Notification)
        .where(Notification.id == notification_id)
        .values(values)
        .execution_options(synchronize_session=False)
    )


async def deliveries_of(session: AsyncSession, notification_ids: Sequence[str]) -> list[Delivery]:
    rows = await session.scalars(
        select(Delivery)
        .where(Delivery.notification_id.in_(list(notification_ids)))
        .order_by(Delivery.created_at, Delivery.id)
    )
    return list(rows.all())
