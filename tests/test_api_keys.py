"""API keys: admin-issued, hashed at rest, scoped to a role and organisations, revocable."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from app.db import Database
from app.models.apikeys import ApiKey
from app.settings import Settings
from app.timeutil import format_datetime, utcnow
from tests.helpers import Auth, error_codes, gql, run_cli

CREATE = """mutation($input: CreateApiKeyInput!) {
  createApiKey(input: $input) { key apiKey { keyId role orgs personId revokedAt } }
}"""


async def _issue(client, auth: Auth, **overrides: object) -> dict[str, Any]:
    variables = {
        "input": {
            "name": "legacy casework sync",
            "personId": "user_007",
            "role": "coordinator",
            "orgs": ["org_03"],
            **overrides,
        }
    }
    body = await gql(client, CREATE, variables, auth.admin)
    assert "errors" not in body, body
    issued: dict[str, Any] = body["data"]["createApiKey"]
    return issued


async def test_key_authenticates_as_its_person_with_its_scope(
    client, demo, auth: Auth, db: Database
):
    issued = await _issue(client, auth)
    key = issued["key"]
    assert key.startswith("gwk_")
    me = await client.get("/api/v1/me", headers={"X-API-Key": key})
    assert me.status_code == 200
    assert me.json()["id"] == "user_007"
    scoped = await client.get("/api/v1/organisations/org_05", headers={"X-API-Key": key})
    assert scoped.status_code == 404  # the key's orgs are its scope
    over_graphql = await gql(client, "{ me { legacyId } }", headers={"X-API-Key": key})
    assert over_graphql["data"]["me"]["legacyId"] == "user_007"
    async with db.read() as session:
        row = await session.scalar(select(ApiKey))
    assert row is not None
    assert key.split(".", 1)[1] not in (row.secret_sha256, row.id)


async def test_revoked_wrong_or_expired_keys_are_refused(client, demo, auth: Auth):
    issued = await _issue(client, auth)
    key = issued["key"]
    wrong = key[:-3] + ("aaa" if not key.endswith("aaa") else "bbb")
    assert (await client.get("/api/v1/me", headers={"X-API-Key": wrong})).status_code == 401
    assert (await client.get("/api/v1/me", headers={"X-API-Key": "nonsense"})).status_code == 401
    revoke = await gql(
        client,
        "mutation($id: String!) { revokeApiKey(keyId: $id) { revokedAt } }",
        {"id": issued["apiKey"]["keyId"]},
        auth.admin,
    )
    assert revoke["data"]["revokeApiKey"]["revokedAt"] is not None
    assert (await client.get("/api/v1/me", headers={"X-API-Key": key})).status_code == 401
    past = await gql(
        client,
        CREATE,
        {
            "input": {
                "name": "x",
                "personId": "user_007",
                "role": "coordinator",
                "expiresAt": "2020-01-01T00:00:00Z",
            }
        },
        auth.admin,
    )
    assert error_codes(past) == ["BAD_USER_INPUT"]


async def test_a_key_stops_working_when_its_expiry_passes(client, demo, auth: Auth, db: Database):
    """A key issued with an expiry an hour ahead works, then is refused once that moment
    has passed (the row's ``expires_at`` is moved into the past: no sleep). Mutation:
    ``principal_for_key`` without its ``expires_at`` comparison fails both refusals."""
    issued = await _issue(client, auth, expiresAt=format_datetime(utcnow() + timedelta(hours=1)))
    key, key_id = issued["key"], issued["apiKey"]["keyId"]
    me = await client.get("/api/v1/me", headers={"X-API-Key": key})
    assert (me.status_code, me.json()["id"]) == (200, "user_007")
    over_graphql = await gql(client, "{ me { legacyId } }", headers={"X-API-Key": key})
    assert over_graphql == {"data": {"me": {"legacyId": "user_007"}}}

    async with db.write() as session:  # the hour is over
        await session.execute(
            update(ApiKey)
            .where(ApiKey.id == key_id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    refused = await client.get("/api/v1/me", headers={"X-API-Key": key})
    assert refused.status_code == 401
    assert (refused.json()["code"], refused.json()["detail"]) == (
        "UNAUTHENTICATED",
        "Invalid, revoked or expired API key",
    )
    expired_graphql = await gql(client, "{ me { legacyId } }", headers={"X-API-Key": key})
    assert error_codes(expired_graphql) == ["UNAUTHENTICATED"]
    assert expired_graphql["errors"][0]["message"] == "Invalid, revoked or expired API key"


async def test_only_admins_manage_keys(client, demo, auth: Auth):
    body = await gql(
        client,
        CREATE,
        {"input": {"name": "x", "personId": "user_007", "role": "admin"}},
        auth.coordinator,
    )
    assert error_codes(body) == ["FORBIDDEN"]
    listing = await gql(client, "{ apiKeys { keyId } }", headers=auth.coordinator)
    assert error_codes(listing) == ["FORBIDDEN"]
    bad = await gql(
        client, CREATE, {"input": {"name": "x", "personId": "nobody", "role": "wizard"}}, auth.admin
    )
    assert {e["field"] for e in bad["errors"][0]["extensions"]["errors"]} == {"personId", "role"}


async def test_cli_creates_lists_and_revokes(
    client, demo, settings: Settings, capsys: pytest.CaptureFixture[str]
):
    code = await run_cli(
        settings, "api-key", "create", "--name", "svc", "--person", "admin_001", "--role", "admin"
    )
    assert code == 0
    key = capsys.readouterr().out.strip()
    assert (await client.get("/api/v1/me", headers={"X-API-Key": key})).json()["id"] == "admin_001"
    key_id = key.removeprefix("gwk_").split(".")[0]
    assert await run_cli(settings, "api-key", "revoke", key_id) == 0
    assert (await client.get("/api/v1/me", headers={"X-API-Key": key})).status_code == 401
