"""The milestone catalogue: definitions (type, threshold, name, badge) are data.

Everyone signed in may read the catalogue; only admins add or change definitions. A
definition's type and threshold never change once created (records refer to them): to
move a threshold, add a new definition and retire the old one (``active = false``).
Retired definitions keep their records but take part in no new detection.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import Principal, Role
from app.errors import Conflict, FieldError, InvalidInput, NotFound
from app.ids import new_id
from app.models.milestones import MilestoneDefinition, MilestoneType
from app.repositories import milestones as repo
from app.services.milestone_badges import GENERIC, available_badges, badge_exists
from app.services.milestone_reads import MilestoneDefinitionRecord
from app.services.policy import require_principal, require_role
from app.services.work import Unit
from app.timeutil import utcnow

MAX_THRESHOLD = 1_000_000


@dataclass(frozen=True, slots=True)
class CatalogueEntry:
    id: str
    type: str
    threshold: int
    name: str
    badge: str


def _defaults() -> tuple[CatalogueEntry, ...]:
    entries: list[CatalogueEntry] = []
    for threshold in (10, 50, 100, 300, 500, 1000):
        entries.append(
            CatalogueEntry(
                f"msd_hours_{threshold}",
                MilestoneType.HOURS_LOGGED,
                threshold,
                f"{threshold} Hours Milestone",
                f"{threshold}h",
            )
        )
    for threshold in (5, 10, 25, 50, 100):
        entries.append(
            CatalogueEntry(
                f"msd_contacts_{threshold}",
                MilestoneType.CONTACTS_HELPED,
                threshold,
                f"{threshold} Unique Contacts",
                f"{threshold}contacts",
            )
        )
    for threshold in (10, 50, 100, 250, 500):
        entries.append(
            CatalogueEntry(
                f"msd_activities_{threshold}",
                MilestoneType.ACTIVITIES_LOGGED,
                threshold,
                f"{threshold} Activities Logged",
                f"{threshold}activities",
            )
        )
    return tuple(entries)


DEFAULT_CATALOGUE = _defaults()


def parse_type(field: str, value: str) -> MilestoneType:
    try:
        return MilestoneType(value)
    except ValueError:
        allowed = ", ".join(t.value for t in MilestoneType)
        raise InvalidInput.field(
            field, f"unknown milestone type {value!r}; use {allowed}"
        ) from None


def _check(errors: list[FieldError], name: str | None, badge: str | None) -> None:
    if name is not None and not (1 <= len(name.strip()) <= 200):
        errors.append(FieldError("name", "must be 1 to 200 characters"))
    if badge is not None and not badge_exists(badge):
        errors.append(
            FieldError("badge", f"no badge image {badge!r}; available: {available_badges()}")
        )


async def list_definitions(
    session: AsyncSession, principal: Principal | None, *, include_inactive: bool = False
) -> list[MilestoneDefinitionRecord]:
    require_principal(principal)
    rows = await repo.definition_rows(session, include_inactive=include_inactive)
    return [MilestoneDefinitionRecord.of(row) for row in rows]


async def _definition(session: AsyncSession, definition_id: str) -> MilestoneDefinition:
    row = await repo.get_definition(session, definition_id)
    if row is None:
        raise NotFound(f"Milestone definition {definition_id!r} not found")
    return row


async def create_definition(
    unit: Unit,
    principal: Principal | None,
    *,
    type: str,
    threshold: int,
    name: str,
    badge: str | None = None,
    active: bool = True,
) -> MilestoneDefinitionRecord:
    session = unit.session
    require_role(principal, Role.ADMIN)
    kind = parse_type("type", type)
    errors: list[FieldError] = []
    if not (1 <= threshold <= MAX_THRESHOLD):
        errors.append(FieldError("threshold", f"must be between 1 and {MAX_THRESHOLD}"))
    _check(errors, name, badge)
    InvalidInput.raise_if_any(errors)
    if await repo.definition_for(session, kind, threshold) is not None:
        raise Conflict(f"A {kind.value} milestone with threshold {threshold} already exists")
    row = MilestoneDefinition(
        id=new_id("msd"),
        type=kind.value,
        threshold=threshold,
        name=name.strip(),
        badge=badge or GENERIC[kind.value],
        active=active,
    )
    session.add(row)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        raise Conflict(
            f"A {kind.value} milestone with threshold {threshold} already exists"
        ) from None
    return MilestoneDefinitionRecord.of(row)


async def update_definition(
    unit: Unit,
    principal: Principal | None,
    definition_id: str,
    *,
    name: str | None = None,
    badge: str | None = None,
    active: bool | None = None,
) -> MilestoneDefinitionRecord:
    session = unit.session
    require_role(principal, Role.ADMIN)
    row = await _definition(session, definition_id)
    errors: list[FieldError] = []
    _check(errors, name, badge)
    InvalidInput.raise_if_any(errors)
    if name is not None:
        row.name = name.strip()
    if badge is not None:
        row.badge = badge
    if active is not None:
        row.active = active
    row.updated_at = utcnow()
    await session.flush()
    return MilestoneDefinitionRecord.of(row)
