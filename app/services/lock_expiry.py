"""The expiry scheduler: one task per serving process announces every editorial lock's
expiry (``EXPIRED`` on ``lockChanged``) when it happens, without a job per lock.

It reads the earliest ``expires_at`` of the locks not yet announced, sleeps until then, and
runs ``announce_expired`` in a unit of work (``app/services/editorial_locks.py``), which
deletes each expired row as it records its event: of several processes waking for the
same expiry, one announces it. A lock acquired or renewed anywhere (the broker's lock
events, from every worker with a cross-worker backend) wakes it early to read the earliest
expiry again; ``_LONGEST_SLEEP`` bounds how late a lost wake-up can make an announcement.
The lock itself stops counting at ``expires_at`` whether or not its expiry was announced.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime

from app.events import Event
from app.repositories import editorial_locks as locks
from app.services.background import round_failed
from app.services.editorial_locks import EXPIRY_MOVED, LOCK_TOPIC, announce_expired
from app.services.work import Work
from app.timeutil import as_utc, utcnow

log = logging.getLogger("gateway.locks")

# Seconds: the longest sleep (a wake-up lost with a backend's connection delays an
# announcement at most this long), the pause after a failed round, and how long after an
# expiry the scheduler wakes (a timer may fire a little early).
_LONGEST_SLEEP = 300.0
_RETRY_SECONDS = 5.0
_MARGIN_SECONDS = 0.01


async def _earliest(work: Work) -> datetime | None:
    async with work.db.read() as session:
        found = await locks.earliest_expiry(session)
    return None if found is None else as_utc(found)


async def announce_due(work: Work) -> float:
    """Announce the expiries that are due; seconds until the next one is."""
    earliest = await _earliest(work)
    if earliest is not None and earliest <= utcnow():
        announced = await work.run(announce_expired)
        if announced:
            log.info("announced the expiry of %d editorial locks", len(announced))
        earliest = await _earliest(work)
    if earliest is None:
        return _LONGEST_SLEEP
    wait = (earliest - utcnow()).total_seconds() + _MARGIN_SECONDS
    return min(max(wait, 0.0), _LONGEST_SLEEP)


async def _sleep(queue: asyncio.Queue[Event] | None, seconds: float) -> None:
    """Sleep ``seconds``, or until a lock is acquired or renewed."""
    if queue is None:
        await asyncio.sleep(seconds)
        return
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            while (await queue.get()).kind not in EXPIRY_MOVED:
                pass
    while not queue.empty():  # one read for a burst of changes
        queue.get_nowait()


async def expire_forever(work: Work) -> None:
    """Announce expiries as they happen until cancelled; a failed round is logged and
    retried."""
    async with contextlib.AsyncExitStack() as stack:
        queue: asyncio.Queue[Event] | None = None
        if work.broker is not None:
            queue = await stack.enter_async_context(work.broker.watch(LOCK_TOPIC))
        while True:
            try:
                wait = await announce_due(work)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                round_failed(
                    log, exc, "announcing lock expiries failed; retrying in %s s", _RETRY_SECONDS
                )
                wait = _RETRY_SECONDS
            await _sleep(queue, wait)


def start(work: Work) -> asyncio.Task[None] | None:
    """The scheduler as a background task of a serving process (unless
    ``editorial_lock_expiry_events`` is off)."""
    if not work.settings.editorial_lock_expiry_events:
        return None
    return asyncio.create_task(expire_forever(work), name="lock-expiry")
