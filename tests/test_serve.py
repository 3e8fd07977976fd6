"""``gateway serve`` as operators run it: bounded request heads (431) and its log lines."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from app.serving import MAX_HEAD_BYTES, MAX_HEADERS
from app.settings import Settings
from tests.helpers import Served, cross_worker_events, gateway_serve


@pytest.fixture(scope="module")
def served(settings: Settings) -> Iterator[Served]:
    with gateway_serve(settings, "--log-level", "warning") as server:
        yield server


def _assert_431(response: httpx.Response) -> None:
    assert response.status_code == 431
    assert response.text == "Request header fields too large"
    assert response.headers["connection"] == "close"


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"X-Big": "a" * 8_000_000}, id="one 8 MB header"),
        pytest.param({"X-Big": "a" * (MAX_HEAD_BYTES + 1)}, id="one header past the bound"),
        pytest.param({f"X-Many-{i}": "b" for i in range(2000)}, id="2000 headers"),
        pytest.param({f"X-Many-{i}": "b" for i in range(MAX_HEADERS + 1)}, id="one too many"),
    ],
)
def test_oversized_request_heads_are_431(served: Served, headers: dict[str, str]):
    with httpx.Client(base_url=f"http://{served.base}", timeout=30) as http:
        _assert_431(http.get("/api/v1/me", headers=headers))
        # The server stays up and answers the next connection normally.
        assert http.get("/healthz").json() == {"status": "ok"}


def test_oversized_websocket_upgrade_is_431(served: Served):
    headers = {
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Protocol": "graphql-transport-ws",
        "X-Big": "a" * (MAX_HEAD_BYTES + 1),
    }
    with httpx.Client(base_url=f"http://{served.base}", timeout=30) as http:
        _assert_431(http.get("/graphql", headers=headers))


def test_heads_within_the_bounds_are_served(served: Served):
    within = {f"X-Many-{i}": "b" for i in range(MAX_HEADERS - 10)}
    within["X-Big"] = "a" * (MAX_HEAD_BYTES // 2)
    with httpx.Client(base_url=f"http://{served.base}", timeout=30) as http:
        response = http.get("/api/v1/me", headers=within)
        assert response.status_code == 401
        assert response.json()["code"] == "UNAUTHENTICATED"
        assert http.get("/healthz", headers=within).json() == {"status": "ok"}


def _log_lines(output: str) -> list[dict[str, object]]:
    """Every line ``serve`` wrote to stderr, each parsed as one JSON object."""
    return [json.loads(line) for line in output.splitlines()]


@pytest.mark.parametrize(
    ("workers", "env"),
    [
        pytest.param("1", {"GATEWAY_LOG_FORMAT": "json"}, id="1 worker"),
        pytest.param("2", {"GATEWAY_LOG_FORMAT": "json"}, id="2 workers"),
        pytest.param("1", {"GATEWAY_ENV": "production"}, id="production"),  # JSON by default
    ],
)
def test_served_logs_are_one_json_format_in_every_process(
    settings: Settings, workers: str, env: dict[str, str]
):
    if workers != "1":
        env = {**env, **cross_worker_events(settings)}
    with gateway_serve(settings, "--workers", workers, "--log-level", "info", env=env) as server:
        assert httpx.get(f"http://{server.base}/healthz").status_code == 200
        output = server.stop()
    assert "\x1b" not in output
    lines = _log_lines(output)  # fails on any line in another format
    assert all("color_message" not in line for line in lines)
    assert all(line["logger"] != "uvicorn.error" for line in lines)
    assert all({"event", "level", "logger", "timestamp"} <= line.keys() for line in lines)
    events = [(str(line["logger"]), str(line["event"])) for line in lines]
    port = server.base.rsplit(":", 1)[1]
    graphiql = (
        "GraphiQL off (GATEWAY_GRAPHIQL=true serves it)"
        if env.get("GATEWAY_ENV") == "production"
        else f"GraphiQL at http://127.0.0.1:{port}/graphql"
    )
    assert ("gateway", f"{graphiql}, REST API docs at http://127.0.0.1:{port}/docs") in events
    assert ("uvicorn", f"Uvicorn running on http://127.0.0.1:{port} (Press CTRL+C to quit)") in (
        events
    )
    started = [e for logger, e in events if logger == "uvicorn" and e.startswith("Started server")]
    assert len(started) == int(workers)
    if workers == "2":
        assert any(e.startswith("Started parent process") for _, e in events)
    access = [line for line in lines if line["logger"] == "gateway.access"]
    assert [(line["route"], line["status"]) for line in access] == [
        ("/readyz", 200),
        ("/healthz", 200),
    ]


def test_served_console_logs_name_uvicorn_without_colours(settings: Settings):
    env = {"GATEWAY_LOG_FORMAT": "console"}
    with gateway_serve(settings, "--log-level", "info", env=env) as server:
        output = server.stop()
    assert "\x1b" not in output
    assert "color_message" not in output
    assert "uvicorn.error" not in output
    lines = output.splitlines()
    started = [line for line in lines if "Started server process" in line]
    assert len(started) == 1
    assert started[0].endswith("[uvicorn]")
    port = server.base.rsplit(":", 1)[1]
    assert any(f"GraphiQL at http://127.0.0.1:{port}/graphql" in line for line in lines)


def test_a_port_taken_before_the_server_binds_it_is_retried(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
):
    """The port found free is taken by another process before ``gateway serve`` binds it:
    the helper starts the server again on another port (without the retry, this raises)."""
    import socket

    import tests.helpers as helpers

    real = helpers.free_port
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        ports = iter([taken.getsockname()[1]])
        monkeypatch.setattr(helpers, "free_port", lambda: next(ports, None) or real())
        with helpers.gateway_serve(settings) as served:
            assert served.base != f"127.0.0.1:{taken.getsockname()[1]}"
            assert httpx.get(f"http://{served.base}/readyz", timeout=5).status_code == 200
