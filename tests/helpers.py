"""Helpers the tests share: GraphQL calls, bearer headers, SQL statement counting, the
``gateway`` command in-process and as a served subprocess."""

from __future__ import annotations

import asyncio
import contextvars
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx
import sqlalchemy
import uvicorn
from graphql import GraphQLError, OperationDefinitionNode, OperationType, parse
from sqlalchemy import text
from starlette.applications import Starlette
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from app.auth import TokenService
from app.cli import main as cli
from app.db import Database, StatementCounter
from app.main import create_app
from app.metrics import GRAPHQL_EXECUTIONS
from app.settings import Settings, get_settings


class Auth:
    """Bearer headers for test principals, signed with the app's secret."""

    def __init__(self, tokens: TokenService) -> None:
        self.tokens = tokens

    def __call__(self, sub: str, *roles: str, orgs: tuple[str, ...] = ()) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens.issue(sub, list(roles), list(orgs))}"}

    @property
    def admin(self) -> dict[str, str]:
        return self("admin_001", "admin")

    @property
    def coordinator(self) -> dict[str, str]:
        """Coordinator of org_03 (demo ``user_007``)."""
        return self("user_007", "coordinator", orgs=("org_03",))

    @property
    def other_coordinator(self) -> dict[str, str]:
        """Coordinator of org_05 only (demo ``user_201``)."""
        return self("user_201", "coordinator", orgs=("org_05",))

    def mentor(self, person_id: str = "user_042", org: str = "org_03") -> dict[str, str]:
        return self(person_id, "peer_mentor", orgs=(org,))

    @property
    def editor(self) -> dict[str, str]:
        return self("editor_001", "editor")


# Set while a test counts what its requests do (statements, spans, rate-limit budgets):
# a differential rerun would be counted too (``once``).
_once: contextvars.ContextVar[bool] = contextvars.ContextVar("once", default=False)
REFERENCE_EXECUTOR = {"X-Gateway-Executor": "graphql-core"}


def _is_query(query: str) -> bool:
    try:
        document = parse(query)
    except GraphQLError:
        return False
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    return bool(operations) and all(op.operation == OperationType.QUERY for op in operations)


def _nulled(data: Any, path: list[Any]) -> tuple[Any, ...]:
    """The position an error at ``path`` nulled: the first null along its path (a non-null
    field's error nulls its nearest nullable parent; ``()`` for the whole data)."""
    value = data
    for depth, step in enumerate(path):
        if value is None:
            return tuple(path[:depth])
        value = value[step]
    return tuple(path)


def comparable(body: dict[str, Any]) -> dict[str, Any]:
    """What must be the same in two answers to one request, whichever executor ran it.

    Left out is what may differ between two runs on one executor: a masked error's
    ``request_id`` and the errors' order (concurrent fields fail in the order they finish).
    When a non-null field's error nulls a parent, the first of its failing children to
    finish is the one reported and the others' errors are dropped: such an error is
    compared by the position it nulled, its message and code, not by which child raised
    it. An error at a nullable field keeps its own path and locations."""
    data = body.get("data")
    errors = []
    for error in body.get("errors") or []:
        extensions = {k: v for k, v in error.get("extensions", {}).items() if k != "request_id"}
        path = error.get("path")
        if path is None:
            errors.append({**error, "extensions": extensions})
            continue
        nulled = _nulled(data, path)
        if nulled == tuple(path):
            errors.append({**error, "extensions": extensions})
        else:
            message = error["message"]
            errors.append({"nulled": list(nulled), "message": message, "extensions": extensions})
    errors.sort(key=lambda error: json.dumps(error, sort_keys=True))
    return {**body, "errors": errors} if errors else body


async def same_on_graphql_core(
    client: httpx.AsyncClient,
    payload: dict[str, Any],
    headers: dict[str, str],
    body: dict[str, Any],
) -> None:
    """graphql-core alone answers ``payload`` as the plan did (``comparable``)."""
    again = await client.post("/graphql", json=payload, headers={**headers, **REFERENCE_EXECUTOR})
    wanted, found = comparable(body), comparable(again.json())
    assert found == wanted, ("the executors differ", payload, wanted, found)


