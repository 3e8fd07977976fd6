"""Bodies of the assignment routes (contracts 000 and 001): what they accept and answer.

Every response carries both contracts' names of each field (``peer_mentor_id`` and
``mentor_id``, ``mentee_id`` and ``contact_id``, ``mentee_name`` and ``contact_name``,
``start_date`` and ``assigned_date``), and the status in the record's own vocabulary.
Bodies accept either name of a field; when both are sent they must agree.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from app.errors import BadRequest, FieldError, InvalidInput
from app.ids import MAX_ID_LENGTH
from app.rest.http import text
from app.services.mentoring_reads import AssignmentRecord
from app.services.mentoring_rules import (
    CONTACT_TYPES,
    MAX_NOTES,
    MAX_REASON,
    STATUS_WORDS,
    UNSET,
    VIA_CASEWORK,
    VIA_FOLLOWUP,
    AssignmentPatch,
    FieldNames,
    NewAssignment,
    parse_status,
)
from app.timeutil import (
    as_utc,
    days_between,
    format_date,
    format_datetime,
    parse_date_or_datetime,
    start_of_day,
    utcnow,
)

# Read-only fields a client may echo back from a GET; they are ignored in bodies.
READ_ONLY = frozenset(
    {
        "assignment_id",
        "mentee_name",
        "contact_name",
        "days_since_contact",
        "reminder_sent_at",
        "escalation_sent_at",
        "closed_date",
        "created_at",
        "updated_at",
    }
)

# (000's name, 001's name) of the fields that have two.
MENTOR = ("peer_mentor_id", "mentor_id")
MENTEE = ("mentee_id", "contact_id")
START = ("start_date", "assigned_date")

_Id = Field(default=None, min_length=1, max_length=MAX_ID_LENGTH)
# A date or an RFC 3339 date-time (parsed by the service); the bound keeps garbage short.
_When = Annotated[str, text(64)]
_Status = Annotated[str, text(16, choices=STATUS_WORDS)]


class AssignmentOut(BaseModel):
    """One assignment, under both contracts' field names."""

    assignment_id: str
    mentee_id: str
    contact_id: str
    mentee_name: str | None
    contact_name: str | None
    peer_mentor_id: str
    mentor_id: str
    coordinator_id: str | None
    org_id: str | None
    status: str = Field(description="active/completed (contract 000) or open/closed (001)")
    notes: str | None
    start_date: str = Field(description="YYYY-MM-DD")
    assigned_date: str = Field(description="RFC 3339, UTC")
    last_contact_date: str | None
    days_since_contact: int | None
    reminder_sent_at: str | None
    escalation_sent_at: str | None
    closed_date: str | None
    created_at: str
    updated_at: str


class CreateIn(BaseModel):
    """A new assignment under either contract's names: a mentor (``mentor_id`` or
    ``peer_mentor_id``) and a mentee (``contact_id`` or ``mentee_id``) are required; when
    both names of a field are sent they must agree."""

    model_config = ConfigDict(extra="forbid")

    mentee_id: str | None = _Id
    contact_id: str | None = _Id
    peer_mentor_id: str | None = _Id
    mentor_id: str | None = _Id
    coordinator_id: str | None = _Id
    org_id: str | None = _Id
    start_date: _When | None = None
    assigned_date: _When | None = None
    notes: Annotated[str, text(MAX_NOTES)] | None = None
    status: _Status | None = Field(default=None, description="A new assignment is open/active")


class UpdateIn(BaseModel):
    """Changes under either contract's names; when both names of a field are sent they must
    agree. Fields not sent stay as they are."""

    model_config = ConfigDict(extra="forbid")

    mentee_id: str | None = _Id
    contact_id: str | None = _Id
    peer_mentor_id: str | None = _Id
    mentor_id: str | None = _Id
    coordinator_id: str | None = _Id
    org_id: str | None = _Id
    start_date: _When | None = None
    assigned_date: _When | None = None
    notes: Annotated[str, text(MAX_NOTES)] | None = None
    status: _Status | None = None
    last_contact_date: _When | None = Field(default=None, description="Records a contact")


class LastContactIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    contact_date: _When | None = Field(
        default=None, description="RFC 3339; default now; not in the future"
    )
    contact_type: Annotated[str, text(16, choices=CONTACT_TYPES)]


class StatusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: _Status
    reason: Annotated[str, text(MAX_REASON)] | None = None


class DeletedOut(BaseModel):
    deleted: bool
    assignment_id: str


class OpenCountOut(BaseModel):
    mentor_id: str
    peer_mentor_id: str
    open_assignment_count: int


def assignment_json(row: AssignmentRecord, names: Mapping[str, str]) -> dict[str, Any]:
    name = names.get(row.mentee_id)
    last = row.last_contact_at
    return {
        "assignment_id": row.id,
        "mentee_id": row.mentee_id,
        "contact_id": row.mentee_id,
        "mentee_name": name,
        "contact_name": name,
        "peer_mentor_id": row.mentor_id,
        "mentor_id": row.mentor_id,
        "coordinator_id": row.coordinator_id,
        "org_id": row.org_id,
        "status": row.status_word,
        "notes": row.notes,
        "start_date": format_date(as_utc(row.started_at).date()),
        "assigned_date": format_datetime(row.started_at),
        "last_contact_date": format_datetime(last),
        "days_since_contact": None if last is None else days_between(last, utcnow()),
        "reminder_sent_at": format_datetime(row.reminder_sent_at),
        "escalation_sent_at": format_datetime(row.escalation_sent_at),
        "closed_date": format_datetime(row.closed_at),
        "created_at": format_datetime(row.created_at),
        "updated_at": format_datetime(row.updated_at),
    }


