"""The hand-written baseline (a): the physical limit of this stack for each workload.

A bare Starlette app on the same uvicorn, reading the same rows with the raw driver
(aiosqlite or asyncpg, no ORM, no GraphQL, no services) and answering byte-for-byte the
JSON the gateway answers, encoded with orjson. It serves the same paths and takes the same
requests as the gateway, so the load generator sends identical bytes to both; GraphQL
operations are recognised by ``operationName``. It handles only what the workloads send
(a coordinator reading assignments, a mentor logging an activity), not the general API.

Like the gateway it authenticates every request: the bearer JWT is verified and the
person row read once (for the activity insert that read also gives the mentor's roles).
Unlike the gateway it opens no transaction for single reads, writes no access log and
publishes no subscription events: that is the difference this benchmark measures.

``GET /stats`` reports the SQL statements and requests served so far.

Run: ``uvicorn bench.baseline:create_app --factory`` with ``BENCH_DATABASE_URL`` and
``BENCH_JWT_SECRET`` set.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

import jwt
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bench.rawdb import RawDB, connect

STATS = {"statements": 0, "requests": 0}
_DAY = timedelta(days=1)


# --- helpers ------------------------------------------------------------------------------


def _dt(value: Any) -> datetime | None:
    if value is None:
        return None
    moment: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _d(value: Any) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _z(value: datetime | None) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _gid(kind: str, key: str) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{key}".encode()).decode()


def _now() -> datetime:
    return datetime.now(UTC)


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(data), status, headers, media_type="application/json")


def _problem(status: int, detail: str) -> Response:
    return Response(
        orjson.dumps({"status": status, "detail": detail}),
        status,
        media_type="application/problem+json",
    )


class Denied(Exception):
    def __init__(self, status: int, detail: str) -> None:
        self.status, self.detail = status, detail


class Who:
    def __init__(self, claims: dict[str, Any], roles: list[str]) -> None:
        self.id: str = claims["sub"]
        self.roles = frozenset(claims.get("roles", ()))
        self.orgs: list[str] = sorted(claims.get("orgs", ()))
        self.directory_roles = roles


async def _auth(request: Request, db: RawDB) -> Who:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        raise Denied(401, "Use an Authorization: Bearer <token> header")
    secret = request.app.state.secret
    try:
        claims = jwt.decode(
            token.strip(),
            secret,
            algorithms=["HS256"],
            audience="gateway",
            issuer="gateway",
            options={"require": ["sub", "exp", "iat"]},
        )
    except jwt.PyJWTError:
        raise Denied(401, "Invalid token") from None
    row = await db.fetchrow(
        "SELECT id, roles FROM people WHERE id = ? AND deleted_at IS NULL", claims["sub"]
    )
    if row is None:
        raise Denied(401, "The token's person does not exist")
    roles = row[1] if isinstance(row[1], list) else orjson.loads(row[1])
    return Who(claims, roles)


def _coordinator_orgs(who: Who) -> list[str]:
    if "coordinator" not in who.roles:
        raise Denied(403, "baseline: coordinators only")
    return who.orgs


def _marks(n: int) -> str:
    return ", ".join("?" * n)


# --- assignments ---------------------------------------------------------------------------

_ASSIGNMENT_COLUMNS = (
    "id, mentor_id, mentee_id, coordinator_id, org_id, status, created_via, notes, "
    "started_at, last_contact_at, closed_at, reminder_sent_at, escalation_sent_at, version, "
    "created_at, updated_at"
)
_FOLLOWUP_WORDS = {"open": "active", "closed": "completed"}


def _assignment_rest(r: Any, names: dict[str, str], now: datetime) -> dict[str, Any]:
    name = names.get(r[2])
    started, last = _dt(r[8]), _dt(r[9])
    assert started is not None
    return {
        "assignment_id": r[0],
        "mentee_id": r[2],
        "contact_id": r[2],
        "mentee_name": name,
        "contact_name": name,
        "peer_mentor_id": r[1],
        "mentor_id": r[1],
        "coordinator_id": r[3],
        "org_id": r[4],
        "status": _FOLLOWUP_WORDS[r[5]] if r[6] == "followup" else r[5],
        "notes": r[7],
        "start_date": started.date().isoformat(),
        "assigned_date": _z(started),
        "last_contact_date": _z(last),
        "days_since_contact": None if last is None else (now - last) // _DAY,
        "reminder_sent_at": _z(_dt(r[11])),
        "escalation_sent_at": _z(_dt(r[12])),
        "closed_date": _z(_dt(r[10])),
        "created_at": _z(_dt(r[14])),
        "updated_at": _z(_dt(r[15])),
    }


def _person_gql(pid: str, people: dict[str, str]) -> dict[str, Any] | None:
    name = people.get(pid)
    return None if name is None else {"legacyId": pid, "name": name}


def _assignment_gql(
    r: Any, people: dict[str, str], contacts: list[Any], now: datetime
) -> dict[str, Any]:
    last = _dt(r[9])
    return {
        "legacyId": r[0],
        "status": r[5].upper(),
        "startDate": _z(_dt(r[8])),
        "lastContactAt": _z(last),
        "daysSinceContact": None if last is None else (now - last) // _DAY,
        "mentor": _person_gql(r[1], people),
        "mentee": _person_gql(r[2], people),
        "contacts": [{"contactAt": _z(_dt(c[1])), "contactType": c[2].upper()} for c in contacts],
    }


async def _page_of_assignments(
    db: RawDB, orgs: list[str], org_id: str, limit: int, offset: int
) -> tuple[int, list[Any]]:
    where = (
        f"deleted_at IS NULL AND org_id IN ({_marks(len(orgs))}) AND status = 'open' AND org_id = ?"
    )
    total = await db.fetchval(f"SELECT count(*) FROM assignments WHERE {where}", *orgs, org_id)
    rows = await db.fetch(
        f"SELECT {_ASSIGNMENT_COLUMNS} FROM assignments WHERE {where} "
        "ORDER BY created_at, id LIMIT ? OFFSET ?",
        *orgs,
        org_id,
        limit,
        offset,
    )
    return int(total), rows


async def _names(db: RawDB, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    ordered = sorted(ids)
    rows = await db.fetch(
        f"SELECT id, name FROM people WHERE id IN ({_marks(len(ordered))})", *ordered
    )
    return {r[0]: r[1] for r in rows}


async def _latest_contacts(db: RawDB, ids: list[str], n: int) -> dict[str, list[Any]]:
    if not ids:
        return {}
    rows = await db.fetch(
        "SELECT assignment_id, contact_at, contact_type FROM ("
        " SELECT assignment_id, contact_at, contact_type, id, row_number() OVER ("
        "  PARTITION BY assignment_id ORDER BY contact_at DESC, id DESC) AS rank"
        f" FROM assignment_contacts WHERE assignment_id IN ({_marks(len(ids))})"
        ") ranked WHERE rank <= ? ORDER BY contact_at DESC, id DESC",
        *ids,
        n,
    )
    found: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        found[row[0]].append(row)
    return found


def _int_param(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    return default if raw is None else int(raw)


async def rest_assignments(request: Request, db: RawDB, who: Who) -> Response:
    orgs = _coordinator_orgs(who)
    limit, page = _int_param(request, "limit", 20), _int_param(request, "page", 1)
    total, rows = await _page_of_assignments(
        db, orgs, request.query_params["org_id"], limit, (page - 1) * limit
    )
    names = await _names(db, {r[2] for r in rows})
    now = _now()
    return _json(
        {
            "data": [_assignment_rest(r, names, now) for r in rows],
            "pagination": {"page": page, "limit": limit, "total": total},
        }
    )


async def _visible_assignment(db: RawDB, who: Who, assignment_id: str) -> Any:
    orgs = _coordinator_orgs(who)
    row = await db.fetchrow(
        f"SELECT {_ASSIGNMENT_COLUMNS} FROM assignments WHERE id = ? AND deleted_at IS NULL",
        assignment_id,
    )
    if row is None or row[4] not in orgs:
        raise Denied(404, f"Assignment {assignment_id!r} not found")
    return row


async def rest_assignment(request: Request, db: RawDB, who: Who) -> Response:
    row = await _visible_assignment(db, who, request.path_params["id"])
    names = await _names(db, {row[2]})
    body = _assignment_rest(row, names, _now())
    return _json(body, headers={"ETag": f'"{row[13]}"'})


async def _record_contact(
    db: RawDB, who: Who, assignment_id: str, contact_type: str, *, with_names: bool
) -> tuple[list[Any], dict[str, str]]:
    """The same change the gateway makes: a contact row, ``last_contact_at`` moved forward
    (restarting follow-up), ``updated_at`` and ``version`` bumped, in one write transaction."""
    now = _now()
    when = now.replace(microsecond=0)
    async with db.transaction() as tx:
        row = list(await _visible_assignment(tx, who, assignment_id))
        last, version = _dt(row[9]), row[13]
        row[9] = last
        if last is None or when > last:
            row[9], row[11], row[12] = when, None, None
        row[13], row[15] = version + 1, now
        await tx.execute(
            "UPDATE assignments SET last_contact_at = ?, reminder_sent_at = ?, "
            "escalation_sent_at = ?, updated_at = ?, version = ? WHERE id = ? AND version = ?",
            tx.ts(row[9]),
            None if row[11] is None else tx.ts(_dt(row[11])),
            None if row[12] is None else tx.ts(_dt(row[12])),
            tx.ts(now),
            version + 1,
            row[0],
            version,
        )
        await tx.execute(
            "INSERT INTO assignment_contacts "
            "(assignment_id, contact_at, contact_type, recorded_by, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            row[0],
            tx.ts(when),
            contact_type,
            who.id,
            tx.ts(now),
        )
        names = await _names(tx, {row[2]}) if with_names else {}
    return row, names


async def rest_last_contact(request: Request, db: RawDB, who: Who) -> Response:
    body = orjson.loads(await request.body())
    row, names = await _record_contact(
        db, who, request.path_params["id"], body["contact_type"], with_names=True
    )
    return _json(_assignment_rest(row, names, _now()), headers={"ETag": f'"{row[13]}"'})


# --- people, activities, milestones (the mentor profile) ----------------------------------


async def _person(db: RawDB, who: Who, person_id: str) -> tuple[Any, list[Any]]:
    orgs = _coordinator_orgs(who)
    row = await db.fetchrow(
        "SELECT id, name, email, roles, created_at, updated_at FROM people "
        "WHERE id = ? AND deleted_at IS NULL",
        person_id,
    )
    memberships = await db.fetch(
        "SELECT org_id, role FROM memberships WHERE person_id = ? ORDER BY org_id", person_id
    )
    if row is None or not {m[0] for m in memberships} & set(orgs):
        raise Denied(404, f"Person {person_id!r} not found")
    return row, memberships


def _roles(value: Any) -> list[str]:
    return value if isinstance(value, list) else orjson.loads(value)


async def rest_person(request: Request, db: RawDB, who: Who) -> Response:
    row, _ = await _person(db, who, request.path_params["id"])
    return _json(
        {
            "id": row[0],
            "name": row[1],
            "email": row[2],
            "roles": _roles(row[3]),
            "created_at": _z(_dt(row[4])),
            "updated_at": _z(_dt(row[5])),
        }
    )


_ACTIVITY_COLUMNS = (
    "id, local_id, peer_mentor_id, activity_type_id, date, duration_minutes, status, notes, "
    "rejection_reason, version, created_at, updated_at"
)


async def _activities(db: RawDB, who: Who, mentor_id: str, limit: int) -> tuple[int, list[Any]]:
    orgs = _coordinator_orgs(who)
    where = (
        "deleted_at IS NULL AND peer_mentor_id = ? AND peer_mentor_id IN "
        f"(SELECT person_id FROM memberships WHERE org_id IN ({_marks(len(orgs))}))"
    )
    total = await db.fetchval(f"SELECT count(*) FROM activities WHERE {where}", mentor_id, *orgs)
    rows = await db.fetch(
        f"SELECT {_ACTIVITY_COLUMNS} FROM activities WHERE {where} "
        "ORDER BY date DESC, created_at DESC, id DESC LIMIT ?",
        mentor_id,
        *orgs,
        limit,
    )
    return int(total), rows


def _activity_rest(r: Any) -> dict[str, Any]:
    return {
        "id": r[0],
        "local_id": r[1],
        "peer_mentor_id": r[2],
        "activity_type_id": r[3],
        "date": _d(r[4]).isoformat(),
        "duration_minutes": r[5],
        "status": r[6],
        "notes": r[7],
        "rejection_reason": r[8],
        "version": r[9],
        "created_at": _z(_dt(r[10])),
        "updated_at": _z(_dt(r[11])),
    }


async def rest_activities(request: Request, db: RawDB, who: Who) -> Response:
    limit = _int_param(request, "limit", 20)
    total, rows = await _activities(db, who, request.query_params["peer_mentor_id"], limit)
    return _json(
        {
            "data": [_activity_rest(r) for r in rows],
            "pagination": {"page": 1, "limit": limit, "total": total},
        }
    )


_TYPE_RANK = (
    "CASE d.type WHEN 'hours_logged' THEN 0 WHEN 'contacts_helped' THEN 1 "
    "WHEN 'activities_logged' THEN 2 ELSE 3 END"
)


async def _milestones(db: RawDB, who: Who, mentor_id: str, limit: int) -> tuple[int, list[Any]]:
    orgs = _coordinator_orgs(who)
    where = (
        "m.deleted_at IS NULL AND m.mentor_id = ? AND m.mentor_id IN "
        f"(SELECT person_id FROM memberships WHERE org_id IN ({_marks(len(orgs))}))"
    )
    total = await db.fetchval(f"SELECT count(*) FROM milestones m WHERE {where}", mentor_id, *orgs)
    rows = await db.fetch(
        "SELECT m.id, m.mentor_id, d.name, d.type, m.status, d.threshold, m.value, "
        "m.achieved_at, d.badge, m.period_start, m.period_end "
        f"FROM milestones m JOIN milestone_definitions d ON d.id = m.definition_id WHERE {where} "
        f"ORDER BY m.mentor_id, m.period_start DESC, {_TYPE_RANK}, d.threshold, m.id LIMIT ?",
        mentor_id,
        *orgs,
        limit,
    )
    return int(total), rows


def _milestone_rest(r: Any) -> dict[str, Any]:
    from app.services.milestone_labels import Locale, accessibility_label
    from app.services.milestone_rules import as_number, progress_percentage

    achieved = r[4] == "achieved"
    out: dict[str, Any] = {
        "id": r[0],
        "mentor_id": r[1],
        "name": r[2],
        "type": r[3],
        "status": r[4],
        "threshold": r[5],
        "achieved_value": as_number(r[6]),
    }
    achieved_at = _dt(r[7])
    if achieved:
        out["achieved_at"] = _z(achieved_at)
    else:
        out["progress_percentage"] = progress_percentage(r[6], r[5])
    out["accessibility_label"] = accessibility_label(
        kind=r[3],
        status=r[4],
        threshold=r[5],
        value=r[6],
        achieved_at=achieved_at,
        locale=Locale.EN,
    )
    out["badge_image_url"] = f"/assets/badges/{r[8]}.png"
    out["period"] = {"start_date": _d(r[9]).isoformat(), "end_date": _d(r[10]).isoformat()}
    return out


async def rest_milestones(request: Request, db: RawDB, who: Who) -> Response:
    limit = _int_param(request, "limit", 20)
    total, rows = await _milestones(db, who, request.query_params["mentor_id"], limit)
    return _json(
        {
            "data": [_milestone_rest(r) for r in rows],
            "pagination": {"page": 1, "limit": limit, "total": total},
        },
        headers={"Content-Language": "en", "Vary": "Accept-Language"},
    )


# --- activity insert -------------------------------------------------------------------------


def _request_hash(mentor_id: str, body: dict[str, Any], day: date) -> str:
    payload = {
        "peer_mentor_id": mentor_id,
        "local_id": body["local_id"],
        "activity_type_id": body["activity_type_id"],
        "date": day.isoformat(),
        "duration_minutes": body["duration_minutes"],
        "notes": body.get("notes"),
    }
    return hashlib.sha256(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)).hexdigest()


async def _insert_activity(db: RawDB, who: Who, body: dict[str, Any]) -> tuple[Any, bool]:
    """An idempotent insert on ``(peer_mentor_id, local_id)``, as the gateway makes it."""
    if "peer_mentor" not in who.directory_roles:
        raise Denied(403, "baseline: peer mentors log their own")
    day = date.fromisoformat(body["date"])
    if not 1 <= body["duration_minutes"] <= 1440:
        raise Denied(422, "duration_minutes")
    now = _now()
    async with db.transaction() as tx:
        usable = await tx.fetchval(
            "SELECT active FROM activity_types WHERE id = ?", body["activity_type_id"]
        )
        if not usable:
            raise Denied(422, "activity_type_id")
        row = await tx.fetchrow(
            "INSERT INTO activities (id, local_id, peer_mentor_id, activity_type_id, date, "
            "duration_minutes, status, notes, created_by, request_hash, version, created_at, "
            "updated_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, 1, ?, ?) "
            "ON CONFLICT (peer_mentor_id, local_id) DO NOTHING "
            f"RETURNING {_ACTIVITY_COLUMNS}",
            f"act_{secrets.token_hex(6)}",
            body["local_id"],
            who.id,
            body["activity_type_id"],
            tx.day(day),
            body["duration_minutes"],
            body.get("notes"),
            who.id,
            _request_hash(who.id, body, day),
            tx.ts(now),
            tx.ts(now),
        )
        if row is not None:
            return row, True
        row = await tx.fetchrow(
            f"SELECT {_ACTIVITY_COLUMNS} FROM activities WHERE peer_mentor_id = ? AND local_id = ?",
            who.id,
            body["local_id"],
        )
        return row, False


async def rest_create_activity(request: Request, db: RawDB, who: Who) -> Response:
    body = orjson.loads(await request.body())
    row, created = await _insert_activity(db, who, body)
    return _json(_activity_rest(row), 201 if created else 200, headers={"ETag": f'"{row[9]}"'})


# --- GraphQL-shaped answers ----------------------------------------------------------------


async def gql_assignment_list(db: RawDB, who: Who, variables: dict[str, Any]) -> Any:
    total, rows = await _page_of_assignments(
        db, _coordinator_orgs(who), variables["orgId"], variables["first"], 0
    )
    people = await _names(db, {r[1] for r in rows} | {r[2] for r in rows})
    contacts = await _latest_contacts(db, [r[0] for r in rows], variables["contacts"])
    now = _now()
    nodes = [_assignment_gql(r, people, contacts.get(r[0], []), now) for r in rows]
    return {"assignments": {"totalCount": total, "nodes": nodes}}


async def gql_assignment(db: RawDB, who: Who, variables: dict[str, Any]) -> Any:
    row = await _visible_assignment(db, who, variables["id"])
    people = await _names(db, {row[1], row[2]})
    contacts = await _latest_contacts(db, [row[0]], variables["contacts"])
    return {"assignment": _assignment_gql(row, people, contacts.get(row[0], []), _now())}


async def gql_mentor_profile(db: RawDB, who: Who, variables: dict[str, Any]) -> Any:
    from app.services.milestone_rules import progress_percentage

    mentor = variables["id"]
    person, memberships = await _person(db, who, mentor)
    a_total, activities = await _activities(db, who, mentor, variables["first"])
    m_total, milestones = await _milestones(db, who, mentor, variables["first"])
    type_ids = sorted({r[3] for r in activities})
    types = {}
    if type_ids:
        found = await db.fetch(
            f"SELECT id, name FROM activity_types WHERE id IN ({_marks(len(type_ids))})", *type_ids
        )
        types = {r[0]: r[1] for r in found}
    return {
        "person": {
            "legacyId": person[0],
            "name": person[1],
            "email": person[2],
            "memberships": [{"orgId": m[0], "role": m[1]} for m in memberships],
        },
        "activities": {
            "totalCount": a_total,
            "nodes": [
                {
                    "legacyId": r[0],
                    "date": _d(r[4]).isoformat(),
                    "durationMinutes": r[5],
                    "status": r[6].upper(),
                    "activityType": {"name": types[r[3]]},
                }
                for r in activities
            ],
        },
        "milestones": {
            "totalCount": m_total,
            "nodes": [
                {
                    "legacyId": r[0],
                    "name": r[2],
                    "type": r[3].upper(),
                    "status": r[4].upper(),
                    "threshold": r[5],
                    "currentValue": float(r[6]),
                    "achievedAt": _z(_dt(r[7])) if r[4] == "achieved" else None,
                    "progressPercentage": progress_percentage(r[6], r[5]),
                    "badgeImageUrl": f"/assets/badges/{r[8]}.png",
                }
                for r in milestones
            ],
        },
    }


async def gql_record_contact(db: RawDB, who: Who, variables: dict[str, Any]) -> Any:
    row, _ = await _record_contact(
        db, who, variables["id"], variables["type"].lower(), with_names=False
    )
    last = _dt(row[9])
    return {
        "recordContact": {
            "legacyId": row[0],
            "version": row[13],
            "lastContactAt": _z(last),
            "daysSinceContact": None if last is None else (_now() - last) // _DAY,
        }
    }


async def gql_log_activity(db: RawDB, who: Who, variables: dict[str, Any]) -> Any:
    given = variables["input"]
    body = {
        "local_id": given["localId"],
        "activity_type_id": given["activityTypeId"],
        "date": given["date"],
        "duration_minutes": given["durationMinutes"],
        "notes": given.get("notes"),
    }
    row, created = await _insert_activity(db, who, body)
    return {
        "logActivity": {
            "created": created,
            "activity": {
                "legacyId": row[0],
                "localId": row[1],
                "status": row[6].upper(),
                "version": row[9],
                "date": _d(row[4]).isoformat(),
                "durationMinutes": row[5],
            },
        }
    }


OPERATIONS = {
    "AssignmentList": gql_assignment_list,
    "Assignment": gql_assignment,
    "MentorProfile": gql_mentor_profile,
    "RecordContact": gql_record_contact,
    "LogActivity": gql_log_activity,
}


async def graphql(request: Request, db: RawDB, who: Who) -> Response:
    payload = orjson.loads(await request.body())
    run = OPERATIONS[payload["operationName"]]
    return _json({"data": await run(db, who, payload.get("variables") or {})})


# --- the app --------------------------------------------------------------------------------


def _route(path: str, handler: Any, method: str) -> Route:
    async def endpoint(request: Request) -> Response:
        STATS["requests"] += 1
        try:
            async with request.app.state.db.acquire() as db:
                who = await _auth(request, db)
                response: Response = await handler(request, db, who)
                return response
        except Denied as denied:
            return _problem(denied.status, denied.detail)

    return Route(path, endpoint, methods=[method])


async def stats(_request: Request) -> Response:
    return _json(STATS)


def create_app() -> Starlette:
    url = os.environ["BENCH_DATABASE_URL"]

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.db = await connect(url, STATS, pool_size=int(os.environ.get("BENCH_POOL", "10")))
        try:
            yield
        finally:
            await app.state.db.close()

    app = Starlette(
        routes=[
            Route("/stats", stats, methods=["GET"]),
            _route("/graphql", graphql, "POST"),
            _route("/api/v1/assignments", rest_assignments, "GET"),
            _route("/api/v1/assignments/{id}", rest_assignment, "GET"),
            _route("/api/v1/assignments/{id}/last-contact", rest_last_contact, "PUT"),
            _route("/api/v1/people/{id}", rest_person, "GET"),
            _route("/api/v1/activities", rest_activities, "GET"),
            _route("/api/v1/activities", rest_create_activity, "POST"),
            _route("/api/v1/milestones", rest_milestones, "GET"),
        ],
        lifespan=lifespan,
    )
    app.state.secret = os.environ["BENCH_JWT_SECRET"]
    return app
