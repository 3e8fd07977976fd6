"""Notification delivery: the follow-up outbox sent through webhooks and email.

Admins configure channels (``notification_channels``) per organisation (every notification
of its assignments) and per person (those addressed to them, where they opted in); admins
and the organisation's coordinators see them, never their secrets.

A delivery pass (``gateway deliveries run``, or every ``delivery_interval_seconds`` inside
``gateway serve``):
1. plans one delivery per undelivered notification and channel covering it;
2. claims the due deliveries with a lease (``app.repositories.deliveries``), so several
   workers and processes never send the same attempt at once;
3. sends each (a signed JSON POST, or an email over SMTP) outside any transaction;
4. records the outcome: delivered, a retry after an exponential backoff with jitter, or
   dead-lettered after ``delivery_max_attempts`` attempts.
Delivery is at least once: a worker killed mid-delivery leaves its claim to expire and a
later pass sends the same delivery id again, so receivers drop repeats by that id.
Each step's writes are a use case run by ``Work``.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import random
import re
import secrets
import smtplib
import ssl
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson

from app.auth import Principal
from app.errors import FieldError, Forbidden, InvalidInput, NotFound
from app.ids import new_id
from app.metrics import NOTIFICATION_DELIVERIES
from app.models.deliveries import CHANNEL_KINDS, EMAIL, WEBHOOK, NotificationChannel
from app.models.people import Organisation, Person
from app.repositories import deliveries as repo
from app.repositories.deliveries import ClaimedDelivery
from app.services.background import start_repeating
from app.services.policy import coordinates, manages_channel, require_principal
from app.services.work import Unit, Work
from app.settings import Settings
from app.timeutil import utcnow

log = logging.getLogger("gateway.deliveries")

SIGNATURE_HEADER = "X-Gateway-Signature"
TIMESTAMP_HEADER = "X-Gateway-Timestamp"
DELIVERY_HEADER = "X-Gateway-Delivery"
ATTEMPT_HEADER = "X-Gateway-Attempt"
MIN_SECRET_CHARS = 16
MAX_TARGET_CHARS = 2048
MAX_ERROR_CHARS = 500
# Deliveries one pass sends at once.
CONCURRENCY = 10
_ADDRESS = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+\Z")


# --- channels ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChannelRecord:
    """A channel as every door shows it: never its secret, only whether it has one."""

    id: str
    kind: str
    org_id: str | None
    person_id: str | None
    target: str
    has_secret: bool
    enabled: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: NotificationChannel) -> ChannelRecord:
        return cls(
            id=row.id,
            kind=row.kind,
            org_id=row.org_id,
            person_id=row.person_id,
            target=row.target,
            has_secret=bool(row.secret),
            enabled=row.enabled,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


def _target_errors(kind: str, target: str) -> list[FieldError]:
    if not 1 <= len(target) <= MAX_TARGET_CHARS:
        return [FieldError("target", f"must be 1 to {MAX_TARGET_CHARS} characters")]
    if kind == WEBHOOK:
        parts = urlsplit(target)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return [FieldError("target", "must be an http:// or https:// URL")]
    elif kind == EMAIL and not _ADDRESS.match(target):
        return [FieldError("target", "must be an email address")]
    return []


def _secret_errors(kind: str, secret: str | None) -> list[FieldError]:
    if kind == WEBHOOK and (secret is None or len(secret) < MIN_SECRET_CHARS):
        return [FieldError("secret", f"a webhook needs a secret of {MIN_SECRET_CHARS}+ chars")]
    if kind == EMAIL and secret is not None:
        return [FieldError("secret", "an email channel has no secret")]
    return []


async def create_channel(
    unit: Unit,
    principal: Principal | None,
    *,
    kind: str,
    target: str,
    org_id: str | None = None,
    person_id: str | None = None,
    secret: str | None = None,
    enabled: bool = True,
) -> ChannelRecord:
    """A new channel of an organisation (admin) or of a person (admin, or the person)."""
    _may_manage(require_principal(principal), person_id)
    session = unit.session
    errors: list[FieldError] = []
    if kind not in CHANNEL_KINDS:
        errors.append(FieldError("kind", "must be webhook or email"))
    if (org_id is None) == (person_id is None):
        errors.append(FieldError("org_id", "give either an organisation or a person"))
    elif org_id is not None:
        org = await session.get(Organisation, org_id)
        if org is None or org.deleted_at is not None:
            errors.append(FieldError("org_id", f"unknown organisation {org_id!r}"))
    elif person_id is not None:
        person = await session.get(Person, person_id)
        if person is None or person.deleted_at is not None:
            errors.append(FieldError("person_id", f"unknown person {person_id!r}"))
    target = target.strip()
    errors += _target_errors(kind, target) + _secret_errors(kind, secret)
    InvalidInput.raise_if_any(errors)
    row = NotificationChannel(
        id=new_id("chn"),
        kind=kind,
        org_id=org_id,
        person_id=person_id,
        target=target,
        secret=secret,
        enabled=enabled,
    )
    session.add(row)
    await session.flush()
    return ChannelRecord.of(row)


def _may_manage(who: Principal, person_id: str | None) -> None:
    if not manages_channel(who, person_id):
        raise Forbidden(
            "Admins manage notification channels; a person may manage channels of their own"
        )


async def _channel(unit: Unit, principal: Principal | None, channel_id: str) -> NotificationChannel:
    who = require_principal(principal)
    row = await repo.live_channel(unit.session, channel_id)
    if row is None:
        raise NotFound(f"Notification channel {channel_id!r} not found")
    _may_manage(who, row.person_id)
    return row


async def update_channel(
    unit: Unit,
    principal: Principal | None,
    channel_id: str,
    *,
    target: str | None = None,
    secret: str | None = None,
    enabled: bool | None = None,
) -> ChannelRecord:
    """Change a channel's target, secret (a rotation) or whether it is enabled (admin, or
    the person a person's channel delivers to); ``None`` keeps a value."""
    row = await _channel(unit, principal, channel_id)
    errors: list[FieldError] = []
    if target is not None:
        target = target.strip()
        errors += _target_errors(row.kind, target)
    if secret is not None:
        errors += _secret_errors(row.kind, secret)
    InvalidInput.raise_if_any(errors)
    if target is not None:
        row.target = target
    if secret is not None:
        row.secret = secret
    if enabled is not None:
        row.enabled = enabled
    row.updated_at = utcnow()
    await unit.session.flush()
    return ChannelRecord.of(row)


