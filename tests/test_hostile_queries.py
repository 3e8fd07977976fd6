"""Hostile query strings on the REST door: unknown parameters, empty typed values, and
SQL-looking text in every filter. A filter never widens a list, and text is only ever a
bound value, never SQL."""

from __future__ import annotations

import httpx
import pytest

from tests.helpers import Auth

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
