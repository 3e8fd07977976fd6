"""Conditional GETs on REST: a record answered with an ``ETag`` answers ``304 Not Modified``
(no body, the same ETag) when ``If-None-Match`` holds that tag, weakly compared, in a list,
or ``*``; anything else gets the full 200."""

from __future__ import annotations

import httpx
import pytest

from app.rest.openapi import openapi_document
from app.settings import Settings
from tests.helpers import Auth

# One record of each kind that answers with an ETag, and who may read it.
RECORDS = [
    ("/api/v1/assignments/asgn_001", "coordinator"),
    ("/api/v1/assignments/api/v1/assignments/asgn_001", "coordinator"),
    ("/api/v1/milestones/milestone_100h", "coordinator"),
    ("/api/v1/activities/act_9f3a12bc", "admin"),
]


def _headers(auth: Auth, who: str) -> dict[str, str]:
    return auth.coordinator if who == "coordinator" else auth.admin


@pytest.mark.parametrize(("path", "who"), RECORDS)
async def test_if_none_match_with_the_current_tag_is_304(
    client: httpx.AsyncClient, demo, auth: Auth, path: str, who: str
):
    headers = _headers(auth, who)
    first = await client.get(path, headers=headers)
    assert first.status_code == 200, first.text
    tag = first.headers["etag"]
    assert tag.startswith('"')
    for held in (tag, f"W/{tag}", f'"999", {tag}', f' W/"998" ,W/{tag} ', "*"):
        again = await client.get(path, headers={**headers, "If-None-Match": held})
        assert again.status_code == 304, (held, again.text)
        assert again.content == b""
        assert again.headers["etag"] == tag
        assert "content-type" not in again.headers
    for held in ('"999"', 'W/"998", "997"', "not-a-tag", f"{tag[1:-1]}", ""):
        full = await client.get(path, headers={**headers, "If-None-Match": held})
        assert full.status_code == 200, (held, full.text)
        assert full.json() == first.json()
        assert full.headers["etag"] == tag


async def test_a_changed_record_answers_in_full_again(client: httpx.AsyncClient, demo, auth):
    path = "/api/v1/assignments/asgn_001"
    old = (await client.get(path, headers=auth.coordinator)).headers["etag"]
    changed = await client.put(path, json={"notes": "new"}, headers=auth.coordinator)
    assert changed.status_code == 200
    new = changed.headers["etag"]
    assert new != old
    stale = await client.get(path, headers={**auth.coordinator, "If-None-Match": old})
    assert stale.status_code == 200
    assert stale.json()["notes"] == "new"
    assert stale.headers["etag"] == new
    fresh = await client.get(path, headers={**auth.coordinator, "If-None-Match": new})
    assert fresh.status_code == 304


async def test_304_keeps_the_negotiated_language(client: httpx.AsyncClient, demo, auth):
    path = "/api/v1/milestones/milestone_100h"
    headers = {**auth.coordinator, "Accept-Language": "nb"}
    first = await client.get(path, headers=headers)
    assert first.headers["content-language"] == "nb"
    again = await client.get(path, headers={**headers, "If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.headers["content-language"] == "nb"
    assert again.headers["vary"] == "Accept-Language"


async def test_writes_ignore_if_none_match(client: httpx.AsyncClient, demo, auth):
    path = "/api/v1/assignments/asgn_001"
    tag = (await client.get(path, headers=auth.coordinator)).headers["etag"]
    written = await client.put(
        path, json={"notes": "x"}, headers={**auth.coordinator, "If-None-Match": tag}
    )
    assert written.status_code == 200
    assert written.json()["notes"] == "x"


def test_the_document_states_the_304_and_the_etag(settings: Settings):
    paths = openapi_document(settings)["paths"]
    for path in ("/api/v1/assignments/{id}", "/api/v1/milestones/{id}", "/api/v1/activities/{id}"):
        get = paths[path]["get"]
        assert set(get["responses"]) >= {"200", "304"}
        assert "ETag" in get["responses"]["200"]["headers"]
        assert "If-None-Match" in [p["name"] for p in get["parameters"]]