async def gql(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """POST a GraphQL operation; returns the JSON body (asserting HTTP 200).

    Differential test of the executors (schema/plans.py): every query is sent again to be
    run by graphql-core alone, and both answers must be the same, data and errors."""
    payload = {"query": query, "variables": variables or {}}
    response = await client.post("/graphql", json=payload, headers=headers or {})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    if not _once.get() and _is_query(query):
        await same_on_graphql_core(client, payload, headers or {}, body)
    return body


async def api_key_headers(
    client: httpx.AsyncClient, admin: dict[str, str], person: str, role: str, org: str
) -> dict[str, str]:
    """``X-API-Key`` headers of a new key for ``person`` (created over GraphQL by an admin)."""
    created = await gql(
        client,
        "mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { key } }",
        {"i": {"name": "test key", "personId": person, "role": role, "orgs": [org]}},
        headers=admin,
    )
    return {"X-API-Key": created["data"]["createApiKey"]["key"]}


async def connection_init(url: str, payload: object) -> dict[str, Any] | int:
    """Open a graphql-transport-ws connection to ``ws://url/graphql`` and send
    ``connection_init``: the server's first message, or the code it closed the socket with."""
    async with connect(
        f"ws://{url}/graphql", subprotocols=[Subprotocol("graphql-transport-ws")]
    ) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        try:
            message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), timeout=5))
        except ConnectionClosed as closed:
            if closed.rcvd is None:
                raise
            return closed.rcvd.code
        return message


def executions(operation: str, executor: str) -> float:
    """How many GraphQL executions ``/metrics`` counts for the operation and executor
    (``direct``, ``planned`` or ``graphql-core``), in this process."""
    return float(GRAPHQL_EXECUTIONS.labels(operation, executor)._value.get())


def error_codes(body: dict[str, Any]) -> list[str]:
    return [e.get("extensions", {}).get("code") for e in body.get("errors") or []]


@contextmanager
def count_statements() -> Iterator[StatementCounter]:
    """Count SQL statements run while the block runs (requests made through the ASGI
    transport run in the test's own context, so their statements are counted)."""
    counter = StatementCounter()
    token = counter.start()
    with once():
        try:
            yield counter
        finally:
            counter.stop(token)


async def known_caller(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    """One request as the caller, so authentication remembers them (``app.auth.KnownPeople``
    looks a caller up on their first request only): the requests a test then counts the
    statements of all cost alike, the first one included."""
    response = await client.get("/api/v1/me", headers=headers)
    assert response.status_code == 200, response.text


@contextmanager
def once() -> Iterator[None]:
    """``gql`` sends each query once, with no differential rerun: for a test that counts
    what its requests do (statements, spans, a rate-limit budget)."""
    token = _once.set(True)
    try:
        yield
    finally:
        _once.reset(token)


async def run_cli(settings: Settings, *argv: str) -> int:
    """Run the ``gateway`` command on the test database (in a thread: it runs its own loop)."""

    def run() -> int:
        names = ("GATEWAY_DATABASE_URL", "GATEWAY_JWT_SECRET", "GATEWAY_CONFIGURE_LOGGING")
        saved = {k: os.environ.get(k) for k in names}
        os.environ["GATEWAY_DATABASE_URL"] = settings.database_url
        os.environ["GATEWAY_CONFIGURE_LOGGING"] = "false"  # keep pytest's log capture
        if settings.jwt_secret is not None:
            os.environ["GATEWAY_JWT_SECRET"] = settings.jwt_secret.get_secret_value()
        get_settings.cache_clear()
        try:
            return cli(list(argv))
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
            get_settings.cache_clear()

    return await asyncio.get_running_loop().run_in_executor(None, run)


async def wait_for_subscribers(app: Starlette, count: int, within: float = 10) -> None:
    """Until ``app``'s event broker holds at least ``count`` subscriptions: what a test waits
    for after sending ``subscribe`` and before triggering the event (the server registers a
    subscription after the message arrives, and there is no acknowledgement to wait for).
    Polled; ``within`` (seconds) only bounds a failure."""
    deadline = time.monotonic() + within
    while app.state.events.subscriber_count < count:
        assert time.monotonic() < deadline, (
            f"{app.state.events.subscriber_count} subscriptions registered, expected {count}"
        )
        await asyncio.sleep(0.01)  # poll interval: the broker has no "subscribed" event


async def wait_for_unsubscribed(app: Starlette, count: int, within: float = 10) -> None:
    """Until ``app``'s event broker holds at most ``count`` subscriptions again: what a test
    that closed its sockets waits for, so the next test's count starts from a settled one
    (the server drops a subscription after the socket closed). ``within`` bounds a failure."""
    deadline = time.monotonic() + within
    while app.state.events.subscriber_count > count:
        assert time.monotonic() < deadline, (
            f"{app.state.events.subscriber_count} subscriptions registered, expected {count}"
        )
        await asyncio.sleep(0.01)  # poll interval: the broker has no "unsubscribed" event


@contextmanager
def writer_waits(db: Database) -> Iterator[Callable[[], Awaitable[None]]]:
    """Yields ``wait``: awaiting it returns once a write unit begun after entering is
    blocked behind another open transaction. PostgreSQL: a backend of this database waits
    on a lock (``pg_stat_activity``). SQLite has no view of its waiters: a write unit of
    this process waits in its queue (``Database.queued_writers``), or a connection has
    issued ``BEGIN IMMEDIATE``, which cannot return while another write unit is open.
    Polled; ``within`` (seconds) only bounds a failure."""
    issued = threading.Event()

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement == "BEGIN IMMEDIATE":
            issued.set()

    async def blocked() -> bool:
        if db.engine.dialect.name != "postgresql":
            return issued.is_set() or db.queued_writers > 0
        async with db.engine.connect() as conn:
            waiting = await conn.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND datname = current_database()"
                )
            )
        return bool(waiting)

    async def wait(within: float = 10) -> None:
        deadline = time.monotonic() + within
        while not await blocked():
            assert time.monotonic() < deadline, "no write unit is waiting for the open one"
            await asyncio.sleep(0.01)  # poll interval: the database offers no wait event

    sqlalchemy.event.listen(db.engine.sync_engine, "before_cursor_execute", seen)
    try:
        yield wait
    finally:
        sqlalchemy.event.remove(db.engine.sync_engine, "before_cursor_execute", seen)


