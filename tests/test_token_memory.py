"""A verified token is remembered (``app.auth.TokenService``): a client's later requests skip
the signature and claims checks, its expiry is checked on every use, and the memory is
bounded."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import httpx
import jwt
import pytest

from app import auth as auth_module
from app.auth import TokenService
from app.errors import Unauthenticated
from app.settings import Settings
from tests.helpers import Auth, gql


def _expiry(token: str) -> int:
    return int(jwt.decode(token, options={"verify_signature": False})["exp"])


async def test_a_remembered_token_is_refused_once_it_expires(
    client: httpx.AsyncClient, demo, auth: Auth
):
    token = auth.tokens.issue("user_007", ["coordinator"], ["org_03"], ttl=timedelta(seconds=2))
    headers = {"Authorization": f"Bearer {token}"}
    for _ in range(2):  # the second is answered from the memory
        response = await client.get("/api/v1/me", headers=headers)
        assert response.status_code == 200, response.text
    await asyncio.sleep(max(0.0, _expiry(token) - time.time()) + 0.05)
    refused = await client.get("/api/v1/me", headers=headers)
    assert refused.status_code == 401, refused.text
    assert "expired" in refused.text
    body = await gql(client, "{ me { legacyId } }", headers=headers)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", body


def test_a_token_is_verified_once_and_remembered_by_its_exact_text(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
):
    service = TokenService(settings)
    token = service.issue("user_007", ["coordinator"], ["org_03"])
    calls: list[str] = []
    real = jwt.decode

    def counting(*args: object, **kwargs: object) -> object:
        calls.append("decode")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(jwt, "decode", counting)
    first, second = service.decode(token), service.decode(token)
    assert first == second
    assert first.person_id == "user_007"
    assert calls == ["decode"]
    # One character changed is another text: verified, and refused.
    tampered = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    with pytest.raises(Unauthenticated):
        service.decode(tampered)
    assert calls == ["decode", "decode"]
    with pytest.raises(Unauthenticated):
        service.decode(tampered)  # a refusal is not remembered
    assert len(calls) == 3


def test_the_memory_of_verified_tokens_is_bounded(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(auth_module, "VERIFIED_TOKENS", 3)
    service = TokenService(settings)
    tokens = [service.issue(f"user_00{n}", ["coordinator"], ["org_03"]) for n in range(1, 5)]
    for token in tokens:
        service.decode(token)
    assert list(service._verified) == tokens[1:]  # the oldest forgotten first
    assert service.decode(tokens[0]).person_id == "user_001"  # verified again
