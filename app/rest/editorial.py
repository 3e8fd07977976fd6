"""SNworks CEO v3 editorial assignments (contract 004) and CEO lock requests.

``/v3`` answers 200 on every success, errors carry ``message``, and the list takes
``page``, ``per_page``, ``order`` and ``dir``. Rules live in ``app.services.editorial``
and ``app.services.editorial_locks``, the records in ``app.services.editorial_reads``; this
module only decodes and encodes.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from app.errors import BadRequest, FieldError
from app.ids import MAX_ID_LENGTH
from app.pagination import MAX_PAGE, PageRequest
from app.rest import editorial_bodies as out
from app.rest.http import json_pattern, length_error, not_null, text, text_schema
from app.rest.routing import PAGE, Call, Contract, Endpoint, QueryParam, page_size
from app.services import editorial as service
from app.services import editorial_locks as lock_service
from app.services import editorial_reads as reads
from app.services.editorial_format import (
    CEO_TIME_PATTERN,
    SRN_FORMAT,
    UUID_FORMAT,
    parse_ceo_time,
)
from app.services.editorial_pages import ORDER_FIELDS

# Read-only fields a client may echo back from a GET; they are ignored on input.
READ_ONLY = frozenset(
    {"id", "uuid", "srn", "created_at", "modified_at", "creator_id", "issue", "lock"}
)
DEFAULT_PER_PAGE = 50

# A uuid (or, in ``users``, a directory id) string, or an object with a "uuid" echoed from
# a GET (checked by ``_refs``).
Ref = Annotated[Any, WithJsonSchema(text_schema(MAX_ID_LENGTH))]
_Time = Annotated[
    str, text(19), WithJsonSchema(text_schema(19, pattern=json_pattern(CEO_TIME_PATTERN)))
]


class AssignmentIn(BaseModel):
    """An assignment as CEO clients send it; every field is optional on PUT, ``title`` is
    required on POST."""

    model_config = ConfigDict(extra="forbid")

    # slug, type and title may be left out (PUT) but never sent as null.
    slug: Annotated[str, text(service.MAX_SLUG)] | None = Field(
        default=None, json_schema_extra=not_null(pattern=json_pattern(service.SLUG))
    )
    type: Annotated[str, text(16, choices=service.ASSIGNMENT_TYPES)] | None = Field(
        default=None, json_schema_extra=not_null()
    )
    title: Annotated[str, text(service.MAX_TITLE)] | None = Field(
        default=None, json_schema_extra=not_null()
    )
    abstract: Annotated[str, text(service.TEXT_LIMITS["abstract"])] | None = None
    content: Annotated[str, text(service.TEXT_LIMITS["content"])] | None = None
    notes: Annotated[str, text(service.TEXT_LIMITS["notes"])] | None = None
    published_at: _Time | None = Field(default=None, description="YYYY-MM-DD HH:MM:SS, UTC")
    due_at: _Time | None = Field(default=None, description="YYYY-MM-DD HH:MM:SS, UTC")
    # CEO clients send the numeric id as "2" or 2: the document says both.
    issue_id: Annotated[
        Any, WithJsonSchema({"type": ["string", "integer", "null"], "maxLength": 10})
    ] = None
    children: list[Ref] | None = None
    users: list[Ref] | None = None


class AssignmentCreateIn(AssignmentIn):
    """A new assignment: ``title`` is required (the service refuses one without, naming it,
    so the document says so; PUT takes the same fields, all optional)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"required": ["title"]})


class LockRequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    srn: Annotated[str, text(128)] = Field(
        json_schema_extra={"pattern": json_pattern(SRN_FORMAT)},
        description="srn:tsn:ceo-core/assignment:<UUID>",
    )


def _refs(field: str, values: list[Ref], errors: list[FieldError]) -> list[str]:
    """uuid strings, or objects echoed from a GET (their ``uuid`` is used)."""
    found: list[str] = []
    for item in values:
        value = item.get("uuid") if isinstance(item, dict) else item
        if not isinstance(value, str):
            errors.append(FieldError(field, "items must be uuid strings (or objects with a uuid)"))
            return []
        if (too_long := length_error(field, value, MAX_ID_LENGTH)) is not None:
            errors.append(too_long)
            return []
        found.append(value)
    return found


def to_input(body: AssignmentIn) -> service.AssignmentInput:
    """The service's input from the fields the client sent. Decoding errors (a timestamp
    not in the CEO format) travel with it, so the service reports them with its own, after
    the ACL, 404 and lock checks."""
    errors: list[FieldError] = []
    values: dict[str, Any] = {}
    for name in body.model_fields_set:
        value = getattr(body, name)
        if name in ("published_at", "due_at") and value is not None:
            try:
                value = parse_ceo_time(value)
            except ValueError as exc:
                errors.append(FieldError(name, str(exc)))
                continue
        elif name in ("children", "users") and value is not None:
            value = _refs(name, value, errors)
        values[name] = value
    return service.input_from(values, errors)


def _number(name: str, raw: str | None, default: int, low: int, high: int) -> int:
    if raw is None or raw == "":
        return default
    if not (raw.isascii() and raw.isdigit()) or not (low <= int(raw) <= high):
        raise BadRequest(f"Query parameter '{name}' must be a whole number from {low} to {high}")
    return int(raw)


