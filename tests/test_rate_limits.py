"""Rate limits: per IP, per principal, failed authentications; shared through Redis."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx

from app.settings import Settings
from tests.helpers import Auth, app_client


def limited_client(
    settings: Settings, **limits: Any
) -> AbstractAsyncContextManager[httpx.AsyncClient]:
    return app_client(settings, rate_limit_enabled=True, **limits)


async def test_per_ip_limit_answers_429_with_retry_after(settings: Settings, demo, auth: Auth):
    async with limited_client(settings, rate_limit_per_ip="5/minute") as client:
        statuses = [
            (await client.get("/api/v1/me", headers=auth.admin)).status_code for _ in range(6)
        ]
        assert statuses == [200] * 5 + [429]
        refused = await client.get("/api/v1/me", headers=auth.admin)
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["code"] == "RATE_LIMITED"
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert (await client.get("/healthz")).status_code == 200


async def test_per_principal_limit_is_separate_per_caller(settings: Settings, demo, auth: Auth):
    async with limited_client(settings, rate_limit_per_principal="3/minute") as client:
        coordinator = [
            (await client.get("/api/v1/me", headers=auth.coordinator)).status_code for _ in range(4)
        ]
        assert coordinator == [200, 200, 200, 429]
        assert (await client.get("/api/v1/me", headers=auth.admin)).status_code == 200


async def test_repeated_failed_authentication_blocks_the_ip(settings: Settings, demo, auth: Auth):
    async with limited_client(settings, rate_limit_auth_failures="3/minute") as client:
        bad = {"Authorization": "Bearer guess"}
        assert [(await client.get("/api/v1/me", headers=bad)).status_code for _ in range(3)] == [
            401
        ] * 3
        # Even a valid token from that address now waits.
        assert (await client.get("/api/v1/me", headers=auth.admin)).status_code == 429


async def test_redis_shares_counts_between_workers(settings: Settings, demo, auth: Auth):
    shared: dict[str, Any] = {
        "rate_limit_per_ip": "4/minute",
        "redis_url": "redis://127.0.0.1:6379/0",
        "redis_key_prefix": f"gateway-test-{uuid.uuid4().hex}",
    }
    async with (
        limited_client(settings, **shared) as worker_a,
        limited_client(settings, **shared) as worker_b,
    ):
        get: Callable[[httpx.AsyncClient], Any] = lambda c: c.get("/api/v1/me", headers=auth.admin)  # noqa: E731
        statuses = [
            (await get(worker_a)).status_code,
            (await get(worker_b)).status_code,
            (await get(worker_a)).status_code,
            (await get(worker_b)).status_code,
            (await get(worker_a)).status_code,
        ]
        assert statuses == [200, 200, 200, 200, 429]


def test_invalid_rate_setting_is_refused(settings: Settings):
    import pytest
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        Settings(database_url=settings.database_url, rate_limit_per_ip="lots", _env_file=None)
