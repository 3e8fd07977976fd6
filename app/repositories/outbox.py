"""SQL of the change-event outbox and of stored idempotent outcomes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.outbox import IdempotentOutcome, OutboxEntry

# (id, kind, key, payload) of an outbox entry.
EntryRow = tuple[int, str, str, dict[str, Any]]

# The transaction-level advisory lock that orders outbox inserts on PostgreSQL.
_ORDER_LOCK = 0x6761746577617931  # "gateway1"


async def record(
    session: AsyncSession,
    events: Sequence[tuple[str, str, dict[str, Any]]],
    *,
    now: datetime,
    claimed: bool,
) -> list[int]:
    """Insert ``(kind, key, payload)`` entries in order; their ids. ``claimed``: the writer
    publishes them itself (else the relay does, at its next run)."""
    if not events:
        return []
    if session.get_bind().dialect.name == "postgresql":
        # Ids in commit order: writers take their ids and commit one after another (SQLite's
        # write lock does the same), so a reader that has seen id N has seen every
        # committed id below it, and an event log read "after N" misses nothing.
        await session.execute(text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": _ORDER_LOCK})
    result = await session.execute(
        insert(OutboxEntry).returning(OutboxEntry.id, sort_by_parameter_order=True),
        [
            {
                "kind": kind,
                "key": key,
                "payload": payload,
                "created_at": now,
                "claimed_at": now if claimed else None,
            }
            for kind, key, payload in events
        ],
    )
    return list(result.scalars())


def _unpublished(cutoff: datetime) -> Any:
    return (
        OutboxEntry.published_at.is_(None),
        or_(OutboxEntry.claimed_at.is_(None), OutboxEntry.claimed_at < cutoff),
    )


async def any_to_relay(session: AsyncSession, cutoff: datetime) -> bool:
    """Whether an entry waits for the relay (never claimed, or its claim is older than
    ``cutoff``): one indexed look-up, so an idle relay costs no write."""
    found = await session.execute(
        select(OutboxEntry.id).where(*_unpublished(cutoff)).order_by(OutboxEntry.id).limit(1)
    )
    return found.first() is not None


async def claim(
    session: AsyncSession, cutoff: datetime, now: datetime, limit: int
) -> list[EntryRow]:
    """Take up to ``limit`` entries waiting for the relay, oldest first, so that no other
    relay takes them before ``now`` + the lease (PostgreSQL skips rows another relay is
    claiming at the same moment; SQLite's write lock serialises relays)."""
    waiting = (
        select(OutboxEntry.id)
        .where(*_unpublished(cutoff))
        .order_by(OutboxEntry.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    result = await session.execute(
        update(OutboxEntry)
        .where(OutboxEntry.id.in_(waiting.scalar_subquery()))
        .values(claimed_at=now)
        .returning(OutboxEntry.id, OutboxEntry.kind, OutboxEntry.key, OutboxEntry.payload)
    )
    return sorted((row.id, row.kind, row.key, row.payload) for row in result)


async def bounds(session: AsyncSession) -> tuple[int | None, int | None]:
    """The oldest and newest ids in the log (None, None when it is empty)."""
    row = (await session.execute(select(func.min(OutboxEntry.id), func.max(OutboxEntry.id)))).one()
    return row[0], row[1]


async def entries_after(
    session: AsyncSession,
    after: int,
    *,
    upto: int | None = None,
    kinds: Sequence[str] | None = None,
    limit: int,
) -> list[EntryRow]:
    """Entries with ``after < id`` (``<= upto``), of ``kinds``, in id (= commit) order."""
    query = select(OutboxEntry.id, OutboxEntry.kind, OutboxEntry.key, OutboxEntry.payload).where(
        OutboxEntry.id > after
    )
    if upto is not None:
        query = query.where(OutboxEntry.id <= upto)
    if kinds is not None:
        query = query.where(OutboxEntry.kind.in_(list(kinds)))
    result = await session.execute(query.order_by(OutboxEntry.id).limit(limit))
    return [(row.id, row.kind, row.key, row.payload) for row in result]


async def mark_published(session: AsyncSession, ids: Sequence[int], now: datetime) -> None:
    await session.execute(
        update(OutboxEntry)
        .where(OutboxEntry.id.in_(list(ids)), OutboxEntry.published_at.is_(None))
        .values(published_at=now)
    )


async def purge(session: AsyncSession, published_before: datetime, now: datetime) -> int:
    """Delete entries published before ``published_before`` and expired outcomes."""
    events = await session.execute(
        delete(OutboxEntry).where(OutboxEntry.published_at < published_before)
    )
    outcomes = await session.execute(
        delete(IdempotentOutcome).where(IdempotentOutcome.expires_at <= now)
    )
    return int(events.rowcount or 0) + int(outcomes.rowcount or 0)  # type: ignore[attr-defined]


async def outcome(session: AsyncSession, caller: str, key: str) -> IdempotentOutcome | None:
    found = await session.execute(
        select(IdempotentOutcome).where(
            IdempotentOutcome.caller == caller, IdempotentOutcome.key == key
        )
    )
    return found.scalar_one_or_none()


async def forget_outcome(session: AsyncSession, caller: str, key: str) -> None:
    await session.execute(
        delete(IdempotentOutcome).where(
            IdempotentOutcome.caller == caller, IdempotentOutcome.key == key
        )
    )


async def store_outcome(session: AsyncSession, row: IdempotentOutcome) -> None:
    """Insert ``row``; on PostgreSQL a concurrent request inserting the same caller and
    key waits here until this one commits, then fails on the primary key."""
    session.add(row)
    await session.flush()
