"""Automatic persisted queries (Apollo APQ) and the production allow-list mode."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis

from app.settings import Settings
from schema.persisted import QueryStore
from tests.helpers import Auth, app_client, error_codes

QUERY = "query Me { me { legacyId } }"
DIGEST = hashlib.sha256(QUERY.encode()).hexdigest()


def persisted(digest: str = DIGEST) -> dict[str, object]:
    return {"persistedQuery": {"version": 1, "sha256Hash": digest}}


async def test_apq_round_trip(client, demo, auth: Auth):
    miss = await client.post("/graphql", json={"extensions": persisted()}, headers=auth.admin)
    assert miss.status_code == 200
    assert error_codes(miss.json()) == ["PERSISTED_QUERY_NOT_FOUND"]
    register = await client.post(
        "/graphql", json={"query": QUERY, "extensions": persisted()}, headers=auth.admin
    )
    assert register.json()["data"] == {"me": {"legacyId": "admin_001"}}
    hit = await client.post("/graphql", json={"extensions": persisted()}, headers=auth.admin)
    assert hit.json()["data"] == {"me": {"legacyId": "admin_001"}}
    by_get = await client.get(
        "/graphql",
        params={"extensions": json.dumps(persisted())},
        headers={**auth.admin, "accept": "application/json"},
    )
    assert by_get.json()["data"] == {"me": {"legacyId": "admin_001"}}


@pytest.mark.parametrize("run", ["first", "second"])
async def test_every_test_starts_with_an_empty_apq_store(client, demo, auth: Auth, run: str):
    """The session's app keeps its APQ store between tests; the autouse fixture empties it
    (without that, the second run finds the hash the first one registered)."""
    miss = await client.post("/graphql", json={"extensions": persisted()}, headers=auth.admin)
    assert error_codes(miss.json()) == ["PERSISTED_QUERY_NOT_FOUND"], run
    register = await client.post(
        "/graphql", json={"query": QUERY, "extensions": persisted()}, headers=auth.admin
    )
    assert register.json() == {"data": {"me": {"legacyId": "admin_001"}}}


REDIS_URL = "redis://127.0.0.1:6379/0"


async def test_apq_is_shared_through_redis_between_workers(settings: Settings, demo, auth: Auth):
    """Two apps (two workers) with the same ``GATEWAY_REDIS_URL``: a hash registered on one
    runs on the other; a third app without Redis has only its own store. Mutation:
    ``QueryStore`` ignoring ``redis_url`` (an in-process store per app) fails the hit on
    the second app."""
    prefix = f"gateway-test-{uuid.uuid4().hex}"
    shared = {"redis_url": REDIS_URL, "redis_key_prefix": prefix}
    redis = Redis.from_url(REDIS_URL)
    try:
        async with (
            app_client(settings, **shared) as first,
            app_client(settings, **shared) as second,
            app_client(settings) as alone,
        ):
            before = await second.post(
                "/graphql", json={"extensions": persisted()}, headers=auth.admin
            )
            assert error_codes(before.json()) == ["PERSISTED_QUERY_NOT_FOUND"]
            register = await first.post(
                "/graphql", json={"query": QUERY, "extensions": persisted()}, headers=auth.admin
            )
            assert register.json() == {"data": {"me": {"legacyId": "admin_001"}}}
            assert await redis.get(f"{prefix}:apq:{DIGEST}") == QUERY.encode()
            assert 7 * 24 * 3600 - 60 <= await redis.ttl(f"{prefix}:apq:{DIGEST}") <= 7 * 24 * 3600
            hit = await second.post(
                "/graphql", json={"extensions": persisted()}, headers=auth.coordinator
            )
            assert hit.json() == {"data": {"me": {"legacyId": "user_007"}}}
            own_store = await alone.post(
                "/graphql", json={"extensions": persisted()}, headers=auth.admin
            )
            assert error_codes(own_store.json()) == ["PERSISTED_QUERY_NOT_FOUND"]
            store = QueryStore(settings.model_copy(update=shared))
            await store.clear()  # what the suite's fixture does, on the Redis store
            await store.close()
            assert await redis.get(f"{prefix}:apq:{DIGEST}") is None
            cleared = await second.post(
                "/graphql", json={"extensions": persisted()}, headers=auth.admin
            )
            assert error_codes(cleared.json()) == ["PERSISTED_QUERY_NOT_FOUND"]
    finally:
        keys = [key async for key in redis.scan_iter(match=f"{prefix}:*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()


async def test_apq_refuses_a_hash_that_does_not_match(client, demo, auth: Auth):
    response = await client.post(
        "/graphql", json={"query": QUERY, "extensions": persisted("0" * 64)}, headers=auth.admin
    )
    assert error_codes(response.json()) == ["BAD_USER_INPUT"]
    still_missing = await client.post(
        "/graphql", json={"extensions": persisted("0" * 64)}, headers=auth.admin
    )
    assert error_codes(still_missing.json()) == ["PERSISTED_QUERY_NOT_FOUND"]


@pytest.fixture
async def allowlist_client(settings: Settings, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    path = tmp_path / "allowlist.json"
    path.write_text(json.dumps({DIGEST: QUERY}))
    async with app_client(
        settings, persisted_queries="allowlist", persisted_query_allowlist=str(path)
    ) as c:
        yield c


async def test_allowlist_runs_only_listed_operations(
    allowlist_client: httpx.AsyncClient, demo, auth: Auth
):
    by_hash = await allowlist_client.post(
        "/graphql", json={"extensions": persisted()}, headers=auth.admin
    )
    assert by_hash.json()["data"] == {"me": {"legacyId": "admin_001"}}
    by_text = await allowlist_client.post("/graphql", json={"query": QUERY}, headers=auth.admin)
    assert by_text.json()["data"] == {"me": {"legacyId": "admin_001"}}
    other = await allowlist_client.post(
        "/graphql", json={"query": "{ me { name } }"}, headers=auth.admin
    )
    assert error_codes(other.json()) == ["PERSISTED_QUERY_NOT_ALLOWED"]
    unknown_hash = await allowlist_client.post(
        "/graphql", json={"extensions": persisted("1" * 64)}, headers=auth.admin
    )
    assert error_codes(unknown_hash.json()) == ["PERSISTED_QUERY_NOT_ALLOWED"]


def test_allowlist_entries_must_match_their_hash(tmp_path: Path):
    from schema.persisted import load_allowlist

    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"0" * 64: QUERY}))
    with pytest.raises(RuntimeError, match="does not match"):
        load_allowlist(str(path))
