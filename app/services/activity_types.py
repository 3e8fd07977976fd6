"""The activity-type catalogue: everyone signed in may read it, admins manage it.

A type is never deleted (activities refer to it); an admin retires it with
``active = False``, after which new activities may not use it.
"""

from __future__ import annotations

import re

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import Principal, Role
from app.errors import Conflict, FieldError, InvalidInput
from app.models.activities import ActivityType
from app.repositories import activities as repo
from app.services.activity_reads import ActivityTypeRecord, activity_types_by_ids
from app.services.policy import hide_unless, require_principal, require_role
from app.services.work import Unit
from app.timeutil import utcnow

TYPE_ID = re.compile(r"^type_[a-z0-9_]{1,59}\Z")
UNSET: object = object()
MAX_DESCRIPTION = 1000


def _check(errors: list[FieldError], name: str | None, description: str | object | None) -> None:
    if name is not None and not (1 <= len(name.strip()) <= 200):
        errors.append(FieldError("name", "must be 1 to 200 characters"))
    if isinstance(description, str) and len(description) > MAX_DESCRIPTION:
        errors.append(FieldError("description", f"must be at most {MAX_DESCRIPTION} characters"))


async def _name_taken(session: AsyncSession, name: str, but: str | None = None) -> None:
    other = await repo.activity_type_named(session, name.strip())
    if other is not None and other.id != but:
        raise Conflict(f"An activity type named {other.name!r} already exists ({other.id})")


async def list_types(
    session: AsyncSession, principal: Principal | None, *, include_inactive: bool = False
) -> list[ActivityTypeRecord]:
    require_principal(principal)
    rows = await repo.list_activity_types(session, include_inactive=include_inactive)
    return [ActivityTypeRecord.of(row) for row in rows]


async def get_type(
    session: AsyncSession, principal: Principal | None, type_id: str
) -> ActivityTypeRecord:
    who = require_principal(principal)
    (record,) = await activity_types_by_ids(session, who, [type_id])
    hide_unless(record is not None, "Activity type", type_id)
    assert record is not None
    return record


async def create_type(
    unit: Unit,
    principal: Principal | None,
    *,
    type_id: str,
    name: str,
    description: str | None = None,
    active: bool = True,
) -> ActivityTypeRecord:
    require_role(principal, Role.ADMIN)
    session = unit.session
    errors: list[FieldError] = []
    if not TYPE_ID.match(type_id):
        errors.append(
            FieldError("id", "must be 'type_' and 1-59 lower-case letters, digits or '_'")
        )
    _check(errors, name, description)
    InvalidInput.raise_if_any(errors)
    if await repo.get_activity_type(session, type_id) is not None:
        raise Conflict(f"Activity type {type_id!r} already exists")
    await _name_taken(session, name)
    row = ActivityType(id=type_id, name=name.strip(), description=description, active=active)
    session.add(row)
    await session.flush()
    return ActivityTypeRecord.of(row)


async def update_type(
    unit: Unit,
    principal: Principal | None,
    type_id: str,
    *,
    name: str | None = None,
    description: str | object | None = UNSET,
    active: bool | None = None,
) -> ActivityTypeRecord:
    require_role(principal, Role.ADMIN)
    session = unit.session
    row = await repo.get_activity_type(session, type_id)
    hide_unless(row is not None, "Activity type", type_id)
    assert row is not None
    errors: list[FieldError] = []
    _check(errors, name, description)
    InvalidInput.raise_if_any(errors)
    if name is not None and name.strip() != row.name:
        await _name_taken(session, name, but=type_id)
        row.name = name.strip()
    if description is not UNSET:
        row.description = description if isinstance(description, str) else None
    if active is not None:
        row.active = active
    row.updated_at = utcnow()
    await session.flush()
    return ActivityTypeRecord.of(row)


async def require_usable_type(session: AsyncSession, field: str, type_id: str) -> ActivityType:
    """The type for a new or changed activity: 422 naming ``field`` when it is unknown or
    retired."""
    row = await repo.get_activity_type(session, type_id)
    if row is None:
        raise InvalidInput.field(field, f"unknown activity type {type_id!r}")
    if not row.active:
        raise InvalidInput.field(field, f"activity type {type_id!r} is retired")
    return row
