"""Errors never leak: an unexpected exception (forced here by making a service function
raise, with SQL and a file path in its message) answers only a masked message and the
request id, on both doors, while the log keeps the traceback under that request id. And
every rejected request is logged with its request id."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from app.services import people
from tests.helpers import Auth, gql

SECRET = (
    "SELECT password_hash FROM people WHERE id = 'x' -- /srv/gateway/app/repositories/people.py"
)
LEAKS = ("SELECT", "password_hash", "/srv/", ".py", "Traceback", "RuntimeError", "sqlalchemy")
MASKED_REST = "An unexpected error occurred; quote the request id when reporting it"


@pytest.fixture
async def loose_client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """A client that gets the 500 response instead of the exception re-raised by Starlette's
    outermost middleware (as a real server's client would)."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as client:
        yield client


@pytest.fixture
def broken_service(monkeypatch: pytest.MonkeyPatch) -> None:
    async def explode(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError(SECRET)

    monkeypatch.setattr(people, "get_person", explode)


def _traceback_logged(caplog: pytest.LogCaptureFixture, request_id: str) -> logging.LogRecord:
    for record in caplog.records:
        if record.exc_info and request_id in record.getMessage():
            assert record.levelno >= logging.ERROR
            assert SECRET in str(record.exc_info[1])
            assert record.exc_info[2] is not None  # the traceback itself
            return record
    raise AssertionError(f"no traceback logged for request {request_id}")


async def test_rest_answers_a_masked_problem(
    loose_client: httpx.AsyncClient,
    demo,
    auth: Auth,
    broken_service: None,
    caplog: pytest.LogCaptureFixture,
):
    with caplog.at_level(logging.INFO):
        response = await loose_client.get("/api/v1/people/user_042", headers=auth.admin)
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    request_id = response.headers["x-request-id"]
    assert body == {
        "type": body["type"],
        "title": body["title"],
        "status": 500,
        "detail": MASKED_REST,
        "code": body["code"],
        "instance": "/api/v1/people/user_042",
        "request_id": request_id,
    }
    for leak in LEAKS:
        assert leak not in response.text, leak
    _traceback_logged(caplog, request_id)


async def test_graphql_answers_a_masked_error(
    client: httpx.AsyncClient,
    demo,
    auth: Auth,
    broken_service: None,
    caplog: pytest.LogCaptureFixture,
):
    with caplog.at_level(logging.INFO):
        response = await client.post(
            "/graphql",
            json={"query": '{ person(id: "user_042") { name } }'},
            headers=auth.admin,
        )
    assert response.status_code == 200
    request_id = response.headers["x-request-id"]
    assert response.json() == {
        "data": None,
        "errors": [
            {
                "message": "Internal server error",
                "locations": [{"line": 1, "column": 3}],
                "path": ["person"],
                "extensions": {"code": "INTERNAL_SERVER_ERROR", "request_id": request_id},
            }
        ],
    }
    for leak in LEAKS:
        assert leak not in response.text, leak
    _traceback_logged(caplog, request_id)


async def test_a_failing_nested_field_is_masked_too(
    client: httpx.AsyncClient, demo, auth: Auth, monkeypatch: pytest.MonkeyPatch
):
    from app.repositories import people as people_repo

    async def explode(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError(SECRET)

    monkeypatch.setattr(people_repo, "person_rows", explode)
    body = await gql(
        client, '{ assignment(id: "asgn_001") { legacyId mentor { name } } }', headers=auth.admin
    )
    for leak in LEAKS:
        assert leak not in str(body), leak
    assert {e["extensions"]["code"] for e in body["errors"]} == {"INTERNAL_SERVER_ERROR"}


def _logged_with(caplog: pytest.LogCaptureFixture, request_id: str, *words: str) -> bool:
    for record in caplog.records:
        text = record.getMessage()
        ours = getattr(record, "request_id", None) == request_id or request_id in text
        if ours and all(word in text for word in words):
            return True
    return False


async def test_every_rejected_request_is_logged_with_its_request_id(
    client: httpx.AsyncClient, demo, auth: Auth, settings, caplog: pytest.LogCaptureFixture
):
    with caplog.at_level(logging.INFO):
        unauthenticated = await client.get("/api/v1/assignments")
        invalid = await client.post("/api/v1/people", json={"id": "p"}, headers=auth.admin)
        forbidden = await client.get("/api/v1/assignments", headers=auth.editor)
        too_large = await client.post(
            "/api/v1/people",
            content=b"{}",
            headers={
                **auth.admin,
                "content-type": "application/json",
                "content-length": str(settings.max_body_bytes + 1),
            },
        )
        complex_ = await client.post(
            "/graphql",
            json={"query": "{ " + " ".join(f"a{i}: me {{ name }}" for i in range(20)) + " }"},
            headers=auth.admin,
        )
        anonymous = await client.post("/graphql", json={"query": "{ me { name } }"})
    assert (unauthenticated.status_code, invalid.status_code) == (401, 422)
    assert (forbidden.status_code, too_large.status_code) == (403, 413)
    for response, words in (
        (unauthenticated, ("401",)),
        (invalid, ("422",)),
        (forbidden, ("403",)),
        (too_large, ("413",)),
        (complex_, ("QUERY_TOO_COMPLEX",)),
        (anonymous, ("UNAUTHENTICATED",)),
    ):
        request_id = response.headers["x-request-id"]
        assert _logged_with(caplog, request_id, *words), (words, request_id)
