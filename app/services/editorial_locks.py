"""Exclusive locks on assignments (CEO lock requests): one holder per srn.

- A lock request for a free srn, or one whose lock has expired, is accepted: the caller
  holds the lock until ``expires_at`` (now + ``editorial_lock_ttl_seconds``).
- The holder's repeated request renews it (same lock uuid, later ``expires_at``);
  anybody else's request while it is held is refused (409).
- An expired lock stops counting at ``expires_at``: every read and every request checks
  the time, whether or not its expiry has been announced yet.
- Each expiry is announced once (``EXPIRED`` on ``lockChanged``): by ``announce_expired``,
  which a scheduler of every serving process runs when the earliest lock expires
  (``app/services/lock_expiry.py``), or by the request that takes an expired lock over;
  deleting the expired row (or taking it over) is the conditional write only one wins.
- The holder releases a lock; a caller granted ``LOCKREQUEST break`` (admins) may release
  anybody's (a break); anybody else gets 403.
- Changing or deleting an assignment needs the caller to hold its lock (423 otherwise).

Acquiring, renewing, releasing and breaking a lock (and deleting a locked assignment) are
use cases run through ``Work.run``; each records its lock change (``EventKind.LOCK_*``,
keyed by the assignment's srn) for ``lockChanged`` subscribers.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import Principal
from app.errors import Conflict, Forbidden, InvalidInput, Locked, NotFound
from app.events import EventKind
from app.models.editorial import EditorialAssignment
from app.repositories import editorial as repo
from app.repositories import editorial_locks as locks
from app.services.editorial_format import format_ceo_time, new_uuid, parse_srn, path_uuid, srn
from app.services.editorial_reads import LockView, lock_view
from app.services.policy import EditorialAction, breaks_editorial_locks, require_editorial_action
from app.services.work import Unit
from app.settings import Settings
from app.timeutil import as_utc, utcnow

# The topic of every lock change (``lockChanged`` subscribes to it).
LOCK_TOPIC = EventKind.LOCK_ACQUIRED.topic
_ATTEMPTS = 3


class LockChange(StrEnum):
    ACQUIRED = "acquired"
    RENEWED = "renewed"
    RELEASED = "released"
    BROKEN = "broken"
    EXPIRED = "expired"


_KINDS = {
    LockChange.ACQUIRED: EventKind.LOCK_ACQUIRED,
    LockChange.RENEWED: EventKind.LOCK_RENEWED,
    LockChange.RELEASED: EventKind.LOCK_RELEASED,
    LockChange.BROKEN: EventKind.LOCK_BROKEN,
    LockChange.EXPIRED: EventKind.LOCK_EXPIRED,
}
# The lock changes after which a lock expires at a new time (the expiry scheduler wakes).
EXPIRY_MOVED = frozenset({EventKind.LOCK_ACQUIRED, EventKind.LOCK_RENEWED})
# How many expiries one announcing unit of work handles at most.
_EXPIRED_BATCH = 100


def _record(unit: Unit, view: LockView, change: LockChange) -> None:
    """Record what ``lockChanged`` subscribers get once the change is committed."""
    lock = view.lock
    # Acquired and renewed: when it will expire; expired: when it did; else none.
    holds = change in (LockChange.ACQUIRED, LockChange.RENEWED, LockChange.EXPIRED)
    unit.record(
        _KINDS[change],
        lock.srn,
        {
            "uuid": lock.uuid,
            "person_id": view.holder.person_id if view.holder else None,
            # The exact instant: each door's serializer decides how to write it.
            "expires_at": as_utc(lock.expires_at).isoformat() if holds else None,
        },
    )


def lock_ttl(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.editorial_lock_ttl_seconds)


def assignment_srn(assignment: EditorialAssignment) -> str:
    return srn("assignment", assignment.uuid)


async def _lockable_srn(session: AsyncSession, value: object) -> str:
    """The canonical srn of an existing assignment; 422 naming ``srn`` otherwise."""
    try:
        resource_type, uuid = parse_srn(value)
    except ValueError as exc:
        raise InvalidInput.field("srn", str(exc)) from None
    if resource_type != "assignment":
        raise InvalidInput.field(
            "srn", f"only assignments can be locked, not a {resource_type!r} resource"
        )
    if await repo.get_assignment(session, uuid) is None:
        raise InvalidInput.field("srn", f"names no assignment ({uuid})")
    return srn("assignment", uuid)


async def acquire(
    unit: Unit, principal: Principal | None, srn_value: object, *, ttl: timedelta
) -> LockView:
    """Take (or, for its holder, renew) the lock of an assignment's srn; records the
    change (acquired or renewed)."""
    session = unit.session
    who = require_editorial_action(principal, EditorialAction.LOCKREQUEST_CREATE)
    target = await _lockable_srn(session, srn_value)
    user = await repo.ensure_user(session, who.person_id, new_uuid())
    for _ in range(_ATTEMPTS):
        now = utcnow()
        expires = now + ttl
        if await locks.try_insert(
            session, srn=target, uuid=new_uuid(), user_id=user.id, now=now, expires=expires
        ):
            return await _outcome(unit, target, LockChange.ACQUIRED)
        current = await locks.get(session, target)
        if current is None:
            continue  # released between the two statements: try again
        if current.expires_at > now:
            if current.user_id != user.id:
                raise Conflict(
                    f"{target} is locked by another user until "
                    f"{format_ceo_time(current.expires_at)} UTC"
                )
            if await locks.renew(
                session, uuid=current.uuid, user_id=user.id, now=now, expires=expires
            ):
                return await _outcome(unit, target, LockChange.RENEWED)
        elif await locks.take_over(
            session, srn=target, uuid=new_uuid(), user_id=user.id, now=now, expires=expires
        ):
            # The expiry of the lock taken over had not been announced yet: it is now.
            _record(unit, await lock_view(session, current), LockChange.EXPIRED)
            return await _outcome(unit, target, LockChange.ACQUIRED)
    raise Conflict(f"{target} is being locked by another request; retry")


async def _outcome(unit: Unit, target: str, change: LockChange) -> LockView:
    """The lock of ``target`` after ``change``, which is recorded."""
    lock = await locks.get(unit.session, target)
    assert lock is not None
    view = await lock_view(unit.session, lock)
    _record(unit, view, change)
    return view


async def _active_by_uuid(session: AsyncSession, lock_uuid: str) -> Any:
    """The unexpired lock row of a lock-request uuid; 404 otherwise."""
    uuid = path_uuid(lock_uuid, "lock request")
    lock = await locks.get_by_uuid(session, uuid)
    if lock is None or lock.expires_at <= utcnow():
        raise NotFound(f"Lock request {uuid!r} not found (released or expired)")
    return lock


async def get_lock(session: AsyncSession, principal: Principal | None, lock_uuid: str) -> LockView:
    require_editorial_action(principal, EditorialAction.LOCKREQUEST_GET)
    return await lock_view(session, await _active_by_uuid(session, lock_uuid))


async def renew(
    unit: Unit, principal: Principal | None, lock_uuid: str, *, ttl: timedelta
) -> LockView:
    """Extend a lock the caller holds (the same as repeating the lock request)."""
    session = unit.session
    who = require_editorial_action(principal, EditorialAction.LOCKREQUEST_CREATE)
    lock = await _active_by_uuid(session, lock_uuid)
    user = await repo.user_of_person(session, who.person_id)
    if user is None or lock.user_id != user.id:
        raise Forbidden("Only the holder of a lock may renew it")
    now = utcnow()
    if not await locks.renew(session, uuid=lock.uuid, user_id=user.id, now=now, expires=now + ttl):
        raise NotFound(f"Lock request {lock.uuid!r} not found (released or expired)")
    return await _outcome(unit, lock.srn, LockChange.RENEWED)


async def release(unit: Unit, principal: Principal | None, lock_uuid: str) -> LockChange:
    """Release the caller's lock, or break somebody else's (``LOCKREQUEST break``); which
    of the two it was (recorded)."""
    session = unit.session
    who = require_editorial_action(principal, EditorialAction.LOCKREQUEST_DELETE)
    lock = await _active_by_uuid(session, lock_uuid)
    view = await lock_view(session, lock)
    own = view.holder is not None and view.holder.person_id == who.person_id
    if not own and not breaks_editorial_locks(who):
        raise Forbidden("This lock is held by another user; only an admin may break it")
    if not await locks.remove(session, lock.uuid):
        raise NotFound(f"Lock request {lock.uuid!r} not found (released or expired)")
    change = LockChange.RELEASED if own else LockChange.BROKEN
    _record(unit, view, change)
    return change


async def announce_expired(unit: Unit) -> list[str]:
    """Announce every lock that has expired and not been announced (``EXPIRED``, to the
    holder and the other ``lockChanged`` subscribers) and delete it; the srns announced.
    No authorization: the expiry scheduler runs it. Safe to run from several processes at
    once: each expired row is deleted by one statement, which one transaction wins."""
    session = unit.session
    now = utcnow()
    announced: list[str] = []
    for row in await locks.expired(session, now, _EXPIRED_BATCH):
        view = await lock_view(session, row)
        if await locks.remove_expired(session, row.uuid, now):
            _record(unit, view, LockChange.EXPIRED)
            announced.append(row.srn)
    return announced


async def require_held(
    session: AsyncSession, principal: Principal, assignment: EditorialAssignment, message: str
) -> None:
    """423 with ``message`` unless the caller holds the assignment's unexpired lock.

    The lock row is read ``FOR UPDATE`` (PostgreSQL), so nobody can take it over while the
    change that relies on it commits."""
    lock = await locks.get(session, assignment_srn(assignment), for_update=True)
    if lock is None or lock.expires_at <= utcnow():
        raise Locked(message)
    user = await repo.user_of_person(session, principal.person_id)
    if user is None or lock.user_id != user.id:
        raise Locked(message)


async def drop_lock(unit: Unit, assignment: EditorialAssignment) -> None:
    """Remove the lock of a deleted assignment, recording its release if there was one."""
    removed = await locks.remove_srn(unit.session, assignment_srn(assignment))
    if removed is not None:
        _record(unit, await lock_view(unit.session, removed), LockChange.RELEASED)
