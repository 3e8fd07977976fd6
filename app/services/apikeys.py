"""API keys: created and revoked by admins, scoped to one role and some organisations.

A key reads ``gwk_<id>.<secret>``; the id finds the row, the secret is compared with its
stored SHA-256 in constant time (keys are 256-bit random, so a plain hash is enough).
Creating and revoking a key are use cases run in a unit of work (``app/services/work.py``);
they record no change events.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import API_KEY_PREFIX, Principal, Role, api_key_digest
from app.errors import FieldError, InvalidInput, NotFound
from app.ids import new_id
from app.models.apikeys import ApiKey
from app.models.people import Person
from app.services.policy import require_role
from app.services.work import Unit
from app.timeutil import utcnow


@dataclass(frozen=True, slots=True)
class ApiKeyRecord:
    """An API key as every door shows it (never its secret or digest)."""

    id: str
    name: str
    person_id: str
    role: str
    orgs: tuple[str, ...]
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, row: ApiKey) -> ApiKeyRecord:
        return cls(
            id=row.id,
            name=row.name,
            person_id=row.person_id,
            role=row.role,
            orgs=tuple(row.orgs),
            created_at=row.created_at,
            expires_at=row.expires_at,
            revoked_at=row.revoked_at,
        )


@dataclass(frozen=True, slots=True)
class IssuedKey:
    row: ApiKeyRecord
    key: str


async def create_key(
    unit: Unit,
    principal: Principal | None,
    *,
    name: str,
    person_id: str,
    role: str,
    orgs: list[str],
    expires_at: datetime | None = None,
) -> IssuedKey:
    require_role(principal, Role.ADMIN)
    errors: list[FieldError] = []
    if not 1 <= len(name.strip()) <= 200:
        errors.append(FieldError("name", "must be 1 to 200 characters"))
    if role not in {r.value for r in Role}:
        errors.append(FieldError("role", f"unknown role {role!r}"))
    session = unit.session
    if await session.scalar(select(Person.id).where(Person.id == person_id)) is None:
        errors.append(FieldError("person_id", f"unknown person {person_id!r}"))
    if expires_at is not None and expires_at <= utcnow():
        errors.append(FieldError("expires_at", "must lie in the future"))
    InvalidInput.raise_if_any(errors)
    key_id = new_id("key")
    secret = secrets.token_urlsafe(32)
    row = ApiKey(
        id=key_id,
        name=name.strip(),
        person_id=person_id,
        role=role,
        orgs=sorted(set(orgs)),
        secret_sha256=api_key_digest(secret),
        expires_at=expires_at,
    )
    session.add(row)
    await session.flush()
    return IssuedKey(ApiKeyRecord.of(row), f"{API_KEY_PREFIX}{key_id}.{secret}")


async def revoke_key(unit: Unit, principal: Principal | None, key_id: str) -> ApiKeyRecord:
    require_role(principal, Role.ADMIN)
    row = await unit.session.get(ApiKey, key_id)
    if row is None:
        raise NotFound(f"API key {key_id!r} not found")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        await unit.session.flush()
    return ApiKeyRecord.of(row)


async def list_keys(session: AsyncSession, principal: Principal | None) -> list[ApiKeyRecord]:
    require_role(principal, Role.ADMIN)
    rows = await session.scalars(select(ApiKey).order_by(ApiKey.created_at))
    return [ApiKeyRecord.of(row) for row in rows.all()]