async def delete_channel(unit: Unit, principal: Principal | None, channel_id: str) -> ChannelRecord:
    """Delete a channel (admin, or the person a person's channel delivers to): its pending
    deliveries are dropped, finished ones kept."""
    row = await _channel(unit, principal, channel_id)
    now = utcnow()
    row.deleted_at = now
    row.updated_at = now
    row.secret = None
    await repo.drop_pending(unit.session, channel_id)
    await unit.session.flush()
    return ChannelRecord.of(row)


async def list_channels(
    session: Any, principal: Principal | None, *, org_id: str | None = None
) -> list[ChannelRecord]:
    """Admins see every channel; a coordinator those of the organisations they coordinate;
    everyone their own (``org_id``: only that organisation's)."""
    who = require_principal(principal)
    if who.is_admin:
        orgs: frozenset[str] | None = None if org_id is None else frozenset({org_id})
        own = None
    else:
        orgs = frozenset(o for o in who.orgs if coordinates(who, o))
        if org_id is not None:
            orgs = orgs & {org_id}
        own = None if org_id is not None else who.person_id
    rows = await repo.list_channels(session, orgs, own)
    return [ChannelRecord.of(row) for row in rows]


# --- sending -------------------------------------------------------------------------------


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Gateway-Signature`` value: HMAC-SHA256 of ``<timestamp>.<body>``."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def payload(claim: ClaimedDelivery) -> dict[str, Any]:
    """What a receiver gets (the same on every attempt)."""
    return {
        "deliveryId": claim.id,
        "notification": {
            "id": claim.notification_id,
            "kind": claim.kind,
            "assignmentId": claim.assignment_id,
            "orgId": claim.org_id,
            "recipientId": claim.recipient_id,
            "gapStart": claim.gap_start.isoformat(),
            "daysWithoutContact": claim.days_without_contact,
            "createdAt": claim.created_at.isoformat(),
        },
    }


