"""Who may see and change a mentor's milestones (one rule for every milestone operation).

- See: admins; the mentor themselves; coordinators of an organisation the mentor is in.
- Detect, correct, delete: admins; coordinators of the mentor's organisation, except on
  their own milestones (nobody grades their own work).
- Restore a deleted record, manage the catalogue: admins.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import Principal, Role
from app.repositories import people as people_repo
from app.services.policy import shares_org


async def coordinates_mentor(session: AsyncSession, who: Principal, mentor_id: str) -> bool:
    if not who.has(Role.COORDINATOR) or not who.orgs:
        return False
    return shares_org(who, await people_repo.org_ids_of(session, mentor_id))


async def can_see_mentor(session: AsyncSession, who: Principal, mentor_id: str) -> bool:
    if who.is_admin or who.person_id == mentor_id:
        return True
    return await coordinates_mentor(session, who, mentor_id)


async def may_manage(session: AsyncSession, who: Principal, mentor_id: str) -> bool:
    if who.is_admin:
        return True
    return who.person_id != mentor_id and await coordinates_mentor(session, who, mentor_id)


def may_see_event(who: Principal, mentor_id: str, org_ids: list[str]) -> bool:
    """The same rule for a ``milestoneAchieved`` event (its payload carries the mentor's
    organisations at the time it was raised)."""
    if who.is_admin or who.person_id == mentor_id:
        return True
    return who.has(Role.COORDINATOR) and shares_org(who, org_ids)
