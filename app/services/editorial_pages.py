"""Editorial lists: their vocabulary (the order) and the hub page readers.

A person's hub lists (``Person.editorialAssignments``, ``Person.heldLocks``) are the
domain's own lists narrowed to the person: one statement answers a whole page of people
(``app/repositories/grouped.py``). The readers take the caller and answer ``None`` for
every key when the caller may not see the list at all (the hub field is then null).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import Principal
from app.errors import BadRequest
from app.listing import Filter, Sort
from app.pagination import Paged, PageRequest
from app.repositories import editorial as repo
from app.repositories import editorial_locks as locks
from app.repositories.grouped import OwnedPage
from app.services.editorial_reads import EditorialAssignmentRecord, LockRecord
from app.services.policy import lists_editorial_assignments, sees_editorial_locks
from app.services.reading import batch_reader

ORDER_FIELDS: tuple[str, ...] = tuple(repo.ORDER_COLUMNS)
DEFAULT_ORDER = "modified_at"
DEFAULT_DIRECTION = "desc"


@dataclass(frozen=True, slots=True)
class AssignmentOrder:
    """How a list of assignments is ordered: an allow-listed field (``ORDER_FIELDS``),
    nulls last, ties broken by id in the same direction; or, when ``sort`` has keys (a
    GraphQL ``orderKeys``), by those keys (the id breaking ties) instead."""

    field: str
    descending: bool
    sort: Sort = ()


def check_order(order: str | None, direction: str | None, sort: Sort = ()) -> AssignmentOrder:
    """The allow-listed order and its direction (REST ``order`` / ``dir``, GraphQL
    ``orderBy`` / ``direction``; ``None``: the default, modified_at desc), or the ``sort``
    keys (GraphQL ``orderKeys``); 400 for an unknown field or direction, and for ``sort``
    keys given together with an ``order`` or a ``direction`` (one order, asked one way)."""
    if sort and (order is not None or direction is not None):
        raise BadRequest("orderKeys: not with orderBy or direction (give the order one way)")
    order = DEFAULT_ORDER if order is None else order
    direction = DEFAULT_DIRECTION if direction is None else direction.lower()
    if order not in ORDER_FIELDS:
        raise BadRequest(f"'order' must be one of: {', '.join(ORDER_FIELDS)}")
    if direction not in ("asc", "desc"):
        raise BadRequest("'dir' must be asc or desc")
    return AssignmentOrder(order, direction == "desc", sort)


def _listing(order: AssignmentOrder, where: Filter | None) -> repo.AssignmentListing:
    return repo.AssignmentListing(order.field, order.descending, where, order.sort)


async def assignment_page(
    session: AsyncSession, page: PageRequest, order: AssignmentOrder, where: Filter | None = None
) -> Paged[EditorialAssignmentRecord]:
    """One page of the live assignments matching ``where`` and their total (the caller
    may list them)."""
    paged = await repo.list_assignments(
        session, page, order=order.field, descending=order.descending, where=where, sort=order.sort
    )
    return paged.map(EditorialAssignmentRecord.of)


@dataclass(frozen=True, slots=True)
class AssignedPage:
    """A reader key: one page of the assignments ``person_id`` is assigned to (those
    matching ``where``, a GraphQL ``filter``)."""

    person_id: str
    order: AssignmentOrder
    page: PageRequest
    where: Filter | None = None


@dataclass(frozen=True, slots=True)
class HeldLocksPage:
    """A reader key: one page of the unexpired locks ``person_id`` holds matching
    ``where``, in the ``sort`` order (empty: oldest first)."""

    person_id: str
    page: PageRequest
    where: Filter | None = None
    sort: Sort = ()


@batch_reader
async def assignment_pages_of_people(
    session: AsyncSession, who: Principal, keys: Sequence[AssignedPage]
) -> list[Paged[EditorialAssignmentRecord] | None]:
    """Each person's page of the assignments they are assigned to (``users``); ``None``
    for a caller who may not list assignments."""
    if not lists_editorial_assignments(who):
        return [None] * len(keys)
    owned = [OwnedPage(key.person_id, _listing(key.order, key.where), key.page) for key in keys]
    pages = await repo.assignment_pages_of_people(session, owned)
    return [paged.map(EditorialAssignmentRecord.of) for paged in pages]


@batch_reader
async def held_lock_pages(
    session: AsyncSession, who: Principal, keys: Sequence[HeldLocksPage]
) -> list[Paged[LockRecord] | None]:
    """Each person's page of the locks they hold; ``None`` for a caller who may not see
    locks."""
    if not sees_editorial_locks(who):
        return [None] * len(keys)
    owned = [
        OwnedPage(key.person_id, locks.HeldListing(key.where, key.sort), key.page) for key in keys
    ]
    pages = await locks.held_pages(session, owned)
    return [paged.map(LockRecord.of) for paged in pages]
