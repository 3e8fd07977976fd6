"""SQL for editorial assignments, issues, content items and editorial users.

The ``*_of_assignments`` / ``*_by_ids`` functions are batch functions (one query for many
keys) used by the GraphQL DataLoaders and by the REST list alike.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

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
from app.repositories.common import by_key, fetch_page
from app.repositories.grouped import ListShape, OwnedPage, load_pages
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


@dataclass(frozen=True, slots=True)
class UserView:
    """An editorial user with their directory entry."""

    user: EditorialUser
    person: Person


def dialect_insert(session: AsyncSession, table: Any) -> Any:
    """``INSERT`` of the session's dialect (for ``ON CONFLICT``)."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


async def get_assignment(session: AsyncSession, uuid: str) -> EditorialAssignment | None:
    return await session.scalar(
        select(EditorialAssignment).where(
            EditorialAssignment.uuid == uuid, EditorialAssignment.deleted_at.is_(None)
        )
    )


def list_order(order: str, descending: bool) -> tuple[Any, ...]:
    """``ORDER BY`` of a list: the allow-listed column (nulls last), then the id."""
    column = ORDER_COLUMNS[order]
    key = column.desc() if descending else column.asc()
    tie = EditorialAssignment.id.desc() if descending else EditorialAssignment.id.asc()
    return (key.nulls_last(), tie)


async def list_assignments(
    session: AsyncSession, page: PageRequest, *, order: str, descending: bool
) -> Paged[EditorialAssignment]:
    query = (
        select(EditorialAssignment)
        .where(EditorialAssignment.deleted_at.is_(None))
        .order_by(*list_order(order, descending))
    )
    return await fetch_page(session, query, page)


async def assignments_by_uuids(
    session: AsyncSession, uuids: Sequence[str]
) -> list[EditorialAssignment | None]:
    rows = (
        await session.scalars(
            select(EditorialAssignment).where(
                EditorialAssignment.uuid.in_(uuids), EditorialAssignment.deleted_at.is_(None)
            )
        )
    ).all()
    return by_key(rows, "uuid", uuids)


async def issues_by_ids(session: AsyncSession, ids: Sequence[int]) -> list[EditorialIssue | None]:
    rows = (await session.scalars(select(EditorialIssue).where(EditorialIssue.id.in_(ids)))).all()
    return by_key(rows, "id", ids)


async def issues_by_uuids(
    session: AsyncSession, uuids: Sequence[str]
) -> list[EditorialIssue | None]:
    rows = (
        await session.scalars(select(EditorialIssue).where(EditorialIssue.uuid.in_(uuids)))
    ).all()
    return by_key(rows, "uuid", uuids)


async def content_by_uuids(
    session: AsyncSession, uuids: Sequence[str]
) -> list[EditorialContentItem | None]:
    rows = (
        await session.scalars(
            select(EditorialContentItem).where(EditorialContentItem.uuid.in_(uuids))
        )
    ).all()
    return by_key(rows, "uuid", uuids)


def _user_views() -> Any:
    return (
        select(EditorialUser, Person)
        .join(Person, Person.id == EditorialUser.person_id)
        .where(Person.deleted_at.is_(None))
    )


async def user_views_by_ids(session: AsyncSession, ids: Sequence[int]) -> list[UserView | None]:
    rows = (await session.execute(_user_views().where(EditorialUser.id.in_(ids)))).all()
    index = {user.id: UserView(user, person) for user, person in rows}
    return [index.get(key) for key in ids]


async def lock_holders_by_ids(session: AsyncSession, ids: Sequence[int]) -> list[UserView | None]:
    """The same look-up as ``user_views_by_ids``, as its own batch function: lock holders
    load one level deeper than creators, so they get their own DataLoader (one query per
    relation, whatever the page size)."""
    return await user_views_by_ids(session, ids)


async def user_views_by_uuids(session: AsyncSession, uuids: Sequence[str]) -> list[UserView | None]:
    rows = (await session.execute(_user_views().where(EditorialUser.uuid.in_(uuids)))).all()
    index = {user.uuid: UserView(user, person) for user, person in rows}
    return [index.get(key) for key in uuids]


async def user_of_person(session: AsyncSession, person_id: str) -> EditorialUser | None:
    return await session.scalar(select(EditorialUser).where(EditorialUser.person_id == person_id))


async def users_of_people(session: AsyncSession, person_ids: Collection[str]) -> list[UserView]:
    rows = await session.execute(_user_views().where(EditorialUser.person_id.in_(person_ids)))
    return [UserView(user, person) for user, person in rows.all()]


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
) -> list[list[UserView]]:
    rows = (
        await session.execute(
            select(EditorialAssignmentUser.assignment_id, EditorialUser, Person)
            .join(EditorialUser, EditorialUser.id == EditorialAssignmentUser.user_id)
            .join(Person, Person.id == EditorialUser.person_id)
            .where(
                EditorialAssignmentUser.assignment_id.in_(assignment_ids),
                Person.deleted_at.is_(None),
            )
            .order_by(EditorialAssignmentUser.assignment_id, EditorialAssignmentUser.position)
        )
    ).all()
    grouped: dict[int, list[UserView]] = defaultdict(list)
    for assignment_id, user, person in rows:
        grouped[assignment_id].append(UserView(user, person))
    return [grouped.get(key, []) for key in assignment_ids]


async def children_of_assignments(
    session: AsyncSession, assignment_ids: Sequence[int]
) -> list[list[EditorialContentItem]]:
    rows = (
        await session.execute(
            select(EditorialAssignmentChild.assignment_id, EditorialContentItem)
            .join(
                EditorialContentItem,
                EditorialContentItem.id == EditorialAssignmentChild.content_id,
            )
            .where(EditorialAssignmentChild.assignment_id.in_(assignment_ids))
            .order_by(EditorialAssignmentChild.assignment_id, EditorialAssignmentChild.position)
        )
    ).all()
    grouped: dict[int, list[EditorialContentItem]] = defaultdict(list)
    for assignment_id, item in rows:
        grouped[assignment_id].append(item)
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


@dataclass(frozen=True, slots=True)
class AssignmentOrder:
    """A hub list of the assignments a person is assigned to (``users``), ordered."""

    order: str
    descending: bool


def _assigned_shape(spec: AssignmentOrder) -> ListShape:
    query = (
        select(EditorialAssignment)
        .join(
            EditorialAssignmentUser,
            EditorialAssignmentUser.assignment_id == EditorialAssignment.id,
        )
        .join(EditorialUser, EditorialUser.id == EditorialAssignmentUser.user_id)
        .where(EditorialAssignment.deleted_at.is_(None))
    )
    return ListShape(
        query=query,
        owner=EditorialUser.person_id,
        order_by=list_order(spec.order, spec.descending),
        row_id=EditorialAssignment.id,
        load=select(EditorialAssignment),
    )


async def assignment_pages_of_people(
    session: AsyncSession, keys: Sequence[OwnedPage[AssignmentOrder]]
) -> list[Paged[EditorialAssignment]]:
    """Batch loader: each person's page of the assignments they are assigned to."""
    return await load_pages(session, keys, _assigned_shape)
