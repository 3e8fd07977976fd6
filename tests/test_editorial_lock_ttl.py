"""A custom lock lifetime (``GATEWAY_EDITORIAL_LOCK_TTL_SECONDS``) on both doors: a lock
acquired or renewed reports ``expires_at`` = now + TTL, holds until then and expires after
it (time is moved by ageing the lock's row: no sleep).

Mutation for every test here: ``lock_ttl`` ignoring the setting (the default 1800 s).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.db import Database
from app.settings import Settings
from app.timeutil import utcnow
from tests.editorial_support import EXAMPLE, EXAMPLE_SRN, age_lock, take_lock
from tests.helpers import Auth, app_client, error_codes, gql

TTL = 90
LIFETIME = timedelta(seconds=TTL)
ACQUIRE = "mutation($srn: String!) { acquireEditorialLock(srn: $srn) { uuid expiresAt } }"
RENEW = "mutation($uuid: String!) { renewEditorialLock(uuid: $uuid) { uuid expiresAt } }"
LOCK = "query($uuid: String!) { editorialLock(uuid: $uuid) { uuid } }"


def _ceo_time(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)


def _second(moment: datetime) -> datetime:
    """The start of the moment's second (the doors may answer with second precision)."""
    return moment.replace(microsecond=0)


def second_editor(auth: Auth) -> dict[str, str]:
    return auth("user_019", "editor")


async def test_custom_lock_ttl_over_rest(settings: Settings, demo, auth: Auth, db: Database):
    async with app_client(settings, editorial_lock_ttl_seconds=TTL) as client:
        before = utcnow()
        lock = await take_lock(client, auth.editor)
        after = utcnow()
        expires = _ceo_time(lock["expires_at"])
        assert expires - _ceo_time(lock["created_at"]) == LIFETIME
        assert _second(before) + LIFETIME <= expires <= after + LIFETIME

        await age_lock(db, EXAMPLE_SRN, seconds=TTL - 30)  # 30 seconds left
        before = utcnow()
        renewed = await take_lock(client, auth.editor)  # the holder's repeated request
        after = utcnow()
        assert renewed["uuid"] == lock["uuid"]
        renewed_until = _ceo_time(renewed["expires_at"])
        assert renewed_until - _ceo_time(renewed["modified_at"]) == LIFETIME
        assert _second(before) + LIFETIME <= renewed_until <= after + LIFETIME

        await age_lock(db, EXAMPLE_SRN, seconds=TTL - 30)  # 30 seconds left again: held
        held = await client.post(
            "/v3/lock-request", json={"srn": EXAMPLE_SRN}, headers=second_editor(auth)
        )
        assert (held.status_code, held.json()["code"]) == (409, "CONFLICT")
        until = (renewed_until - timedelta(seconds=TTL - 30)).strftime("%Y-%m-%d %H:%M:%S")
        assert (
            held.json()["message"] == f"{EXAMPLE_SRN} is locked by another user until {until} UTC"
        )

        await age_lock(db, EXAMPLE_SRN, seconds=31)  # the TTL has run out
        gone = await client.get(f"/v3/lock-request/{lock['uuid']}", headers=auth.editor)
        assert (gone.status_code, gone.json()["code"]) == (404, "NOT_FOUND")
        item = await client.get(f"/v3/assignment/{EXAMPLE}", headers=auth.editor)
        assert item.json()["lock"] is False
        taken = await take_lock(client, second_editor(auth))
        assert taken["uuid"] != lock["uuid"]
        assert taken["user"]["person_id"] == "user_019"


async def test_custom_lock_ttl_over_graphql(settings: Settings, demo, auth: Auth, db: Database):
    async with app_client(settings, editorial_lock_ttl_seconds=TTL) as client:
        before = utcnow()
        acquired = await gql(client, ACQUIRE, {"srn": EXAMPLE_SRN}, auth.editor)
        after = utcnow()
        assert "errors" not in acquired, acquired
        lock = acquired["data"]["acquireEditorialLock"]
        expires = datetime.fromisoformat(lock["expiresAt"])
        assert _second(before) + LIFETIME <= expires <= after + LIFETIME

        await age_lock(db, EXAMPLE_SRN, seconds=TTL - 30)  # 30 seconds left
        before = utcnow()
        renewed = await gql(client, RENEW, {"uuid": lock["uuid"]}, auth.editor)
        after = utcnow()
        assert "errors" not in renewed, renewed
        renewed_until = datetime.fromisoformat(renewed["data"]["renewEditorialLock"]["expiresAt"])
        assert _second(before) + LIFETIME <= renewed_until <= after + LIFETIME

        await age_lock(db, EXAMPLE_SRN, seconds=TTL - 30)  # 30 seconds left again: held
        held = await gql(client, ACQUIRE, {"srn": EXAMPLE_SRN}, second_editor(auth))
        assert error_codes(held) == ["CONFLICT"]
        found = await gql(client, LOCK, {"uuid": lock["uuid"]}, second_editor(auth))
        assert found == {"data": {"editorialLock": {"uuid": lock["uuid"]}}}

        await age_lock(db, EXAMPLE_SRN, seconds=31)  # the TTL has run out
        gone = await gql(client, LOCK, {"uuid": lock["uuid"]}, second_editor(auth))
        assert error_codes(gone) == ["NOT_FOUND"]
        taken = await gql(client, ACQUIRE, {"srn": EXAMPLE_SRN}, second_editor(auth))
        assert "errors" not in taken, taken
        assert taken["data"]["acquireEditorialLock"]["uuid"] != lock["uuid"]
