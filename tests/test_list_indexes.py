"""The lists' own orders are read in index order, not sorted: EXPLAIN of a keyset page
(the first one and one after a cursor) on SQLite and PostgreSQL. Fails when an order
changes without its index, or a cursor predicate stops the index from serving the order.

Checked: activities; assignments (the root list, of one status or all, for an admin and
for a coordinator who also mentors); a mentor's active and history lists; notifications;
people; organisations (migrations 0010 and 0011).

Where a scope keeps SQLite from reading in index order, only PostgreSQL is checked:
SQLite's planner drives the query from the scope instead, then sorts the rows it found
(PostgreSQL reads the order's index and filters):
- notifications: ``assignment_id IN (the visible assignments)``, even for an admin, is
  looked up through ``ix_assignment_notifications_assignment_id``;
- a coordinator's assignments of every status: ``org_id IN (...) OR mentor_id = ...`` is
  read as a MULTI-INDEX OR (of one status, the status index still serves the order);
- people of some organisations (an ``IN`` over memberships) and organisations of some ids
  (an ``IN`` list), looked up by their keys.

Not checked, as no plain index can serve them:
- milestones (``LIST_ORDER`` and ``NEWEST_FIRST``): both sort by the rank of the joined
  definition's type (a CASE expression) and by its threshold, columns of another table;
- held editorial locks (``HELD_ORDER``): only read per holder (``pages_per_owner``), whose
  ``row_number()`` is partitioned by the holder, a column of the joined users, and by
  whether a row lies inside the cursors (an expression), so it sorts whatever the index;
- the overdue list (``OVERDUE_ORDER``): by the contact gap, a ``coalesce`` of two columns.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import Select, text

from app.db import Database
from app.models.mentoring import OPEN
from app.pagination import PageRequest
from app.repositories import activities, mentoring, people
from app.repositories.keyset import Order, order_by, window
from app.services.activity_reads import ActivityFilters, ActivityList
from app.services.mentoring_rules import Filters
from app.services.policy import ActivityScope, AssignmentScope


def _page(query: Select[Any], order: Order, after: tuple[Any, ...] | None) -> Select[Any]:
    """The statement of a keyset page of ``query`` in ``order`` (``keyset_page``'s)."""
    page = PageRequest(0, 20, after=after)
    return query.where(window(order, page)).order_by(*order_by(order)).limit(21)


async def _plan(db: Database, statement: Select[Any]) -> str:
    async with db.engine.connect() as connection:
        compiled = statement.compile(connection.engine, compile_kwargs={"literal_binds": True})
        if connection.dialect.name == "sqlite":
            rows = await connection.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))
            return "\n".join(str(row[-1]) for row in rows)
        for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
            await connection.execute(
                text(f"SET {setting} = off")
            )  # a tiny table: ask for the index
        rows = await connection.execute(text(f"EXPLAIN {compiled}"))
        return "\n".join(str(row[0]) for row in rows)


async def _assert_index_order(
    db: Database,
    query: Select[Any],
    order: Order,
    cursor: tuple[Any, ...],
    *indexes: str,
    on_sqlite: bool = True,
) -> None:
    """The first page of ``query`` in ``order``, and the page after ``cursor``, are read
    from one of ``indexes`` without a sort (not checked on SQLite unless ``on_sqlite``:
    see the module's docstring)."""
    if not on_sqlite and db.engine.dialect.name == "sqlite":
        pytest.skip("SQLite drives this scope from another index and sorts (module docstring)")
    for after in (None, cursor):
        plan = await _plan(db, _page(query, order, after))
        assert any(index in plan for index in indexes), plan
        assert "TEMP B-TREE" not in plan, plan  # SQLite sorting
        assert "Sort" not in plan, plan  # PostgreSQL sorting


async def test_the_activities_list_is_read_in_its_index_order(db: Database):
    listed = ActivityList(ActivityScope(mentor_ids=None, org_ids=None), ActivityFilters())
    cursor = (date(2025, 6, 1), datetime(2025, 6, 1, 8, tzinfo=UTC), "act_000000000000")
    await _assert_index_order(
        db,
        activities.activities_query(listed),
        activities.LIST_ORDER,
        cursor,
        "ix_activities_date_created_at_id",
    )


AT = datetime(2025, 6, 1, 8, tzinfo=UTC)
EVERYTHING = AssignmentScope(everything=True)
COORDINATOR = AssignmentScope(orgs=frozenset({"org_a", "org_b"}), mentor_id="per_mentor")


@pytest.mark.parametrize("status", [OPEN, None], ids=["open", "all"])
@pytest.mark.parametrize("scope", [EVERYTHING, COORDINATOR], ids=["admin", "coordinator"])
async def test_the_assignments_list_is_read_in_its_index_order(
    db: Database, scope: AssignmentScope, status: str | None
):
    await _assert_index_order(
        db,
        mentoring.assignment_query(scope, Filters(status=status)),
        mentoring.LIST_ORDER,
        (AT, "asg_000000000000"),
        "ix_assignments_live_created_at_id",
        *(() if status is None else ("ix_assignments_live_status_created_at_id",)),
        on_sqlite=scope.everything or status is not None,
    )


@pytest.mark.parametrize(
    ("status", "order"),
    [(OPEN, mentoring.ACTIVE_ORDER), (None, mentoring.HISTORY_ORDER)],
    ids=["active", "history"],
)
@pytest.mark.parametrize("scope", [EVERYTHING, COORDINATOR], ids=["admin", "coordinator"])
async def test_a_mentors_lists_are_read_in_their_index_order(
    db: Database, scope: AssignmentScope, status: str | None, order: Order
):
    await _assert_index_order(
        db,
        mentoring.assignment_query(scope, Filters(status=status, mentor_id="per_mentor")),
        order,
        (AT, "asg_000000000000"),
        "ix_assignments_live_mentor_id_started_at_id",
    )


@pytest.mark.parametrize("scope", [EVERYTHING, COORDINATOR], ids=["admin", "coordinator"])
async def test_the_notifications_list_is_read_in_its_index_order(
    db: Database, scope: AssignmentScope
):
    await _assert_index_order(
        db,
        mentoring.notifications_query(scope),
        mentoring.NOTIFICATION_ORDER,
        (AT, "ntf_000000000000"),
        "ix_assignment_notifications_created_at_id",
        on_sqlite=False,
    )


@pytest.mark.parametrize("org_ids", [None, ["org_a"]], ids=["everyone", "some_orgs"])
async def test_the_people_list_is_read_in_its_index_order(db: Database, org_ids: list[str] | None):
    await _assert_index_order(
        db,
        people.people_query(org_ids=org_ids),
        people.PERSON_ORDER,
        ("Maria", "per_000000000000"),
        "ix_people_name_id",
        on_sqlite=org_ids is None,
    )


@pytest.mark.parametrize("only", [None, ["org_a", "org_b"]], ids=["all", "some"])
async def test_the_organisations_list_is_read_in_its_index_order(
    db: Database, only: list[str] | None
):
    await _assert_index_order(
        db,
        people.orgs_query(only=only),
        people.ORG_ORDER,
        ("Oslo", "org_000000000000"),
        "ix_organisations_name_id",
        on_sqlite=only is None,
    )
