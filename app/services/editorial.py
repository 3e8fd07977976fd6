"""Editorial assignments (SNworks CEO v3): validation, ACL actions and the lock rule.

Both doors call these functions; every one first checks its CEO ACL action
(``policy.require_editorial_action``) and answers records (``app.services.editorial_reads``).
The writes are use cases (``use_case(unit, who, ...)``, run through ``Work.run``): they
write through ``unit.session`` and record their change events in the unit.
Changing or deleting an assignment needs the caller to hold its exclusive lock
(``app.services.editorial_locks``). ``content``, ``abstract`` and
``notes`` are editors' HTML, stored exactly as given: clients must treat them as untrusted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import Principal
from app.errors import FieldError, InvalidInput, NotFound
from app.listing import Filter, Sort
from app.models.editorial import EditorialAssignment
from app.models.people import Person
from app.pagination import Paged, PageRequest
from app.repositories import editorial as repo
from app.repositories import people as people_repo
from app.services import editorial_locks as lock_service
from app.services.editorial_format import is_uuid, new_uuid, normalise_uuid, path_uuid
from app.services.editorial_pages import assignment_page, check_order
from app.services.editorial_reads import AssignmentView, EditorialAssignmentRecord, expand
from app.services.policy import EditorialAction, require_editorial_action
from app.services.work import Unit
from app.timeutil import as_utc, utcnow

ASSIGNMENT_TYPES: tuple[str, ...] = ("article", "media", "gallery", "audio", "video", "post")
# Directory roles a person needs to be named in ``users`` by their person id.
EDITORIAL_PERSON_ROLES = frozenset({"editor", "admin"})
UPDATE_LOCK_MESSAGE = "Exclusive lock is required to update an assignment"
DELETE_LOCK_MESSAGE = "Exclusive lock is required to delete an assignment"

SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,254}\Z")
MAX_SLUG, MAX_TITLE = 255, 500
_NUMERIC_ID = re.compile(r"^[1-9][0-9]{0,9}\Z")
_MAX_ID = 2**31 - 1  # ids are 32-bit integers on both databases
TEXT_LIMITS = {"abstract": 10_000, "content": 1_000_000, "notes": 50_000}
_MAX_RELATED = 100


class _Unset(Enum):
    UNSET = 0


UNSET: Final = _Unset.UNSET


@dataclass(slots=True)
class AssignmentInput:
    """The fields a create or update sets; ``UNSET`` leaves a field as it is."""

    slug: str | _Unset = UNSET
    type: str | _Unset = UNSET
    title: str | _Unset = UNSET
    abstract: str | _Unset = UNSET
    content: str | _Unset = UNSET
    notes: str | _Unset = UNSET
    published_at: datetime | _Unset | None = UNSET
    due_at: datetime | _Unset | None = UNSET
    issue_id: str | int | _Unset | None = UNSET
    children: list[str] | _Unset = UNSET
    users: list[str] | _Unset = UNSET
    # Errors the door found while decoding (e.g. a malformed CEO timestamp).
    errors: list[FieldError] = field(default_factory=list)


_NOT_NULL = ("slug", "type", "title")
_FREE_TEXT = ("abstract", "content", "notes")
_LISTS = ("children", "users")
_TIMES = ("published_at", "due_at")


def input_from(values: Mapping[str, Any], errors: Sequence[FieldError] = ()) -> AssignmentInput:
    """The input for the fields a client sent, ``None`` being an explicit null (both doors
    use this rule): ``slug``/``type``/``title`` may not be null; a null ``abstract``,
    ``content`` or ``notes`` is ""; null ``children``/``users`` is an empty list; null
    ``published_at``/``due_at``/``issue_id`` clears them. ``errors`` are the door's own
    decoding errors, reported with the service's."""
    data = AssignmentInput(errors=list(errors))
    for name, value in values.items():
        if name in _NOT_NULL and value is None:
            data.errors.append(FieldError(name, "must not be null"))
        elif name in _FREE_TEXT:
            setattr(data, name, value or "")
        elif name in _LISTS:
            setattr(data, name, list(value or []))
        elif name in _TIMES:
            setattr(data, name, None if value is None else as_utc(value))
        else:
            setattr(data, name, value)
    return data


@dataclass(frozen=True, slots=True)
class _Resolved:
    issue_id: int | _Unset | None
    user_ids: list[int] | _Unset
    content_ids: list[int] | _Unset


def slug_from(title: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:MAX_SLUG].strip("-")
    return slug or "assignment"


