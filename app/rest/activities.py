"""Contract 002: activities peer mentors log, offline first (``/api/v1/activities``).

``POST`` is idempotent on ``(peer_mentor_id, local_id)``: 201 when it created the record,
200 with the original record when it is a retry of the same insert.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr
from starlette.responses import Response

from app.errors import BadRequest, FieldError, InvalidInput
from app.ids import MAX_ID_LENGTH
from app.rest.http import json_pattern, json_response, not_null, text
from app.rest.routing import PAGE_PARAMS, Call, Contract, Endpoint, QueryParam
from app.services import activities as service
from app.services import activity_changes as changing
from app.services.activity_reads import ActivityFilters, ActivityRecord, ActivityStatus
from app.services.activity_rules import (
    LOCAL_ID,
    MAX_DURATION,
    MAX_NOTES,
    MAX_REASON,
    NewActivity,
)
from app.timeutil import format_date, format_datetime, parse_date
from app.versioning import etag, parse_if_match

# Server-authoritative fields a client may echo back from a GET; they are ignored.
_READ_ONLY_ON_CREATE = frozenset(
    {"id", "status", "rejection_reason", "version", "created_at", "updated_at"}
)
_READ_ONLY_ON_UPDATE = frozenset({"version", "created_at", "updated_at"})
_NOT_NULL_ON_UPDATE = ("activity_type_id", "date", "duration_minutes", "status")


class ActivityOut(BaseModel):
    id: str = Field(examples=["act_9f3a12bc"])
    local_id: str = Field(examples=["local_7e2d1a"])
    peer_mentor_id: str = Field(examples=["mentor_4b8c21"])
    activity_type_id: str = Field(examples=["type_running"])
    date: str = Field(examples=["2026-03-25"])
    duration_minutes: int = Field(examples=[45])
    status: str = Field(description="pending, confirmed or rejected", examples=["pending"])
    notes: str | None
    rejection_reason: str | None = Field(description="Why a coordinator rejected it")
    version: int = Field(description="The record's version; its ETag is this in quotes")
    created_at: str
    updated_at: str


_Id = Annotated[StrictStr, text(MAX_ID_LENGTH)]
_Date = Annotated[StrictStr, text(10), Field(json_schema_extra={"format": "date"})]
_Notes = Annotated[StrictStr, text(MAX_NOTES)]
_Minutes = Annotated[StrictInt, Field(json_schema_extra={"minimum": 1, "maximum": MAX_DURATION})]


class ActivityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    local_id: Annotated[StrictStr, text(MAX_ID_LENGTH)] = Field(
        description="The client's idempotency key: 1-64 printable characters, no spaces",
        json_schema_extra={"pattern": json_pattern(LOCAL_ID)},
    )
    peer_mentor_id: _Id | None = Field(
        default=None, description="Whose activity; defaults to the caller"
    )
    activity_type_id: _Id
    date: _Date = Field(description="YYYY-MM-DD, not after tomorrow")
    duration_minutes: _Minutes = Field(description=f"1-{MAX_DURATION}")
    notes: _Notes | None = Field(default=None)


class ActivityUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    activity_type_id: _Id | None = Field(default=None, json_schema_extra=not_null())
    date: _Date | None = Field(
        default=None, description="YYYY-MM-DD, not after tomorrow", json_schema_extra=not_null()
    )
    duration_minutes: _Minutes | None = Field(default=None, json_schema_extra=not_null())
    notes: _Notes | None = None
    status: Annotated[StrictStr, text(16, choices=list(ActivityStatus))] | None = Field(
        default=None,
        description="A change is a coordinator's (or admin's) decision",
        json_schema_extra=not_null(),
    )
    rejection_reason: Annotated[StrictStr, text(MAX_REASON)] | None = Field(
        default=None, description="Required when the status becomes rejected"
    )
    id: _Id | None = Field(default=None, description="Echo only: must match the URL")
    local_id: _Id | None = Field(default=None, description="Echo only: cannot change")
    peer_mentor_id: _Id | None = Field(default=None, description="Echo only: cannot change")


class Deleted(BaseModel):
    deleted: bool
    id: str


def activity_json(row: ActivityRecord) -> dict[str, Any]:
    return {
        "id": row.id,
        "local_id": row.local_id,
        "peer_mentor_id": row.peer_mentor_id,
        "activity_type_id": row.activity_type_id,
        "date": format_date(row.date),
        "duration_minutes": row.duration_minutes,
        "status": row.status,
        "notes": row.notes,
        "rejection_reason": row.rejection_reason,
        "version": row.version,
        "created_at": format_datetime(row.created_at),
        "updated_at": format_datetime(row.updated_at),
    }


def _one(row: ActivityRecord, status: int = 200) -> Response:
    return json_response(activity_json(row), status, headers={"ETag": etag(row.version)})


def _date_param(call: Call, name: str) -> Any:
    raw = call.query_param(name)
    if raw is None or raw == "":
        return None
    try:
        return parse_date(raw)
    except ValueError as exc:
        raise BadRequest(f"Query parameter '{name}' {exc}") from None


async def list_activities(call: Call) -> dict[str, Any]:
    page = call.page()
    status = call.query_param("status")
    filters = ActivityFilters(
        peer_mentor_id=call.query_param("peer_mentor_id") or None,
        start=_date_param(call, "from"),
        end=_date_param(call, "to"),
        status=service.parse_status(status) if status else None,
        activity_type_id=call.query_param("activity_type_id") or None,
    )
    async with call.db.read() as session:
        paged = await service.list_activities(session, call.principal, page, filters)
    return paged.rest_body(activity_json)


async def get_activity(call: Call) -> Response:
    async with call.db.read() as session:
        return _one(await service.get_activity(session, call.principal, call.path["id"]))


async def create_activity(call: Call) -> Response:
    body = call.parse(ActivityIn, ignore=_READ_ONLY_ON_CREATE)
    new = NewActivity(
        local_id=body.local_id,
        activity_type_id=body.activity_type_id,
        date=body.date,
        duration_minutes=body.duration_minutes,
        notes=body.notes,
        peer_mentor_id=body.peer_mentor_id,
    )
    logged = await service.log_new_activity(call.work, call.principal, new)
    return _one(logged.activity, 201 if logged.created else 200)


async def update_activity(call: Call) -> Response:
    body = call.parse(ActivityUpdate, ignore=_READ_ONLY_ON_UPDATE)
    given = body.model_fields_set
    errors = [FieldError(f, "must not be null") for f in _NOT_NULL_ON_UPDATE if f in given]
    errors = [e for e in errors if getattr(body, e.field) is None]
    if body.id is not None and body.id != call.path["id"]:
        errors.append(FieldError("id", "does not match the activity in the URL"))
    InvalidInput.raise_if_any(errors)
    changes = changing.ActivityChanges(
        activity_type_id=body.activity_type_id,
        date=body.date,
        duration_minutes=body.duration_minutes,
        notes=body.notes if "notes" in given else changing.UNSET,
        status=body.status,
        rejection_reason=body.rejection_reason if "rejection_reason" in given else changing.UNSET,
        local_id=body.local_id,
        peer_mentor_id=body.peer_mentor_id,
    )
    expected = parse_if_match(call.request.headers.get("if-match"))
    row = await call.work.run(
        changing.update_activity,
        call.principal,
        call.path["id"],
        changes,
        expected_version=expected,
    )
    return _one(row)


async def delete_activity(call: Call) -> dict[str, Any]:
    expected = parse_if_match(call.request.headers.get("if-match"))
    row = await call.work.run(
        changing.delete_activity, call.principal, call.path["id"], expected_version=expected
    )
    return {"deleted": True, "id": row.id}


_DATE = {"type": "string", "format": "date"}

CONTRACT = Contract(
    name="Activities",
    base="/api/v1/activities",
    description="Activities peer mentors log, offline first (contract 002).",
    endpoints=(
        Endpoint(
            "GET",
            "",
            list_activities,
            "List activities with optional peer mentor and date range filters",
            query=(
                *PAGE_PARAMS,
                QueryParam("peer_mentor_id", "Only this mentor's activities"),
                QueryParam("from", "Dated on or after (YYYY-MM-DD); not after `to`", _DATE),
                QueryParam("to", "Dated on or before (YYYY-MM-DD); not before `from`", _DATE),
                QueryParam(
                    "status",
                    "pending, confirmed or rejected",
                    {"type": "string", "enum": ["pending", "confirmed", "rejected"]},
                ),
                QueryParam("activity_type_id", "Only this activity type"),
            ),
            list_of=ActivityOut,
        ),
        Endpoint(
            "GET",
            "/{id}",
            get_activity,
            "Get a single activity record by ID",
            response=ActivityOut,
            etag=True,
        ),
        Endpoint(
            "POST",
            "",
            create_activity,
            "Insert a new activity record (optimistic insert; local_id tracks "
            "pre-confirmation state). 201 created; 200 the original record of a retry",
            status=201,
            body=ActivityIn,
            response=ActivityOut,
            errors=(400, 401, 403, 409, 413, 415, 422),
            also={200: "A retry of the same insert (same local_id and payload): the original"},
            etag=True,
        ),
        Endpoint(
            "PUT",
            "/{id}",
            update_activity,
            "Update an activity record (also used to confirm optimistic inserts by "
            "mapping local_id → remote id)",
            body=ActivityUpdate,
            response=ActivityOut,
            errors=(400, 401, 403, 404, 409, 412, 413, 415, 422, 428),
            etag=True,
        ),
        Endpoint(
            "DELETE",
            "/{id}",
            delete_activity,
            "Delete an activity record by ID",
            response=Deleted,
            errors=(400, 401, 403, 404, 409, 412, 428),
        ),
    ),
)
