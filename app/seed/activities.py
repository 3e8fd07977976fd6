"""Demo activities: the catalogue of activity types, contract 002's example record
``act_9f3a12bc``, and histories the other domains use.

- ``mentor_4b8c21`` has 47 activities (the list example's total); the newest is
  ``act_9f3a12bc`` (local ``local_7e2d1a``, running, 2026-03-25, 45 min, confirmed).
- ``mentor_001`` has 198 confirmed activities in 2025, 18,750 minutes (312.5 hours); the
  running total crosses 100 hours on 2025-07-14. Three more 2025 activities (two pending,
  one rejected) and one deleted confirmed one do not count.
- ``user_042`` (org_03) and ``user_202`` (org_05) have a few each.
- ``--scale N``: 20 confirmed 2025 activities for every scaled mentor.
"""

from __future__ import annotations

import hashlib
import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.activities import Activity, ActivityType
from app.seed.people import scaled_mentors
from app.services.activity_rules import NewActivity, request_hash

TYPES: tuple[tuple[str, str, str], ...] = (
    ("type_running", "Running", "A run together, alone or in a running group."),
    ("type_cycling", "Cycling", "A bike ride together."),
    ("type_walking", "Walk and talk", "A walk while talking things through."),
    ("type_meeting", "Meeting", "A one-to-one meeting in person."),
    ("type_call", "Phone or video call", "A conversation by phone or video."),
    ("type_visit", "Visit", "A visit at home, in hospital or in an institution."),
    ("type_group_session", "Group session", "A peer-support group meeting."),
    ("type_training", "Training", "A course or training for peer mentors."),
    ("type_event", "Event", "An outing, activity day or public event."),
    ("type_other", "Other", "Anything else done as a peer mentor."),
)

EXAMPLE = {
    "id": "act_9f3a12bc",
    "local_id": "local_7e2d1a",
    "peer_mentor_id": "mentor_4b8c21",
    "activity_type_id": "type_running",
    "date": date(2026, 3, 25),
    "duration_minutes": 45,
    "status": "confirmed",
    "notes": "Morning run along the river",
    "created_at": datetime(2026, 3, 25, 8, 15, 0, tzinfo=UTC),
    "updated_at": datetime(2026, 3, 25, 8, 16, 42, tzinfo=UTC),
}

_COORDINATOR = {"org_03": "user_007", "org_05": "user_201"}
_SOCIAL = ("type_meeting", "type_call", "type_visit", "type_group_session", "type_walking")
_SPORT = ("type_running", "type_cycling", "type_walking", "type_meeting")


