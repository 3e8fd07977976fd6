"""Hostile query strings on the REST door: unknown parameters, empty typed values, and
SQL-looking text in every filter. A filter never widens a list, and text is only ever a
bound value, never SQL."""

from __future__ import annotations

import httpx
import pytest

from app.rest.http import text_schema
from app.rest.registry import CONTRACTS
from app.settings import Settings
from schema import build_schema
from tests.helpers import Auth, error_codes, gql

LISTS = (
    "/api/v1/people",
    "/v3/assignment",
    "/api/v1/activities",
    "/api/v1/assignments",
    "/api/v1/assignments/overdue",
    "/api/v1/milestones",
)


@pytest.mark.parametrize("path", LISTS)
async def test_unknown_query_parameters_are_refused(
    client: httpx.AsyncClient, demo, auth: Auth, path: str
):
    # A misspelt filter must not silently answer the whole list.
    response = await client.get(f"{path}?org_idd=org_05", headers=auth.admin)
    assert response.status_code == 400, response.text
    assert "org_idd" in response.json()["detail"]


@pytest.mark.parametrize(
    ("path", "param"),
    [
        ("/api/v1/people", "page"),
        ("/api/v1/people", "limit"),
        ("/v3/assignment", "per_page"),
        ("/v3/assignment", "order"),
        ("/api/v1/activities", "from"),
        ("/api/v1/activities", "status"),
        ("/api/v1/assignments", "status"),
        ("/api/v1/assignments/overdue", "days"),
        ("/api/v1/milestones", "year"),
        ("/api/v1/milestones", "start_date"),
        ("/api/v1/milestones", "type"),
    ],
)
async def test_empty_values_of_typed_parameters_are_refused(
    client: httpx.AsyncClient, demo, auth: Auth, path: str, param: str
):
    response = await client.get(f"{path}?{param}=", headers=auth.admin)
    assert response.status_code == 400, response.text
    assert param in response.json()["detail"]


async def test_unknown_parameters_are_refused_after_authentication(client: httpx.AsyncClient):
    response = await client.get("/api/v1/people?whatever=1")
    assert response.status_code == 401


SQLISH = ("' OR 1=1 --", "%", "_", "\\", "*", '"; DROP TABLE people; --', "org_03' OR '1'='1")


def _string_filters() -> list[tuple[str, str]]:
    """Every free-text query parameter of every GET route (from the Endpoint records)."""
    found = []
    for contract in CONTRACTS:
        for endpoint in contract.endpoints:
            if endpoint.method != "GET" or "{" in endpoint.path:
                continue
            for param in endpoint.query:
                if param.schema == text_schema():  # free text, bounded
                    found.append((contract.base + endpoint.path, param.name))
    return found


@pytest.mark.parametrize(("path", "param"), _string_filters())
async def test_sql_looking_filters_match_nothing_or_are_refused(
    client: httpx.AsyncClient, demo, auth: Auth, path: str, param: str
):
    everything = (await client.get(path, headers=auth.admin)).json()
    for value in SQLISH:
        response = await client.get(path, params={param: value}, headers=auth.admin)
        assert response.status_code in (200, 400), (value, response.text)
        if response.status_code == 200:
            assert response.json()["data"] == [], value
    # nothing was changed by them either
    assert (await client.get(path, headers=auth.admin)).json() == everything


def _graphql_filters() -> list[tuple[str, str]]:
    """Every String argument of every connection root field (the cursors aside)."""
    graphql = build_schema(Settings(_env_file=None))._schema
    assert graphql.query_type is not None
    found = []
    for name, field in graphql.query_type.fields.items():
        if not str(field.type).endswith("Connection!"):
            continue
        for arg, definition in field.args.items():
            if arg not in ("after", "before") and str(definition.type) in ("String", "String!"):
                found.append((name, arg))
    return found


@pytest.mark.parametrize(("field", "arg"), _graphql_filters())
async def test_sql_looking_graphql_filters_match_nothing_or_are_refused(
    client: httpx.AsyncClient, demo, auth: Auth, field: str, arg: str
):
    doc = f"query($v: String!) {{ {field}({arg}: $v) {{ totalCount }} }}"
    for value in SQLISH:
        body = await gql(client, doc, {"v": value}, auth.admin)
        if body.get("errors"):
            assert error_codes(body)[0] in ("BAD_USER_INPUT", "NOT_FOUND"), (value, body)
        else:
            assert body["data"][field]["totalCount"] == 0, value


async def test_sort_order_is_an_allow_list(client: httpx.AsyncClient, demo, auth: Auth):
    for order in ("title; DROP TABLE editorial_assignments", "content", "id desc", "1"):
        response = await client.get("/v3/assignment", params={"order": order}, headers=auth.editor)
        assert response.status_code == 400, order
    assert (await client.get("/v3/assignment", headers=auth.editor)).json()["total_items"] == 5


@pytest.mark.parametrize(
    "query",
    ["limit=101", "limit=1000000000000", "limit=-1", "limit=0", "page=0", "page=99999999999"],
)
async def test_huge_or_negative_pages_are_refused(
    client: httpx.AsyncClient, demo, auth: Auth, query: str
):
    for path in ("/api/v1/people", "/api/v1/activities", "/api/v1/assignments"):
        response = await client.get(f"{path}?{query}", headers=auth.admin)
        assert response.status_code == 400, (path, query)
    per_page = query.replace("limit", "per_page")
    assert (await client.get(f"/v3/assignment?{per_page}", headers=auth.editor)).status_code == 400


async def test_role_filter_is_a_closed_vocabulary(client: httpx.AsyncClient, demo, auth: Auth):
    # `%` once matched every role (the filter is a LIKE on the stored list): now the role
    # is checked against the vocabulary first, and the pattern is escaped besides.
    for value in ("%", "_", "peer%", "' OR 1=1 --"):
        response = await client.get("/api/v1/people", params={"role": value}, headers=auth.admin)
        assert response.status_code == 400, value
    mentors = await client.get("/api/v1/people?role=peer_mentor&limit=100", headers=auth.admin)
    assert {"user_042", "user_202"} <= {p["id"] for p in mentors.json()["data"]}
