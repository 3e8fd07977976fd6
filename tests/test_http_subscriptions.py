"""Subscriptions over HTTP streams against a real server: Server-Sent Events (graphql-sse,
distinct connections) and multipart HTTP (``subscriptionSpec=1.0``), and the refusals of
every transport. These tests fail when a streaming ``Accept`` is answered as a plain JSON
request or not at all, when an SSE or multipart subscriber does not hear a mutation's event,
when a stream starts without credentials (no 401), when a limit, the parse, validation or
a persisted query refusal is not answered with its code (over WebSocket: an ``error``
message, never a bare ``complete``), when a client that goes away keeps its subscription
registered (the broker count and /metrics stay up), when a subscription sent as a plain
HTTP request is not refused with ``OPERATION_NOT_SUPPORTED``, when an SSE stream sends no
heartbeats or is cut by the request time limit, when WebSocket messages are binary frames,
or when ``Last-Event-ID`` does not reach the context as the event to resume after."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from app.main import create_app
from app.settings import Settings
from schema.http import GraphQLView
from schema.persisted import sha256
from tests.conftest import LiveServer
from tests.helpers import (
    Auth,
    api_key_headers,
    error_codes,
    serve_in_thread,
    wait_for_subscribers,
    wait_for_unsubscribed,
)

SSE = {"Accept": "text/event-stream"}
MULTIPART = {"Accept": 'multipart/mixed;subscriptionSpec="1.0", application/json'}
PERSON_CHANGED = "subscription { personChanged { kind personId } }"
RENAME = 'mutation { updatePerson(id: "user_042", input: {name: "Ola H."}) { name } }'
# 11 levels below the root field (the limit is 10).
TOO_DEEP = (
    "subscription { assignmentChanged { assignment { mentor { assignments { edges { node {"
    " mentor { assignments { edges { node { mentor { name } } } } } } } } } } } }"
)
# Within the depth limit, but 100 x 100 assignments cost more than the budget of 5000.
TOO_COSTLY = (
    "subscription { assignmentChanged { assignment { mentor { assignments(first: 100) {"
    " edges { node { mentor { assignments(first: 100) { edges { node { status } } } } } } }"
    " } } } }"
)
TOO_MANY_ALIASES = (
    "subscription { personChanged { " + " ".join(f"a{i}: kind" for i in range(16)) + " } }"
)
WS = Subprotocol("graphql-transport-ws")
WITHIN = 10  # seconds: bounds every wait for a message
T = TypeVar("T")


class SSEEvent(dict[str, str]):
    """One server-sent event: its fields (``event``, ``data``, ``id``)."""

    def json(self) -> Any:
        return json.loads(self["data"])


async def sse_events(lines: AsyncIterator[str]) -> AsyncIterator[SSEEvent]:
    """The events of a text/event-stream response's lines (comments, the heartbeats,
    skipped)."""
    event = SSEEvent()
    async for line in lines:
        if not line:
            if event:
                yield event
            event = SSEEvent()
        elif not line.startswith(":"):
            name, _, value = line.partition(":")
            event[name] = value.removeprefix(" ")


async def multipart_parts(response: httpx.Response) -> AsyncIterator[dict[str, Any]]:
    """The JSON parts of a multipart subscription (the ``{}`` heartbeats skipped), until
    the closing boundary."""
    boundary = re.search(r"boundary=\"?([^\";,]+)", response.headers["content-type"])
    assert boundary is not None, response.headers
    delimiter = f"--{boundary.group(1)}"
    buffer = ""
    async for text in response.aiter_text():
        buffer += text
        *complete, buffer = buffer.split(delimiter)
        for segment in complete:
            if not segment.strip():
                continue  # before the opening boundary
            _headers, _, body = segment.partition("\r\n\r\n")
            part = json.loads(body)
            if part:
                yield part
        if buffer.startswith("--"):
            return


async def first(events: AsyncIterator[T]) -> T:
    async with asyncio.timeout(WITHIN):
        return await anext(events)


async def rest(events: AsyncIterator[T]) -> list[T]:
    async with asyncio.timeout(WITHIN):
        return [event async for event in events]


def active_subscriptions(metrics: str) -> float:
    found = re.search(r"^gateway_active_subscriptions (\S+)$", metrics, re.MULTILINE)
    assert found is not None, "gateway_active_subscriptions is not in /metrics"
    return float(found.group(1))


@pytest.fixture
async def http(live_server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=f"http://{live_server.url}", timeout=WITHIN) as c:
        yield c


async def _rename(http: httpx.AsyncClient, auth: Auth) -> None:
    renamed = await http.post("/graphql", json={"query": RENAME}, headers=auth.admin)
    assert renamed.json()["data"]["updatePerson"]["name"] == "Ola H.", renamed.text


@pytest.mark.parametrize("method", ["POST", "GET"])
async def test_an_sse_subscriber_hears_a_mutation_and_going_away_releases_it(
    live_server: LiveServer, http: httpx.AsyncClient, demo, auth: Auth, method: str
):
    before = live_server.app.state.events.subscriber_count
    metered = active_subscriptions((await http.get("/metrics")).text)
    operation = {"query": PERSON_CHANGED}
    body, params = (operation, None) if method == "POST" else (None, operation)
    async with http.stream(
        method, "/graphql", json=body, params=params, headers=auth.admin | SSE
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        await wait_for_subscribers(live_server.app, before + 1)
        assert active_subscriptions((await http.get("/metrics")).text) == metered + 1
        await _rename(http, auth)
        event = await first(sse_events(response.aiter_lines()))
        assert event["event"] == "next", event
        assert event.json() == {
            "data": {"personChanged": {"kind": "updated", "personId": "user_042"}}
        }
    # The client went away: the server closes the subscription.
    await wait_for_unsubscribed(live_server.app, before)
    assert active_subscriptions((await http.get("/metrics")).text) == metered


async def test_a_multipart_subscriber_hears_a_mutation_and_going_away_releases_it(
    live_server: LiveServer, http: httpx.AsyncClient, demo, auth: Auth
):
    before = live_server.app.state.events.subscriber_count
    async with http.stream(
        "POST", "/graphql", json={"query": PERSON_CHANGED}, headers=auth.admin | MULTIPART
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("multipart/mixed")
        assert "subscriptionSpec=1.0" in response.headers["content-type"]
        await wait_for_subscribers(live_server.app, before + 1)
        await _rename(http, auth)
        part = await first(multipart_parts(response))
        assert part == {
            "payload": {"data": {"personChanged": {"kind": "updated", "personId": "user_042"}}}
        }
    await wait_for_unsubscribed(live_server.app, before)


async def test_an_api_key_opens_a_stream(
    live_server: LiveServer, http: httpx.AsyncClient, demo, auth: Auth
):
    key = await api_key_headers(http, auth.admin, "admin_001", "admin", "org_03")
    before = live_server.app.state.events.subscriber_count
    async with http.stream(
        "POST", "/graphql", json={"query": PERSON_CHANGED}, headers=key | SSE
    ) as response:
        assert response.status_code == 200, await response.aread()
        await wait_for_subscribers(live_server.app, before + 1)
        await _rename(http, auth)
        assert (await first(sse_events(response.aiter_lines()))).json()["data"][
            "personChanged"
        ] == {
            "kind": "updated",
            "personId": "user_042",
        }
    await wait_for_unsubscribed(live_server.app, before)


async def test_a_query_over_sse_is_one_result_then_complete(
    http: httpx.AsyncClient, demo, auth: Auth
):
    async with http.stream(
        "POST", "/graphql", json={"query": "{ me { legacyId } }"}, headers=auth.admin | SSE
    ) as response:
        events = await rest(sse_events(response.aiter_lines()))
    assert [e["event"] for e in events] == ["next", "complete"]
    assert events[0].json() == {"data": {"me": {"legacyId": "admin_001"}}}


async def test_a_mutation_over_sse_runs_once(http: httpx.AsyncClient, demo, auth: Auth):
    async with http.stream(
        "POST", "/graphql", json={"query": RENAME}, headers=auth.admin | SSE
    ) as response:
        events = await rest(sse_events(response.aiter_lines()))
    assert [e["event"] for e in events] == ["next", "complete"]
    assert events[0].json() == {"data": {"updatePerson": {"name": "Ola H."}}}


@pytest.mark.parametrize("accept", [SSE, MULTIPART], ids=["sse", "multipart"])
@pytest.mark.parametrize(
    "credentials", [{}, {"Authorization": "Bearer not-a-token"}], ids=["none", "bad"]
)
async def test_a_stream_without_valid_credentials_is_401(
    live_server: LiveServer,
    http: httpx.AsyncClient,
    demo,
    accept: dict[str, str],
    credentials: dict[str, str],
):
    before = live_server.app.state.events.subscriber_count
    refused = await http.post(
        "/graphql", json={"query": PERSON_CHANGED}, headers=credentials | accept
    )
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["code"] == "UNAUTHENTICATED"
    assert live_server.app.state.events.subscriber_count == before


@pytest.mark.parametrize(
    ("query", "code"),
    [
        (TOO_DEEP, "QUERY_TOO_COMPLEX"),
        (TOO_COSTLY, "QUERY_TOO_COMPLEX"),
        (TOO_MANY_ALIASES, "QUERY_TOO_COMPLEX"),
        ("subscription { personChanged { kind ", "GRAPHQL_PARSE_FAILED"),
        ("subscription { personChanged { nope } }", "GRAPHQL_VALIDATION_FAILED"),
    ],
    ids=["depth", "cost", "aliases", "syntax", "validation"],
)
async def test_stream_refusals_carry_their_code(
    http: httpx.AsyncClient, demo, auth: Auth, query: str, code: str
):
    async with http.stream(
        "POST", "/graphql", json={"query": query}, headers=auth.admin | SSE
    ) as response:
        events = await rest(sse_events(response.aiter_lines()))
    assert [e["event"] for e in events] == ["next", "complete"]
    assert error_codes(events[0].json()) == [code]
    async with http.stream(
        "POST", "/graphql", json={"query": query}, headers=auth.admin | MULTIPART
    ) as response:
        parts = await rest(multipart_parts(response))
    assert [error_codes(p["payload"]) for p in parts] == [[code]]


async def test_a_query_over_multipart_is_not_supported(http: httpx.AsyncClient, demo, auth):
    async with http.stream(
        "POST", "/graphql", json={"query": "{ me { legacyId } }"}, headers=auth.admin | MULTIPART
    ) as response:
        parts = await rest(multipart_parts(response))
    assert [error_codes(p["payload"]) for p in parts] == [["OPERATION_NOT_SUPPORTED"]]


async def test_persisted_queries_stream(http: httpx.AsyncClient, demo, auth: Auth):
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": sha256(PERSON_CHANGED + " ")}}
    async with http.stream(
        "POST", "/graphql", json={"extensions": extensions}, headers=auth.admin | SSE
    ) as response:
        events = await rest(sse_events(response.aiter_lines()))
    assert [e["event"] for e in events] == ["next", "complete"]
    assert error_codes(events[0].json()) == ["PERSISTED_QUERY_NOT_FOUND"]
    query = "{ me { legacyId } }"
    known = {"persistedQuery": {"version": 1, "sha256Hash": sha256(query)}}
    stored = await http.post(
        "/graphql", json={"query": query, "extensions": known}, headers=auth.admin
    )
    assert stored.json()["data"] == {"me": {"legacyId": "admin_001"}}
    async with http.stream(
        "POST", "/graphql", json={"extensions": known}, headers=auth.admin | SSE
    ) as response:
        events = await rest(sse_events(response.aiter_lines()))
    assert events[0].json() == {"data": {"me": {"legacyId": "admin_001"}}}


@pytest.mark.parametrize("method", ["POST", "GET"])
async def test_a_subscription_without_a_streaming_accept_is_not_supported(
    live_server: LiveServer, http: httpx.AsyncClient, demo, auth: Auth, method: str
):
    before = live_server.app.state.events.subscriber_count
    operation = {"query": PERSON_CHANGED}
    body, params = (operation, None) if method == "POST" else (None, operation)
    refused = await http.request(
        method,
        "/graphql",
        json=body,
        params=params,
        headers=auth.admin | {"Accept": "application/json"},
    )
    assert refused.status_code == 400, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["code"] == "OPERATION_NOT_SUPPORTED"
    assert "text/event-stream" in refused.json()["detail"]
    batch = await http.post(
        "/graphql",
        json=[{"query": "{ __typename }"}, {"query": PERSON_CHANGED}],
        headers=auth.admin,
    )
    assert batch.status_code == 400
    assert batch.json()["code"] == "OPERATION_NOT_SUPPORTED"
    assert live_server.app.state.events.subscriber_count == before


async def test_a_batch_does_not_stream(http: httpx.AsyncClient, demo, auth: Auth):
    refused = await http.post(
        "/graphql",
        json=[{"query": PERSON_CHANGED}, {"query": PERSON_CHANGED}],
        headers=auth.admin | SSE,
    )
    assert refused.status_code == 400
    assert refused.json()["code"] == "BAD_USER_INPUT"


async def _ws_receive(ws: ClientConnection) -> dict[str, Any]:
    raw = await asyncio.wait_for(ws.recv(), timeout=WITHIN)
    assert isinstance(raw, str), "a binary frame (browsers' clients read text frames only)"
    message: dict[str, Any] = json.loads(raw)
    return message


async def _ws_answer(ws: ClientConnection, query: str, operation: str) -> dict[str, Any]:
    await ws.send(json.dumps({"id": operation, "type": "subscribe", "payload": {"query": query}}))
    return await _ws_receive(ws)


@asynccontextmanager
async def _ws(url: str, headers: dict[str, str]) -> AsyncIterator[ClientConnection]:
    async with connect(f"ws://{url}/graphql", subprotocols=[WS]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": headers}))
        ack = await _ws_receive(ws)
        assert ack["type"] == "connection_ack", ack
        yield ws


async def test_websocket_refusals_are_errors_with_codes(live_url: str, demo, auth: Auth):
    refused = {
        TOO_DEEP: "QUERY_TOO_COMPLEX",
        TOO_COSTLY: "QUERY_TOO_COMPLEX",
        TOO_MANY_ALIASES: "QUERY_TOO_COMPLEX",
        "subscription " + "x" * 20_000: "QUERY_TOO_COMPLEX",
        "subscription { personChanged { kind ": "GRAPHQL_PARSE_FAILED",
        "subscription { personChanged { nope } }": "GRAPHQL_VALIDATION_FAILED",
        "subscription { a: personChanged { kind } b: personChanged { kind } }": (
            "GRAPHQL_VALIDATION_FAILED"
        ),
        "subscription A { personChanged { kind } } subscription B { personChanged { kind } }": (
            "OPERATION_NAME_REQUIRED"
        ),
    }
    async with _ws(live_url, auth.admin) as ws:
        for operation, (query, code) in enumerate(refused.items()):
            message = await _ws_answer(ws, query, str(operation))
            assert message["type"] == "error", (query, message)
            assert [e["extensions"]["code"] for e in message["payload"]] == [code], message
        # The connection still serves.
        answered = await _ws_answer(ws, "{ me { legacyId } }", "ok")
        assert answered["payload"] == {"data": {"me": {"legacyId": "admin_001"}}}


async def test_an_api_key_in_connection_params_opens_a_websocket(
    live_server: LiveServer, http: httpx.AsyncClient, demo, auth: Auth
):
    key = await api_key_headers(http, auth.admin, "admin_001", "admin", "org_03")
    before = live_server.app.state.events.subscriber_count
    async with _ws(live_server.url, key) as ws:
        await ws.send(
            json.dumps({"id": "1", "type": "subscribe", "payload": {"query": PERSON_CHANGED}})
        )
        await wait_for_subscribers(live_server.app, before + 1)
        await _rename(http, auth)
        event = await _ws_receive(ws)
        assert event["payload"]["data"]["personChanged"]["personId"] == "user_042", event
    await wait_for_unsubscribed(live_server.app, before)


@contextmanager
def _allowlist_server(settings: Settings, path: Path, query: str) -> Iterator[str]:
    path.write_text(json.dumps({sha256(query): query}))
    served = create_app(
        settings.model_copy(
            update={"persisted_queries": "allowlist", "persisted_query_allowlist": str(path)}
        )
    )
    with serve_in_thread(served) as url:
        yield url


async def test_the_allow_list_refuses_with_its_code_on_every_transport(
    settings: Settings, tmp_path: Path, demo, auth: Auth
):
    with _allowlist_server(settings, tmp_path / "allowlist.json", PERSON_CHANGED) as url:
        other = "subscription { personChanged { kind } }"
        async with _ws(url, auth.admin) as ws:
            message = await _ws_answer(ws, other, "1")
            assert message["type"] == "error", message
            assert message["payload"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_ALLOWED"
        async with (
            httpx.AsyncClient(base_url=f"http://{url}", timeout=WITHIN) as http,
            http.stream(
                "POST", "/graphql", json={"query": other}, headers=auth.admin | SSE
            ) as response,
        ):
            events = await rest(sse_events(response.aiter_lines()))
        assert error_codes(events[0].json()) == ["PERSISTED_QUERY_NOT_ALLOWED"]


async def test_a_stream_outlives_the_request_time_limit_with_heartbeats(
    settings: Settings, demo, auth: Auth
):
    limit = 1.0
    served = create_app(
        settings.model_copy(update={"request_timeout_seconds": limit, "sse_heartbeat_seconds": 0.1})
    )
    with serve_in_thread(served) as url:
        async with (
            httpx.AsyncClient(base_url=f"http://{url}", timeout=WITHIN) as http,
            http.stream(
                "POST", "/graphql", json={"query": PERSON_CHANGED}, headers=auth.admin | SSE
            ) as response,
        ):
            lines = response.aiter_lines()
            await wait_for_subscribers(served, 1)
            started, heartbeats = time.monotonic(), 0
            async with asyncio.timeout(WITHIN):
                # Heartbeat comments until the stream is past the request time limit.
                while time.monotonic() - started < limit * 1.5:
                    heartbeats += (await anext(lines)).startswith(":")
            assert heartbeats >= 5
            await _rename(http, auth)
            event = await first(sse_events(lines))
            assert event.json()["data"]["personChanged"]["personId"] == "user_042"
        await wait_for_unsubscribed(served, 0)


async def test_a_mutation_over_get_does_not_stream(http: httpx.AsyncClient, demo, auth: Auth):
    async with http.stream(
        "GET", "/graphql", params={"query": RENAME}, headers=auth.admin | SSE
    ) as response:
        events = await rest(sse_events(response.aiter_lines()))
    assert error_codes(events[0].json()) == ["OPERATION_NOT_SUPPORTED"]
    me = await http.post(
        "/graphql", json={"query": '{ person(id: "user_042") { name } }'}, headers=auth.admin
    )
    assert me.json()["data"]["person"]["name"] != "Ola H."


def _graphql_view(app: Starlette) -> GraphQLView:
    for route in app.routes:
        if isinstance(route, Route) and route.path == "/graphql":
            assert isinstance(route.app, GraphQLView)
            return route.app
    raise AssertionError("no /graphql route")


@pytest.mark.parametrize("accept", [SSE, MULTIPART], ids=["sse", "multipart"])
async def test_last_event_id_is_where_the_subscription_resumes(
    app: Starlette, demo, auth: Auth, accept: dict[str, str]
):
    view = _graphql_view(app)
    headers = auth.admin | accept | {"Last-Event-ID": "42-0"}
    scope = {
        "type": "http",
        "app": app,
        "method": "POST",
        "path": "/graphql",
        "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
    }
    context = await view.get_context(Request(scope), Response())
    assert context.resume_after == "42-0"
    assert context.principal is not None


CHANGED_WITH_IDS = "subscription { personChanged { kind personId eventId } }"


async def _renamed_to(http: httpx.AsyncClient, auth: Auth, name: str) -> None:
    renamed = await http.post(
        "/graphql",
        json={
            "query": 'mutation($n: String!) { updatePerson(id: "user_042", input: {name: $n})'
            " { name } }",
            "variables": {"n": name},
        },
        headers=auth.admin,
    )
    assert renamed.json()["data"]["updatePerson"]["name"] == name, renamed.text


async def test_an_sse_subscriber_that_reconnects_with_last_event_id_gets_what_it_missed(
    live_server: LiveServer, http: httpx.AsyncClient, demo, auth: Auth
):
    """Disconnect, miss two changes, reconnect with the last event id: exactly those two
    arrive (each with its id: line), then live ones."""
    before = live_server.app.state.events.subscriber_count
    operation = {"query": CHANGED_WITH_IDS}
    async with http.stream("POST", "/graphql", json=operation, headers=auth.admin | SSE) as sub:
        await wait_for_subscribers(live_server.app, before + 1)
        await _renamed_to(http, auth, "Seen")
        seen = await first(sse_events(sub.aiter_lines()))
    assert seen["id"] == seen.json()["data"]["personChanged"]["eventId"]
    await wait_for_unsubscribed(live_server.app, before)
    await _renamed_to(http, auth, "Missed 1")
    await _renamed_to(http, auth, "Missed 2")
    resumed = auth.admin | SSE | {"Last-Event-ID": seen["id"]}
    async with http.stream("POST", "/graphql", json=operation, headers=resumed) as sub:
        events = sse_events(sub.aiter_lines())
        missed = [await first(events), await first(events)]
        await _renamed_to(http, auth, "Live")
        live = await first(events)
    ids = [int(e["id"]) for e in [seen, *missed, live]]
    assert ids == sorted(set(ids))
    assert [e.json()["data"]["personChanged"]["eventId"] for e in [*missed, live]] == [
        e["id"] for e in [*missed, live]
    ]
