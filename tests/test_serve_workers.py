"""``gateway serve --workers N`` never loses events silently: with several workers and the
memory events backend (the default on SQLite, or set explicitly) it refuses to start with
one line naming ``GATEWAY_EVENTS_BACKEND=redis`` and exit status 2; on PostgreSQL without a
backend set, its workers carry events over LISTEN/NOTIFY, so a subscriber connected to one
worker hears every mutation whichever worker served it. These tests fail if several
workers start on the memory backend, or if PostgreSQL's default leaves them on it."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from app.settings import Settings
from tests.helpers import Auth, free_port, gateway_env, gateway_serve
from tests.test_multiworker import _until_subscribed

PROTOCOL = Subprotocol("graphql-transport-ws")
EVENTS = 10


@pytest.fixture(autouse=True)
def _no_backend_set(monkeypatch: pytest.MonkeyPatch) -> None:
    """The servers here see only the backend a test gives them."""
    monkeypatch.delenv("GATEWAY_EVENTS_BACKEND", raising=False)


@pytest.mark.parametrize("backend", [None, "memory"], ids=["not set", "memory"])
def test_several_workers_on_the_memory_backend_are_refused(
    settings: Settings, tmp_path: Path, backend: str | None
):
    if backend is None and not settings.is_sqlite:
        pytest.skip("on PostgreSQL the default backend is postgres (tested below)")
    env = gateway_env(settings, **({"GATEWAY_EVENTS_BACKEND": backend} if backend else {}))
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "serve", "--workers", "3", "--port", str(free_port())],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    database = "SQLite" if settings.is_sqlite else "PostgreSQL"
    assert lines[0].startswith(f"gateway: configuration error: --workers 3 on {database} needs")
    fix = "redis" if settings.is_sqlite else "postgres (the default on PostgreSQL) or redis"
    assert f"GATEWAY_EVENTS_BACKEND={fix}" in lines[0]
    assert "misses the other workers' events" in lines[0]


def test_one_worker_on_the_memory_backend_starts(settings: Settings):
    with gateway_serve(settings, "--log-level", "warning") as served:
        assert httpx.get(f"http://{served.base}/readyz").status_code == 200


async def test_postgres_workers_deliver_every_event_without_a_backend_set(
    settings: Settings, demo, auth: Auth
):
    if settings.is_sqlite:
        pytest.skip("the postgres default needs PostgreSQL")
    env = {"GATEWAY_LOG_LEVEL": "warning"}
    with gateway_serve(settings, "--workers", "2", "--log-level", "warning", env=env) as served:
        async with connect(f"ws://{served.base}/graphql", subprotocols=[PROTOCOL]) as ws:
            await ws.send(json.dumps({"type": "connection_init", "payload": auth.admin}))
            assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "connection_ack"
            query = "subscription { personChanged { kind personId } }"
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
            await _until_subscribed(served.base, 1)
            names = [f"S. Berg {i}" for i in range(EVENTS)]
            for name in names:
                # A new connection each time: the workers share the listening socket, so
                # the mutations land on either of them.
                async with httpx.AsyncClient(base_url=f"http://{served.base}") as http:
                    mutation = (
                        f'mutation {{ updatePerson(id: "user_019", input: {{name: "{name}"}})'
                        " { name } }"
                    )
                    answer = await http.post(
                        "/graphql", json={"query": mutation}, headers=auth.admin
                    )
                    assert answer.json()["data"]["updatePerson"]["name"] == name
            heard = []
            for _ in range(EVENTS):
                message = json.loads(await asyncio.wait_for(ws.recv(), 10))
                assert message["type"] == "next", message
                heard.append(message["payload"]["data"]["personChanged"])
    assert heard == [{"kind": "updated", "personId": "user_019"}] * EVENTS
