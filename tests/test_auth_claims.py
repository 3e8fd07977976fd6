"""Claims of a correctly signed token are input like any other: a ``sub``, ``roles`` or
``orgs`` the directory could never hold is refused with 401 ``UNAUTHENTICATED`` and a
reason on every door (REST, GraphQL over HTTP, WebSocket ``connection_init``), never a 500
from the database (PostgreSQL cannot store NUL)."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import jwt
import pytest

from app.settings import Settings
from tests.helpers import connection_init, error_codes, gql

SUB = "Invalid token claims: sub must be 1-64 letters, digits, '_', '.', ':' or '-'"
ORGS = "Invalid token claims: each of orgs must be 1-64 letters, digits, '_', '.', ':' or '-'"
BAD_CLAIMS: list[tuple[dict[str, Any], str]] = [
    ({"sub": "admin_001\x00"}, SUB),
    ({"sub": "\x00"}, SUB),
    ({"sub": "admin_\ud800"}, SUB),
    ({"sub": ""}, SUB),
    ({"sub": "a" * 65}, SUB),
    ({"sub": "admin 001"}, SUB),
    ({"sub": 42}, SUB),
    ({"orgs": ["org_03\x00"]}, ORGS),
    ({"orgs": ["org_03", "\ud800"]}, ORGS),
    ({"orgs": [3]}, ORGS),
    ({"orgs": "org_03"}, "Invalid token claims: orgs must be a list"),
    ({"roles": ["admin\x00"]}, "Invalid token claims: unknown role"),
    ({"roles": "admin"}, "Invalid token claims: roles must be a list"),
]


def signed(settings: Settings, **claims: Any) -> dict[str, str]:
    """Bearer header of a token signed with the app's own secret (so only claims differ)."""
    assert settings.jwt_secret is not None
    body = {
        "sub": "admin_001",
        "roles": ["admin"],
        "orgs": [],
        "iat": 1,
        "exp": 4_000_000_000,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        **claims,
    }
    token = jwt.encode(body, settings.jwt_secret.get_secret_value(), algorithm="HS256")
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize(("claims", "reason"), BAD_CLAIMS)
async def test_bad_claims_are_401_on_rest(
    client: httpx.AsyncClient, demo, settings: Settings, claims: dict[str, Any], reason: str
):
    response = await client.get("/api/v1/me", headers=signed(settings, **claims))
    assert response.status_code == 401
    assert response.json()["code"] == "UNAUTHENTICATED"
    assert response.json()["detail"] == reason


@pytest.mark.parametrize(("claims", "reason"), BAD_CLAIMS)
async def test_bad_claims_are_unauthenticated_on_graphql(
    client: httpx.AsyncClient, demo, settings: Settings, claims: dict[str, Any], reason: str
):
    body = await gql(client, "{ me { name } }", headers=signed(settings, **claims))
    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert body["errors"][0]["message"] == reason
    assert body["data"] is None


async def test_good_claims_still_pass(client: httpx.AsyncClient, demo, settings: Settings):
    headers = signed(settings, sub="user_007", roles=["coordinator"], orgs=["org_03"])
    response = await client.get("/api/v1/me", headers=headers)
    assert response.status_code == 200
    assert response.json()["id"] == "user_007"


@pytest.mark.parametrize("key", ["gwk_key\x00001.secret", "gwk_key 001.secret", "gwk_.secret"])
async def test_malformed_api_key_is_401(client: httpx.AsyncClient, demo, key: str):
    response = await client.get("/api/v1/me", headers={"X-API-Key": key})
    assert response.status_code == 401
    assert response.json()["code"] == "UNAUTHENTICATED"
    assert response.json()["detail"] == "Invalid API key"


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        *((signed_claims, reason) for signed_claims, reason in BAD_CLAIMS[:3]),
        ({"Authorization": 5}, "The Authorization connection parameter must be a string"),
    ],
)
async def test_bad_claims_are_refused_at_connection_init(
    live_url: str,
    demo,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
    payload: dict[str, Any],
    reason: str,
):
    init = payload if "Authorization" in payload else signed(settings, **payload)
    caplog.set_level(logging.INFO, logger="gateway.graphql")
    assert await connection_init(live_url, init) == 4403
    refusals = [r.getMessage() for r in caplog.records if r.name == "gateway.graphql"]
    assert refusals == [f"websocket connection refused: {reason}"]
