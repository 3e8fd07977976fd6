"""Validation rules for activities, shared by every activity operation, and the facts the
access predicates (``app.services.policy``) need: the mentor's organisations.

Field names in errors are the REST contract's (``duration_minutes``, ``local_id`` ...);
the GraphQL door renames them to its camelCase arguments.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import Principal, Role
from app.errors import FieldError, Forbidden, InvalidInput, PreconditionFailed
from app.ids import is_valid_external_id
from app.models.activities import Activity
from app.repositories import activities as repo
from app.repositories import people as people_repo
from app.services.policy import logs_activities_for
from app.timeutil import parse_date, utcnow

LOCAL_ID = re.compile(r"^[\x21-\x7e]{1,64}\Z")
MAX_DURATION = 1440
MAX_NOTES = 4000
MAX_REASON = 1000


class PreconditionRequired(PreconditionFailed):
    """A write that must state the version it saw did not (REST 428 without ``If-Match``;
    GraphQL ``BAD_USER_INPUT`` without ``expectedVersion``)."""

    code = "PRECONDITION_REQUIRED"
    graphql_code = "BAD_USER_INPUT"
    status = 428
    title = "Precondition Required"


@dataclass(frozen=True, slots=True)
class NewActivity:
    """A client's insert as it arrived (validated by ``check_new``)."""

    local_id: str
    activity_type_id: str
    date: str
    duration_minutes: int
    notes: str | None = None
    peer_mentor_id: str | None = None


def latest_allowed_date() -> date:
    """Activities may be dated up to tomorrow (UTC), which covers every time zone's today."""
    return utcnow().date() + timedelta(days=1)


def check_date(errors: list[FieldError], field: str, text: Any) -> date | None:
    try:
        day = parse_date(text)
    except ValueError as exc:
        errors.append(FieldError(field, str(exc)))
        return None
    if day > latest_allowed_date():
        errors.append(FieldError(field, "must not lie after tomorrow"))
        return None
    return day


def check_duration(errors: list[FieldError], field: str, value: Any) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        errors.append(FieldError(field, "must be a whole number of minutes"))
    elif not (1 <= value <= MAX_DURATION):
        errors.append(FieldError(field, f"must be between 1 and {MAX_DURATION} minutes"))


def check_notes(errors: list[FieldError], field: str, value: Any) -> None:
    if value is not None and (not isinstance(value, str) or len(value) > MAX_NOTES):
        errors.append(FieldError(field, f"must be text of at most {MAX_NOTES} characters"))


def check_reason(errors: list[FieldError], field: str, value: Any) -> None:
    if not isinstance(value, str) or not (1 <= len(value.strip()) <= MAX_REASON):
        errors.append(FieldError(field, f"must be 1 to {MAX_REASON} characters"))


def check_new(new: NewActivity) -> date:
    """Every field of an insert, all errors at once (422); returns the parsed date."""
    errors: list[FieldError] = []
    if not isinstance(new.local_id, str) or not LOCAL_ID.match(new.local_id):
        errors.append(FieldError("local_id", "must be 1 to 64 printable characters without spaces"))
    if new.peer_mentor_id is not None and not is_valid_external_id(new.peer_mentor_id):
        errors.append(FieldError("peer_mentor_id", "is not a person id"))
    if not isinstance(new.activity_type_id, str) or not new.activity_type_id:
        errors.append(FieldError("activity_type_id", "is required"))
    day = check_date(errors, "date", new.date)
    check_duration(errors, "duration_minutes", new.duration_minutes)
    check_notes(errors, "notes", new.notes)
    InvalidInput.raise_if_any(errors)
    assert day is not None
    return day


def request_hash(mentor_id: str, new: NewActivity, day: date) -> str:
    """Fingerprint of an insert's payload: equal exactly when a retry is the same insert."""
    payload = {
        "peer_mentor_id": mentor_id,
        "local_id": new.local_id,
        "activity_type_id": new.activity_type_id,
        "date": day.isoformat(),
        "duration_minutes": new.duration_minutes,
        "notes": new.notes,
    }
    return hashlib.sha256(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)).hexdigest()


# --- whom a caller may log for; the facts of the access rules --------------------------


def _needs_orgs(who: Principal, mentor_id: str) -> bool:
    """Whether the policy's answers for ``who`` on this mentor's records depend on the
    mentor's organisations (only for a coordinator looking at another mentor's)."""
    return (
        not who.is_admin
        and who.person_id != mentor_id
        and who.has(Role.COORDINATOR)
        and bool(who.orgs)
    )


async def mentors_orgs(
    session: AsyncSession, who: Principal, mentor_ids: Iterable[str]
) -> dict[str, frozenset[str]]:
    """The facts of ``policy.sees_mentor_records`` / ``grades_mentor`` /
    ``coordinates_mentor`` for ``who``: the organisations of the mentors whose answer
    depends on them (one statement at most, none when no answer does)."""
    wanted = {mentor for mentor in mentor_ids if _needs_orgs(who, mentor)}
    if not wanted:
        return {}
    found = await repo.org_ids_of_mentors(session, wanted)
    return {mentor: frozenset(orgs) for mentor, orgs in found.items()}


async def mentor_orgs(session: AsyncSession, who: Principal, mentor_id: str) -> frozenset[str]:
    """``mentors_orgs`` of one mentor."""
    return (await mentors_orgs(session, who, [mentor_id])).get(mentor_id, frozenset())


async def require_mentor(session: AsyncSession, who: Principal, mentor_id: str) -> None:
    """``who`` may log activities for ``mentor_id``: themselves (a peer mentor), the
    mentors of their organisations (a coordinator), anyone (an admin)."""
    if mentor_id != who.person_id and not (who.is_admin or who.has(Role.COORDINATOR)):
        raise Forbidden("A peer mentor logs only their own activities")
    person = await people_repo.get_person(session, mentor_id)
    if person is None:
        raise InvalidInput.field("peer_mentor_id", f"unknown peer mentor {mentor_id!r}")
    if "peer_mentor" not in person.roles:
        raise InvalidInput.field("peer_mentor_id", f"{mentor_id!r} is not a peer mentor")
    if not logs_activities_for(who, mentor_id, await mentor_orgs(session, who, mentor_id)):
        raise Forbidden(f"{mentor_id!r} is not a mentor of your organisations")


def require_version_to_edit_decided(
    activity: Activity, *, decider: bool, expected_version: int | None
) -> None:
    """A mentor changing their own confirmed or rejected activity must say which version
    they saw (``If-Match`` / ``expectedVersion``), so a coordinator's decision is never
    overwritten unseen. Those who decide (coordinators, admins) need not."""
    if not decider and activity.status != "pending" and expected_version is None:
        raise PreconditionRequired(
            f"Activity {activity.id!r} is {activity.status}: send If-Match (REST) or "
            "expectedVersion (GraphQL) with its current version to change it"
        )
