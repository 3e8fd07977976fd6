"""``Idempotency-Key`` on REST writes and GraphQL mutations, on both databases: a retry
with the same key replays the first outcome instead of repeating the effect.

What makes these fail: the key ignored (the retry records a second contact); the outcome
stored outside the effect's transaction or not per caller; the fingerprint not checked
(another body under a used key must be 422); concurrent twins both running; a failed
request stored (its retry must run); an expired outcome still replayed.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from app.db import Database
from app.models.outbox import IdempotentOutcome
from app.timeutil import utcnow
from tests.helpers import Auth, gql

BASE = "/api/v1/assignments"
CONTACT = f"{BASE}/asgn_001/last-contact"
RECORD = """mutation($type: ContactType!) {
  recordContact(id: "asgn_001", contactType: $type) { id version lastContactAt }
}"""
COUNT = '{ assignment(id: "asgn_001") { contacts(last: 100) { contactAt } } }'


def _keyed(headers: dict[str, str], key: str) -> dict[str, str]:
    return {**headers, "Idempotency-Key": key}


async def _contacts(client: httpx.AsyncClient, auth: Auth) -> int:
    body = await gql(client, COUNT, headers=auth.coordinator)
    assert "errors" not in body, body
    return len(body["data"]["assignment"]["contacts"])


async def test_a_retried_contact_with_the_same_key_is_recorded_once(client, demo, auth: Auth):
    before = await _contacts(client, auth)
    headers = _keyed(auth.coordinator, "b7c1d1f0-contact-1")
    first = await client.put(CONTACT, json={"contact_type": "call"}, headers=headers)
    retry = await client.put(CONTACT, json={"contact_type": "call"}, headers=headers)
    assert (first.status_code, retry.status_code) == (200, 200), retry.text
    assert retry.content == first.content
    assert retry.headers["etag"] == first.headers["etag"]
    assert retry.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert await _contacts(client, auth) == before + 1


async def test_without_a_key_a_retry_is_a_second_contact(client, demo, auth: Auth):
    before = await _contacts(client, auth)
    for _ in range(2):
        answer = await client.put(CONTACT, json={"contact_type": "call"}, headers=auth.coordinator)
        assert answer.status_code == 200, answer.text
    assert await _contacts(client, auth) == before + 2


async def test_a_quoted_key_is_the_same_key(client, demo, auth: Auth):
    """The draft's structured-field string (``"..."``) and the bare value many clients
    send name one key."""
    before = await _contacts(client, auth)
    for key in ('"k-quoted"', "k-quoted"):
        answer = await client.put(
            CONTACT, json={"contact_type": "call"}, headers=_keyed(auth.coordinator, key)
        )
        assert answer.status_code == 200, answer.text
    assert await _contacts(client, auth) == before + 1


async def test_the_same_key_with_another_request_is_422(client, demo, auth: Auth):
    before = await _contacts(client, auth)
    headers = _keyed(auth.coordinator, "reused")
    first = await client.put(CONTACT, json={"contact_type": "call"}, headers=headers)
    assert first.status_code == 200, first.text
    other = await client.put(CONTACT, json={"contact_type": "meeting"}, headers=headers)
    assert other.status_code == 422, other.text
    assert "Idempotency-Key" in other.json()["detail"]
    elsewhere = await client.put(
        f"{BASE}/asgn_002/last-contact", json={"contact_type": "call"}, headers=headers
    )
    assert elsewhere.status_code == 422, elsewhere.text
    assert await _contacts(client, auth) == before + 1


async def test_keys_belong_to_their_caller(client, demo, auth: Auth):
    before = await _contacts(client, auth)
    for who in (auth.coordinator, auth.admin):
        answer = await client.put(
            CONTACT, json={"contact_type": "call"}, headers=_keyed(who, "shared-key")
        )
        assert answer.status_code == 200, answer.text
        assert "idempotent-replayed" not in answer.headers
    assert await _contacts(client, auth) == before + 2


async def test_a_retried_delete_replays_its_answer_instead_of_404(client, demo, auth: Auth):
    headers = _keyed(auth.admin, "delete-once")
    first = await client.delete(f"{BASE}/asgn_002", headers=headers)
    retry = await client.delete(f"{BASE}/asgn_002", headers=headers)
    assert (first.status_code, retry.status_code) == (200, 200), retry.text
    assert retry.json() == first.json()
    unkeyed = await client.delete(f"{BASE}/asgn_002", headers=auth.admin)
    assert unkeyed.status_code == 404


async def test_a_failed_request_is_not_stored_and_its_retry_runs(client, demo, auth: Auth):
    before = await _contacts(client, auth)
    headers = _keyed(auth.coordinator, "first-fails")
    refused = await client.put(CONTACT, json={"contact_type": "pigeon"}, headers=headers)
    assert refused.status_code == 422, refused.text
    fixed = await client.put(CONTACT, json={"contact_type": "call"}, headers=headers)
    assert fixed.status_code == 200, fixed.text
    assert "idempotent-replayed" not in fixed.headers
    assert await _contacts(client, auth) == before + 1


async def test_concurrent_twins_have_one_effect(client, demo, auth: Auth):
    """A retry sent while the first is still running waits for it, then replays it."""
    before = await _contacts(client, auth)
    headers = _keyed(auth.coordinator, "twins")
    answers = await asyncio.gather(
        *(client.put(CONTACT, json={"contact_type": "call"}, headers=headers) for _ in range(6))
    )
    assert [a.status_code for a in answers] == [200] * 6, [a.text for a in answers]
    assert len({a.content for a in answers}) == 1
    assert sum(a.headers.get("idempotent-replayed") == "true" for a in answers) == 5
    assert await _contacts(client, auth) == before + 1


async def test_an_expired_outcome_is_not_replayed(client, demo, auth: Auth, db: Database):
    before = await _contacts(client, auth)
    headers = _keyed(auth.coordinator, "expires")
    first = await client.put(CONTACT, json={"contact_type": "call"}, headers=headers)
    assert first.status_code == 200, first.text
    async with db.write() as session:
        await session.execute(
            update(IdempotentOutcome).values(expires_at=utcnow() - timedelta(seconds=1))
        )
    again = await client.put(CONTACT, json={"contact_type": "call"}, headers=headers)
    assert again.status_code == 200, again.text
    assert "idempotent-replayed" not in again.headers
    assert await _contacts(client, auth) == before + 2


@pytest.mark.parametrize("key", ["", "has space", "x" * 256, "naïve", '"unterminated'])
async def test_a_malformed_key_is_400_and_changes_nothing(client, demo, auth: Auth, key: str):
    before = await _contacts(client, auth)
    answer = await client.put(
        CONTACT,
        json={"contact_type": "call"},
        headers={**auth.coordinator, "Idempotency-Key": key.encode()},
    )
    assert answer.status_code == 400, answer.text
    assert "Idempotency-Key" in answer.json()["detail"]
    assert await _contacts(client, auth) == before


async def _graphql(
    client: httpx.AsyncClient, payload: Any, headers: dict[str, str]
) -> httpx.Response:
    return await client.post("/graphql", json=payload, headers=headers)


async def test_a_retried_mutation_with_the_same_key_runs_once(client, demo, auth: Auth):
    before = await _contacts(client, auth)
    headers = _keyed(auth.coordinator, "gql-contact")
    payload = {"query": RECORD, "variables": {"type": "CALL"}}
    first = await _graphql(client, payload, headers)
    retry = await _graphql(client, payload, headers)
    assert (first.status_code, retry.status_code) == (200, 200)
    assert "errors" not in first.json(), first.text
    assert retry.content == first.content
    assert retry.headers["idempotent-replayed"] == "true"
    assert await _contacts(client, auth) == before + 1
    other = await _graphql(client, {"query": RECORD, "variables": {"type": "MEETING"}}, headers)
    assert other.status_code == 422, other.text
    assert await _contacts(client, auth) == before + 1


async def test_a_keyed_batch_is_one_outcome(client, demo, auth: Auth):
    """A batch's mutations run once, in one transaction, and are replayed together; the
    mutation's answer reads what it wrote (its relations included)."""
    before = await _contacts(client, auth)
    headers = _keyed(auth.coordinator, "gql-batch")
    batch = [
        {"query": RECORD, "variables": {"type": "CALL"}},
        {"query": RECORD, "variables": {"type": "MESSAGE"}},
        {"query": COUNT},
    ]
    first = await _graphql(client, batch, headers)
    assert first.status_code == 200, first.text
    answers = first.json()
    assert all("errors" not in answer for answer in answers), answers
    assert len(answers[2]["data"]["assignment"]["contacts"]) == before + 2
    retry = await _graphql(client, batch, headers)
    assert retry.content == first.content
    assert await _contacts(client, auth) == before + 2


async def test_a_mutation_that_changed_nothing_is_not_stored(client, demo, auth: Auth):
    headers = _keyed(auth.coordinator, "gql-refused")
    missing = {"query": RECORD.replace("asgn_001", "asgn_nope"), "variables": {"type": "CALL"}}
    refused = await _graphql(client, missing, headers)
    assert refused.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert "idempotent-replayed" not in refused.headers
    again = await _graphql(client, missing, headers)
    assert "idempotent-replayed" not in again.headers


async def test_a_body_with_a_huge_number_is_fingerprinted(client, demo, auth: Auth):
    """Any JSON body has a fingerprint: a body with an integer beyond 64 bits is refused
    by the route's validation (422), not by the key's bookkeeping (it was a 500)."""
    headers = _keyed(auth.coordinator, "huge-number")
    answer = await client.put(
        f"{BASE}/asgn_001",
        content=b'{"notes": "n", "version": 123456789012345678901234567890}',
        headers={**headers, "Content-Type": "application/json"},
    )
    assert answer.status_code == 422, answer.text  # not a 500 from the fingerprint
    assert answer.json()["errors"] == [{"field": "version", "message": "unknown field"}]
