"""What the gateway's background loops (the outbox relay, the event log, the sweeps, the
deliveries, the lock-expiry scheduler) do when a round fails: log it and try again later.

The database being unavailable is an outage the database module already reports (once a
minute, with how many requests it refused): a loop only notes it at warning level, without
a traceback. Anything else is a bug and is logged with its traceback.
"""

from __future__ import annotations

import logging

from app.errors import ServiceUnavailable


def round_failed(log: logging.Logger, exc: Exception, message: str, *args: object) -> None:
    """Log a failed round of a background loop (``message % args`` says what and when it
    is retried)."""
    if isinstance(exc, ServiceUnavailable):
        log.warning(message + " (the database is unavailable)", *args)
    else:
        log.error(message, *args, exc_info=exc)
