"""``filter:`` and ``orderBy:`` on the people directory's connections (``people``,
``organisations``, an organisation's ``people``), property-tested through the real app on
both databases: a random filter keeps exactly the visible items the same filter keeps when
evaluated here, in Python, over every item the caller may see (fetched unfiltered), for
several roles; a random order sorts the items as sorting them here does, across pages.
Only fields every caller who sees a person sees are offered (no email, no roles)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from app.db import Database
from app.models.people import Organisation, Person
from tests.helpers import Auth, gql
from tests.listing_support import Row, combined, every_page, instant, matches, ops, sorted_ids

PEOPLE = (
    "query($filter: PersonFilter, $orderBy: [PersonOrder!], $after: String, $orgId: String) {"
    " people(first: 40, after: $after, filter: $filter, orderBy: $orderBy, orgId: $orgId) {"
    " totalCount nodes { legacyId name createdAt updatedAt }"
    " pageInfo { hasNextPage endCursor } } }"
)
ORGS = (
    "query($filter: OrganisationFilter, $orderBy: [OrganisationOrder!], $after: String) {"
    " organisations(first: 3, after: $after, filter: $filter, orderBy: $orderBy) {"
    " totalCount nodes { legacyId name createdAt } pageInfo { hasNextPage endCursor } } }"
)
PARSERS = {"createdAt": instant, "updatedAt": instant}

# Organisations the test adds (duplicate names, so the id breaks ties) beside the demo's.
EXTRA_ORGS = [
    ("org_t1", "Tromsø Peer Support"),
    ("org_t2", "Oslo Peer Support"),
    ("org_t3", "Alta"),
    ("org_t4", "Alta"),
    ("org_t5", "Bodø 100% support_"),
]
RENAMED = {"user_042": "Ola Hansen", "user_019": "Astrid Haugen", "mentor_s00003": "Alta"}
_BASE = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


async def _spread_timestamps(db: Database) -> None:
    """Whole-second timestamps, spread over days with ties: the door shows date-times to
    the second, so the values compared here are exactly the stored ones."""
    async with db.write() as session:
        for model in (Person, Organisation):
            ids = sorted((await session.scalars(select(model.id))).all())
            for index, key in enumerate(ids):
                created = _BASE + timedelta(days=index % 9, seconds=index % 4)
                changed = created + timedelta(hours=index % 5)
                await session.execute(
                    update(model)
                    .where(model.id == key)
                    .values(created_at=created, updated_at=changed)
                )


@pytest.fixture
async def roles(
    client: httpx.AsyncClient, demo, auth: Auth, db: Database
) -> dict[str, tuple[dict[str, str], list[Row], list[Row]]]:
    """Each role's headers, every person and every organisation it may see, unfiltered."""
    for org_id, name in EXTRA_ORGS:
        body = await gql(
            client,
            "mutation($id: String!, $name: String!) {"
            " createOrganisation(input: {id: $id, name: $name}) { legacyId } }",
            {"id": org_id, "name": name},
            auth.admin,
        )
        assert "errors" not in body, body
    for person_id, org_id in (("user_202", "org_t1"), ("user_055", "org_t2")):
        body = await gql(
            client,
            "mutation($p: String!, $o: String!) { addMembership(personId: $p, orgId: $o)"
            " { orgId } }",
            {"p": person_id, "o": org_id},
            auth.admin,
        )
        assert "errors" not in body, body
    for person_id, name in RENAMED.items():  # more shared names
        body = await gql(
            client,
            "mutation($id: String!, $name: String!) {"
            " updatePerson(id: $id, input: {name: $name}) { legacyId } }",
            {"id": person_id, "name": name},
            auth.admin,
        )
        assert "errors" not in body, body
    await _spread_timestamps(db)
    found = {}
    for name, headers in {
        "admin": auth.admin,
        "coordinator": auth("user_007", "coordinator", orgs=("org_03", "org_t1", "org_t3")),
        "mentor": auth.mentor("mentor_4b8c21"),
    }.items():
        people, total = await every_page(client, PEOPLE, "people", headers, {})
        assert len(people) == total
        orgs, total = await every_page(client, ORGS, "organisations", headers, {})
        assert len(orgs) == total
        found[name] = (headers, people, orgs)
    assert len(found["mentor"][1]) == 1
    assert 1 < len(found["coordinator"][1]) < len(found["admin"][1])
    assert 1 < len(found["coordinator"][2]) < len(found["admin"][2])
    return found