def _row(
    mentor_id: str,
    n: int,
    day: date,
    minutes: int,
    type_id: str,
    *,
    status: str = "confirmed",
    org: str = "org_03",
    notes: str | None = None,
    rng: random.Random,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    local_id = f"seed-{mentor_id}-{n:04d}"
    created = datetime(day.year, day.month, day.day, 7, 0, tzinfo=UTC) + timedelta(
        minutes=rng.randrange(0, 12 * 60)
    )
    decided = created + timedelta(hours=rng.randrange(1, 48))
    new = NewActivity(local_id, type_id, day.isoformat(), minutes, notes, mentor_id)
    row: dict[str, Any] = {
        "id": "act_" + hashlib.sha256(local_id.encode()).hexdigest()[:12],
        "local_id": local_id,
        "peer_mentor_id": mentor_id,
        "activity_type_id": type_id,
        "date": day,
        "duration_minutes": minutes,
        "status": status,
        "notes": notes,
        "rejection_reason": "Logged twice; see the other entry" if status == "rejected" else None,
        "decided_by": None if status == "pending" else _COORDINATOR[org],
        "decided_at": None if status == "pending" else decided,
        "created_by": mentor_id,
        "request_hash": request_hash(mentor_id, new, day),
        "version": 1 if status == "pending" else 2,
        "created_at": created,
        "updated_at": created if status == "pending" else decided,
        "deleted_at": None,
    }
    row.update(extra or {})
    return row


def _durations(rng: random.Random, count: int, total: int, low: int, high: int) -> list[int]:
    """``count`` durations in 15-minute steps within ``low..high`` summing to ``total``."""
    values = [rng.randrange(low, high + 1, 15) for _ in range(count)]
    while sum(values) != total:
        i = rng.randrange(count)
        step = 15 if sum(values) < total else -15
        if low <= values[i] + step <= high:
            values[i] += step
    return values


def _days(rng: random.Random, count: int, first: date, last: date) -> list[date]:
    span = (last - first).days
    return sorted(first + timedelta(days=rng.randrange(span + 1)) for _ in range(count))


def _mentor_001(rng: random.Random) -> list[dict[str, Any]]:
    """198 confirmed in 2025 (18,750 min); the total passes 6,000 min on 2025-07-14."""
    plan = [
        (_days(rng, 89, date(2025, 1, 2), date(2025, 7, 13)), _durations(rng, 89, 5970, 30, 120)),
        ([date(2025, 7, 14)], [60]),
        (
            _days(rng, 108, date(2025, 7, 15), date(2025, 12, 19)),
            _durations(rng, 108, 12720, 60, 180),
        ),
    ]
    rows: list[dict[str, Any]] = []
    for days, minutes in plan:
        for day, length in zip(days, minutes, strict=True):
            rows.append(_row("mentor_001", len(rows), day, length, rng.choice(_SOCIAL), rng=rng))
    extras: list[tuple[date, int, str, dict[str, Any]]] = [
        (date(2025, 12, 28), 90, "pending", {}),
        (date(2025, 12, 30), 60, "pending", {}),
        (date(2025, 11, 3), 120, "rejected", {}),
        (date(2025, 6, 2), 600, "confirmed", {"deleted_at": datetime(2025, 6, 3, tzinfo=UTC)}),
    ]
    for day, length, status, extra in extras:
        rows.append(
            _row(
                "mentor_001",
                len(rows),
                day,
                length,
                "type_meeting",
                status=status,
                rng=rng,
                extra=extra,
            )
        )
    return rows


def _mentor_4b8c21(rng: random.Random) -> list[dict[str, Any]]:
    """46 before the example record, which is the newest (47 in all)."""
    days = _days(rng, 46, date(2025, 9, 1), date(2026, 3, 20))
    rows = []
    for n, day in enumerate(days):
        status = "pending" if n >= 43 else ("rejected" if n == 20 else "confirmed")
        length = rng.randrange(30, 121, 15)
        rows.append(
            _row("mentor_4b8c21", n, day, length, rng.choice(_SPORT), status=status, rng=rng)
        )
    example = dict(EXAMPLE)
    new = NewActivity(
        "local_7e2d1a",
        "type_running",
        "2026-03-25",
        45,
        "Morning run along the river",
        "mentor_4b8c21",
    )
    example.update(
        rejection_reason=None,
        decided_by="user_007",
        decided_at=EXAMPLE["updated_at"],
        created_by="mentor_4b8c21",
        request_hash=request_hash("mentor_4b8c21", new, date(2026, 3, 25)),
        version=2,
        deleted_at=None,
    )
    return [*rows, example]


def _few(rng: random.Random, mentor_id: str, org: str) -> list[dict[str, Any]]:
    rows = []
    for n, day in enumerate(_days(rng, 5, date(2026, 9, 1), date(2026, 11, 15))):
        status = "pending" if n >= 3 else "confirmed"
        length = rng.randrange(30, 91, 15)
        rows.append(
            _row(mentor_id, n, day, length, rng.choice(_SOCIAL), status=status, org=org, rng=rng)
        )
    return rows


def _scaled(rng: random.Random, scale: int) -> list[dict[str, Any]]:
    rows = []
    for mentor_id in scaled_mentors(scale):
        for n, day in enumerate(_days(rng, 20, date(2025, 1, 1), date(2025, 12, 31))):
            length = rng.randrange(30, 181, 15)
            rows.append(_row(mentor_id, n, day, length, rng.choice(_SOCIAL), rng=rng))
    return rows


def _table(model: type[Any]) -> Table:
    # Core inserts: the ORM's bulk insert would replace the seeded versions with 1.
    table: Table = model.__table__
    return table


async def seed(session: AsyncSession, scale: int) -> None:
    created = datetime(2025, 1, 1, tzinfo=UTC)
    await session.execute(
        insert(_table(ActivityType)),
        [
            {
                "id": i,
                "name": n,
                "description": d,
                "active": True,
                "created_at": created,
                "updated_at": created,
            }
            for i, n, d in TYPES
        ],
    )
    rng = random.Random(2025)  # noqa: S311 - demo data, not secrets
    rows = [
        *_mentor_001(rng),
        *_mentor_4b8c21(rng),
        *_few(rng, "user_042", "org_03"),
        *_few(rng, "user_202", "org_05"),
        *_scaled(rng, scale),
    ]
    for start in range(0, len(rows), 1000):
        await session.execute(insert(_table(Activity)), rows[start : start + 1000])
