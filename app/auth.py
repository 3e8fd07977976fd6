"""Who is asking: principals from bearer tokens (JWT, HS256 by default) or API keys.

Claims: ``sub`` (person id), ``roles`` (list), ``orgs`` (organisation ids), plus the
standard ``iat``/``exp``/``iss``/``aud``. A token for a person who no longer exists in the
directory is refused. Permission checks live in ``app.services.policy``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import sys
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

import jwt
from sqlalchemy import make_url
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import HTTPConnection

from app.db import Database
from app.errors import Unauthenticated
from app.ids import EXTERNAL_ID_RULE, is_valid_external_id
from app.logs import bind
from app.models.apikeys import ApiKey
from app.repositories.people import person_exists
from app.settings import HMAC_KEY_BYTES, ConfigurationError, Settings, require_secret_bytes
from app.timeutil import utcnow

API_KEY_PREFIX = "gwk_"


class Role(StrEnum):
    ADMIN = "admin"
    COORDINATOR = "coordinator"
    PEER_MENTOR = "peer_mentor"
    EDITOR = "editor"


@dataclass(frozen=True, slots=True)
class Principal:
    person_id: str
    roles: frozenset[Role] = field(default_factory=frozenset)
    orgs: frozenset[str] = field(default_factory=frozenset)

    def has(self, *roles: Role) -> bool:
        return any(role in self.roles for role in roles)

    @property
    def is_admin(self) -> bool:
        return Role.ADMIN in self.roles


def secret_file_for(settings: Settings) -> Path | None:
    """Where the generated development secret lives, anchored to the database so every
    process using it (whatever its working directory) signs alike: ``GATEWAY_JWT_SECRET_FILE``
    when set; else beside the SQLite file (``<database>.jwt-secret``); for PostgreSQL
    ``$XDG_STATE_HOME/gateway/<host>-<port>-<database>.jwt-secret`` (``~/.local/state`` when
    unset). ``None`` for an in-memory SQLite database: its secret lives as long as it does."""
    if settings.jwt_secret_file is not None:
        return settings.jwt_secret_file.expanduser().absolute()
    url = make_url(settings.database_url)
    if settings.is_sqlite:
        if not url.database or url.database == ":memory:":
            return None
        database = Path(url.database).expanduser().absolute()
        return database.with_name(database.name + ".jwt-secret")
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    name = f"{url.host or 'localhost'}-{url.port or 5432}-{url.database or 'postgres'}"
    return Path(state).absolute() / "gateway" / (_UNSAFE_FILE_CHARS.sub("_", name) + ".jwt-secret")


_UNSAFE_FILE_CHARS = re.compile(r"[^A-Za-z0-9._-]")
_IN_MEMORY_SECRETS: dict[str, str] = {}


def jwt_secret(settings: Settings) -> str:
    if settings.jwt_secret is not None:
        return settings.jwt_secret.get_secret_value()
    if settings.is_production:
        raise ConfigurationError("GATEWAY_JWT_SECRET must be set when GATEWAY_ENV=production")
    path = secret_file_for(settings)
    if path is None:
        return _IN_MEMORY_SECRETS.setdefault(settings.database_url, secrets.token_urlsafe(48))
    value = _read_or_create_secret(path)
    try:
        require_secret_bytes(
            f"The development JWT secret in {path} (for {settings.jwt_algorithm})",
            value,
            HMAC_KEY_BYTES[settings.jwt_algorithm],
        )
    except ValueError as exc:
        raise ConfigurationError(f"{exc}, or delete the file to have one generated") from None
    return value


def _read_or_create_secret(path: Path) -> str:
    """The secret in ``path``; a new random one when there is none, said once on stderr.
    The file appears complete or not at all (written aside, then linked into place), so
    workers starting together agree on one secret."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    try:
        os.link(draft, path)
    except FileExistsError:
        return path.read_text().strip()  # another process created it first
    finally:
        draft.unlink()
    print(
        f"gateway: created a development JWT secret in {path}; every gateway command and "
        "server using this database signs tokens with it (GATEWAY_JWT_SECRET overrides it)",
        file=sys.stderr,
    )
    return value


