"""Directory routes (not part of a legacy catalogue): ``/api/v1/me``, people and organisations.

They give legacy service clients the same directory the GraphQL door has.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from app.ids import EXTERNAL_ID, MAX_ID_LENGTH
from app.rest.http import json_pattern, text
from app.rest.routing import PAGE_PARAMS, Call, Contract, Endpoint, QueryParam
from app.services import people as service
from app.services.people_reads import OrgRecord, PersonRecord
from app.timeutil import format_datetime


class PersonOut(BaseModel):
    id: str
    name: str
    email: str | None
    roles: list[str]
    created_at: str
    updated_at: str


class PersonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(
        min_length=1,
        max_length=MAX_ID_LENGTH,
        json_schema_extra={"pattern": json_pattern(EXTERNAL_ID)},
    )
    name: str = Field(min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=service.MAX_EMAIL)
    roles: list[Annotated[str, text(16, choices=sorted(service.PERSON_ROLES))]] = Field(
        default_factory=list, max_length=10
    )


class OrganisationOut(BaseModel):
    id: str
    name: str
    reminder_days: int
    escalation_days: int
    created_at: str


def person_json(row: PersonRecord) -> dict[str, Any]:
    """A person the caller sees in full: the REST door answers no directory cards (a person
    the caller may not open is a 404)."""
    return {
        "id": row.id,
        "name": row.name,
        "email": row.email,
        "roles": list(row.roles or ()),
        "created_at": format_datetime(row.created_at),
        "updated_at": format_datetime(row.updated_at),
    }


def org_json(row: OrgRecord, call: Call) -> dict[str, Any]:
    limits = service.thresholds_for(row, call.settings)
    return {
        "id": row.id,
        "name": row.name,
        "reminder_days": limits.reminder_days,
        "escalation_days": limits.escalation_days,
        "created_at": format_datetime(row.created_at),
    }


async def get_me(call: Call) -> dict[str, Any]:
    async with call.db.read() as session:
        return person_json(
            await service.get_person(session, call.principal, call.principal.person_id)
        )


async def get_person(call: Call) -> dict[str, Any]:
    async with call.db.read() as session:
        return person_json(await service.get_person(session, call.principal, call.path["id"]))


async def list_people(call: Call) -> dict[str, Any]:
    page = call.page()
    async with call.db.read() as session:
        paged = await service.list_people(
            session,
            call.principal,
            page,
            org_id=call.query_param("org_id"),
            search=call.query_param("search"),
            role=call.query_param("role"),
        )
    return paged.rest_body(person_json)


async def create_person(call: Call) -> dict[str, Any]:
    body = call.parse(PersonIn)
    row = await call.work.run(
        service.create_person,
        call.principal,
        person_id=body.id,
        name=body.name,
        email=body.email,
        roles=body.roles,
    )
    return person_json(row)


async def get_org(call: Call) -> dict[str, Any]:
    async with call.db.read() as session:
        return org_json(await service.get_org(session, call.principal, call.path["id"]), call)


CONTRACT = Contract(
    name="Directory",
    base="/api/v1",
    doubled=False,
    description="The shared people directory.",
    endpoints=(
        Endpoint("GET", "/me", get_me, "The caller's own directory entry", response=PersonOut),
        Endpoint(
            "GET",
            "/people",
            list_people,
            "People the caller may see",
            query=(
                *PAGE_PARAMS,
                QueryParam("org_id", "Only members of this organisation"),
                QueryParam("search", "Part of the name"),
                QueryParam(
                    "role",
                    "Only people with this directory role",
                    {"type": "string", "enum": sorted(service.PERSON_ROLES)},
                ),
            ),
            list_of=PersonOut,
        ),
        Endpoint(
            "POST",
            "/people",
            create_person,
            "Add a person (admin)",
            status=201,
            body=PersonIn,
            response=PersonOut,
            errors=(400, 401, 403, 409, 413, 415, 422),
        ),
        Endpoint("GET", "/people/{id}", get_person, "One person", response=PersonOut),
        Endpoint(
            "GET", "/organisations/{id}", get_org, "One organisation", response=OrganisationOut
        ),
    ),
)
