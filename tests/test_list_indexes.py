"""The lists' own orders are read in index order, not sorted: EXPLAIN of a keyset page
(the first one and one after a cursor) on SQLite and PostgreSQL. Fails when an order
changes without its index, or a cursor predicate stops the index from serving the order."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Select, text

from app.db import Database
from app.pagination import PageRequest
from app.repositories import activities as repo
from app.repositories.keyset import order_by, window
from app.services.activity_reads import ActivityFilters, ActivityList
from app.services.policy import ActivityScope


def _page(after: tuple[Any, ...] | None) -> Select[Any]:
    listed = ActivityList(ActivityScope(mentor_ids=None, org_ids=None), ActivityFilters())
    page = PageRequest(0, 20, after=after)
    return (
        repo.activities_query(listed)
        .where(window(repo.LIST_ORDER, page))
        .order_by(*order_by(repo.LIST_ORDER))
        .limit(21)
    )


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


async def test_the_activities_list_is_read_in_its_index_order(db: Database):
    cursor = (date(2025, 6, 1), datetime(2025, 6, 1, 8, tzinfo=UTC), "act_000000000000")
    for after in (None, cursor):
        plan = await _plan(db, _page(after))
        assert "ix_activities_date_created_at_id" in plan, plan
        assert "TEMP B-TREE" not in plan, plan  # SQLite sorting
        assert "Sort" not in plan, plan  # PostgreSQL sorting
