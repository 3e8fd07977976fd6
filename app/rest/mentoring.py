"""Contracts 000 (peer-mentor follow-up) and 001 (mentor-contact casework): one assignment
record behind both, served at ``/api/v1/assignments`` and at the doubled catalogue paths.

The list, get, create, update and delete routes are shared; 000 adds ``/overdue`` and
``/{id}/last-contact``, 001 adds the ``/mentor/{mentor_id}/...`` routes and
``/{id}/status``. Single-assignment responses carry an ``ETag``; ``PUT``/``PATCH``/``DELETE``
honour ``If-Match`` (412 when stale).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from app.errors import BadRequest
from app.rest import mentoring_bodies as io
from app.rest.http import json_response, text_schema
from app.rest.routing import PAGE_PARAMS, Call, Contract, Endpoint, QueryParam
from app.services import followups
from app.services import mentoring as service
from app.services.mentoring_reads import AssignmentRecord, mentee_names
from app.services.mentoring_rules import (
    MAX_DAYS,
    FieldNames,
    Filters,
    parse_status,
    parse_status_filter,
)
from app.timeutil import parse_date_or_datetime
from app.versioning import etag, parse_if_match

_WRITE_ERRORS = (400, 401, 403, 404, 409, 412, 413, 415, 422)


def _if_match(call: Call) -> int | None:
    return parse_if_match(call.request.headers.get("if-match"))


async def _render(session: AsyncSession, row: AssignmentRecord) -> dict[str, Any]:
    return io.assignment_json(row, await mentee_names(session, [row]))


def _single(body: dict[str, Any], row: AssignmentRecord, status: int = 200) -> Response:
    return json_response(body, status, headers={"ETag": etag(row.version)})


def _written(written: service.Written, status: int = 200) -> Response:
    """The answer to a write: the record as it left it, with the mentee's name read in the
    same unit of work."""
    row = written.record
    return _single(io.assignment_json(row, written.mentee_names), row, status)


async def list_assignments(call: Call) -> dict[str, Any]:
    page = call.page()
    q = call.query_param
    filters = Filters(
        status=parse_status_filter(q("status")),
        mentor_id=io.alias_param(q("mentor_id"), q("peer_mentor_id"), io.MENTOR[::-1]),
        mentee_id=io.alias_param(q("contact_id"), q("mentee_id"), io.MENTEE[::-1]),
        coordinator_id=q("coordinator_id"),
        org_id=q("org_id"),
    )
    async with call.db.read() as session:
        paged = await service.list_assignments(session, call.principal, filters, page)
        names = await mentee_names(session, paged.items)
    return paged.rest_body(lambda row: io.assignment_json(row, names))


async def get_assignment(call: Call) -> Response:
    async with call.db.read() as session:
        row = await service.get_assignment(session, call.principal, call.path["id"])
        body = await _render(session, row)
    return _single(body, row)


async def create_assignment(call: Call) -> Response:
    command, names = io.create_command(call.parse(io.CreateIn, ignore=io.READ_ONLY))
    written = await call.work.run(
        service.with_mentee_name(service.create_assignment), call.principal, command, names
    )
    return _written(written, 201)


async def update_assignment(call: Call) -> Response:
    patch, names = io.update_command(call.parse(io.UpdateIn, ignore=io.READ_ONLY))
    expected = _if_match(call)
    written = await call.work.run(
        service.with_mentee_name(service.update_assignment),
        call.principal,
        call.path["id"],
        patch,
        expected_version=expected,
        names=names,
    )
    return _written(written)


async def delete_assignment(call: Call) -> dict[str, Any]:
    expected = _if_match(call)
    row = await call.work.run(
        service.delete_assignment, call.principal, call.path["id"], expected_version=expected
    )
    return {"deleted": True, "assignment_id": row.id}


async def record_last_contact(call: Call) -> Response:
    body = call.parse(io.LastContactIn, ignore=io.READ_ONLY)
    when = io.contact_moment(body)
    expected = _if_match(call)
    written = await call.work.run(
        service.with_mentee_name(service.record_contact),
        call.principal,
        call.path["id"],
        contact_type=body.contact_type,
        contact_at=when,
        expected_version=expected,
        names=FieldNames({"contact_at": "contact_date"}),
    )
    return _written(written)


async def change_status(call: Call) -> Response:
    body = call.parse(io.StatusIn, ignore=io.READ_ONLY)
    status = parse_status(body.status)
    expected = _if_match(call)
    written = await call.work.run(
        service.with_mentee_name(service.change_status),
        call.principal,
        call.path["id"],
        status=status,
        reason=body.reason,
        expected_version=expected,
    )
    return _written(written)


def _days(raw: str | None) -> int | None:
    if raw is None:
        return None
    if not raw.isdigit():
        raise BadRequest("Query parameter 'days' must be a whole number of days, 0 or more")
    return int(raw)


async def overdue(call: Call) -> dict[str, Any]:
    page = call.page()
    raw_cutoff = call.query_param("cutoff")
    try:
        cutoff = None if raw_cutoff is None else parse_date_or_datetime(raw_cutoff)
    except ValueError as exc:
        raise BadRequest(f"Query parameter 'cutoff' {exc}") from None
    days = _days(call.query_param("days"))
    async with call.db.read() as session:
        paged = await followups.overdue(
            session,
            call.principal,
            call.settings,
            page,
            cutoff=cutoff,
            days=days,
            org_id=call.query_param("org_id"),
        )
        names = await mentee_names(session, paged.items)
    return paged.rest_body(lambda row: io.assignment_json(row, names))


async def _mentor_list(call: Call, *, active: bool) -> dict[str, Any]:
    page = call.page()
    async with call.db.read() as session:
        paged = await service.mentor_assignments(
            session, call.principal, call.path["mentor_id"], page, active=active
        )
        names = await mentee_names(session, paged.items)
    return paged.rest_body(lambda row: io.assignment_json(row, names))


async def mentor_active(call: Call) -> dict[str, Any]:
    return await _mentor_list(call, active=True)


async def mentor_history(call: Call) -> dict[str, Any]:
    return await _mentor_list(call, active=False)


async def mentor_open_count(call: Call) -> dict[str, Any]:
    mentor_id = call.path["mentor_id"]
    async with call.db.read() as session:
        count = await service.open_count(session, call.principal, mentor_id)
    return {"mentor_id": mentor_id, "peer_mentor_id": mentor_id, "open_assignment_count": count}


_LIST_FILTERS = (
    QueryParam(
        "status",
        "open (default), active, closed, completed or all",
        {"type": "string", "enum": ["open", "active", "closed", "completed", "all"]},
    ),
    QueryParam("mentor_id", "Only this mentor's (alias: peer_mentor_id; both must agree)"),
    QueryParam("peer_mentor_id", "Only this mentor's (alias: mentor_id; both must agree)"),
    QueryParam("contact_id", "Only this mentee's (alias: mentee_id; both must agree)"),
    QueryParam("mentee_id", "Only this mentee's (alias: contact_id; both must agree)"),
    QueryParam("coordinator_id", "Only this coordinator's"),
    QueryParam("org_id", "Only this organisation's"),
)
_OVERDUE = (
    QueryParam(
        "cutoff",
        "RFC 3339 date or date-time: no contact since then; not with `days`",
        {"anyOf": [text_schema(64, format="date"), text_schema(64, format="date-time")]},
    ),
    QueryParam(
        "days",
        "No contact for this many days; not with `cutoff`",
        {"type": "integer", "minimum": 0, "maximum": MAX_DAYS},
    ),
    QueryParam("org_id", "Only this organisation's"),
)

CONTRACT = Contract(
    name="Assignments",
    base="/api/v1/assignments",
    description="Mentoring assignments: peer-mentor follow-up (contract 000) and "
    "mentor-contact casework (contract 001), one record behind both.",
    endpoints=(
        Endpoint(
            "GET",
            "",
            list_assignments,
            "List assignments (open unless ?status= says otherwise)",
            query=PAGE_PARAMS + _LIST_FILTERS,
            list_of=io.AssignmentOut,
        ),
        Endpoint(
            "POST",
            "",
            create_assignment,
            "Create an assignment (either contract's body)",
            status=201,
            body=io.CreateIn,
            response=io.AssignmentOut,
            errors=_WRITE_ERRORS,
            etag=True,
        ),
        Endpoint(
            "GET",
            "/overdue",
            overdue,
            "Open assignments with no contact since a cutoff, oldest contact first",
            query=PAGE_PARAMS + _OVERDUE,
            list_of=io.AssignmentOut,
        ),
        Endpoint(
            "GET",
            "/mentor/{mentor_id}/active",
            mentor_active,
            "A mentor's open assignments",
            query=PAGE_PARAMS,
            list_of=io.AssignmentOut,
        ),
        Endpoint(
            "GET",
            "/mentor/{mentor_id}/history",
            mentor_history,
            "A mentor's assignments, open and closed, newest first",
            query=PAGE_PARAMS,
            list_of=io.AssignmentOut,
        ),
        Endpoint(
            "GET",
            "/mentor/{mentor_id}/open-count",
            mentor_open_count,
            "How many open assignments a mentor has",
            response=io.OpenCountOut,
        ),
        Endpoint(
            "GET", "/{id}", get_assignment, "One assignment", response=io.AssignmentOut, etag=True
        ),
        Endpoint(
            "PUT",
            "/{id}",
            update_assignment,
            "Update an assignment's details or status (fields not sent stay as they are)",
            body=io.UpdateIn,
            response=io.AssignmentOut,
            errors=_WRITE_ERRORS,
            etag=True,
        ),
        Endpoint(
            "DELETE",
            "/{id}",
            delete_assignment,
            "Delete an assignment (kept as a tombstone)",
            response=io.DeletedOut,
            errors=(400, 401, 403, 404, 412),
        ),
        Endpoint(
            "PUT",
            "/{id}/last-contact",
            record_last_contact,
            "Record a contact (kept as history); the latest becomes last_contact_date",
            body=io.LastContactIn,
            response=io.AssignmentOut,
            errors=_WRITE_ERRORS,
            etag=True,
        ),
        Endpoint(
            "PATCH",
            "/{id}/status",
            change_status,
            "Close or reopen an assignment, with a reason",
            body=io.StatusIn,
            response=io.AssignmentOut,
            errors=_WRITE_ERRORS,
            etag=True,
        ),
    ),
)
