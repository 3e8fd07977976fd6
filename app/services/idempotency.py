"""``Idempotency-Key`` (the IETF httpapi draft): a write that carries a key runs once per
caller and key; a retry gets the first outcome again instead of repeating the effect.

``once`` runs the request inside one unit of work (``app/services/work.py``) that first
takes the key, then runs the request's use cases (each a savepoint of it), then stores the
outcome (status, headers, body) in the same transaction as the effect. So after a crash
between commit and answer, the retry replays the stored answer; after a crash before the
commit, nothing happened and the retry runs the request. Rules (docs/decisions.md):

- the same key with another request (method, path, body: the fingerprint) is 422;
- a retry while the first request is still running waits for it (PostgreSQL: on the key's
  row; SQLite: on the write lock), then replays its outcome or, if it failed, runs;
- only a request that changed something is stored: a refused or failed request left no
  effect, and its retry runs again;
- outcomes expire after ``idempotency_ttl_seconds`` (default 24 h) and are purged.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.exc import IntegrityError

from app.errors import BadRequest, Conflict, InvalidInput
from app.models.outbox import IdempotentOutcome
from app.repositories import outbox as repo
from app.services.work import Work
from app.timeutil import as_utc, utcnow

HEADER = "Idempotency-Key"
# The header a replayed answer carries.
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
# The answer headers stored with an outcome (the rest describe the connection).
_KEPT_HEADERS = frozenset({"content-type", "etag", "location", "retry-after"})
_KEY = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]{1,255}")


@dataclass(frozen=True, slots=True)
class Claim:
    """Who sent which key with which request."""

    caller: str
    key: str
    fingerprint: str


@dataclass(frozen=True, slots=True)
class Reply:
    """An answer as it is stored and replayed."""

    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    replayed: bool = False


def parse_key(raw: str | None) -> str | None:
    """The key of an ``Idempotency-Key`` header: a structured-field string (``"..."``) or,
    as many clients send it, the bare value; 400 for an empty, too long or non-ASCII one."""
    if raw is None:
        return None
    value = raw.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    if not _KEY.fullmatch(value):
        raise BadRequest(
            f"Header '{HEADER}' must be 1 to {MAX_KEY_LENGTH} printable ASCII characters"
            " without spaces, quotes or backslashes (e.g. a UUID)"
        )
    return value


def fingerprint(method: str, target: str, body: object) -> str:
    """SHA-256 of the method, the path with its query and the parsed body (key order and
    spacing do not count)."""
    # The standard library's encoder: a body may hold any JSON number (orjson refuses
    # integers beyond 64 bits).
    canonical = (
        b"" if body is None else json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    )
    digest = hashlib.sha256(f"{method} {target}\n".encode())
    digest.update(canonical)
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class _Stored:
    fingerprint: str
    reply: Reply

    @classmethod
    def of(cls, row: IdempotentOutcome) -> _Stored:
        return cls(row.fingerprint, Reply(row.status, dict(row.headers), row.body, replayed=True))


class _Replay(Exception):
    def __init__(self, stored: _Stored) -> None:
        self.stored = stored


class _NothingChanged(Exception):
    def __init__(self, reply: Reply) -> None:
        self.reply = reply


def _replay(stored: _Stored, claim: Claim) -> Reply:
    if stored.fingerprint != claim.fingerprint:
        raise InvalidInput(
            f"This {HEADER} was already used with another request; use a new key for a new request"
        )
    if stored.reply.status == 0:  # a twin's row seen before it stored its outcome
        raise Conflict(f"The request with this {HEADER} is still being processed; retry later")
    return stored.reply


async def once(work: Work, claim: Claim, run: Callable[[], Awaitable[Reply]]) -> Reply:
    """``run()``'s answer, stored with its effect; or the stored answer of the first
    request with this caller and key."""
    now = utcnow()
    try:
        async with work.unit() as unit:
            stored = await repo.outcome(unit.session, claim.caller, claim.key)
            if stored is not None and as_utc(stored.expires_at) > now:
                raise _Replay(_Stored.of(stored))
            if stored is not None:
                await repo.forget_outcome(unit.session, claim.caller, claim.key)
            # Take the key before doing anything: a concurrent twin waits on it.
            row = IdempotentOutcome(
                caller=claim.caller,
                key=claim.key,
                fingerprint=claim.fingerprint,
                status=0,
                headers={},
                body=b"",
                created_at=now,
                expires_at=now + timedelta(seconds=work.settings.idempotency_ttl_seconds),
            )
            await repo.store_outcome(unit.session, row)
            changes = unit.changes
            reply = await run()
            if unit.changes == changes:
                raise _NothingChanged(reply)
            row.status = reply.status
            row.headers = {k: v for k, v in reply.headers.items() if k.lower() in _KEPT_HEADERS}
            row.body = reply.body
            await unit.session.flush()
    except _Replay as replay:
        return _replay(replay.stored, claim)
    except _NothingChanged as unchanged:
        return unchanged.reply
    except IntegrityError:
        # A twin with this key committed first (PostgreSQL): answer as its retry would.
        async with work.db.read() as session:
            found = await repo.outcome(session, claim.caller, claim.key)
            twin = None if found is None else _Stored.of(found)
        if twin is None:
            raise
        return _replay(twin, claim)
    return reply
