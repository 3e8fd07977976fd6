"""Automatic persisted queries (Apollo APQ) and the production allow-list mode."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from app.settings import Settings
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
