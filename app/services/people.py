"""People, organisations and memberships: the directory's use cases.

Every use case answers records of the read model (``app/services/people_reads.py``), never
ORM objects. Who may see or change what is decided by the people rules of
``app/services/policy.py``: admins see everyone; a coordinator sees the people of their
organisations; everyone sees themselves. Only admins create or delete people and
organisations; a coordinator may set the follow-up thresholds of their own organisations.

The write use cases take a unit of work (``app/services/work.py``); creating, changing and
deleting a person records its ``person`` change event (keyed by the person's id) there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import Principal, Role
from app.errors import BadRequest, Conflict, FieldError, InvalidInput, NotFound
from app.events import EventKind
from app.ids import EXTERNAL_ID_RULE, is_valid_external_id
from app.listing import Filter, Sort
from app.models.people import Membership, Organisation, Person
from app.pagination import Paged, PageRequest
from app.repositories import people as repo
from app.services import people_reads as reads
from app.services.people_reads import MembershipRecord, OrgRecord, PeopleList, PersonRecord
from app.services.policy import (
    changes_organisation,
    changes_person,
    full_people_scope,
    hide_unless,
    require_principal,
    require_role,
    sees_organisation,
    sees_person_in_full,
)
from app.services.work import Unit
from app.settings import Settings
from app.timeutil import utcnow

PERSON_ROLES = frozenset({"admin", "coordinator", "peer_mentor", "editor", "mentee"})
MAX_EMAIL = 320
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+\Z")
UNSET: object = object()


@dataclass(frozen=True, slots=True)
class Thresholds:
    reminder_days: int
    escalation_days: int


class HasThresholds(Protocol):
    @property
    def reminder_days(self) -> int | None: ...
    @property
    def escalation_days(self) -> int | None: ...


def thresholds_for(org: HasThresholds | None, settings: Settings) -> Thresholds:
    """Follow-up thresholds of an organisation, falling back to the configured defaults."""
    reminder = (org.reminder_days if org else None) or settings.reminder_days
    escalation = (org.escalation_days if org else None) or settings.escalation_days
    return Thresholds(reminder, max(escalation, reminder))


def _check_text(errors: list[FieldError], field: str, value: str | None, limit: int) -> None:
    if value is not None and not (1 <= len(value.strip()) <= limit):
        errors.append(FieldError(field, f"must be 1 to {limit} characters"))


def _check_person_fields(
    errors: list[FieldError], name: str | None, email: str | None, roles: list[str] | None
) -> None:
    _check_text(errors, "name", name, 200)
    if email is not None and (len(email) > 320 or not _EMAIL.match(email)):
        errors.append(FieldError("email", "is not an email address"))
    if roles is not None:
        unknown = sorted(set(roles) - PERSON_ROLES)
        if unknown:
            errors.append(
                FieldError("roles", f"unknown roles {unknown}; use {sorted(PERSON_ROLES)}")
            )


async def can_see_person(session: AsyncSession, principal: Principal, person_id: str) -> bool:
    """``policy.sees_person_in_full`` for a person whose organisations are loaded here
    (whether the person exists is not asked)."""
    if sees_person_in_full(principal, person_id, ()):
        return True
    if not full_people_scope(principal).org_ids:
        return False  # no organisation of the person could let the caller see them
    return sees_person_in_full(principal, person_id, await repo.org_ids_of(session, person_id))


async def get_person(
    session: AsyncSession, principal: Principal | None, person_id: str
) -> PersonRecord:
    """The person in full, or 404 when they do not exist or the caller may not open them."""
    who = require_principal(principal)
    person = await reads.person_in_full(session, who, person_id)
    hide_unless(person is not None, "Person", person_id)
    assert person is not None
    return person


async def _visible_person(session: AsyncSession, who: Principal, person_id: str) -> Person:
    """The person to change, or 404 as ``get_person`` answers."""
    person = await repo.get_person(session, person_id)
    hide_unless(
        person is not None and await can_see_person(session, who, person_id), "Person", person_id
    )
    assert person is not None
    return person


async def list_people(
    session: AsyncSession,
    principal: Principal | None,
    page: PageRequest,
    *,
    org_id: str | None = None,
    search: str | None = None,
    role: str | None = None,
    where: Filter | None = None,
    sort: Sort = (),
) -> Paged[PersonRecord]:
    """The people the caller may list (``policy.listed_people``), matching ``where``, by
    name (or in ``sort``)."""
    who = require_principal(principal)
    if role is not None and role not in PERSON_ROLES:
        raise BadRequest(f"'role' must be one of {', '.join(sorted(PERSON_ROLES))}")
    filters = PeopleList(search, role, where=where, sort=sort)
    return await reads.people_page(session, who, filters, page, org_id=org_id)


async def create_person(
    unit: Unit,
    principal: Principal | None,
    *,
    person_id: str,
    name: str,
    email: str | None = None,
    roles: list[str] | None = None,
) -> PersonRecord:
    require_role(principal, Role.ADMIN)
    errors: list[FieldError] = []
    if not is_valid_external_id(person_id):
        errors.append(FieldError("id", EXTERNAL_ID_RULE))
    _check_person_fields(errors, name, email, roles)
    InvalidInput.raise_if_any(errors)
    session = unit.session
    existing = await session.get(Person, person_id)
    if existing is not None:
        raise Conflict(f"Person {person_id!r} already exists")
    person = Person(id=person_id, name=name.strip(), email=email, roles=sorted(set(roles or [])))
    session.add(person)
    await session.flush()
    unit.record(EventKind.PERSON_CREATED, person.id)
    return PersonRecord.of(person)


async def update_person(
    unit: Unit,
    principal: Principal | None,
    person_id: str,
    *,
    name: str | None = None,
    email: str | object | None = UNSET,
    roles: list[str] | None = None,
) -> PersonRecord:
    who = require_principal(principal)
    person = await _visible_person(unit.session, who, person_id)
    if not changes_person(who, person_id, roles=roles is not None):
        require_role(who, Role.ADMIN)
    errors: list[FieldError] = []
    _check_person_fields(errors, name, email if isinstance(email, str) else None, roles)
    InvalidInput.raise_if_any(errors)
    if name is not None:
        person.name = name.strip()
    if email is not UNSET:
        person.email = email if isinstance(email, str) else None
    if roles is not None:
        person.roles = sorted(set(roles))
    person.updated_at = utcnow()
    await unit.session.flush()
    unit.record(EventKind.PERSON_UPDATED, person.id)
    return PersonRecord.of(person)


async def delete_person(unit: Unit, principal: Principal | None, person_id: str) -> None:
    require_role(principal, Role.ADMIN)
    person = await repo.get_person(unit.session, person_id)
    hide_unless(person is not None, "Person", person_id)
    assert person is not None
    person.deleted_at = utcnow()
    await unit.session.flush()
    unit.record(EventKind.PERSON_DELETED, person_id)


async def get_org(session: AsyncSession, principal: Principal | None, org_id: str) -> OrgRecord:
    """The organisation, or 404 when it does not exist or the caller may not open it
    (``policy.sees_organisation``)."""
    who = require_principal(principal)
    org = (await reads.orgs_seen_by_ids(session, who, [org_id]))[0]
    hide_unless(org is not None, "Organisation", org_id)
    assert org is not None
    return org


async def list_orgs(
    session: AsyncSession,
    principal: Principal | None,
    page: PageRequest,
    *,
    where: Filter | None = None,
    sort: Sort = (),
) -> Paged[OrgRecord]:
    """The organisations the caller may open, matching ``where``, by name (or in ``sort``)."""
    return await reads.orgs_page(
        session, require_principal(principal), page, where=where, sort=sort
    )


def _check_thresholds(reminder: int | None, escalation: int | None) -> None:
    errors: list[FieldError] = []
    for field, value in (("reminder_days", reminder), ("escalation_days", escalation)):
        if value is not None and not (1 <= value <= 365):
            errors.append(FieldError(field, "must be between 1 and 365 days"))
    if reminder is not None and escalation is not None and escalation < reminder:
        errors.append(FieldError("escalation_days", "must not be shorter than reminder_days"))
    InvalidInput.raise_if_any(errors)


async def create_org(
    unit: Unit,
    principal: Principal | None,
    *,
    org_id: str,
    name: str,
    reminder_days: int | None = None,
    escalation_days: int | None = None,
) -> OrgRecord:
    require_role(principal, Role.ADMIN)
    errors: list[FieldError] = []
    if not is_valid_external_id(org_id):
        errors.append(FieldError("id", EXTERNAL_ID_RULE))
    _check_text(errors, "name", name, 200)
    InvalidInput.raise_if_any(errors)
    _check_thresholds(reminder_days, escalation_days)
    session = unit.session
    if await session.get(Organisation, org_id) is not None:
        raise Conflict(f"Organisation {org_id!r} already exists")
    org = Organisation(
        id=org_id, name=name.strip(), reminder_days=reminder_days, escalation_days=escalation_days
    )
    session.add(org)
    await session.flush()
    return OrgRecord.of(org)


async def update_org(
    unit: Unit,
    principal: Principal | None,
    org_id: str,
    *,
    name: str | None = None,
    reminder_days: int | None = None,
    escalation_days: int | None = None,
) -> OrgRecord:
    who = require_principal(principal)
    session = unit.session
    org = await repo.get_org(session, org_id)
    hide_unless(org is not None and sees_organisation(who, org_id), "Organisation", org_id)
    assert org is not None
    if not changes_organisation(who, org_id, renames=name is not None):
        require_role(who, Role.ADMIN)
    errors: list[FieldError] = []
    _check_text(errors, "name", name, 200)
    InvalidInput.raise_if_any(errors)
    _check_thresholds(
        reminder_days if reminder_days is not None else org.reminder_days,
        escalation_days if escalation_days is not None else org.escalation_days,
    )
    if name is not None:
        org.name = name.strip()
    if reminder_days is not None:
        org.reminder_days = reminder_days
    if escalation_days is not None:
        org.escalation_days = escalation_days
    org.updated_at = utcnow()
    await session.flush()
    return OrgRecord.of(org)


async def add_membership(
    unit: Unit, principal: Principal | None, person_id: str, org_id: str, role: str
) -> MembershipRecord:
    require_role(principal, Role.ADMIN)
    session = unit.session
    if role not in PERSON_ROLES and role != "member":
        raise InvalidInput.field("role", f"unknown role {role!r}")
    if await repo.get_person(session, person_id) is None:
        raise InvalidInput.field("person_id", f"unknown person {person_id!r}")
    if await repo.get_org(session, org_id) is None:
        raise InvalidInput.field("org_id", f"unknown organisation {org_id!r}")
    membership = await repo.get_membership(session, person_id, org_id)
    if membership is None:
        membership = Membership(person_id=person_id, org_id=org_id, role=role)
        session.add(membership)
    else:
        membership.role = role
    await session.flush()
    return MembershipRecord.of(membership)


async def remove_membership(
    unit: Unit, principal: Principal | None, person_id: str, org_id: str
) -> None:
    require_role(principal, Role.ADMIN)
    if not await repo.remove_membership(unit.session, person_id, org_id):
        raise NotFound(f"{person_id!r} is not a member of {org_id!r}")


async def require_people(session: AsyncSession, fields: dict[str, str | None]) -> None:
    """422 naming each field whose person id is not in the directory (``None`` is skipped)."""
    wanted = {v for v in fields.values() if v is not None}
    found = await repo.existing_person_ids(session, wanted)
    errors = [
        FieldError(field, f"unknown person {value!r}")
        for field, value in fields.items()
        if value is not None and value not in found
    ]
    InvalidInput.raise_if_any(errors)


async def require_org(session: AsyncSession, field: str, org_id: str | None) -> OrgRecord | None:
    """The organisation, or 422 naming ``field`` when it does not exist (``None`` passes)."""
    if org_id is None:
        return None
    rows = await repo.org_rows(session, [org_id])
    if not rows:
        raise InvalidInput.field(field, f"unknown organisation {org_id!r}")
    return OrgRecord.of(rows[0])