_PROPERTY = hypothesis_settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _instants(rows: list[Row], field: str) -> st.SearchStrategy[str]:
    """Instants at, just before and just after the rows' own (their ties included)."""
    seen = sorted({instant(row[field]) for row in rows})
    nearby = sorted({at + timedelta(seconds=step) for at in seen for step in (-1, 0, 1)})
    return st.sampled_from(nearby).map(lambda at: at.strftime("%Y-%m-%dT%H:%M:%SZ"))


def _texts(rows: list[Row]) -> st.SearchStrategy[str]:
    names = sorted({row["name"] for row in rows})
    pieces = ["a", "Alta", "ol", "Ol", "%", "_", "", "100% support_", "ø"]
    return st.one_of(
        st.sampled_from(names),
        st.sampled_from(pieces),
        st.sampled_from(names).map(lambda n: n[1:4]),
    )


def _filters(rows: list[Row], ids: list[str], *, updated: bool) -> st.SearchStrategy[Any]:
    known = st.sampled_from(sorted({row["legacyId"] for row in rows} | set(ids)))
    leaves = [
        st.fixed_dictionaries({"legacyId": ops(known, ranges=False)}),
        st.fixed_dictionaries(
            {
                "name": st.one_of(
                    ops(_texts(rows), ranges=False),
                    st.fixed_dictionaries({"contains": _texts(rows)}),
                )
            }
        ),
        st.fixed_dictionaries(
            {"createdAt": ops(_instants(rows, "createdAt"), ranges=True, lists=False)}
        ),
    ]
    if updated:
        leaves.append(
            st.fixed_dictionaries(
                {"updatedAt": ops(_instants(rows, "updatedAt"), ranges=True, lists=False)}
            )
        )
    return combined(st.one_of(*leaves))


@_PROPERTY
@given(data=st.data(), role=st.sampled_from(["admin", "coordinator", "mentor"]))
async def test_a_people_filter_keeps_exactly_the_visible_people_it_matches(
    client: httpx.AsyncClient, roles: dict[str, Any], data: st.DataObject, role: str
):
    headers, visible, _ = roles[role]
    everyone = roles["admin"][1]
    condition = data.draw(_filters(everyone, ["nobody", "user_201"], updated=True))
    expected = [row["legacyId"] for row in visible if matches(condition, row, PARSERS)]
    rows, total = await every_page(client, PEOPLE, "people", headers, {"filter": condition})
    assert [row["legacyId"] for row in rows] == expected, condition
    assert total == len(expected)


@_PROPERTY
@given(data=st.data(), role=st.sampled_from(["admin", "coordinator", "mentor"]))
async def test_an_organisations_filter_keeps_exactly_the_visible_ones_it_matches(
    client: httpx.AsyncClient, roles: dict[str, Any], data: st.DataObject, role: str
):
    headers, _, visible = roles[role]
    condition = data.draw(_filters(roles["admin"][2], ["org_99"], updated=False))
    expected = [row["legacyId"] for row in visible if matches(condition, row, PARSERS)]
    rows, total = await every_page(client, ORGS, "organisations", headers, {"filter": condition})
    assert [row["legacyId"] for row in rows] == expected, condition
    assert total == len(expected)


_PERSON_ORDER = {
    "LEGACY_ID": "legacyId",
    "NAME": "name",
    "CREATED_AT": "createdAt",
    "UPDATED_AT": "updatedAt",
}
_ORG_ORDER = {"LEGACY_ID": "legacyId", "NAME": "name", "CREATED_AT": "createdAt"}


def _orders(fields: dict[str, str]) -> st.SearchStrategy[list[dict[str, str]]]:
    return st.lists(
        st.fixed_dictionaries(
            {
                "field": st.sampled_from(sorted(fields)),
                "direction": st.sampled_from(["ASC", "DESC"]),
            }
        ),
        min_size=1,
        max_size=3,
        unique_by=lambda key: key["field"],
    )