class DeliveryFailed(Exception):
    """An attempt that did not reach its receiver (the message is stored as last error)."""


async def send_webhook(
    claim: ClaimedDelivery, settings: Settings, client: httpx.AsyncClient
) -> None:
    body = orjson.dumps(payload(claim))
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "gateway-deliveries",
        TIMESTAMP_HEADER: timestamp,
        DELIVERY_HEADER: claim.id,
        ATTEMPT_HEADER: str(claim.attempt),
        SIGNATURE_HEADER: sign(claim.secret or "", timestamp, body),
    }
    try:
        response = await client.post(
            claim.target, content=body, headers=headers, timeout=settings.delivery_timeout_seconds
        )
    except httpx.HTTPError as error:
        raise DeliveryFailed(f"{type(error).__name__}: {error}") from error
    if not 200 <= response.status_code < 300:
        raise DeliveryFailed(f"HTTP {response.status_code} from the receiver")


def email_message(claim: ClaimedDelivery, settings: Settings) -> EmailMessage:
    what = "Reminder" if claim.kind == "reminder" else "Escalation"
    message = EmailMessage()
    message["From"] = settings.smtp_sender
    message["To"] = claim.target
    message["Subject"] = (
        f"{what}: assignment {claim.assignment_id}, "
        f"{claim.days_without_contact} days without contact"
    )
    # The delivery id on every attempt: a mail system may drop the repeat.
    domain = settings.smtp_sender.rpartition("@")[2] or "gateway"
    message["Message-ID"] = f"<{claim.id}@{domain}>"
    message[DELIVERY_HEADER] = claim.id
    message.set_content(
        f"{what} for assignment {claim.assignment_id}: no contact for "
        f"{claim.days_without_contact} days (since {claim.gap_start.isoformat()}).\n"
        f"Notification {claim.notification_id}, delivery {claim.id}.\n"
    )
    return message


def _send_email_blocking(message: EmailMessage, settings: Settings) -> None:
    assert settings.smtp_host is not None
    timeout = settings.delivery_timeout_seconds
    smtp: smtplib.SMTP
    if settings.smtp_tls == "tls":
        smtp = smtplib.SMTP_SSL(
            settings.smtp_host,
            settings.smtp_port,
            timeout=timeout,
            context=ssl.create_default_context(),
        )
    else:
        smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout)
    with smtp:
        if settings.smtp_tls == "starttls":
            smtp.starttls(context=ssl.create_default_context())
        if settings.smtp_username:
            password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
            smtp.login(settings.smtp_username, password)
        smtp.send_message(message)


async def send_email(claim: ClaimedDelivery, settings: Settings) -> None:
    if not settings.smtp_host:
        raise DeliveryFailed("no SMTP server configured (GATEWAY_SMTP_HOST)")
    try:
        await asyncio.to_thread(_send_email_blocking, email_message(claim, settings), settings)
    except (OSError, smtplib.SMTPException) as error:
        raise DeliveryFailed(f"{type(error).__name__}: {error}") from error


# --- the worker ----------------------------------------------------------------------------


@dataclass(slots=True)
class PassSummary:
    """What one delivery pass did."""

    queued: int = 0  # deliveries planned
    attempted: int = 0
    sent: int = 0
    failed: int = 0  # attempts that failed (the dead-lettered ones included)
    dead_lettered: int = 0
    lost: int = 0  # outcomes not recorded: the claim had passed to another worker
    delivery_ids: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {
            "queued": self.queued,
            "attempted": self.attempted,
            "sent": self.sent,
            "failed": self.failed,
            "dead_lettered": self.dead_lettered,
        }


def backoff(settings: Settings, attempts: int) -> float:
    """Seconds before the next attempt after ``attempts`` failed ones: exponential, capped,
    with "equal jitter" (between half and all of it), so retries of many deliveries spread."""
    ceiling: float = min(
        settings.delivery_backoff_max_seconds,
        settings.delivery_backoff_seconds * 2 ** min(attempts - 1, 60),
    )
    return float(ceiling / 2 + random.uniform(0, ceiling / 2))  # noqa: S311 (jitter, not a secret)


