"""Hub pages of mentoring: a person's or an organisation's lists, for a page of owners.

Each is the domain's own list (``assignments``, ``overdueAssignments``, ``notifications``,
``openAssignmentCount``) narrowed to one owner, with the caller's scope derived here from
the caller (``policy.assignment_scope``): a hub shows exactly what the list would. One
statement answers a whole page of owners (``app/repositories/grouped.py``).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import Principal
from app.pagination import Paged
from app.repositories import mentoring as repo
from app.repositories.grouped import OwnedPage
from app.services.mentoring_reads import (
    AssignmentRecord,
    NotificationRecord,
    assignment_page,
    notification_page,
)
from app.services.mentoring_rules import (
    AssignmentList,
    AssignmentsKey,
    NotificationList,
    NotificationsKey,
    OverdueKey,
)
from app.services.policy import assignment_scope
from app.services.reading import batch_reader


@batch_reader
async def assignment_pages(
    session: AsyncSession, who: Principal, keys: Sequence[AssignmentsKey]
) -> list[Paged[AssignmentRecord]]:
    """Each owner's page of the assignments the caller may see, oldest first (one statement
    per distinct role, filters and page)."""
    scope = assignment_scope(who)
    owned = [
        OwnedPage(key.owner, AssignmentList(key.role, scope, key.filters), key.page) for key in keys
    ]
    return [assignment_page(paged) for paged in await repo.assignment_pages(session, owned)]


@batch_reader
async def open_counts(
    session: AsyncSession, who: Principal, mentor_ids: Sequence[str]
) -> list[int]:
    """How many open assignments each mentor has, of those the caller may see."""
    return await repo.open_counts(session, assignment_scope(who), mentor_ids)


@batch_reader
async def overdue_pages(
    session: AsyncSession, who: Principal, keys: Sequence[OverdueKey]
) -> list[Paged[AssignmentRecord]]:
    """Each organisation's page of overdue assignments the caller may see, oldest contact
    first."""
    pages = await repo.overdue_pages(session, assignment_scope(who), keys)
    return [assignment_page(paged) for paged in pages]


@batch_reader
async def notification_pages(
    session: AsyncSession, who: Principal, keys: Sequence[NotificationsKey]
) -> list[Paged[NotificationRecord]]:
    """Each organisation's page of notifications of assignments the caller may see, newest
    first."""
    scope = assignment_scope(who)
    owned = [
        OwnedPage(key.org_id, NotificationList(scope, key.kind, key.where, key.sort), key.page)
        for key in keys
    ]
    return [notification_page(paged) for paged in await repo.notification_pages(session, owned)]