@_PROPERTY
@given(keys=_orders(_PERSON_ORDER), role=st.sampled_from(["admin", "coordinator"]))
async def test_a_people_order_sorts_every_page_and_its_cursors_follow(
    client: httpx.AsyncClient, roles: dict[str, Any], keys: list[dict[str, str]], role: str
):
    """Paging 40 at a time through the ordered list gives the visible people sorted by the
    keys (the id breaking ties)."""
    headers, visible, _ = roles[role]
    rows, _ = await every_page(client, PEOPLE, "people", headers, {"orderBy": keys})
    expected = sorted_ids(visible, keys, _PERSON_ORDER, PARSERS)
    assert [row["legacyId"] for row in rows] == expected, keys


@_PROPERTY
@given(keys=_orders(_ORG_ORDER), role=st.sampled_from(["admin", "coordinator"]))
async def test_an_organisations_order_sorts_every_page_and_its_cursors_follow(
    client: httpx.AsyncClient, roles: dict[str, Any], keys: list[dict[str, str]], role: str
):
    headers, _, visible = roles[role]
    rows, _ = await every_page(client, ORGS, "organisations", headers, {"orderBy": keys})
    expected = sorted_ids(visible, keys, _ORG_ORDER, PARSERS)
    assert [row["legacyId"] for row in rows] == expected, keys


async def test_the_default_orders_stay_by_name(roles: dict[str, Any]):
    _, people, orgs = roles["admin"]
    by_name = [{"field": "NAME"}]
    assert [row["legacyId"] for row in people] == sorted_ids(people, by_name, _PERSON_ORDER, {})
    assert [row["legacyId"] for row in orgs] == sorted_ids(orgs, by_name, _ORG_ORDER, {})


async def test_private_fields_are_not_offered(client: httpx.AsyncClient, demo, auth: Auth):
    for query in (
        '{ people(filter: {email: {eq: "x"}}) { totalCount } }',
        '{ people(filter: {roles: {eq: "x"}}) { totalCount } }',
        "{ people(orderBy: [{field: EMAIL}]) { totalCount } }",
    ):
        body = await gql(client, query, {}, auth.admin)
        assert body.get("data") is None, body
        assert body["errors"], body


async def test_a_cursor_of_one_order_is_refused_by_another(
    client: httpx.AsyncClient, demo, auth: Auth
):
    for query, root, one, other in (
        (PEOPLE, "people", "NAME", "CREATED_AT"),
        (ORGS, "organisations", "NAME", "LEGACY_ID"),
    ):
        body = await gql(client, query, {"orderBy": [{"field": one}]}, auth.admin)
        cursor = body["data"][root]["pageInfo"]["endCursor"]
        variables = {"orderBy": [{"field": other}], "after": cursor}
        refused = await gql(client, query, variables, auth.admin)
        assert refused["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", refused
        assert "belongs to another list" in refused["errors"][0]["message"], refused


@pytest.mark.parametrize("role", ["admin", "coordinator"])
async def test_an_organisations_people_take_the_same_filter_and_order(
    client: httpx.AsyncClient, roles: dict[str, Any], role: str
):
    """Every organisation's ``people`` (one statement for the page of organisations) with
    a filter and an order answers what ``people(orgId: ...)`` answers."""
    headers, _, orgs = roles[role]
    condition = {"or": [{"name": {"contains": "a"}}, {"legacyId": {"in": ["user_202"]}}]}
    keys = [{"field": "NAME", "direction": "DESC"}, {"field": "CREATED_AT"}]
    query = (
        "query($filter: PersonFilter, $orderBy: [PersonOrder!]) {"
        " organisations(first: 10) { nodes { legacyId"
        " people(first: 100, filter: $filter, orderBy: $orderBy) { totalCount"
        " nodes { legacyId } } } } }"
    )
    body = await gql(client, query, {"filter": condition, "orderBy": keys}, headers)
    assert "errors" not in body, body
    hubs = {node["legacyId"]: node["people"] for node in body["data"]["organisations"]["nodes"]}
    assert set(hubs) == {row["legacyId"] for row in orgs}
    seen = 0
    for org_id, hub in hubs.items():
        variables = {"filter": condition, "orderBy": keys, "orgId": org_id}
        root, total = await every_page(client, PEOPLE, "people", headers, variables)
        assert [node["legacyId"] for node in hub["nodes"]] == [row["legacyId"] for row in root]
        assert hub["totalCount"] == total
        seen += total
    assert seen