def _moment(field: str, value: str) -> datetime:
    try:
        return parse_date_or_datetime(value)
    except ValueError as exc:
        raise InvalidInput.field(field, str(exc)) from None


def _pick(
    body: BaseModel, pair: tuple[str, str], convert: Callable[[str, str], Any]
) -> tuple[Any, str]:
    """The value of a field sent under either name (``UNSET`` when neither was sent);
    both names must agree."""
    sent = [name for name in pair if name in body.model_fields_set]
    if not sent:
        return UNSET, pair[1]
    values = [getattr(body, name) for name in sent]
    converted = [
        None if v is None else convert(name, v) for name, v in zip(sent, values, strict=True)
    ]
    if len(sent) == 2 and converted[0] != converted[1]:
        message = f"{pair[0]} and {pair[1]} name the same field and must agree"
        raise InvalidInput.of([FieldError(pair[0], message), FieldError(pair[1], message)])
    return converted[0], sent[0]


def _same(_field: str, value: str) -> str:
    return value


def _start_pick(body: BaseModel) -> tuple[Any, str]:
    """``start_date`` (a date) and ``assigned_date`` (a date-time) agree when the date is
    the date-time's day; the more precise one is kept."""
    given = {n: getattr(body, n) for n in START if n in body.model_fields_set}
    if len(given) == 2 and None not in given.values():
        start, assigned = (_moment(n, given[n]) for n in START)
        if start == start_of_day(start.date()) and start.date() == assigned.date():
            return assigned, START[1]
    return _pick(body, START, _moment)


def create_command(body: CreateIn) -> tuple[NewAssignment, FieldNames]:
    mentor, mentor_field = _pick(body, MENTOR, _same)
    mentee, mentee_field = _pick(body, MENTEE, _same)
    followup = "mentee_id" in body.model_fields_set or (
        "contact_id" not in body.model_fields_set and "peer_mentor_id" in body.model_fields_set
    )
    if mentor is UNSET or mentor is None:
        mentor_field = MENTOR[0] if followup else MENTOR[1]
    if mentee is UNSET or mentee is None:
        mentee_field = MENTEE[0] if followup else MENTEE[1]
    errors = [
        FieldError(name, "is required")
        for name, value in ((mentor_field, mentor), (mentee_field, mentee))
        if value is UNSET or value is None
    ]
    if body.status is not None and parse_status(body.status) != "open":
        errors.append(FieldError("status", "a new assignment is open (active)"))
    InvalidInput.raise_if_any(errors)
    started, start_field = _start_pick(body)
    names = FieldNames(
        {"mentor_id": mentor_field, "mentee_id": mentee_field, "started_at": start_field}
    )
    command = NewAssignment(
        mentor_id=mentor,
        mentee_id=mentee,
        coordinator_id=body.coordinator_id,
        org_id=body.org_id,
        started_at=None if started is UNSET else started,  # None: today
        notes=body.notes,
        created_via=VIA_FOLLOWUP if followup else VIA_CASEWORK,
    )
    return command, names


def update_command(body: UpdateIn) -> tuple[AssignmentPatch, FieldNames]:
    """A PUT body as a patch: fields not sent stay as they are."""
    mentor, mentor_field = _pick(body, MENTOR, _same)
    mentee, mentee_field = _pick(body, MENTEE, _same)
    started, start_field = _start_pick(body)
    patch = AssignmentPatch(
        mentor_id=mentor,
        mentee_id=mentee,
        coordinator_id=_given(body, "coordinator_id", str),
        org_id=_given(body, "org_id", str),
        started_at=started,
        notes=_given(body, "notes", str),
        status=_given(body, "status", parse_status),
        last_contact_at=_given(
            body, "last_contact_date", lambda t: _moment("last_contact_date", t)
        ),
    )
    names = FieldNames(
        {
            "mentor_id": mentor_field,
            "mentee_id": mentee_field,
            "started_at": start_field,
            "last_contact_at": "last_contact_date",
        }
    )
    return patch, names


def _given(body: BaseModel, name: str, convert: Callable[[str], Any]) -> Any:
    """``UNSET`` when the field was not sent, ``None`` when sent as null, else converted."""
    if name not in body.model_fields_set:
        return UNSET
    value = getattr(body, name)
    return None if value is None else convert(value)


def contact_moment(body: LastContactIn) -> datetime | None:
    return None if body.contact_date is None else _moment("contact_date", body.contact_date)


def alias_param(first: str | None, second: str | None, names: tuple[str, str]) -> str | None:
    """A filter given under either name (``?mentor_id=`` or ``?peer_mentor_id=``)."""
    if first is not None and second is not None and first != second:
        raise BadRequest(f"Query parameters '{names[0]}' and '{names[1]}' disagree")
    return first if first is not None else second