async def plan_deliveries(unit: Unit, settings: Settings, now: datetime) -> int:
    """Use case: the pending deliveries of undelivered notifications."""
    return await repo.plan(unit.session, now, settings.delivery_batch * 10)


async def claim_deliveries(
    unit: Unit, settings: Settings, token: str, now: datetime
) -> list[ClaimedDelivery]:
    """Use case: claim the due deliveries for ``token`` for the lease."""
    until = now + timedelta(seconds=settings.delivery_lease_seconds)
    return await repo.claim(unit.session, now, until, token, settings.delivery_batch)


async def record_outcome(
    unit: Unit, settings: Settings, claim: ClaimedDelivery, token: str, error: str | None
) -> str | None:
    """Use case: the outcome of one attempt (see ``repo.finish``)."""
    now = utcnow()
    retry_at = None
    if error is not None and claim.attempt < settings.delivery_max_attempts:
        retry_at = now + timedelta(seconds=backoff(settings, claim.attempt))
    return await repo.finish(unit.session, claim.id, token, now=now, error=error, retry_at=retry_at)


async def _attempt(
    work: Work, claim: ClaimedDelivery, token: str, client: httpx.AsyncClient
) -> str | None:
    error: str | None = None
    try:
        if claim.channel_kind == WEBHOOK:
            await send_webhook(claim, work.settings, client)
        else:
            await send_email(claim, work.settings)
    except DeliveryFailed as failure:
        error = str(failure)[:MAX_ERROR_CHARS]
    except Exception as failure:  # a bug or an odd target: retried like a failed send
        log.exception("delivery %s failed unexpectedly", claim.id)
        error = f"{type(failure).__name__}: {failure}"[:MAX_ERROR_CHARS]
    state = await work.run(record_outcome, work.settings, claim, token, error)
    kind = claim.channel_kind
    if error is None:
        NOTIFICATION_DELIVERIES.labels(kind, "sent").inc()
    else:
        NOTIFICATION_DELIVERIES.labels(kind, "failed").inc()
        log.warning("delivery %s attempt %d failed: %s", claim.id, claim.attempt, error)
    if state == "dead":
        NOTIFICATION_DELIVERIES.labels(kind, "dead_lettered").inc()
        log.error("delivery %s dead-lettered after %d attempts", claim.id, claim.attempt)
    return state


async def run_once(work: Work) -> PassSummary:
    """One delivery pass: plan, claim, send, record."""
    summary = PassSummary()
    summary.queued = await work.run(plan_deliveries, work.settings, utcnow())
    token = secrets.token_hex(16)
    claims = await work.run(claim_deliveries, work.settings, token, utcnow())
    if not claims:
        return summary
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(claim: ClaimedDelivery, client: httpx.AsyncClient) -> str | None:
        async with gate:
            return await _attempt(work, claim, token, client)

    async with httpx.AsyncClient(follow_redirects=False) as client:
        states = await asyncio.gather(*(one(claim, client) for claim in claims))
    for claim, state in zip(claims, states, strict=True):
        summary.attempted += 1
        summary.delivery_ids.append(claim.id)
        if state == "delivered":
            summary.sent += 1
        elif state is None:
            summary.lost += 1
        else:
            summary.failed += 1
            summary.dead_lettered += state == "dead"
    return summary


async def _logged_pass(work: Work) -> None:
    summary = await run_once(work)
    if summary.attempted:
        log.info("delivery pass: %s", summary.as_dict())


def start_periodic(work: Work) -> asyncio.Task[None] | None:
    """Delivery passes as a background task of ``gateway serve`` every
    ``delivery_interval_seconds`` (0: off); a failed pass is logged and the next tick tries
    again (claims make concurrent passes of other workers safe)."""
    return start_repeating(
        log,
        "delivery pass",
        work.settings.delivery_interval_seconds,
        lambda: _logged_pass(work),
    )
