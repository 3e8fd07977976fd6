"""Contract 003: ``/api/v1/milestones`` (7 routes, canonical and doubled paths).

Items carry the contract's fields (``app/rest/milestones_bodies.py``);
``accessibility_label`` follows ``Accept-Language`` (``nb``/``no``: bokmål, otherwise
English; the answer names it in ``Content-Language``).
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from app.errors import BadRequest
from app.pagination import Paged
from app.rest.http import json_response
from app.rest.milestones_bodies import (
    READ_ONLY,
    DeletedOut,
    DetectIn,
    MilestoneOut,
    MilestoneUpdateIn,
    milestone_json,
)
from app.rest.routing import PAGE_PARAMS, Call, Contract, Endpoint, QueryParam
from app.services import milestone_detection as detection
from app.services import milestones as service
from app.services.milestone_labels import Locale, negotiate
from app.services.milestone_reads import MilestoneRecord, MilestoneStatus, MilestoneType
from app.services.milestone_rules import MAX_YEAR, MIN_YEAR
from app.versioning import etag, parse_if_match

# --- handlers' helpers ----------------------------------------------------------------------


def _locale(call: Call) -> Locale:
    return negotiate(call.request.headers.get("accept-language"))


def _respond(
    call: Call, body: Any, status: int = 200, etag_of: MilestoneRecord | None = None
) -> Response:
    headers = {"Content-Language": _locale(call).value, "Vary": "Accept-Language"}
    if etag_of is not None:
        headers["ETag"] = etag(etag_of.version)
    return json_response(body, status, headers=headers)


def _page(call: Call, paged: Paged[MilestoneRecord], *, in_progress_view: bool = False) -> Response:
    locale = _locale(call)
    body = paged.rest_body(
        lambda row: milestone_json(row, locale, in_progress_view=in_progress_view)
    )
    return _respond(call, body)


def _status_param(call: Call) -> MilestoneStatus | None:
    raw = call.query_param("status")
    return service.parse_status(raw, query=True) if raw else None


def _type_param(call: Call) -> str | None:
    raw = call.query_param("type")
    if raw and raw not in {t.value for t in MilestoneType}:
        allowed = ", ".join(t.value for t in MilestoneType)
        raise BadRequest(f"Query parameter 'type' must be one of {allowed}")
    return raw or None


def _period_param(call: Call) -> Any:
    return service.query_period(
        call.query_param("year") or None,
        call.query_param("start_date") or None,
        call.query_param("end_date") or None,
    )


# --- handlers -------------------------------------------------------------------------------


async def list_milestones(call: Call) -> Response:
    page = call.page()
    status, kind, period = _status_param(call), _type_param(call), _period_param(call)
    async with call.db.read() as session:
        paged = await service.list_milestones(
            session,
            call.principal,
            page,
            mentor_id=call.query_param("mentor_id") or None,
            status=status,
            type=kind,
            period=period,
        )
    return _page(call, paged)


async def get_milestone(call: Call) -> Response:
    async with call.db.read() as session:
        row = await service.get_milestone(session, call.principal, call.path["id"])
    return _respond(call, milestone_json(row, _locale(call)), etag_of=row)


async def detect_milestones(call: Call) -> Response:
    body = call.parse(DetectIn)
    page = call.page()
    result = await call.work.run(
        detection.detect,
        call.principal,
        mentor_id=body.mentor_id,
        year=body.period.year,
        start_date=body.period.start_date,
        end_date=body.period.end_date,
        summary=body.summary.model_dump() if body.summary else None,
    )
    items = result.milestones[page.offset : page.offset + page.limit]
    paged = Paged(items, len(result.milestones), page)
    locale = _locale(call)
    return _respond(
        call,
        paged.rest_body(lambda row: milestone_json(row, locale)),
        201 if result.created else 200,
    )


async def update_milestone(call: Call) -> Response:
    body = call.parse(MilestoneUpdateIn, ignore=READ_ONLY)
    expected = parse_if_match(call.request.headers.get("if-match"))
    changes = service.MilestoneChanges(**body.model_dump())
    row = await call.work.run(
        service.update_milestone,
        call.principal,
        call.path["id"],
        changes,
        expected_version=expected,
    )
    return _respond(call, milestone_json(row, _locale(call)), etag_of=row)


async def delete_milestone(call: Call) -> dict[str, Any]:
    expected = parse_if_match(call.request.headers.get("if-match"))
    row = await call.work.run(
        service.delete_milestone, call.principal, call.path["id"], expected_version=expected
    )
    return {"deleted": True, "id": row.id}


async def new_milestones(call: Call) -> Response:
    page = call.page()
    period = _period_param(call)
    async with call.db.read() as session:
        paged = await service.new_milestones(
            session, call.principal, call.path["mentor_id"], page, period=period
        )
    return _page(call, paged)


async def in_progress(call: Call) -> Response:
    page = call.page()
    period, kind = _period_param(call), _type_param(call)
    async with call.db.read() as session:
        paged = await service.in_progress(
            session, call.principal, call.path["mentor_id"], page, period=period, type=kind
        )
    return _page(call, paged, in_progress_view=True)


_PERIOD = (
    QueryParam(
        "year",
        "A calendar year: the period when no dates are given; with dates, both lie in it",
        {"type": "integer", "minimum": MIN_YEAR, "maximum": MAX_YEAR},
    ),
    QueryParam(
        "start_date",
        "First day of the period, YYYY-MM-DD; give end_date too, not after it",
        {"type": "string", "format": "date"},
    ),
    QueryParam(
        "end_date",
        "Last day of the period, YYYY-MM-DD; give start_date too, not before it",
        {"type": "string", "format": "date"},
    ),
)
_TYPE = QueryParam(
    "type",
    "hours_logged, contacts_helped or activities_logged",
    {"type": "string", "enum": [t.value for t in MilestoneType]},
)

CONTRACT = Contract(
    name="Milestones",
    base="/api/v1/milestones",
    description="Mentor milestones detected from yearly totals (contract 003).",
    endpoints=(
        Endpoint(
            "GET",
            "",
            list_milestones,
            "List the milestones the caller may see, with optional filters",
            query=(
                *PAGE_PARAMS,
                QueryParam("mentor_id", "Only this mentor's"),
                QueryParam(
                    "status",
                    "achieved or in_progress",
                    {"type": "string", "enum": [s.value for s in MilestoneStatus]},
                ),
                _TYPE,
                *_PERIOD,
            ),
            list_of=MilestoneOut,
        ),
        Endpoint(
            "POST",
            "",
            detect_milestones,
            "Detect and persist a mentor's milestones for a period (idempotent)",
            status=201,
            body=DetectIn,
            list_of=MilestoneOut,
            query=PAGE_PARAMS,
            errors=(400, 401, 403, 409, 413, 415, 422),
            also={200: "Detected again: nothing new was created; the same milestones"},
        ),
        Endpoint(
            "GET",
            "/{mentor_id}/new",
            new_milestones,
            "Milestones a mentor achieved in a period (default: this calendar year)",
            query=(*PAGE_PARAMS, *_PERIOD),
            list_of=MilestoneOut,
        ),
        Endpoint(
            "GET",
            "/{mentor_id}/in-progress",
            in_progress,
            "A mentor's milestones in progress (default: their latest detection period)",
            query=(*PAGE_PARAMS, *_PERIOD, _TYPE),
            list_of=MilestoneOut,
        ),
        Endpoint("GET", "/{id}", get_milestone, "One milestone", response=MilestoneOut, etag=True),
        Endpoint(
            "PUT",
            "/{id}",
            update_milestone,
            "Correct a milestone's status or values (coordinators, admins)",
            body=MilestoneUpdateIn,
            response=MilestoneOut,
            errors=(400, 401, 403, 404, 409, 412, 413, 415, 422),
            etag=True,
        ),
        Endpoint(
            "DELETE",
            "/{id}",
            delete_milestone,
            "Remove a milestone record (kept as a tombstone)",
            response=DeletedOut,
            errors=(400, 401, 403, 404, 412),
        ),
    ),
)
