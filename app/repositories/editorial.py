"""SQL for editorial assignments, issues, content items and editorial users.

Reads select columns (Core rows, see ``ASSIGNMENT`` and the ``*_COLUMNS``); the
``*_of_assignments`` / ``*_by_*`` functions answer many keys in one query, for the read
model's batch readers (``app/services/editorial_reads.py``) and the REST list alike. Writes
change entities.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Bundle, InstrumentedAttribute

from app.listing import Filter, Sort
from app.models.editorial import (
    EditorialAssignment,
    EditorialAssignmentChild,
    EditorialAssignmentUser,
    EditorialContentItem,
    EditorialIssue,
    EditorialUser,
)
from app.models.people import Person
from app.pagination import Paged, PageRequest
from app.repositories.aggregating import AggregateSpec, date_buckets
from app.repositories.common import by_key, fetch_page
from app.repositories.filtering import sort_order
from app.repositories.filtering import where as filtered
from app.repositories.grouped import ListShape, OwnedPage, load_pages
from app.repositories.keyset import Order, terms
from app.timeutil import utcnow

# The columns a list may be ordered by (the allow-list; nothing else reaches SQL).
ORDER_COLUMNS: dict[str, InstrumentedAttribute[Any]] = {
    "id": EditorialAssignment.id,
    "slug": EditorialAssignment.slug,
    "type": EditorialAssignment.type,
    "title": EditorialAssignment.title,
    "created_at": EditorialAssignment.created_at,
    "modified_at": EditorialAssignment.modified_at,
    "published_at": EditorialAssignment.published_at,
    "due_at": EditorialAssignment.due_at,
}

# The fields a GraphQL ``filter`` / ``orderKeys`` may name (``app.listing``): the order
# columns and every other column each caller who may list assignments sees (CEO has no
# per-item visibility: whoever lists sees an assignment whole). Not the creator (an
# editorial user's id no type shows) nor the tombstone mark.
FIELDS: dict[str, InstrumentedAttribute[Any]] = {
    **ORDER_COLUMNS,
    "ceo_id": EditorialAssignment.id,
    "uuid": EditorialAssignment.uuid,
    "abstract": EditorialAssignment.abstract,
    "content": EditorialAssignment.content,
    "notes": EditorialAssignment.notes,
    "issue_id": EditorialAssignment.issue_id,
}

# What a list of assignments aggregates (``app.repositories.aggregating``): its dates,
# grouped by type or the day ... it was created.
AGGREGATES = AggregateSpec(
    bounds={name: FIELDS[name] for name in ("created_at", "modified_at", "published_at", "due_at")},
    groups={
        "type": FIELDS["type"],
        **date_buckets(EditorialAssignment.created_at),
    },
)


@dataclass(frozen=True, slots=True)
class AssignmentListing:
    """How a list of assignments is asked for (hashable: a reader key holds it): the
    allow-listed ``order`` column and its direction, or the ``sort`` keys when there are
    any (``FIELDS`` names), and a ``where`` filter."""

    order: str
    descending: bool
    where: Filter | None = None
    sort: Sort = ()


# What a read selects of each record: columns, never entities (no identity map on reads).
# ``ASSIGNMENT`` bundles an assignment's columns as one element of a row, so the shared
# page helpers (which take one element per row) read them too.
ASSIGNMENT: Bundle[Any] = Bundle(
    "assignment",
    EditorialAssignment.id,
    EditorialAssignment.uuid,
    EditorialAssignment.slug,
    EditorialAssignment.type,
    EditorialAssignment.title,
    EditorialAssignment.abstract,
    EditorialAssignment.content,
    EditorialAssignment.notes,
    EditorialAssignment.created_at,
    EditorialAssignment.modified_at,
    EditorialAssignment.published_at,
    EditorialAssignment.due_at,
    EditorialAssignment.creator_id,
    EditorialAssignment.issue_id,
)
ISSUE_COLUMNS = (
    EditorialIssue.id,
    EditorialIssue.uuid,
    EditorialIssue.label,
    EditorialIssue.published_at,
    EditorialIssue.created_at,
    EditorialIssue.modified_at,
)
CONTENT_COLUMNS = (
    EditorialContentItem.id,
    EditorialContentItem.uuid,
    EditorialContentItem.type,
    EditorialContentItem.slug,
    EditorialContentItem.title,
    EditorialContentItem.created_at,
    EditorialContentItem.modified_at,
)
# An editorial user with the name of their (live) directory entry.
USER_COLUMNS = (EditorialUser.id, EditorialUser.uuid, EditorialUser.person_id, Person.name)


def dialect_insert(session: AsyncSession, table: Any) -> Any:
    """``INSERT`` of the session's dialect (for ``ON CONFLICT``)."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


