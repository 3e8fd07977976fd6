"""Who is asking: principals from bearer tokens (JWT, HS256 by default) or API keys.

Claims: ``sub`` (person id), ``roles`` (list), ``orgs`` (organisation ids), plus the
standard ``iat``/``exp``/``iss``/``aud``. A token for a person who no longer exists in the
directory is refused. Permission checks live in ``app.services.authz``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from pathlib import Path

import jwt
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import Database
from app.errors import Unauthenticated
from app.logs import bind
from app.models.apikeys import ApiKey
from app.repositories.people import person_exists
from app.settings import ConfigurationError, Settings
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


def secret_file_for(settings: Settings) -> Path:
    """Where the generated development secret lives: beside the SQLite file, else the cwd."""
    if settings.is_sqlite:
        db_path = settings.database_url.split(":///", 1)[1]
        if db_path and db_path != ":memory:":
            return Path(db_path).with_name(Path(db_path).name + ".jwt-secret")
    return Path(".gateway.jwt-secret")


def jwt_secret(settings: Settings) -> str:
    if settings.jwt_secret is not None:
        return settings.jwt_secret.get_secret_value()
    if settings.is_production:
        raise ConfigurationError("GATEWAY_JWT_SECRET must be set when GATEWAY_ENV=production")
    path = secret_file_for(settings)
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value


class TokenService:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._secret = jwt_secret(settings)

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
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[self._settings.jwt_algorithm],
                audience=self._settings.jwt_audience,
                issuer=self._settings.jwt_issuer,
                options={"require": ["sub", "exp", "iat"]},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("Token has expired") from None
        except jwt.PyJWTError:
            raise Unauthenticated("Invalid token") from None
        roles, orgs = claims.get("roles", []), claims.get("orgs", [])
        if (
            not isinstance(claims["sub"], str)
            or not isinstance(roles, list)
            or not isinstance(orgs, list)
        ):
            raise Unauthenticated("Invalid token claims")
        try:
            parsed_roles = frozenset(Role(r) for r in roles)
        except ValueError:
            raise Unauthenticated("Invalid token claims: unknown role") from None
        return Principal(claims["sub"], parsed_roles, frozenset(str(o) for o in orgs))


async def principal_for_key(session: AsyncSession, key: str) -> Principal:
    """The principal an ``X-API-Key`` (``gwk_<id>.<secret>``) stands for; the secret is
    compared with its stored SHA-256 in constant time."""
    key_id, dot, secret = key.removeprefix(API_KEY_PREFIX).partition(".")
    if not key.startswith(API_KEY_PREFIX) or not dot or len(key) > 200:
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


async def authenticate(
    authorization: str | None,
    tokens: TokenService,
    db: Database,
    api_key: str | None = None,
) -> Principal | None:
    """The principal of a request (bearer token, else ``X-API-Key``), ``None`` when no
    credentials were sent. Raises ``Unauthenticated`` for credentials that are not valid.
    """
    token = bearer_token(authorization)
    if token is None:
        if not api_key:
            return None
        async with db.read() as session:
            principal = await principal_for_key(session, api_key)
    else:
        principal = tokens.decode(token)
    async with db.read() as session:
        found = await person_exists(session, principal.person_id)
    if not found:
        raise Unauthenticated("The token's person does not exist")
    bind(principal=principal.person_id)
    return principal
