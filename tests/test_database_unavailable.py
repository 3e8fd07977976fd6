"""When the database cannot take a request (PostgreSQL refuses connections, or the pool is
exhausted) both doors answer 503 with Retry-After, and the outage is logged once per
interval rather than once per request."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import make_url
from starlette.applications import Starlette

from app.db import RETRY_AFTER_SECONDS, Database
from app.main import create_app
from app.settings import Settings
from tests.conftest import BACKEND, _pg_exec
from tests.helpers import Auth

ME = {"query": "{ me { legacyId } }"}
DETAIL = "The database is unavailable; retry later"


@asynccontextmanager
async def _served(settings: Settings, **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
    app: Starlette = create_app(settings.model_copy(update=overrides))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as c:
            c.app = app  # type: ignore[attr-defined]
            yield c


def _db(client: httpx.AsyncClient) -> Database:
    database: Database = client.app.state.db  # type: ignore[attr-defined]
    return database


def _assert_rest_503(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == str(RETRY_AFTER_SECONDS)
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "SERVICE_UNAVAILABLE"
    assert body["detail"] == DETAIL


def _outage_records(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "gateway.db"]


async def test_exhausted_pool_is_503_with_retry_after_on_both_doors(
    settings: Settings, demo, auth: Auth, caplog: pytest.LogCaptureFixture
):
    async with _served(
        settings,
        db_pool_size=1,
        db_max_overflow=0,
        db_pool_timeout_seconds=0.05,
        # Only the requests below ask for a connection (background rounds would be
        # refused too, and counted).
        outbox_relay_seconds=60,
        editorial_lock_expiry_events=False,
    ) as client:
        clock = [1000.0]
        _db(client).outages.clock = lambda: clock[0]
        with caplog.at_level(logging.INFO):
            async with _db(client).engine.connect():  # the only connection, held
                _assert_rest_503(await client.get("/api/v1/me", headers=auth.admin))
                _assert_rest_503(await client.post("/graphql", json=ME, headers=auth.admin))
                _assert_rest_503(await client.get("/api/v1/people", headers=auth.admin))
                reason = "no pooled connection became free within the pool timeout"
                assert _outage_records(caplog) == [
                    f"database unavailable: {reason}; answering 503 "
                    "(0 more refused since the last report)"
                ]
                clock[0] += _db(client).outages.interval
                _assert_rest_503(await client.get("/api/v1/me", headers=auth.admin))
                assert _outage_records(caplog)[1:] == [
                    f"database unavailable: {reason}; answering 503 "
                    "(2 more refused since the last report)"
                ]
            # The connection is back: so are the answers.
            assert (await client.get("/api/v1/me", headers=auth.admin)).status_code == 200
            graphql = await client.post("/graphql", json=ME, headers=auth.admin)
            assert graphql.status_code == 200
            assert graphql.json() == {"data": {"me": {"legacyId": "admin_001"}}}
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR and r.exc_info]


async def test_pool_exhausted_during_graphql_execution_is_503_with_the_graphql_errors(
    settings: Settings, demo, auth: Auth
):
    """Two root fields each open a unit of work at once, on a pool of one connection that
    no caller may wait for: the second finds none (after the caller's lookup succeeded)."""
    async with _served(
        settings, db_pool_size=1, db_max_overflow=0, db_pool_timeout_seconds=1e-6
    ) as client:
        response = await client.post(
            "/graphql",
            json={"query": "{ me { legacyId } people(first: 1) { totalCount } }"},
            headers=auth.admin,
        )
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == str(RETRY_AFTER_SECONDS)
    assert response.headers["content-type"] == "application/json"
    errors = response.json()["errors"]
    assert [(e["message"], e["extensions"]) for e in errors] == [
        (DETAIL, {"code": "SERVICE_UNAVAILABLE"})
    ]
    assert errors[0]["path"][0] in {"me", "people"}


@pytest.mark.skipif(BACKEND != "postgres", reason="a PostgreSQL role's connection limit")
async def test_too_many_connections_is_503_with_retry_after(
    settings: Settings, demo, auth: Auth, caplog: pytest.LogCaptureFixture
):
    """SQLSTATE 53300, as when the server's max_connections are all taken."""
    role = f"gw_full_{uuid.uuid4().hex[:8]}"
    await _pg_exec(f"CREATE ROLE {role} LOGIN CONNECTION LIMIT 0")
    url = make_url(settings.database_url).set(username=role, password=None)
    try:
        async with _served(settings, database_url=url.render_as_string(False)) as client:
            with caplog.at_level(logging.INFO):
                _assert_rest_503(await client.get("/api/v1/me", headers=auth.admin))
                _assert_rest_503(await client.post("/graphql", json=ME, headers=auth.admin))
                _assert_rest_503(await client.get("/v3/assignment", headers=auth.editor))
            assert _outage_records(caplog) == [
                "database unavailable: the database refused the connection "
                "(too many connections); answering 503 (0 more refused since the last report)"
            ]
    finally:
        await _pg_exec(f"DROP ROLE {role}")