async def get_assignment(session: AsyncSession, uuid: str) -> EditorialAssignment | None:
    """The live assignment entity, for a write to change."""
    return await session.scalar(
        select(EditorialAssignment).where(
            EditorialAssignment.uuid == uuid, EditorialAssignment.deleted_at.is_(None)
        )
    )


def list_order(order: str, descending: bool, sort: Sort = ()) -> Order:
    """The order of a list: its ``sort`` keys (the id breaking ties) when it has any, else
    the allow-listed column (nulls last), then the id."""
    column = ORDER_COLUMNS[order]
    key = column.desc() if descending else column.asc()
    tie = EditorialAssignment.id.desc() if descending else EditorialAssignment.id.asc()
    return sort_order(sort, FIELDS, EditorialAssignment.id, terms(key.nulls_last(), tie))


async def list_assignments(
    session: AsyncSession,
    page: PageRequest,
    *,
    order: str,
    descending: bool,
    where: Filter | None = None,
    sort: Sort = (),
) -> Paged[Any]:
    """One page of the live assignments (``ASSIGNMENT`` rows) matching ``where``, and
    their total."""
    query = select(ASSIGNMENT).where(
        EditorialAssignment.deleted_at.is_(None), filtered(where, FIELDS)
    )
    order_of = list_order(order, descending, sort)
    return await fetch_page(session, query, order_of, page, AGGREGATES)


async def assignment_rows(session: AsyncSession, uuids: Sequence[str]) -> list[Any | None]:
    """The live assignments of ``uuids`` (``ASSIGNMENT`` rows), in their order."""
    rows = (
        await session.scalars(
            select(ASSIGNMENT).where(
                EditorialAssignment.uuid.in_(uuids), EditorialAssignment.deleted_at.is_(None)
            )
        )
    ).all()
    return by_key(rows, "uuid", uuids)


async def issues_by_ids(session: AsyncSession, ids: Sequence[int]) -> list[Any | None]:
    rows = (await session.execute(select(*ISSUE_COLUMNS).where(EditorialIssue.id.in_(ids)))).all()
    return by_key(rows, "id", ids)


async def issues_by_uuids(session: AsyncSession, uuids: Sequence[str]) -> list[Any | None]:
    rows = (
        await session.execute(select(*ISSUE_COLUMNS).where(EditorialIssue.uuid.in_(uuids)))
    ).all()
    return by_key(rows, "uuid", uuids)


async def content_by_uuids(session: AsyncSession, uuids: Sequence[str]) -> list[Any | None]:
    rows = (
        await session.execute(select(*CONTENT_COLUMNS).where(EditorialContentItem.uuid.in_(uuids)))
    ).all()
    return by_key(rows, "uuid", uuids)


_USERS = (
    select(*USER_COLUMNS)
    .join(Person, Person.id == EditorialUser.person_id)
    .where(Person.deleted_at.is_(None))
)


async def users_by_ids(session: AsyncSession, ids: Sequence[int]) -> list[Any | None]:
    """Editorial users (``USER_COLUMNS`` rows) whose directory person is live."""
    rows = (await session.execute(_USERS.where(EditorialUser.id.in_(ids)))).all()
    return by_key(rows, "id", ids)


async def users_by_uuids(session: AsyncSession, uuids: Sequence[str]) -> list[Any | None]:
    rows = (await session.execute(_USERS.where(EditorialUser.uuid.in_(uuids)))).all()
    return by_key(rows, "uuid", uuids)


async def users_of_people(session: AsyncSession, person_ids: Collection[str]) -> Sequence[Any]:
    return (await session.execute(_USERS.where(EditorialUser.person_id.in_(person_ids)))).all()


async def person_ids_of_users(session: AsyncSession, ids: Sequence[int]) -> dict[int, str]:
    """Each editorial user's directory person id (whether the person is live or not)."""
    rows = await session.execute(
        select(EditorialUser.id, EditorialUser.person_id).where(EditorialUser.id.in_(ids))
    )
    return {user_id: person_id for user_id, person_id in rows.all()}


async def user_of_person(session: AsyncSession, person_id: str) -> EditorialUser | None:
    return await session.scalar(select(EditorialUser).where(EditorialUser.person_id == person_id))


async def ensure_user(session: AsyncSession, person_id: str, new_uuid: str) -> EditorialUser:
    """The person's editorial user, made on first use (safe when two requests race)."""
    found = await user_of_person(session, person_id)
    if found is not None:
        return found
    statement = dialect_insert(session, EditorialUser).values(
        uuid=new_uuid, person_id=person_id, created_at=utcnow()
    )
    await session.execute(statement.on_conflict_do_nothing(index_elements=["person_id"]))
    user = await session.scalar(
        select(EditorialUser)
        .where(EditorialUser.person_id == person_id)
        .execution_options(populate_existing=True)
    )
    assert user is not None
    return user


