"""Notification delivery: where notifications go and how each delivery attempt went.

- ``notification_channels``: a webhook (URL + signing secret) or an email address that
  receives the notifications of one organisation's assignments (``org_id``) or those
  addressed to one person (``person_id``, who opted in). Exactly one of the two is set.
  Deleting a channel keeps it as a tombstone (``deleted_at``): its finished deliveries stay.
- ``notification_deliveries``: one notification through one channel. Its ``id`` is the
  delivery id sent on every attempt (``X-Gateway-Delivery``, the email ``Message-ID``), so a
  receiver can drop a repeat. ``attempts`` counts the attempts begun; a worker claims a due
  delivery by setting ``claimed_until`` (its lease) and ``claim_token``, and only the
  holder of the token records the outcome.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, Timestamps
from app.timeutil import utcnow

WEBHOOK = "webhook"
EMAIL = "email"
CHANNEL_KINDS = (WEBHOOK, EMAIL)

PENDING = "pending"
DELIVERED = "delivered"
DEAD = "dead"  # dead-lettered: gave up after the last attempt


class NotificationChannel(Timestamps, Base):
    __tablename__ = "notification_channels"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    org_id: Mapped[str | None] = mapped_column(
        ForeignKey("organisations.id"), default=None, index=True
    )
    person_id: Mapped[str | None] = mapped_column(ForeignKey("people.id"), default=None, index=True)
    kind: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(String(2048))
    secret: Mapped[str | None] = mapped_column(Text, default=None)
    enabled: Mapped[bool] = mapped_column(default=True)


class NotificationDelivery(Base):
    __tablename__ = "notification_deliveries"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    notification_id: Mapped[str] = mapped_column(
        ForeignKey("assignment_notifications.id"), index=True
    )
    channel_id: Mapped[str] = mapped_column(ForeignKey("notification_channels.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column(default=None)
    claim_token: Mapped[str | None] = mapped_column(String(32), default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)
    dead_at: Mapped[datetime | None] = mapped_column(default=None)

    __table_args__ = (
        UniqueConstraint("notification_id", "channel_id"),
        # The claim: pending ones, earliest due first.
        Index("ix_notification_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
    )