@contextmanager
def serve_in_thread(app: Starlette) -> Iterator[str]:
    """``app`` served by a real uvicorn server on a free loopback port, in a thread of its
    own; yields ``host:port`` once it accepts connections."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="live-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the live server did not start")
        time.sleep(0.02)  # poll interval: uvicorn offers no "started" event
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@asynccontextmanager
async def app_client(settings: Settings, **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A client of a second app on the same database, built with other settings."""
    app = create_app(settings.model_copy(update=overrides))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as c:
            yield c


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def gateway_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment of a ``gateway`` subprocess on the test database."""
    assert settings.jwt_secret is not None
    return {
        **os.environ,
        "GATEWAY_DATABASE_URL": settings.database_url,
        "GATEWAY_JWT_SECRET": settings.jwt_secret.get_secret_value(),
        "GATEWAY_ENV": "development",
        "GATEWAY_RATE_LIMIT_ENABLED": "false",
        "GATEWAY_DB_POOL_SIZE": "5",
        "GATEWAY_DB_MAX_OVERFLOW": "5",
        **extra,
    }


def cross_worker_events(settings: Settings) -> dict[str, str]:
    """The environment `gateway serve --workers N` needs on the test database: Redis for
    events on SQLite (several workers refuse the memory backend); nothing on PostgreSQL
    (LISTEN/NOTIFY by default)."""
    if not settings.is_sqlite:
        return {}
    return {
        "GATEWAY_EVENTS_BACKEND": "redis",
        "GATEWAY_REDIS_URL": "redis://127.0.0.1:6379/0",
        "GATEWAY_REDIS_KEY_PREFIX": f"gateway-test-{uuid.uuid4().hex}",
    }


@dataclass
class Served:
    """A running ``gateway serve`` process."""

    process: subprocess.Popen[bytes]
    base: str  # host:port
    stderr: IO[bytes]

    def stop(self) -> str:
        """Stop the server (SIGTERM, a graceful shutdown); returns all it wrote to stderr."""
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        self.stderr.seek(0)
        return self.stderr.read().decode()


@contextmanager
def gateway_serve(
    settings: Settings, *args: str, env: dict[str, str] | None = None
) -> Iterator[Served]:
    """``gateway serve`` as a subprocess on a free port of the test database, once its
    ``/readyz`` answers (run in an empty directory: no stray ``.env``). The port is found
    by bind-and-release (a subprocess cannot be handed the socket), so a server that loses
    the port to another process ("address already in use") is started again on a new one."""
    for _ in range(PORT_ATTEMPTS):
        with _gateway_serve_once(settings, free_port(), args, env) as served:
            if served is not None:
                yield served
                return
    raise RuntimeError(f"gateway serve found no free port in {PORT_ATTEMPTS} attempts")


PORT_ATTEMPTS = 5


@contextmanager
def _gateway_serve_once(
    settings: Settings, port: int, args: tuple[str, ...], env: dict[str, str] | None
) -> Iterator[Served | None]:
    """One ``gateway serve`` on ``port``; yields None when the port was taken meanwhile."""
    with tempfile.TemporaryDirectory() as workdir, tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--port", str(port), *args],
            env=gateway_env(settings, **(env or {})),
            cwd=Path(workdir),
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        served = Served(process, f"127.0.0.1:{port}", stderr)
        try:
            deadline = time.monotonic() + 30
            while True:
                if process.poll() is not None:
                    written = served.stop()
                    if "address already in use" in written.lower():
                        yield None
                        return
                    raise RuntimeError(f"gateway serve exited:\n{written}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"gateway serve did not become ready:\n{served.stop()}")
                try:
                    if httpx.get(f"http://{served.base}/readyz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)  # poll interval while the server starts
            yield served
        finally:
            served.stop()
