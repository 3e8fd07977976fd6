"""SQL for the people directory."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Select,
    String,
    bindparam,
    cast,
    delete,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Bundle

from app.listing import Filter, Sort
from app.models.people import Membership, Organisation, Person
from app.pagination import Paged, PageRequest
from app.repositories.aggregating import AggregateSpec, date_buckets
from app.repositories.common import by_key, row_page
from app.repositories.filtering import sort_order
from app.repositories.filtering import where as filtered
from app.repositories.grouped import ListShape, OwnedPage, load_pages
from app.repositories.keyset import Order, terms

if TYPE_CHECKING:
    from app.services.people_reads import PeopleList

RowSelect = Select[*tuple[Any, ...]]
"""A statement of several columns (Core rows)."""

# The columns of the read model's records (app/services/people_reads.py).
PERSON_COLUMNS = (
    Person.id,
    Person.name,
    Person.email,
    Person.roles,
    Person.created_at,
    Person.updated_at,
)
ORG_COLUMNS = (
    Organisation.id,
    Organisation.name,
    Organisation.reminder_days,
    Organisation.escalation_days,
    Organisation.created_at,
)

# Prebuilt hot-path statements (app/repositories/common.py).
_LIVE_PERSON = select(Person).where(Person.id == bindparam("id"), Person.deleted_at.is_(None))
_LIVE_PERSON_ID = _LIVE_PERSON.with_only_columns(Person.id)
_LIVE_PEOPLE = select(Person).where(
    Person.id.in_(bindparam("ids", expanding=True)), Person.deleted_at.is_(None)
)


async def get_person(session: AsyncSession, person_id: str) -> Person | None:
    return await session.scalar(_LIVE_PERSON, {"id": person_id})


async def person_exists(session: AsyncSession, person_id: str) -> bool:
    """Whether the person is in the directory (and not deleted)."""
    return await session.scalar(_LIVE_PERSON_ID, {"id": person_id}) is not None


async def people_by_ids(session: AsyncSession, ids: Sequence[str]) -> list[Person | None]:
    rows = (await session.scalars(_LIVE_PEOPLE, {"ids": list(ids)})).all()
    return by_key(rows, "id", ids)


async def existing_person_ids(session: AsyncSession, ids: Collection[str]) -> set[str]:
    if not ids:
        return set()
    rows = await session.scalars(
        select(Person.id).where(Person.id.in_(list(ids)), Person.deleted_at.is_(None))
    )
    return set(rows.all())


PERSON_ORDER = terms(Person.name, Person.id)
ORG_ORDER = terms(Organisation.name, Organisation.id)
# The fields a GraphQL ``filter`` and ``orderBy`` may name (``app.repositories.filtering``):
# only what every caller who sees a person (or an organisation) sees.
PERSON_FIELDS = {
    "legacy_id": Person.id,
    "name": Person.name,
    "created_at": Person.created_at,
    "updated_at": Person.updated_at,
}
ORG_FIELDS = {
    "legacy_id": Organisation.id,
    "name": Organisation.name,
    "created_at": Organisation.created_at,
}

# What lists of people and of organisations aggregate (``app.repositories.aggregating``),
# grouped by the day ... they were added.
PERSON_AGGREGATES = AggregateSpec(
    bounds={name: PERSON_FIELDS[name] for name in ("created_at", "updated_at")},
    groups=date_buckets(Person.created_at),
)
# (Not the follow-up thresholds: an organisation shows the configured defaults where it
# keeps none, which the database does not know.)
ORG_AGGREGATES = AggregateSpec(
    bounds={"created_at": ORG_FIELDS["created_at"]},
    groups=date_buckets(Organisation.created_at),
)


def person_order(sort: Sort) -> Order:
    """A people list's order: its ``orderBy`` (the id breaking ties), else by name."""
    return sort_order(sort, PERSON_FIELDS, Person.id, PERSON_ORDER)


def org_order(sort: Sort) -> Order:
    """An organisations list's order: its ``orderBy`` (the id breaking ties), else by name."""
    return sort_order(sort, ORG_FIELDS, Organisation.id, ORG_ORDER)


def _like_escaped(text: str) -> str:
    """``text`` matched literally by LIKE (``%``, ``_`` and the escape are not wildcards)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def people_query(
    *,
    org_ids: Collection[str] | None = None,
    only: str | None = None,
    search: str | None = None,
    role: str | None = None,
    where: Filter | None = None,
) -> RowSelect:
    """The live people (their ``PERSON_COLUMNS``) matching the filters and ``where``
    (unordered; ``people_page`` lists them by name or by their ``orderBy``)."""
    query: RowSelect = select(*PERSON_COLUMNS).where(Person.deleted_at.is_(None))
    if org_ids is not None:
        query = query.where(
            Person.id.in_(select(Membership.person_id).where(Membership.org_id.in_(list(org_ids))))
        )
    if only is not None:
        query = query.where(Person.id == only)
    if search:
        query = query.where(Person.name.ilike(f"%{_like_escaped(search)}%", escape="\\"))
    if role:
        # Roles are a small JSON list; a LIKE on the serialised list keeps this portable.
        pattern = f'%"{_like_escaped(role)}"%'
        query = query.where(cast(Person.roles, String).like(pattern, escape="\\"))
    if where is not None:
        query = query.where(filtered(where, PERSON_FIELDS))
    return query


async def people_page(
    session: AsyncSession, query: RowSelect, page: PageRequest, sort: Sort = ()
) -> Paged[Any]:
    """One page of ``people_query``'s Core rows (by name, or in ``sort``) and its total."""
    return await row_page(session, query, person_order(sort), page, PERSON_AGGREGATES)