async def users_of_assignments(
    session: AsyncSession, assignment_ids: Sequence[int]
) -> list[list[Any]]:
    """Each assignment's users (``USER_COLUMNS`` rows, live people only), in their order."""
    rows = (
        await session.execute(
            _USERS.add_columns(EditorialAssignmentUser.assignment_id)
            .join(EditorialAssignmentUser, EditorialAssignmentUser.user_id == EditorialUser.id)
            .where(EditorialAssignmentUser.assignment_id.in_(assignment_ids))
            .order_by(EditorialAssignmentUser.assignment_id, EditorialAssignmentUser.position)
        )
    ).all()
    grouped: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        grouped[row.assignment_id].append(row)
    return [grouped.get(key, []) for key in assignment_ids]


async def person_ids_of_assignments(
    session: AsyncSession, assignment_ids: Sequence[int]
) -> list[list[str]]:
    """Each assignment's users as directory person ids, in their order."""
    rows = await session.execute(
        select(EditorialAssignmentUser.assignment_id, EditorialUser.person_id)
        .join(EditorialUser, EditorialUser.id == EditorialAssignmentUser.user_id)
        .where(EditorialAssignmentUser.assignment_id.in_(assignment_ids))
        .order_by(EditorialAssignmentUser.assignment_id, EditorialAssignmentUser.position)
    )
    grouped: dict[int, list[str]] = defaultdict(list)
    for assignment_id, person_id in rows.all():
        grouped[assignment_id].append(person_id)
    return [grouped.get(key, []) for key in assignment_ids]


async def children_of_assignments(
    session: AsyncSession, assignment_ids: Sequence[int]
) -> list[list[Any]]:
    """Each assignment's content items (``CONTENT_COLUMNS`` rows), in their order."""
    rows = (
        await session.execute(
            select(EditorialAssignmentChild.assignment_id, *CONTENT_COLUMNS)
            .join(
                EditorialContentItem,
                EditorialContentItem.id == EditorialAssignmentChild.content_id,
            )
            .where(EditorialAssignmentChild.assignment_id.in_(assignment_ids))
            .order_by(EditorialAssignmentChild.assignment_id, EditorialAssignmentChild.position)
        )
    ).all()
    grouped: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        grouped[row.assignment_id].append(row)
    return [grouped.get(key, []) for key in assignment_ids]


async def replace_users(session: AsyncSession, assignment_id: int, user_ids: list[int]) -> None:
    await session.execute(
        delete(EditorialAssignmentUser).where(
            EditorialAssignmentUser.assignment_id == assignment_id
        )
    )
    if user_ids:
        await session.execute(
            insert(EditorialAssignmentUser),
            [
                {"assignment_id": assignment_id, "user_id": uid, "position": i}
                for i, uid in enumerate(user_ids)
            ],
        )


async def replace_children(
    session: AsyncSession, assignment_id: int, content_ids: list[int]
) -> None:
    await session.execute(
        delete(EditorialAssignmentChild).where(
            EditorialAssignmentChild.assignment_id == assignment_id
        )
    )
    if content_ids:
        await session.execute(
            insert(EditorialAssignmentChild),
            [
                {"assignment_id": assignment_id, "content_id": cid, "position": i}
                for i, cid in enumerate(content_ids)
            ],
        )


# --- hub fields: many people's assignments at once ------------------------------------------


def _assigned_shape(listed: AssignmentListing) -> ListShape:
    query = (
        select(EditorialAssignment)
        .join(
            EditorialAssignmentUser,
            EditorialAssignmentUser.assignment_id == EditorialAssignment.id,
        )
        .join(EditorialUser, EditorialUser.id == EditorialAssignmentUser.user_id)
        .where(EditorialAssignment.deleted_at.is_(None), filtered(listed.where, FIELDS))
    )
    return ListShape(
        query=query,
        owner=EditorialUser.person_id,
        order=list_order(listed.order, listed.descending, listed.sort),
        row_id=EditorialAssignment.id,
        load=select(ASSIGNMENT),
        aggregates=AGGREGATES,
    )


async def assignment_pages_of_people(
    session: AsyncSession, keys: Sequence[OwnedPage[AssignmentListing]]
) -> list[Paged[Any]]:
    """Each person's page of the assignments they are assigned to (``ASSIGNMENT`` rows)."""
    return await load_pages(session, keys, _assigned_shape)
