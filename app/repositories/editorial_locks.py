"""SQL for exclusive locks. Every change is one conditional statement, so two requests
racing for the same srn cannot both win: the srn is the primary key (``INSERT ... ON
CONFLICT DO NOTHING`` lets one insert through), and taking over an expired lock is an
``UPDATE ... WHERE expires_at <= now`` that only one transaction can match. Reads select
the columns of ``LOCK`` (Core rows), never entities."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Bundle

from app.listing import Filter, Sort
from app.models.editorial import EditorialLock, EditorialUser
from app.pagination import Paged
from app.repositories.aggregating import AggregateSpec, date_buckets
from app.repositories.common import by_key
from app.repositories.editorial import dialect_insert
from app.repositories.filtering import sort_order
from app.repositories.filtering import where as filtered
from app.repositories.grouped import ListShape, OwnedPage, load_pages
from app.repositories.keyset import terms
from app.timeutil import utcnow

LOCK: Bundle[Any] = Bundle(
    "lock",
    EditorialLock.srn,
    EditorialLock.uuid,
    EditorialLock.user_id,
    EditorialLock.created_at,
    EditorialLock.modified_at,
    EditorialLock.expires_at,
)


async def try_insert(
    session: AsyncSession, *, srn: str, uuid: str, user_id: int, now: datetime, expires: datetime
) -> bool:
    """Insert the lock unless the srn has one (held or expired); True if inserted."""
    statement = (
        dialect_insert(session, EditorialLock)
        .values(
            srn=srn, uuid=uuid, user_id=user_id, created_at=now, modified_at=now, expires_at=expires
        )
        .on_conflict_do_nothing(index_elements=["srn"])
        .returning(EditorialLock.srn)
    )
    return (await session.execute(statement)).scalar() is not None


async def get(session: AsyncSession, srn: str, *, for_update: bool = False) -> Any | None:
    """The srn's lock (a ``LOCK`` row) as the database has it now (expired or not)."""
    query = select(LOCK).where(EditorialLock.srn == srn)
    if for_update:
        query = query.with_for_update()
    return await session.scalar(query)


async def get_by_uuid(session: AsyncSession, uuid: str) -> Any | None:
    return await session.scalar(select(LOCK).where(EditorialLock.uuid == uuid))


async def active_by_srns(session: AsyncSession, srns: Sequence[str]) -> list[Any | None]:
    """Unexpired locks of these srns (``LOCK`` rows; batch function for readers and lists)."""
    rows = (
        await session.scalars(
            select(LOCK).where(EditorialLock.srn.in_(srns), EditorialLock.expires_at > utcnow())
        )
    ).all()
    return by_key(rows, "srn", srns)


async def renew(
    session: AsyncSession, *, uuid: str, user_id: int, now: datetime, expires: datetime
) -> bool:
    """Extend an unexpired lock of ``user_id``; False if it is gone, expired or not theirs."""
    result = await session.execute(
        update(EditorialLock)
        .where(
            EditorialLock.uuid == uuid,
            EditorialLock.user_id == user_id,
            EditorialLock.expires_at > now,
        )
        .values(modified_at=now, expires_at=expires)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def take_over(
    session: AsyncSession,
    *,
    srn: str,
    uuid: str,
    user_id: int,
    now: datetime,
    expires: datetime,
) -> bool:
    """Give an expired lock of ``srn`` to ``user_id`` as a new lock request; False if the
    lock is not expired (any more) or gone."""
    result = await session.execute(
        update(EditorialLock)
        .where(EditorialLock.srn == srn, EditorialLock.expires_at <= now)
        .values(uuid=uuid, user_id=user_id, created_at=now, modified_at=now, expires_at=expires)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def remove(session: AsyncSession, uuid: str) -> bool:
    result = await session.execute(
        delete(EditorialLock)
        .where(EditorialLock.uuid == uuid)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def remove_srn(session: AsyncSession, srn: str) -> Any | None:
    """Drop the srn's lock (its resource is gone); the removed row, if there was one."""
    found = await get(session, srn)
    if found is not None:
        await session.execute(
            delete(EditorialLock)
            .where(EditorialLock.srn == srn)
            .execution_options(synchronize_session=False)
        )
    return found


async def earliest_expiry(session: AsyncSession) -> datetime | None:
    """When the first lock that has not been announced expired expires (or expired)."""
    return await session.scalar(select(func.min(EditorialLock.expires_at)))


async def expired(session: AsyncSession, now: datetime, limit: int) -> Sequence[Any]:
    """Up to ``limit`` locks expired by ``now`` (``LOCK`` rows), the earliest first."""
    query = (
        select(LOCK)
        .where(EditorialLock.expires_at <= now)
        .order_by(EditorialLock.expires_at, EditorialLock.srn)
        .limit(limit)
    )
    return (await session.scalars(query)).all()


async def remove_expired(session: AsyncSession, uuid: str, now: datetime) -> bool:
    """Delete lock request ``uuid`` if it has expired by ``now``: one statement, so of two
    transactions announcing the same expiry (or one taking the lock over) only one wins."""
    result = await session.execute(
        delete(EditorialLock)
        .where(EditorialLock.uuid == uuid, EditorialLock.expires_at <= now)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def active_by_uuids(session: AsyncSession, uuids: Sequence[str]) -> list[Any | None]:
    """Unexpired locks by lock-request uuid (``LOCK`` rows; batch function)."""
    rows = (
        await session.scalars(
            select(LOCK).where(EditorialLock.uuid.in_(uuids), EditorialLock.expires_at > utcnow())
        )
    ).all()
    return by_key(rows, "uuid", uuids)


# The fields a GraphQL ``filter`` / ``orderBy`` of held locks may name (``app.listing``):
# what a lock shows to whoever sees it, its holder as their directory id.
FIELDS = {
    "srn": EditorialLock.srn,
    "uuid": EditorialLock.uuid,
    "holder_id": EditorialUser.person_id,
    "created_at": EditorialLock.created_at,
    "modified_at": EditorialLock.modified_at,
    "expires_at": EditorialLock.expires_at,
}
HELD_ORDER = terms(EditorialLock.created_at, EditorialLock.uuid)  # oldest first
# What a list of held locks aggregates (``app.repositories.aggregating``).
AGGREGATES = AggregateSpec(
    bounds={name: FIELDS[name] for name in ("created_at", "modified_at", "expires_at")},
    groups={"holder_id": FIELDS["holder_id"], **date_buckets(EditorialLock.created_at)},
)


@dataclass(frozen=True, slots=True)
class HeldListing:
    """How a list of held locks is asked for (hashable: a reader key holds it): a
    ``where`` filter and ``sort`` keys (empty: oldest first, the uuid breaking ties)."""

    where: Filter | None = None
    sort: Sort = ()


def _held_shape(listed: HeldListing) -> ListShape:
    query = (
        select(EditorialLock)
        .join(EditorialUser, EditorialUser.id == EditorialLock.user_id)
        .where(EditorialLock.expires_at > utcnow(), filtered(listed.where, FIELDS))
    )
    return ListShape(
        query=query,
        owner=EditorialUser.person_id,
        order=sort_order(listed.sort, FIELDS, EditorialLock.uuid, HELD_ORDER),
        row_id=EditorialLock.srn,
        load=select(LOCK),
        aggregates=AGGREGATES,
    )


async def held_pages(
    session: AsyncSession, keys: Sequence[OwnedPage[HeldListing]]
) -> list[Paged[Any]]:
    """Each person's page of the unexpired locks they hold (``LOCK`` rows), oldest first."""
    return await load_pages(session, keys, _held_shape)