def _check_fields(data: AssignmentInput, errors: list[FieldError], *, creating: bool) -> None:
    if data.title is not UNSET and not (1 <= len(data.title.strip()) <= MAX_TITLE):
        errors.append(FieldError("title", f"must be 1 to {MAX_TITLE} characters"))
    elif creating and data.title is UNSET and all(e.field != "title" for e in errors):
        errors.append(FieldError("title", "is required"))
    if data.slug is not UNSET and not SLUG.match(data.slug):
        errors.append(
            FieldError("slug", "must be 1-255 letters, digits, '-' or '_', starting alphanumeric")
        )
    if data.type is not UNSET and data.type not in ASSIGNMENT_TYPES:
        errors.append(FieldError("type", f"must be one of: {', '.join(ASSIGNMENT_TYPES)}"))
    for name, limit in TEXT_LIMITS.items():
        value = getattr(data, name)
        if value is not UNSET and len(value) > limit:
            errors.append(FieldError(name, f"must be at most {limit} characters"))


def _uuid_list(field: str, values: list[str], errors: list[FieldError]) -> list[str]:
    if len(values) > _MAX_RELATED:
        errors.append(FieldError(field, f"at most {_MAX_RELATED} items"))
        return []
    if len({v.upper() for v in values}) != len(values):
        errors.append(FieldError(field, "names an item more than once"))
    return values


async def _resolve_issue(
    session: AsyncSession, value: str | int | _Unset | None, errors: list[FieldError]
) -> int | _Unset | None:
    if value is UNSET or value is None:
        return value
    text = str(value)
    if isinstance(value, bool) or not _NUMERIC_ID.match(text) or int(text) > _MAX_ID:
        errors.append(FieldError("issue_id", 'must be the numeric id of an issue, e.g. "2"'))
        return UNSET
    (issue,) = await repo.issues_by_ids(session, [int(text)])
    if issue is None:
        errors.append(FieldError("issue_id", f"unknown issue {text!r}"))
        return UNSET
    found: int = issue.id
    return found


async def _resolve_children(
    session: AsyncSession, values: list[str] | _Unset, errors: list[FieldError]
) -> list[int] | _Unset:
    if values is UNSET:
        return UNSET
    values = _uuid_list("children", values, errors)
    malformed = [v for v in values if not is_uuid(v)]
    if malformed:
        errors.append(FieldError("children", f"not content uuids: {malformed}"))
        return UNSET
    uuids = [v.upper() for v in values]
    found = await repo.content_by_uuids(session, uuids)
    unknown = [u for u, item in zip(uuids, found, strict=True) if item is None]
    if unknown:
        errors.append(FieldError("children", f"unknown content items: {unknown}"))
        return UNSET
    return [item.id for item in found if item is not None]


async def _resolve_users(
    session: AsyncSession, values: list[str] | _Unset, errors: list[FieldError]
) -> list[int] | _Unset:
    """CEO user uuids, or person ids of directory editors/admins (given an editorial
    identity on first use)."""
    if values is UNSET:
        return UNSET
    values = _uuid_list("users", values, errors)
    uuids = [v.upper() for v in values if is_uuid(v)]
    by_uuid = {
        row.uuid: row.id for row in await repo.users_by_uuids(session, uuids) if row is not None
    }
    person_ids = [v for v in values if not is_uuid(v)]
    people = {row.person_id: row.id for row in await repo.users_of_people(session, person_ids)}
    candidates = {p.id: p for p in await _directory_editors(session, person_ids)}
    result: list[int] = []
    unknown: list[str] = []
    for value in values:
        key = normalise_uuid(value)
        if key is not None:
            if key in by_uuid:
                result.append(by_uuid[key])
            else:
                unknown.append(value)
        elif value in people:
            result.append(people[value])
        elif value in candidates:
            user = await repo.ensure_user(session, value, new_uuid())
            result.append(user.id)
        else:
            unknown.append(value)
    if unknown:
        errors.append(
            FieldError("users", f"unknown users (CEO uuids or directory editors): {unknown}")
        )
        return UNSET
    return result


async def _directory_editors(session: AsyncSession, person_ids: list[str]) -> list[Person]:
    found = await people_repo.people_by_ids(session, person_ids)
    return [p for p in found if p is not None and EDITORIAL_PERSON_ROLES & set(p.roles)]


async def _validate(session: AsyncSession, data: AssignmentInput, *, creating: bool) -> _Resolved:
    errors: list[FieldError] = list(data.errors)
    _check_fields(data, errors, creating=creating)
    issue_id = await _resolve_issue(session, data.issue_id, errors)
    content_ids = await _resolve_children(session, data.children, errors)
    user_ids = await _resolve_users(session, data.users, errors)
    InvalidInput.raise_if_any(errors)
    return _Resolved(issue_id, user_ids, content_ids)


