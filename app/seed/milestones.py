"""Demo milestones: the default catalogue, and ``mentor_001``'s 2025 milestones as detecting
contract 003's example summary (312.5 hours, 47 unique contacts, 198 activities) gives them.

The ids the contract's examples use are kept (``milestone_100h``, ``milestone_300h``,
``milestone_50contacts``; the other records follow that pattern), as are its dates
(100 hours on 2025-07-14T16:30:00Z, 300 hours on 2025-11-22T14:00:00Z). Posting the
example again updates these rows instead of adding new ones. Nothing here reads other
domains' demo data, so the seeders may run in any order after the people seeder.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.milestones import Milestone, MilestoneDefinition
from app.services.milestone_catalogue import DEFAULT_CATALOGUE

_CATALOGUE_CREATED = datetime(2025, 1, 1, tzinfo=UTC)
_DETECTED = datetime(2026, 1, 2, 8, 0, tzinfo=UTC)

# (record id, definition id, value, achieved_at or None for in progress)
MENTOR_001_2025: tuple[tuple[str, str, float, str | None], ...] = (
    ("milestone_10h", "msd_hours_10", 312.5, "2025-01-24T15:00:00"),
    ("milestone_50h", "msd_hours_50", 312.5, "2025-04-02T13:45:00"),
    ("milestone_100h", "msd_hours_100", 312.5, "2025-07-14T16:30:00"),
    ("milestone_300h", "msd_hours_300", 312.5, "2025-11-22T14:00:00"),
    ("milestone_500h", "msd_hours_500", 312.5, None),
    ("milestone_5contacts", "msd_contacts_5", 47, "2025-02-10T10:00:00"),
    ("milestone_10contacts", "msd_contacts_10", 47, "2025-03-18T12:00:00"),
    ("milestone_25contacts", "msd_contacts_25", 47, "2025-06-05T09:30:00"),
    ("milestone_50contacts", "msd_contacts_50", 47, None),
    ("milestone_10activities", "msd_activities_10", 198, "2025-01-30T17:00:00"),
    ("milestone_50activities", "msd_activities_50", 198, "2025-04-22T11:15:00"),
    ("milestone_100activities", "msd_activities_100", 198, "2025-07-29T15:20:00"),
    ("milestone_250activities", "msd_activities_250", 198, None),
)


def _at(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text).replace(tzinfo=UTC)


async def seed(session: AsyncSession, scale: int) -> None:
    await session.execute(
        insert(MilestoneDefinition),
        [
            {
                "id": entry.id,
                "type": entry.type,
                "threshold": entry.threshold,
                "name": entry.name,
                "badge": entry.badge,
                "active": True,
                "created_at": _CATALOGUE_CREATED,
                "updated_at": _CATALOGUE_CREATED,
            }
            for entry in DEFAULT_CATALOGUE
        ],
    )
    await session.execute(
        insert(Milestone),
        [
            {
                "id": record_id,
                "mentor_id": "mentor_001",
                "definition_id": definition_id,
                "period_start": date(2025, 1, 1),
                "period_end": date(2025, 12, 31),
                "status": "in_progress" if achieved is None else "achieved",
                "value": float(value),
                "achieved_at": _at(achieved),
                "detected_at": _DETECTED,
                "version": 1,
                "created_at": _DETECTED,
                "updated_at": _DETECTED,
                "deleted_at": None,
            }
            for record_id, definition_id, value, achieved in MENTOR_001_2025
        ],
    )
