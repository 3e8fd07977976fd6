"""Promises to operators at the edge, through the real app: the ``/metrics`` token, the
per-request time limit (503) and the readiness probe (503 while the database is down)."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy.engine import make_url
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.main import create_app
from app.settings import Settings
from tests.conftest import PG_URL, _pg_exec
from tests.helpers import Auth, app_client

PROBLEM = "application/problem+json"
METRICS_TOKEN = "scraper-" + "t" * 32


async def test_metrics_token_is_required_when_set(settings: Settings, demo, auth: Auth):
    """Mutation: ``metrics_endpoint`` skipping the token comparison (every request let
    through) fails the three refusals."""
    async with app_client(settings, metrics_token=SecretStr(METRICS_TOKEN)) as client:
        await client.get("/api/v1/me", headers=auth.admin)
        for headers in (
            {},
            {"Authorization": "Bearer wrong-token"},
            {"Authorization": f"Bearer {METRICS_TOKEN}x"},
            {"Authorization": METRICS_TOKEN},  # the token without its scheme
            auth.admin,  # a valid user token is not the scraper's token
        ):
            refused = await client.get("/metrics", headers=headers)
            assert refused.status_code == 401, headers
            assert refused.headers["content-type"] == PROBLEM
            assert refused.headers["www-authenticate"] == "Bearer"
            body = refused.json()
            assert (body["code"], body["detail"]) == (
                "UNAUTHENTICATED",
                "A metrics token is required",
            )
            assert "gateway_http_requests_total" not in refused.text
        allowed = await client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        assert allowed.status_code == 200
        assert allowed.headers["content-type"].startswith("text/plain")
        assert (
            'gateway_http_requests_total{method="GET",route="/api/v1/me",status="200"}'
            in allowed.text
        )


async def test_metrics_are_open_without_a_token_setting(client: httpx.AsyncClient):
    """The default (no ``GATEWAY_METRICS_TOKEN``): restricted at the proxy, open here."""
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert "gateway_http_request_duration_seconds" in response.text


async def test_a_request_over_the_time_limit_answers_503(settings: Settings):
    """A test-only route on the real app waits for an event nobody sets: only the request
    time limit ends it. Mutation: ``RequestContextMiddleware`` without its
    ``asyncio.timeout`` (the request never ends: the 10 s failure bound trips)."""
    started = asyncio.Event()
    cancelled = asyncio.Event()

    async def never_answers(_request: Request) -> Response:
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise
        raise AssertionError("unreachable")

    app = create_app(settings.model_copy(update={"request_timeout_seconds": 0.5}))
    app.router.routes.append(Route("/test/never-answers", never_answers, methods=["GET"]))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as client:
            slow = await asyncio.wait_for(
                client.get("/test/never-answers", headers={"X-Request-ID": "slow-1"}), 10
            )
            assert slow.status_code == 503
            assert slow.headers["content-type"] == PROBLEM
            assert slow.headers["x-request-id"] == "slow-1"
            assert slow.json() == {
                "type": "https://gateway.example/problems/timeout",
                "title": "Service Unavailable",
                "status": 503,
                "detail": "The request took longer than 0.5 seconds",
                "code": "TIMEOUT",
                "instance": "/test/never-answers",
                "request_id": "slow-1",
            }
            assert started.is_set()
            assert cancelled.is_set(), "the handler was not cancelled at the time limit"
            # requests inside the limit are untouched on the same app
            fast = await client.get("/healthz")
            assert (fast.status_code, fast.json()) == (200, {"status": "ok"})


READY = {"status": "ok", "database": "reachable"}
UNREADY = {"status": "unavailable", "database": "unreachable"}


async def test_readyz_is_200_while_the_database_answers(client: httpx.AsyncClient):
    response = await client.get("/readyz")
    assert (response.status_code, response.json()) == (200, READY)


async def _readyz(settings: Settings, database_url: str) -> tuple[int, object]:
    async with app_client(settings, database_url=database_url) as client:
        response = await client.get("/readyz")
        return response.status_code, response.json()


async def test_readyz_is_503_when_nothing_listens_on_the_postgres_port(settings: Settings):
    """Mutation: ``readyz`` answering without ``db.ping()`` (always 200) fails this and
    the two tests below."""
    # Port 1 on loopback: connections are refused at once.
    down = "postgresql+asyncpg://postgres@127.0.0.1:1/gateway"
    assert await _readyz(settings, down) == (503, UNREADY)


async def test_readyz_is_503_until_the_postgres_database_exists(settings: Settings):
    name = f"gw_missing_{uuid.uuid4().hex[:10]}"
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    try:
        async with app_client(settings, database_url=url) as client:
            missing = await client.get("/readyz")
            assert (missing.status_code, missing.json()) == (503, UNREADY)
            await _pg_exec(f'CREATE DATABASE "{name}"')
            back = await client.get("/readyz")  # the same app, once the database exists
            assert (back.status_code, back.json()) == (200, READY)
    finally:
        await _pg_exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.parametrize("where", ["missing directory", "a directory"])
async def test_readyz_is_503_while_the_sqlite_path_cannot_be_opened(
    settings: Settings, tmp_path: Path, where: str
):
    folder = tmp_path / "data"
    path = folder / "gateway.db" if where == "missing directory" else folder
    if where == "a directory":
        folder.mkdir()
    async with app_client(settings, database_url=f"sqlite+aiosqlite:///{path}") as client:
        down = await client.get("/readyz")
        assert (down.status_code, down.json()) == (503, UNREADY)
        if where == "missing directory":
            folder.mkdir()  # the volume is mounted: the same app becomes ready
            up = await client.get("/readyz")
            assert (up.status_code, up.json()) == (200, READY)