def _apply(row: EditorialAssignment, data: AssignmentInput, resolved: _Resolved) -> None:
    if data.title is not UNSET:
        row.title = data.title.strip()
    if data.slug is not UNSET:
        row.slug = data.slug
    if data.type is not UNSET:
        row.type = data.type
    if data.abstract is not UNSET:
        row.abstract = data.abstract
    if data.content is not UNSET:
        row.content = data.content
    if data.notes is not UNSET:
        row.notes = data.notes
    if data.published_at is not UNSET:
        row.published_at = data.published_at
    if data.due_at is not UNSET:
        row.due_at = data.due_at
    if resolved.issue_id is not UNSET:
        row.issue_id = resolved.issue_id


async def _relate(session: AsyncSession, row: EditorialAssignment, resolved: _Resolved) -> None:
    if resolved.user_ids is not UNSET:
        await repo.replace_users(session, row.id, resolved.user_ids)
    if resolved.content_ids is not UNSET:
        await repo.replace_children(session, row.id, resolved.content_ids)


async def _find(session: AsyncSession, uuid: str) -> EditorialAssignment:
    key = path_uuid(uuid)
    row = await repo.get_assignment(session, key)
    if row is None:
        raise NotFound(f"Assignment {key!r} not found")
    return row


async def get_assignment(
    session: AsyncSession, principal: Principal | None, uuid: str
) -> EditorialAssignmentRecord:
    require_editorial_action(principal, EditorialAction.ASSIGNMENT_GET)
    key = path_uuid(uuid)
    (row,) = await repo.assignment_rows(session, [key])
    if row is None:
        raise NotFound(f"Assignment {key!r} not found")
    return EditorialAssignmentRecord.of(row)


async def list_assignments(
    session: AsyncSession,
    principal: Principal | None,
    page: PageRequest,
    *,
    order: str | None = None,
    direction: str | None = None,
    where: Filter | None = None,
    sort: Sort = (),
) -> Paged[EditorialAssignmentRecord]:
    """One page of the live assignments (ACL ``ASSIGNMENT list``): REST ``order``/``dir``
    or GraphQL ``orderBy``/``direction`` (``None``: modified_at desc), or GraphQL
    ``orderKeys`` (``sort``, not with the others), narrowed by a GraphQL ``filter``
    (``where``)."""
    require_editorial_action(principal, EditorialAction.ASSIGNMENT_LIST)
    return await assignment_page(session, page, check_order(order, direction, sort), where)


async def create_assignment(
    unit: Unit, principal: Principal | None, data: AssignmentInput
) -> EditorialAssignmentRecord:
    session = unit.session
    who = require_editorial_action(principal, EditorialAction.ASSIGNMENT_CREATE)
    resolved = await _validate(session, data, creating=True)
    creator = await repo.ensure_user(session, who.person_id, new_uuid())
    now = utcnow()
    title = data.title.strip() if data.title is not UNSET else ""
    row = EditorialAssignment(
        uuid=new_uuid(),
        slug=slug_from(title),
        type="article",
        title=title,
        created_at=now,
        modified_at=now,
        creator_id=creator.id,
    )
    _apply(row, data, resolved)
    session.add(row)
    await session.flush()
    await _relate(session, row, resolved)
    return EditorialAssignmentRecord.of(row)


async def update_assignment(
    unit: Unit, principal: Principal | None, uuid: str, data: AssignmentInput
) -> EditorialAssignmentRecord:
    session = unit.session
    who = require_editorial_action(principal, EditorialAction.ASSIGNMENT_UPDATE)
    row = await _find(session, uuid)
    await lock_service.require_held(session, who, row, UPDATE_LOCK_MESSAGE)
    resolved = await _validate(session, data, creating=False)
    _apply(row, data, resolved)
    row.modified_at = utcnow()
    await session.flush()
    await _relate(session, row, resolved)
    return EditorialAssignmentRecord.of(row)


async def delete_assignment(unit: Unit, principal: Principal | None, uuid: str) -> None:
    """Tombstone the assignment and drop its lock (recording the lock's release)."""
    who = require_editorial_action(principal, EditorialAction.ASSIGNMENT_DELETE)
    row = await _find(unit.session, uuid)
    await lock_service.require_held(unit.session, who, row, DELETE_LOCK_MESSAGE)
    row.deleted_at = utcnow()
    await unit.session.flush()
    await lock_service.drop_lock(unit, row)


# --- the REST answers: a write with its CEO representation, read in its transaction ------


async def create_assignment_view(
    unit: Unit, principal: Principal | None, data: AssignmentInput
) -> AssignmentView:
    """``create_assignment`` and the created assignment as ``/v3`` shows it."""
    (view,) = await expand(unit.session, [await create_assignment(unit, principal, data)])
    return view


async def update_assignment_view(
    unit: Unit, principal: Principal | None, uuid: str, data: AssignmentInput
) -> AssignmentView:
    """``update_assignment`` and the changed assignment as ``/v3`` shows it."""
    (view,) = await expand(unit.session, [await update_assignment(unit, principal, uuid, data)])
    return view
