"""The HTTP edge under hostile use: bodies streamed past the limit, GraphQL bodies that are
not objects, 405s with ``Allow``, and per-request state that does not outlive the request."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import httpx
import pytest

from app.db import open_statement_counters
from app.settings import Settings
from tests.helpers import Auth, count_statements, known_caller

PROBLEM = "application/problem+json"
CHUNK = 64 * 1024


class Oversized:
    """A chunked request body of 16 MiB, counting the chunks the server pulled."""

    def __init__(self, head: bytes) -> None:
        self.head = head
        self.chunks = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.head
        for _ in range(256):
            self.chunks += 1
            yield b"x" * CHUNK


def _assert_too_large(response: httpx.Response, settings: Settings) -> None:
    assert response.status_code == 413, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["code"] == "PAYLOAD_TOO_LARGE"
    assert body["detail"] == f"The body exceeds {settings.max_body_bytes} bytes"
    assert "content-length" not in response.request.headers
    assert response.request.headers["transfer-encoding"] == "chunked"


@pytest.mark.parametrize("path", ["/graphql", "/api/v1/people"])
async def test_chunked_body_past_the_limit_is_413_without_reading_the_rest(
    client: httpx.AsyncClient, demo, auth: Auth, settings: Settings, path: str
):
    body = Oversized(b'{"query": "')
    response = await client.post(
        path, content=body, headers={**auth.admin, "content-type": "application/json"}
    )
    _assert_too_large(response, settings)
    # The server read no chunk after the one that passed the limit (head + 16 x 64 KiB).
    assert body.chunks == settings.max_body_bytes // CHUNK


async def _four_mebibytes() -> AsyncIterator[bytes]:
    yield b'{"query": "'
    for _ in range(64):
        yield b"x" * CHUNK


@pytest.mark.parametrize("path", ["/graphql", "/api/v1/people"])
async def test_chunked_body_past_the_limit_is_413_on_a_real_server(
    live_url: str, demo, auth: Auth, settings: Settings, path: str
):
    """uvicorn discards what the client still sends after the answer (nothing is kept)."""
    async with httpx.AsyncClient(base_url=f"http://{live_url}", timeout=30) as c:
        response = await c.post(
            path,
            content=_four_mebibytes(),
            headers={**auth.admin, "content-type": "application/json"},
        )
        _assert_too_large(response, settings)
        # The connection serves the next request.
        assert (await c.get("/healthz")).status_code == 200


async def test_requests_from_one_task_leave_no_statement_counter_behind(
    client: httpx.AsyncClient, demo, auth: Auth, caplog: pytest.LogCaptureFixture
):
    """The ASGI client runs the app in the test's own task: each request's counter must be
    gone after the request, and each still counts that request's statements."""
    await known_caller(client, auth.admin)
    assert open_statement_counters() == 0
    with caplog.at_level(logging.INFO, logger="gateway.access"), count_statements() as outer:
        for _ in range(5):
            response = await client.get("/api/v1/me", headers=auth.admin)
            assert response.status_code == 200
            assert open_statement_counters() == 1  # the test's own
    assert open_statement_counters() == 0
    counts = [r.__dict__["sql_statements"] for r in caplog.records if r.name == "gateway.access"]
    assert len(counts) == 5
    assert counts[0] > 0
    assert counts == [counts[0]] * 5
    assert sum(counts) == outer.count


NOT_AN_OBJECT = "The body must be a JSON object (or, for a batch, a list of them)"
TYPENAME = '{"query": "{ __typename }"}'


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ('"x"', NOT_AN_OBJECT),
        ("12345", NOT_AN_OBJECT),
        ("null", NOT_AN_OBJECT),
        ("true", NOT_AN_OBJECT),
        ('["x"]', "Batch item 0 must be a JSON object"),
        ("[null]", "Batch item 0 must be a JSON object"),
        (f"[{TYPENAME}, 3]", "Batch item 1 must be a JSON object"),
        (f"[{TYPENAME}, []]", "Batch item 1 must be a JSON object"),
        ("[]", "A batch must hold at least one operation"),
        ('{"query": 5}', "The body: 'query' must be a string or null"),
        ('[{"query": 5}]', "Batch item 0: 'query' must be a string or null"),
        (
            '[{"query": "{ __typename }", "variables": [1]}]',
            "Batch item 0: 'variables' must be an object or null",
        ),
        (
            '[{"query": "{ __typename }", "extensions": "x"}]',
            "Batch item 0: 'extensions' must be an object or null",
        ),
        (
            '{"query": "{ __typename }", "operationName": 5}',
            "The body: 'operationName' must be a string or null",
        ),
    ],
)
async def test_graphql_body_that_is_not_an_operation_is_400(
    client: httpx.AsyncClient, body: str, detail: str
):
    response = await client.post(
        "/graphql", content=body.encode(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["code"] == "BAD_USER_INPUT"
    assert problem["detail"] == detail


async def test_graphql_batch_of_objects_still_runs(client: httpx.AsyncClient):
    response = await client.post(
        "/graphql",
        content=f"[{TYPENAME}, {TYPENAME}]".encode(),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 200
    assert response.json() == [{"data": {"__typename": "Query"}}] * 2


def _allowed(response: httpx.Response) -> set[str]:
    methods = [method.strip() for method in response.headers["allow"].split(",")]
    assert methods == sorted(methods)  # the same header from every worker
    return set(methods)


def _assert_not_allowed(response: httpx.Response) -> None:
    assert response.status_code == 405, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["code"] == "METHOD_NOT_ALLOWED"


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/api/v1/me", {"GET", "HEAD"}),
        ("PUT", "/api/v1/people", {"GET", "HEAD", "POST"}),
        ("PATCH", "/api/v1/assignments/asgn_001", {"DELETE", "GET", "HEAD", "PUT"}),
        ("DELETE", "/graphql", {"GET", "POST"}),
        ("HEAD", "/graphql", {"GET", "POST"}),
    ],
)
async def test_405_names_every_method_the_path_serves(
    client: httpx.AsyncClient, demo, auth: Auth, method: str, path: str, allowed: set[str]
):
    response = await client.request(method, path, headers=auth.admin)
    assert response.status_code == 405
    assert _allowed(response) == allowed
    if method != "HEAD":
        _assert_not_allowed(response)
        assert response.json()["detail"] == f"{method} is not allowed on {path}"


async def test_every_method_of_a_shared_path_is_still_served(
    client: httpx.AsyncClient, demo, auth: Auth
):
    assert (await client.get("/api/v1/people", headers=auth.admin)).status_code == 200
    created = await client.post(
        "/api/v1/people", json={"id": "p_allow", "name": "Allow"}, headers=auth.admin
    )
    assert created.status_code == 201, created.text
    assert (await client.head("/api/v1/people", headers=auth.admin)).status_code == 200


async def test_graphql_mutation_over_get_is_405_allow_post(client: httpx.AsyncClient, demo, auth):
    response = await client.get(
        "/graphql", params={"query": "mutation { __typename }"}, headers=auth.admin
    )
    _assert_not_allowed(response)
    assert response.headers["allow"] == "POST"
    assert response.json()["detail"] == "Mutations are not allowed over GET; send them with POST"
    query = await client.get("/graphql", params={"query": "{ __typename }"}, headers=auth.admin)
    assert query.status_code == 200
    assert query.json() == {"data": {"__typename": "Query"}}
