"""``filter:`` and ``orderBy:`` on connections, property-tested through the real app on
both databases: for random filters (every operator, nested ``and``/``or``/``not``) the
list answers exactly the visible items the same filter keeps when evaluated here, in
Python, over every item the caller may see (fetched unfiltered), for several roles; for
random orders, the items come in the order sorting them here gives, and cursors follow
the order. Visibility applies first: no filter reaches another mentor's items."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import update

from app.db import Database
from app.models.activities import Activity
from tests.helpers import Auth, gql
from tests.listing_support import Row, combined, day, every_page, instant, matches, ops, sorted_ids

FIELDS = "legacyId date durationMinutes status activityTypeId peerMentorId notes createdAt"
LIST = (
    "query($filter: ActivityFilter, $orderBy: [ActivityOrder!], $after: String) {"
    " activities(first: 100, after: $after, filter: $filter, orderBy: $orderBy) {"
    f" totalCount nodes {{ {FIELDS} }} pageInfo {{ hasNextPage endCursor }} }} }}"
)


async def _all(
    client: httpx.AsyncClient, headers: dict[str, str], variables: dict[str, Any]
) -> tuple[list[Row], int]:
    rows, total = await every_page(client, LIST, "activities", headers, variables)
    return rows, total


@pytest.fixture
async def roles(
    client: httpx.AsyncClient, demo, auth: Auth
) -> dict[str, tuple[dict[str, str], list[Row]]]:
    """Each role's headers and every activity it may see, unfiltered, in list order."""
    found = {}
    for name, headers in {
        "admin": auth.admin,
        "coordinator": auth.coordinator,
        "mentor": auth.mentor("mentor_4b8c21"),
    }.items():
        rows, total = await _all(client, headers, {})
        assert len(rows) == total
        found[name] = (headers, rows)
    assert found["admin"][1]
    assert found["mentor"][1]
    assert len(found["mentor"][1]) < len(found["coordinator"][1]) <= len(found["admin"][1])
    return found


PARSERS = {"date": day, "createdAt": instant}

# --- random filters -------------------------------------------------------------------------

_days = st.dates(date(2024, 6, 1), date(2026, 12, 31)).map(date.isoformat)
_minutes = st.integers(0, 200)
_statuses = st.sampled_from(["PENDING", "CONFIRMED", "REJECTED"])
_types = st.sampled_from(["type_running", "type_cycling", "type_meeting", "type_unknown"])
_mentors = st.sampled_from(["mentor_4b8c21", "user_042", "mentor_001", "nobody"])
_text = st.sampled_from(["run", "River", "%", "_", "a", "Morning run", ""])
_instants = st.datetimes(datetime(2024, 6, 1), datetime(2027, 1, 1)).map(
    lambda moment: moment.isoformat() + "Z"
)

_leaf = st.one_of(
    st.fixed_dictionaries({"date": ops(_days, ranges=True)}),
    st.fixed_dictionaries({"durationMinutes": ops(_minutes, ranges=True)}),
    st.fixed_dictionaries({"status": ops(_statuses, ranges=False)}),
    st.fixed_dictionaries({"activityTypeId": ops(_types, ranges=False)}),
    st.fixed_dictionaries({"peerMentorId": ops(_mentors, ranges=False)}),
    st.fixed_dictionaries(
        {"notes": st.one_of(ops(_text, ranges=False), st.fixed_dictionaries({"contains": _text}))}
    ),
    st.fixed_dictionaries({"createdAt": ops(_instants, ranges=True, lists=False)}),
)
filters = combined(_leaf)

_PROPERTY = hypothesis_settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@_PROPERTY
@given(condition=filters, role=st.sampled_from(["admin", "coordinator", "mentor"]))
async def test_a_filter_keeps_exactly_the_visible_items_it_matches(
    client: httpx.AsyncClient, roles: dict[str, Any], condition: dict[str, Any], role: str
):
    headers, visible = roles[role]
    expected = [row["legacyId"] for row in visible if matches(condition, row, PARSERS)]
    rows, total = await _all(client, headers, {"filter": condition})
    assert [row["legacyId"] for row in rows] == expected, condition
    assert total == len(expected)


_ORDER_FIELDS = {
    "DATE": "date",
    "DURATION_MINUTES": "durationMinutes",
    "STATUS": "status",
    "CREATED_AT": "createdAt",
    "PEER_MENTOR_ID": "peerMentorId",
}


@_PROPERTY
@given(
    keys=st.lists(
        st.fixed_dictionaries(
            {
                "field": st.sampled_from(sorted(_ORDER_FIELDS)),
                "direction": st.sampled_from(["ASC", "DESC"]),
            }
        ),
        min_size=1,
        max_size=3,
        unique_by=lambda key: key["field"],
    ),
    role=st.sampled_from(["admin", "coordinator"]),
)
async def test_an_order_sorts_every_page_and_its_cursors_follow(
    client: httpx.AsyncClient, roles: dict[str, Any], keys: list[dict[str, str]], role: str
):
    """Paging 100 at a time through the ordered list gives the visible items sorted by
    the keys (the id breaking ties). Fails if a key is ignored, a direction flipped, or a
    cursor continues in another order."""
    headers, visible = roles[role]
    rows, _ = await _all(client, headers, {"orderBy": keys})
    assert [row["legacyId"] for row in rows] == sorted_ids(visible, keys, _ORDER_FIELDS, PARSERS), (
        keys
    )


