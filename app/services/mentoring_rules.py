"""The rules of mentoring assignments that both doors share: the two status vocabularies,
contact types, input shapes, and who may see or change an assignment.

Authorization: admins everything; a coordinator the assignments of their organisations;
a peer mentor reads their own assignments and records contacts (and notes) on them, but
cannot create, reassign, change status or delete; every other role nothing. Assignments the
caller may not see answer NotFound, as if they did not exist.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any

from app.auth import Principal, Role
from app.errors import BadRequest, InvalidInput
from app.events import Event
from app.models.mentoring import CLOSED, OPEN, VIA_FOLLOWUP, Assignment
from app.repositories.mentoring import Scope
from app.services.policy import coordinates, require_role

# Input accepts both contracts' words; a record answers in its creating contract's words.
STATUS_WORDS: dict[str, str] = {"open": OPEN, "active": OPEN, "closed": CLOSED, "completed": CLOSED}
_FOLLOWUP_WORDS = {OPEN: "active", CLOSED: "completed"}
STATUS_FILTERS = (*STATUS_WORDS, "all")

CONTACT_TYPES: tuple[str, ...] = ("message", "call", "meeting", "visit", "email", "other")
MAX_REASON = 2000
MAX_NOTES = 10_000
MAX_DAYS = 36_500  # ?days= beyond a century is a typo, not a query


class Unset(Enum):
    """Marks a field an update leaves as it is (``None`` means "clear it")."""

    UNSET = "UNSET"


UNSET = Unset.UNSET


@dataclass(frozen=True, slots=True)
class NewAssignment:
    mentor_id: str
    mentee_id: str
    coordinator_id: str | None = None
    org_id: str | None = None
    started_at: datetime | None = None
    notes: str | None = None
    created_via: str = "graphql"


@dataclass(frozen=True, slots=True)
class AssignmentPatch:
    """An update: ``UNSET`` leaves a field as it is; ``None`` clears the optional ones
    (and is refused for those in ``PATCH_REQUIRED``)."""

    mentor_id: str | Unset | None = UNSET
    mentee_id: str | Unset | None = UNSET
    coordinator_id: str | Unset | None = UNSET
    org_id: str | Unset | None = UNSET
    started_at: datetime | Unset | None = UNSET
    notes: str | Unset | None = UNSET
    status: str | Unset | None = UNSET  # canonical: "open" or "closed"
    last_contact_at: datetime | Unset | None = UNSET


# Fields an update may not set to null.
PATCH_REQUIRED = ("mentor_id", "mentee_id", "started_at", "status", "last_contact_at")


@dataclass(frozen=True, slots=True)
class FieldNames:
    """How the calling door names each input field, so 422s name the field the client sent
    (``peer_mentor_id`` for a contract-000 client, ``mentorId`` in GraphQL ...)."""

    names: dict[str, str] = field(default_factory=dict)

    def __call__(self, key: str) -> str:
        return self.names.get(key, key)


def parse_status(word: str, field_name: str = "status") -> str:
    """A status word of either contract as the canonical ``open``/``closed`` (422 otherwise)."""
    canonical = STATUS_WORDS.get(word) if isinstance(word, str) else None
    if canonical is None:
        raise InvalidInput.field(field_name, f"must be one of {', '.join(STATUS_WORDS)}")
    return canonical


def parse_status_filter(word: str | None) -> str | None:
    """``?status=`` of a list: ``open`` by default, ``None`` for ``all`` (400 otherwise)."""
    if word is None or word == "":
        return OPEN
    if word == "all":
        return None
    if word not in STATUS_WORDS:
        raise BadRequest(f"Query parameter 'status' must be one of {', '.join(STATUS_FILTERS)}")
    return STATUS_WORDS[word]


def status_word(row: Assignment) -> str:
    """The record's status in the vocabulary of the contract that created it."""
    return _FOLLOWUP_WORDS[row.status] if row.created_via == VIA_FOLLOWUP else row.status


def check_contact_type(value: str, field_name: str = "contact_type") -> str:
    if value not in CONTACT_TYPES:
        raise InvalidInput.field(field_name, f"must be one of {', '.join(CONTACT_TYPES)}")
    return value


def require_assignment_role(principal: Principal | None) -> Principal:
    """Only admins, coordinators and peer mentors deal with assignments at all."""
    return require_role(principal, Role.COORDINATOR, Role.PEER_MENTOR)


def scope_of(principal: Principal) -> Scope:
    if principal.is_admin:
        return Scope(everything=True)
    return Scope(
        orgs=principal.orgs if principal.has(Role.COORDINATOR) else frozenset(),
        mentor_id=principal.person_id if principal.has(Role.PEER_MENTOR) else None,
    )


def can_manage(principal: Principal, row: Assignment) -> bool:
    """Create, reassign, change status, delete: admins and the organisation's coordinators."""
    return principal.is_admin or coordinates(principal, row.org_id)


def is_own(principal: Principal, row: Assignment) -> bool:
    return principal.has(Role.PEER_MENTOR) and row.mentor_id == principal.person_id


def can_see(principal: Principal, row: Assignment) -> bool:
    return can_manage(principal, row) or is_own(principal, row)


def change_event(
    kind: str, row: Assignment, previous: tuple[str | None, str] | None = None
) -> Event:
    """The ``assignment`` event published after a change (``previous`` = the org and mentor
    before a reassignment, so those who lost sight of it still hear about it)."""
    payload: dict[str, Any] = {"org_id": row.org_id, "mentor_id": row.mentor_id}
    if previous is not None:
        payload["previous_org_id"], payload["previous_mentor_id"] = previous
    return Event("assignment", kind, row.id, payload)


def may_see_event(principal: Principal, event: Event) -> bool:
    """The same visibility rule, applied to an event's payload (for subscriptions)."""
    if principal.is_admin:
        return True
    payload = event.payload
    orgs = {payload.get("org_id"), payload.get("previous_org_id")} - {None}
    mentors = {payload.get("mentor_id"), payload.get("previous_mentor_id")} - {None}
    if principal.has(Role.COORDINATOR) and not principal.orgs.isdisjoint(orgs):
        return True
    return principal.has(Role.PEER_MENTOR) and principal.person_id in mentors