VERIFIED_TOKENS = 4096  # tokens whose verification a process remembers


class TokenService:
    """Issues and verifies the gateway's JWTs. A token verified once is remembered (its
    exact text, bounded, oldest forgotten first) with its principal and expiry, so a
    client's next requests skip the signature and claims checks; the expiry is checked on
    every use, as PyJWT checks it (expired at ``exp``)."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._secret = jwt_secret(settings)
        self._verified: OrderedDict[str, tuple[Principal, int]] = OrderedDict()

    def issue(
        self,
        sub: str,
        roles: list[str] | tuple[str, ...],
        orgs: list[str] | tuple[str, ...] = (),
        ttl: timedelta | None = None,
    ) -> str:
        now = utcnow()
        ttl = ttl or timedelta(seconds=self._settings.token_ttl_seconds)
        claims = {
            "sub": sub,
            "roles": [Role(r).value for r in roles],
            "orgs": list(orgs),
            "iat": now,
            "exp": now + ttl,
            "iss": self._settings.jwt_issuer,
            "aud": self._settings.jwt_audience,
        }
        return jwt.encode(claims, self._secret, algorithm=self._settings.jwt_algorithm)

    def decode(self, token: str) -> Principal:
        found = self._verified.get(token)
        if found is not None:
            principal, expires = found
            if time.time() < expires:
                return principal
            del self._verified[token]  # expired: the full check below says so
        principal, expires = self._verify(token)
        self._verified[token] = (principal, expires)
        if len(self._verified) > VERIFIED_TOKENS:
            self._verified.popitem(last=False)
        return principal

    def _verify(self, token: str) -> tuple[Principal, int]:
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[self._settings.jwt_algorithm],
                audience=self._settings.jwt_audience,
                issuer=self._settings.jwt_issuer,
                # sub is checked with the other claims below (one rule, one reason).
                options={"require": ["sub", "exp", "iat"], "verify_sub": False},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("Token has expired") from None
        except jwt.PyJWTError:
            raise Unauthenticated("Invalid token") from None
        return _principal(claims), int(claims["exp"])


def _identifier(value: object, claim: str) -> str:
    """A person or organisation id from a claim, held to the rule ids are created under
    (so NUL, surrogates or 10,000 characters never reach the database)."""
    if not isinstance(value, str) or not is_valid_external_id(value):
        raise Unauthenticated(f"Invalid token claims: {claim} {EXTERNAL_ID_RULE}")
    return value


def _principal(claims: dict[str, Any]) -> Principal:
    """The principal a verified token's claims describe; 401 with the reason when a claim is
    not what :meth:`TokenService.issue` writes (the database never sees such a value)."""
    roles, orgs = claims.get("roles", []), claims.get("orgs", [])
    for name, value in (("roles", roles), ("orgs", orgs)):
        if not isinstance(value, list):
            raise Unauthenticated(f"Invalid token claims: {name} must be a list")
    sub = _identifier(claims["sub"], "sub")
    try:
        parsed_roles = frozenset(Role(r) for r in roles)
    except ValueError:
        raise Unauthenticated("Invalid token claims: unknown role") from None
    return Principal(sub, parsed_roles, frozenset(_identifier(o, "each of orgs") for o in orgs))


async def principal_for_key(session: AsyncSession, key: str) -> Principal:
    """The principal an ``X-API-Key`` (``gwk_<id>.<secret>``) stands for; the secret is
    compared with its stored SHA-256 in constant time."""
    key_id, dot, secret = key.removeprefix(API_KEY_PREFIX).partition(".")
    if (
        not key.startswith(API_KEY_PREFIX)
        or not dot
        or len(key) > 200
        or not is_valid_external_id(key_id)
    ):
        raise Unauthenticated("Invalid API key")
    row = await session.get(ApiKey, key_id)
    valid = (
        row is not None
        and hmac.compare_digest(row.secret_sha256, api_key_digest(secret))
        and row.revoked_at is None
        and (row.expires_at is None or row.expires_at > utcnow())
    )
    if not valid or row is None:
        raise Unauthenticated("Invalid, revoked or expired API key")
    return Principal(row.person_id, frozenset({Role(row.role)}), frozenset(row.orgs))


def api_key_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header; raises on other schemes."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("Use an Authorization: Bearer <token> header")
    return token.strip()


class KnownPeople:
    """The people authentication has found in the directory, remembered for ``ttl`` seconds
    (``auth_cache_seconds``; at most ``size`` of them) so a caller's requests need not look
    them up each time. A deletion takes effect at once all the same: the broker tells
    :meth:`forget` of every ``person/deleted`` event when it is published, in the deleting
    process before the write answers, and in every other worker as soon as the event
    reaches it (``redis`` and ``postgres`` events backends); ``ttl`` bounds the rest (a
    deletion no broker carried). A look-up that overlapped a deletion is not remembered."""

    def __init__(
        self, ttl: float, size: int = 10_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl, self._size, self._clock = ttl, size, clock
        self._until: OrderedDict[str, float] = OrderedDict()
        self._forgotten = 0  # deletions heard so far

    def remembers(self, person_id: str) -> bool:
        until = self._until.get(person_id)
        return until is not None and until > self._clock()

    async def exists(self, session: AsyncSession, person_id: str) -> bool:
        if self.remembers(person_id):
            return True
        forgotten = self._forgotten
        found = await person_exists(session, person_id)
        if found and self._ttl > 0 and forgotten == self._forgotten:
            self._until[person_id] = self._clock() + self._ttl
            self._until.move_to_end(person_id)
            if len(self._until) > self._size:
                self._until.popitem(last=False)
        return found

    def forget(self, person_id: str) -> None:
        """``person_id`` was deleted (the app calls this for every ``person/deleted`` event
        its broker hears, ``app/main.py``)."""
        self._forgotten += 1
        self._until.pop(person_id, None)

    def forget_all(self) -> None:
        """Forget everyone (people were removed behind the gateway's back: restored backup,
        emptied tables)."""
        self._forgotten += 1
        self._until.clear()


async def authenticate(
    authorization: str | None,
    tokens: TokenService,
    db: Database,
    api_key: str | None,
    known: KnownPeople,
) -> Principal | None:
    """The principal of a request (bearer token, else ``X-API-Key``), ``None`` when no
    credentials were sent. Raises ``Unauthenticated`` for credentials that are not valid.
    ``known`` remembers who exists (the app's, ``app.state.known_people``).
    """
    token = bearer_token(authorization)
    if token is None and not api_key:
        return None
    if token is not None:
        principal = tokens.decode(token)
        found = known.remembers(principal.person_id)
        if not found:
            async with db.read() as session:
                found = await known.exists(session, principal.person_id)
    else:
        assert api_key is not None
        async with db.read() as session:  # one session for the key and its person
            principal = await principal_for_key(session, api_key)
            found = await known.exists(session, principal.person_id)
    if not found:
        raise Unauthenticated("The token's person does not exist")
    bind(principal=principal.person_id)
    return principal


async def authenticate_connection(
    connection: HTTPConnection, authorization: object, api_key: str | None = None
) -> Principal | None:
    """:func:`authenticate` for a request or WebSocket of the app (``authorization`` as the
    client sent it: a header, or a ``connection_init`` parameter of any JSON type). A
    failure counts against the client's budget of failed authentications and answers
    ``RateLimited`` (429) instead of ``Unauthenticated`` once that is spent; valid
    credentials always pass."""
    state = connection.app.state
    try:
        if authorization is not None and not isinstance(authorization, str):
            raise Unauthenticated("The Authorization connection parameter must be a string")
        return await authenticate(
            authorization, state.tokens, state.db, api_key, state.known_people
        )
    except Unauthenticated:
        await count_failed_authentication(connection)
        raise


async def count_failed_authentication(connection: HTTPConnection) -> None:
    """Count one failed authentication of the client (raises ``RateLimited`` when its budget
    is spent); a no-op when rate limits are off."""
    limiter = connection.app.state.rate_limiter
    if limiter is not None:
        await limiter.failed_authentication(connection.scope)