async def test_filters_and_orders_are_bounded_and_checked(
    client: httpx.AsyncClient, demo, auth: Auth
):
    too_many = {"or": [{"durationMinutes": {"eq": n}} for n in range(51)]}
    wide = {"status": {"in": ["PENDING"] * 101}}
    deep: dict[str, Any] = {"durationMinutes": {"eq": 1}}
    for _ in range(9):
        deep = {"not": deep}
    twice = [{"field": "DATE"}, {"field": "DATE", "direction": "DESC"}]
    cases: list[tuple[dict[str, Any], str]] = [
        ({"filter": too_many}, "filter: at most 50 conditions"),
        ({"filter": wide}, "filter: at most 100 values in 'status'"),
        ({"filter": deep}, "filter: nested deeper than 8 levels"),
        ({"orderBy": twice}, "orderBy: each field at most once"),
        ({"orderBy": [{"field": "DATE"}] * 5}, "orderBy: at most 4 keys"),
    ]
    for variables, message in cases:
        body = await gql(client, LIST, variables, auth.admin)
        assert body["data"] is None, body
        [error] = body["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT", body
        assert error["message"] == message, body
    # A cursor of one order is refused by another.
    body = await gql(client, LIST, {"orderBy": [{"field": "DATE"}]}, auth.admin)
    cursor = body["data"]["activities"]["pageInfo"]["endCursor"]
    other = await gql(
        client, LIST, {"orderBy": [{"field": "DURATION_MINUTES"}], "after": cursor}, auth.admin
    )
    assert other["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", other
    assert "belongs to another list" in other["errors"][0]["message"], other


async def test_the_hub_list_takes_the_same_filter_and_order(
    client: httpx.AsyncClient, roles: dict[str, Any], auth: Auth
):
    """A person's ``activities`` (one statement for a page of people) with a filter and an
    order answers what the root list answers for that mentor."""
    condition = {"durationMinutes": {"gte": 30}, "not": {"status": {"eq": "REJECTED"}}}
    keys = [{"field": "DURATION_MINUTES", "direction": "DESC"}, {"field": "DATE"}]
    headers, visible = roles["admin"]
    mentor = visible[0]["peerMentorId"]
    query = (
        "query($id: String!, $filter: ActivityFilter, $orderBy: [ActivityOrder!]) {"
        " person(id: $id) { activities(first: 100, filter: $filter, orderBy: $orderBy) {"
        " nodes { legacyId } } } }"
    )
    root, _ = await _all(
        client,
        headers,
        {"filter": {**condition, "peerMentorId": {"eq": mentor}}, "orderBy": keys},
    )
    body = await gql(client, query, {"id": mentor, "filter": condition, "orderBy": keys}, headers)
    assert "errors" not in body, body
    hub = [node["legacyId"] for node in body["data"]["person"]["activities"]["nodes"]]
    assert hub == [row["legacyId"] for row in root][:100]
    assert hub


async def test_a_filters_size_counts_in_the_query_cost(client: httpx.AsyncClient, demo, auth: Auth):
    """A filter under a list of 100 people is priced 100 times its size: a large one is
    refused before it runs, the same query without it is not."""
    query = (
        "query($filter: ActivityFilter) { people(first: 100) { nodes {"
        " activities(first: 1, filter: $filter) { totalCount } } } }"
    )
    plain = await gql(client, query, {}, auth.admin)
    assert "errors" not in plain, plain
    large = {"or": [{"durationMinutes": {"eq": n, "ne": n + 1}} for n in range(20)]}
    body = await gql(client, query, {"filter": large}, auth.admin)
    assert body["data"] is None, body
    assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX", body


async def test_date_time_conditions_compare_at_the_precision_shown(
    client: httpx.AsyncClient, roles: dict[str, Any], db: Database
):
    """An item's shown ``createdAt`` (whole seconds, though stored to the microsecond)
    finds it with ``eq`` and ``lte``, not with ``lt`` or ``gt``. Fails if the filter
    compares the stored microseconds."""
    headers, visible = roles["admin"]
    row = visible[0]
    async with db.write() as session:
        await session.execute(
            update(Activity)
            .where(Activity.id == row["legacyId"])
            .values(created_at=instant(row["createdAt"]) + timedelta(microseconds=654321))
        )
    shown = row["createdAt"]
    for op, kept in (("eq", True), ("lte", True), ("gte", True), ("lt", False), ("gt", False)):
        found, _ = await _all(client, headers, {"filter": {"createdAt": {op: shown}}})
        assert (row["legacyId"] in [item["legacyId"] for item in found]) is kept, op
    found, _ = await _all(client, headers, {"filter": {"createdAt": {"ne": shown}}})
    assert row["legacyId"] not in [item["legacyId"] for item in found]
