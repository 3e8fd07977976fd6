"""Rate limits: per IP, per principal, failed authentications; shared through Redis."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from app.main import create_app
from app.settings import Settings
from tests.helpers import (
    Auth,
    api_key_headers,
    app_client,
    connection_init,
    error_codes,
    gql,
    once,
    serve_in_thread,
)


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


REDIS_URL = "redis://127.0.0.1:6379/0"
STORAGES = ["memory", "redis"]


def _storage(kind: str) -> dict[str, Any]:
    """Settings for counts in the process, or in Redis under a prefix of this test's own."""
    if kind == "memory":
        return {}
    return {"redis_url": REDIS_URL, "redis_key_prefix": f"gateway-test-{uuid.uuid4().hex}"}


def _assert_rate_limited(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "RATE_LIMITED"
    assert 1 <= int(response.headers["retry-after"]) <= 60


@pytest.mark.parametrize("storage", STORAGES)
async def test_spent_failure_budget_refuses_failures_not_valid_credentials(
    settings: Settings, demo, auth: Auth, storage: str
):
    """One client guessing behind a NAT must not lock out the others at that address."""
    async with limited_client(
        settings, rate_limit_auth_failures="3/minute", **_storage(storage)
    ) as client:
        api_key = await api_key_headers(client, auth.admin, "user_007", "coordinator", "org_03")
        bad = {"Authorization": "Bearer guess"}
        statuses = [(await client.get("/api/v1/me", headers=bad)).status_code for _ in range(3)]
        assert statuses == [401, 401, 401]

        # Failures are still limited, on every door and for every kind of credential ...
        _assert_rate_limited(await client.get("/api/v1/me", headers=bad))
        _assert_rate_limited(
            await client.post("/graphql", json={"query": "{ me { name } }"}, headers=bad)
        )
        _assert_rate_limited(
            await client.get("/api/v1/me", headers={"X-API-Key": "gwk_nope.guess"})
        )
        # ... while valid credentials from the same address pass.
        me = await client.get("/api/v1/me", headers=auth.admin)
        assert (me.status_code, me.json()["id"]) == (200, "admin_001")
        body = await gql(client, "{ me { legacyId } }", headers=auth.mentor())
        assert body == {"data": {"me": {"legacyId": "user_042"}}}
        keyed = await client.get("/api/v1/me", headers=api_key)
        assert (keyed.status_code, keyed.json()["id"]) == (200, "user_007")
        # No credentials is no guess: the usual 401, not counted.
        anonymous = await client.get("/api/v1/me")
        assert (anonymous.status_code, anonymous.json()["code"]) == (401, "UNAUTHENTICATED")


async def test_graphql_failures_count_against_the_budget(settings: Settings, demo, auth: Auth):
    async with limited_client(settings, rate_limit_auth_failures="2/minute") as client:
        bad = {"Authorization": "Bearer guess"}
        for _ in range(2):
            with once():  # each request counts against the budget
                body = await gql(client, "{ __typename }", headers=bad)
            assert error_codes(body) == []  # the field needs no caller ...
        # ... but the credentials were checked, failed, and counted.
        _assert_rate_limited(
            await client.post("/graphql", json={"query": "{ __typename }"}, headers=bad)
        )
        assert (await client.get("/api/v1/me", headers=auth.admin)).status_code == 200


async def test_metrics_token_failures_count_against_the_budget(settings: Settings, demo):
    token = "m" * 32
    async with limited_client(
        settings, rate_limit_auth_failures="2/minute", metrics_token=SecretStr(token)
    ) as client:
        wrong = {"Authorization": "Bearer " + "x" * 32}
        assert [(await client.get("/metrics", headers=wrong)).status_code for _ in range(2)] == [
            401,
            401,
        ]
        _assert_rate_limited(await client.get("/metrics", headers=wrong))
        right = await client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
        assert right.status_code == 200


@pytest.mark.parametrize("storage", STORAGES)
async def test_connection_init_failures_count_and_valid_tokens_still_connect(
    settings: Settings, demo, auth: Auth, caplog: pytest.LogCaptureFixture, storage: str
):
    caplog.set_level(logging.INFO, logger="gateway.graphql")
    limited = settings.model_copy(
        update={"rate_limit_enabled": True, "rate_limit_auth_failures": "2/minute"}
        | _storage(storage)
    )
    with serve_in_thread(create_app(limited)) as url:
        bad = {"Authorization": "Bearer guess"}
        assert [await connection_init(url, bad) for _ in range(3)] == [4403] * 3
        ack = await connection_init(url, auth.admin)
        assert ack == {"type": "connection_ack", "payload": None}
        async with httpx.AsyncClient(base_url=f"http://{url}") as http:
            # The websocket failures spent the address's budget for the other doors too.
            _assert_rate_limited(
                await http.get("/api/v1/me", headers={"Authorization": "Bearer guess"})
            )
            assert (await http.get("/api/v1/me", headers=auth.admin)).status_code == 200
    reasons = [r.getMessage() for r in caplog.records if r.name == "gateway.graphql"]
    assert reasons[:2] == ["websocket connection refused: Invalid token"] * 2
    assert re.fullmatch(
        r"websocket connection refused: Too many requests; retry in \d+ seconds", reasons[2]
    )
    assert len(reasons) == 3


async def test_redis_shares_counts_between_workers(settings: Settings, demo, auth: Auth):
    shared: dict[str, Any] = {
        "rate_limit_per_ip": "4/minute",
        "redis_url": REDIS_URL,
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
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        Settings(database_url=settings.database_url, rate_limit_per_ip="lots", _env_file=None)