async def get_org(session: AsyncSession, org_id: str) -> Organisation | None:
    return await session.scalar(
        select(Organisation).where(Organisation.id == org_id, Organisation.deleted_at.is_(None))
    )


async def orgs_by_ids(session: AsyncSession, ids: Sequence[str]) -> list[Organisation | None]:
    rows = (
        await session.scalars(
            select(Organisation).where(Organisation.id.in_(ids), Organisation.deleted_at.is_(None))
        )
    ).all()
    return by_key(rows, "id", ids)


def orgs_query(*, only: Collection[str] | None = None, where: Filter | None = None) -> RowSelect:
    """The live organisations (their ``ORG_COLUMNS``; ``only`` these ids; matching
    ``where``), unordered."""
    query: RowSelect = select(*ORG_COLUMNS).where(Organisation.deleted_at.is_(None))
    if only is not None:
        query = query.where(Organisation.id.in_(list(only)))
    if where is not None:
        query = query.where(filtered(where, ORG_FIELDS))
    return query


async def org_row_page(
    session: AsyncSession,
    page: PageRequest,
    *,
    only: Collection[str] | None = None,
    where: Filter | None = None,
    sort: Sort = (),
) -> Paged[Any]:
    """A page of ``orgs_query``'s Core rows, by name or in ``sort``."""
    query = orgs_query(only=only, where=where)
    return await row_page(session, query, org_order(sort), page, ORG_AGGREGATES)


_MEMBERSHIPS = (
    select(Membership)
    .where(Membership.person_id.in_(bindparam("ids", expanding=True)))
    .order_by(Membership.org_id)
)


async def memberships_of_people(
    session: AsyncSession, person_ids: Sequence[str]
) -> list[list[Membership]]:
    rows = (await session.scalars(_MEMBERSHIPS, {"ids": list(person_ids)})).all()
    grouped: dict[str, list[Membership]] = defaultdict(list)
    for row in rows:
        grouped[row.person_id].append(row)
    return [grouped.get(pid, []) for pid in person_ids]


async def org_ids_of(session: AsyncSession, person_id: str) -> set[str]:
    rows = await session.scalars(select(Membership.org_id).where(Membership.person_id == person_id))
    return set(rows.all())


async def get_membership(session: AsyncSession, person_id: str, org_id: str) -> Membership | None:
    return await session.get(Membership, (person_id, org_id))


async def remove_membership(session: AsyncSession, person_id: str, org_id: str) -> bool:
    result = await session.execute(
        delete(Membership).where(Membership.person_id == person_id, Membership.org_id == org_id)
    )
    return bool(getattr(result, "rowcount", 0))


# --- hub fields: many organisations' people in one statement ------------------------------


def _people_shape(
    filters: PeopleList, org_ids: Collection[str] | None, only: str | None
) -> ListShape:
    query = people_query(
        only=only, search=filters.search, role=filters.role, where=filters.where
    ).join(Membership, Membership.person_id == Person.id)
    if org_ids is not None:
        query = query.where(Membership.org_id.in_(sorted(org_ids)))
    return ListShape(
        query=query,
        owner=Membership.org_id,
        order=person_order(filters.sort),
        row_id=Person.id,
        load=select(Bundle("person", *PERSON_COLUMNS)),
        aggregates=PERSON_AGGREGATES,
    )


async def member_row_pages(
    session: AsyncSession,
    keys: Sequence[OwnedPage[PeopleList]],
    *,
    org_ids: Collection[str] | None,
    only: str | None,
) -> list[Paged[Any]]:
    """Each organisation's page of members (Core rows of ``PERSON_COLUMNS``), by name
    or in the filters' ``sort``, among the members of ``org_ids`` (``None``: of any
    organisation) or only ``only``."""
    return await load_pages(session, keys, lambda f: _people_shape(f, org_ids, only))


# --- the read model's statements (app/services/people_reads.py) ----------------------------


def _sees_in_full() -> ColumnElement[bool]:
    """Bound ``everyone``, ``me`` and ``orgs``: the people scope (services' policy) as SQL."""
    return or_(
        bindparam("everyone", type_=Boolean),
        Person.id == bindparam("me"),
        Person.id.in_(
            select(Membership.person_id).where(
                Membership.org_id.in_(bindparam("orgs", expanding=True))
            )
        ),
    )


_PEOPLE_ROWS = select(*PERSON_COLUMNS, _sees_in_full().label("full")).where(
    Person.id.in_(bindparam("ids", expanding=True)), Person.deleted_at.is_(None)
)


async def person_rows(
    session: AsyncSession,
    ids: Sequence[str],
    *,
    everyone: bool,
    me: str,
    orgs: Collection[str],
) -> Sequence[Any]:
    """The live people among ``ids``, each with ``full``: whether the scope (everyone, the
    person ``me``, the members of ``orgs``) includes them."""
    params = {"ids": list(ids), "everyone": everyone, "me": me, "orgs": sorted(orgs)}
    return (await session.execute(_PEOPLE_ROWS, params)).all()


_ORG_ROWS = select(*ORG_COLUMNS).where(
    Organisation.id.in_(bindparam("ids", expanding=True)), Organisation.deleted_at.is_(None)
)
_MEMBERSHIP_ROWS = (
    select(Membership.person_id, Membership.org_id, Membership.role)
    .where(Membership.person_id.in_(bindparam("ids", expanding=True)))
    .order_by(Membership.person_id, Membership.org_id)
)


async def org_rows(session: AsyncSession, ids: Sequence[str]) -> Sequence[Any]:
    return (await session.execute(_ORG_ROWS, {"ids": list(ids)})).all()


async def membership_rows(session: AsyncSession, person_ids: Sequence[str]) -> Sequence[Any]:
    return (await session.execute(_MEMBERSHIP_ROWS, {"ids": list(person_ids)})).all()
