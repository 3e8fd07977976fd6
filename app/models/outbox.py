"""The change-event outbox and the stored outcomes of idempotent requests.

Both are written in the same transaction as the change they belong to
(``app/services/work.py``): an event is never published for a change that was rolled back,
nor lost for one that was committed; a request's first outcome is stored with its effect,
so a retry that carries the same ``Idempotency-Key`` replays it instead of repeating it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, LargeBinary, String, text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base
from app.timeutil import utcnow

# SQLite's rowid alias must be INTEGER; PostgreSQL's ids grow past 2**31.
_ID = BigInteger().with_variant(Integer(), "sqlite")


class OutboxEntry(Base):
    """One change event, in commit order. ``claimed_at`` is when a process took it to
    publish (its writer at once; a relay when that writer did not mark it published within
    the lease, e.g. a process that crashed or never publishes, like the CLI)."""

    __tablename__ = "event_outbox"
    __table_args__ = (
        Index(
            "ix_event_outbox_unpublished",
            "id",
            postgresql_where=text("published_at IS NULL"),
            sqlite_where=text("published_at IS NULL"),
        ),
        # Ids are never reused (a broker remembers the ids it delivered), also after a purge.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    claimed_at: Mapped[datetime | None] = mapped_column(default=None)
    published_at: Mapped[datetime | None] = mapped_column(default=None)


class IdempotentOutcome(Base):
    """The first outcome of a write that came with an ``Idempotency-Key``, per caller."""

    __tablename__ = "idempotency_keys"

    caller: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column()
    headers: Mapped[dict[str, Any]] = mapped_column()
    body: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
