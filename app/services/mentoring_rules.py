"""The rules of mentoring assignments that both doors share: the status vocabularies,
contact types, input shapes, and the vocabulary of lists (filters, hub keys).

Who may see or change an assignment is decided in ``app/services/policy.py`` (its mentoring
section): admins everything; a coordinator the assignments of their organisations; a peer
mentor reads their own assignments and records contacts (and notes) on them, but cannot
create, reassign, change status or delete; every other role nothing. Assignments the
caller may not see answer NotFound, as if they did not exist.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any, Protocol

from app.errors import BadRequest, InvalidInput
from app.events import Event, EventKind
from app.listing import Filter, Sort
from app.models.mentoring import CLOSED as CLOSED
from app.models.mentoring import ESCALATION as ESCALATION
from app.models.mentoring import OPEN as OPEN
from app.models.mentoring import REMINDER as REMINDER
from app.models.mentoring import VIA_CASEWORK as VIA_CASEWORK
from app.models.mentoring import VIA_FOLLOWUP as VIA_FOLLOWUP
from app.models.mentoring import VIA_GRAPHQL as VIA_GRAPHQL
from app.pagination import PageRequest
from app.services.policy import AssignmentScope

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


class _Worded(Protocol):
    @property
    def status(self) -> str: ...
    @property
    def created_via(self) -> str: ...


class _Owned(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def org_id(self) -> str | None: ...
    @property
    def mentor_id(self) -> str: ...


def status_word(row: _Worded) -> str:
    """The record's status in the vocabulary of the contract that created it."""
    return _FOLLOWUP_WORDS[row.status] if row.created_via == VIA_FOLLOWUP else row.status


def check_contact_type(value: str, field_name: str = "contact_type") -> str:
    if value not in CONTACT_TYPES:
        raise InvalidInput.field(field_name, f"must be one of {', '.join(CONTACT_TYPES)}")
    return value


def change_event(
    kind: EventKind, row: _Owned, previous: tuple[str | None, str] | None = None
) -> Event:
    """The ``assignment`` event published after a change (``previous`` = the org and mentor
    before a reassignment, so those who lost sight of it still hear about it)."""
    payload: dict[str, Any] = {"org_id": row.org_id, "mentor_id": row.mentor_id}
    if previous is not None:
        payload["previous_org_id"], payload["previous_mentor_id"] = previous
    return Event(kind, row.id, payload)


# --- lists: filters and hub keys -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Filters:
    """The named filters of an assignments list, a filter and an order."""

    status: str | None = OPEN  # "open", "closed" or None for all
    mentor_id: str | None = None
    mentee_id: str | None = None
    coordinator_id: str | None = None
    org_id: str | None = None
    where: Filter | None = None  # a GraphQL ``filter`` (``app.listing``)
    sort: Sort = ()  # a GraphQL ``orderBy``; empty: the list's own order


@dataclass(frozen=True, slots=True)
class AssignmentList:
    """The assignments of an owner (``owner_column``: mentor, mentee, coordinator or org)
    that ``scope`` lets the caller see, filtered: what a repository ranks per owner."""

    owner_column: str
    scope: AssignmentScope
    filters: Filters


@dataclass(frozen=True, slots=True)
class NotificationList:
    """An organisation's outbox entries that ``scope`` lets the caller see, filtered
    and ordered."""

    scope: AssignmentScope
    kind: str | None = None
    where: Filter | None = None  # a GraphQL ``filter`` (``app.listing``)
    sort: Sort = ()  # a GraphQL ``orderBy``; empty: newest first


@dataclass(frozen=True, slots=True)
class AssignmentsKey:
    """A hub key: one page of ``owner``'s assignments as ``role``: a person's as mentor,
    mentee or coordinator, or an organisation's (``org``)."""

    owner: str
    role: str
    filters: Filters
    page: PageRequest


@dataclass(frozen=True, slots=True)
class NotificationsKey:
    """A hub key: one page of an organisation's notifications (of ``kind``, or both)."""

    org_id: str
    page: PageRequest
    kind: str | None = None
    where: Filter | None = None
    sort: Sort = ()


@dataclass(frozen=True, slots=True)
class OverdueKey:
    """A hub key: an organisation's page of overdue assignments, open ones whose contact
    gap is older than ``cutoff`` (or ``days`` days before the batch runs)."""

    org_id: str
    page: PageRequest
    cutoff: datetime | None = None
    days: int | None = None
    where: Filter | None = None  # a GraphQL ``filter`` (``app.listing``)
    sort: Sort = ()  # a GraphQL ``orderBy``; empty: oldest contact first