def _page(call: Call) -> PageRequest:
    page = _number("page", call.query_param("page"), 1, 1, MAX_PAGE)
    per_page = _number(
        "per_page", call.query_param("per_page"), DEFAULT_PER_PAGE, 1, call.settings.max_page_size
    )
    return PageRequest(offset=(page - 1) * per_page, limit=per_page)


async def list_assignments(call: Call) -> dict[str, Any]:
    page = _page(call)
    async with call.db.read() as session:
        paged = await service.list_assignments(
            session,
            call.principal,
            page,
            order=call.query_param("order"),
            direction=call.query_param("dir"),
        )
        views = await reads.expand(session, list(paged.items))
    return out.list_envelope(paged, [out.assignment_json(v) for v in views])


async def get_assignment(call: Call) -> dict[str, Any]:
    async with call.db.read() as session:
        record = await service.get_assignment(session, call.principal, call.path["uuid"])
        (view,) = await reads.expand(session, [record])
    return out.assignment_json(view)


async def create_assignment(call: Call) -> dict[str, Any]:
    data = to_input(call.parse(AssignmentCreateIn, ignore=READ_ONLY))
    view = await call.work.run(service.create_assignment_view, call.principal, data)
    return out.assignment_json(view)


async def update_assignment(call: Call) -> dict[str, Any]:
    data = to_input(call.parse(AssignmentIn, ignore=READ_ONLY))
    view = await call.work.run(
        service.update_assignment_view, call.principal, call.path["uuid"], data
    )
    return out.assignment_json(view)


async def delete_assignment(call: Call) -> dict[str, Any]:
    await call.work.run(service.delete_assignment, call.principal, call.path["uuid"])
    return {"message": "ok"}


async def create_lock_request(call: Call) -> dict[str, Any]:
    body = call.parse(LockRequestIn)
    view = await call.work.run(
        lock_service.acquire, call.principal, body.srn, ttl=lock_service.lock_ttl(call.settings)
    )
    return out.lock_json(view)


async def get_lock_request(call: Call) -> dict[str, Any]:
    async with call.db.read() as session:
        view = await lock_service.get_lock(session, call.principal, call.path["uuid"])
    return out.lock_json(view)


async def delete_lock_request(call: Call) -> dict[str, Any]:
    await call.work.run(lock_service.release, call.principal, call.path["uuid"])
    return {"message": "ok"}


_LIST_QUERY = (
    PAGE,
    page_size("per_page", DEFAULT_PER_PAGE),
    QueryParam(
        "order",
        "Property to order by (default modified_at)",
        {"type": "string", "enum": list(ORDER_FIELDS)},
    ),
    QueryParam("dir", "asc or desc (default desc)", {"type": "string", "enum": ["asc", "desc"]}),
)
_WRITE_ERRORS = (400, 401, 403, 404, 413, 415, 422, 423)
_UUID = (
    QueryParam(
        "uuid",
        "A CEO uuid, 8-4-4-4-12 letters or digits (any letter case)",
        text_schema(36, pattern=json_pattern(UUID_FORMAT)),
    ),
)

CONTRACT = Contract(
    name="Editorial assignments (CEO v3)",
    base="/v3",
    doubled=False,
    description="SNworks CEO v3 assignments and lock requests (contract 004).",
    endpoints=(
        Endpoint(
            "GET",
            "/assignment",
            list_assignments,
            "List assignments (ACL: ASSIGNMENT list)",
            query=_LIST_QUERY,
            response=out.AssignmentListOut,
        ),
        Endpoint(
            "POST",
            "/assignment",
            create_assignment,
            "Create an assignment (ACL: ASSIGNMENT create)",
            body=AssignmentCreateIn,
            response=out.AssignmentOut,
            errors=(400, 401, 403, 413, 415, 422),
        ),
        Endpoint(
            "GET",
            "/assignment/{uuid}",
            get_assignment,
            "One assignment (ACL: ASSIGNMENT get)",
            response=out.AssignmentOut,
            path_params=_UUID,
        ),
        Endpoint(
            "PUT",
            "/assignment/{uuid}",
            update_assignment,
            "Update an assignment; needs its lock (ACL: ASSIGNMENT update)",
            body=AssignmentIn,
            response=out.AssignmentOut,
            errors=_WRITE_ERRORS,
            path_params=_UUID,
        ),
        Endpoint(
            "DELETE",
            "/assignment/{uuid}",
            delete_assignment,
            "Delete an assignment; needs its lock (ACL: ASSIGNMENT delete)",
            response=out.MessageOut,
            errors=(400, 401, 403, 404, 423),
            path_params=_UUID,
        ),
        Endpoint(
            "POST",
            "/lock-request",
            create_lock_request,
            "Lock an assignment's srn, or renew one's own lock (ACL: LOCKREQUEST create)",
            body=LockRequestIn,
            response=out.LockOut,
            errors=(400, 401, 403, 409, 413, 415, 422),
        ),
        Endpoint(
            "GET",
            "/lock-request/{uuid}",
            get_lock_request,
            "One active lock request (ACL: LOCKREQUEST get)",
            response=out.LockOut,
            path_params=_UUID,
        ),
        Endpoint(
            "DELETE",
            "/lock-request/{uuid}",
            delete_lock_request,
            "Release one's lock; admins may break another's (ACL: LOCKREQUEST delete)",
            response=out.MessageOut,
            errors=(400, 401, 403, 404),
            path_params=_UUID,
        ),
    ),
)
