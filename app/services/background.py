"""What the gateway's background loops (the outbox relay, the event log, the sweeps, the
deliveries, the lock-expiry scheduler) do when a round fails: log it and try again later.

The database being unavailable is an outage the database module already reports (once a
minute, with how many requests it refused): a loop only notes it at warning level, without
a traceback. Anything else is a bug and is logged with its traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from app.errors import ServiceUnavailable


def round_failed(log: logging.Logger, exc: Exception, message: str, *args: object) -> None:
    """Log a failed round of a background loop (``message % args`` says what and when it
    is retried)."""
    if isinstance(exc, ServiceUnavailable):
        log.warning(message + " (the database is unavailable)", *args)
    else:
        log.error(message, *args, exc_info=exc)


async def repeat(
    log: logging.Logger, what: str, interval: float, one_round: Callable[[], Awaitable[None]]
) -> None:
    """``one_round()`` every ``interval`` seconds until cancelled; a failed round is
    logged (``round_failed``) and the next tick tries again."""
    while True:
        try:
            await one_round()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            round_failed(log, exc, "%s failed; retrying in %s s", what, interval)
        await asyncio.sleep(interval)


def start_repeating(
    log: logging.Logger, what: str, interval: float, one_round: Callable[[], Awaitable[None]]
) -> asyncio.Task[None] | None:
    """``repeat`` as a background task of a serving process; None when ``interval`` is 0
    (the loop is off)."""
    if interval <= 0:
        return None
    return asyncio.create_task(repeat(log, what, interval, one_round), name=what)


async def stop(task: asyncio.Task[None] | None) -> None:
    """Cancel a background task (None: there is none) and wait until it has ended."""
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
