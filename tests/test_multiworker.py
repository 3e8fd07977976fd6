"""Two gateway processes on one database: events cross workers (PostgreSQL LISTEN/NOTIFY on
PostgreSQL, Redis pub/sub on SQLite), /metrics answers on each, concurrent writes behave
as on one worker (no spurious conflicts, one winner of an If-Match race, one effect per
Idempotency-Key), and the CLI's events reach the serving gateway's subscribers."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
import pytest
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from app.db import Database
from app.models.mentoring import ContactEvent, Notification
from app.settings import Settings
from tests.authz_support import World, role_headers
from tests.conftest import BACKEND
from tests.helpers import Auth, Served, cross_worker_events, gateway_env, gateway_serve

PROTOCOL = Subprotocol("graphql-transport-ws")


def _serve(
    settings: Settings, env: dict[str, str], *serve_args: str
) -> AbstractContextManager[Served]:
    """``gateway serve`` (with ``serve_args``) on the test database, once it is ready."""
    quiet = {"GATEWAY_LOG_LEVEL": "warning", **env}
    return gateway_serve(settings, "--log-level", "warning", *serve_args, env=quiet)


@pytest.fixture
def worker_env() -> dict[str, str]:
    return {}


@pytest.fixture
def two_workers(settings: Settings, demo, worker_env: dict[str, str]) -> Iterator[tuple[str, str]]:
    if settings.is_sqlite:
        extra = {
            "GATEWAY_EVENTS_BACKEND": "redis",
            "GATEWAY_REDIS_URL": "redis://127.0.0.1:6379/0",
            "GATEWAY_REDIS_KEY_PREFIX": f"gateway-test-{uuid.uuid4().hex}",
        }
    else:
        extra = {"GATEWAY_EVENTS_BACKEND": "postgres"}
    extra.update(worker_env)
    with _serve(settings, extra) as first, _serve(settings, extra) as second:
        yield first.base, second.base


async def _until_subscribed(worker: str, count: int) -> None:
    """Until ``worker`` (another process) reports ``count`` open subscriptions in its
    ``gateway_active_subscriptions`` gauge; 10 s is the failure bound."""
    deadline = time.monotonic() + 10
    async with httpx.AsyncClient(base_url=f"http://{worker}") as http:
        while True:
            metrics = text_string_to_metric_families((await http.get("/metrics")).text)
            open_now = sum(
                sample.value
                for metric in metrics
                for sample in metric.samples
                if sample.name == "gateway_active_subscriptions"
            )
            if open_now >= count:
                return
            assert time.monotonic() < deadline, f"{open_now} subscriptions open on {worker}"
            await asyncio.sleep(0.02)  # poll interval: another process, no event to await


async def test_subscription_on_one_worker_hears_a_mutation_on_the_other(
    two_workers: tuple[str, str], auth: Auth
):
    worker_a, worker_b = two_workers
    async with connect(f"ws://{worker_a}/graphql", subprotocols=[PROTOCOL]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": auth.admin}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "connection_ack"
        await ws.send(
            json.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": "subscription { personChanged { kind personId } }"},
                }
            )
        )
        await _until_subscribed(worker_a, 1)
        async with httpx.AsyncClient(base_url=f"http://{worker_b}") as http:
            response = await http.post(
                "/graphql",
                json={
                    "query": 'mutation { updatePerson(id: "user_019", input: {name: "S. Berg"}) { name } }'
                },
                headers=auth.admin,
            )
            assert response.json()["data"]["updatePerson"]["name"] == "S. Berg"
        event = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert event["type"] == "next"
        assert event["payload"]["data"]["personChanged"] == {
            "kind": "updated",
            "personId": "user_019",
        }


@pytest.mark.parametrize("worker_env", [{"GATEWAY_AUTH_CACHE_SECONDS": "3600"}])
async def test_a_person_deleted_on_one_worker_is_refused_by_the_other_that_remembered_them(
    two_workers: tuple[str, str], auth: Auth
):
    """Each worker remembers who exists for an hour here; the deletion's event, not the
    hour, makes the other worker refuse the person's token."""
    worker_a, worker_b = two_workers
    mentor = auth.mentor("user_042")
    async with (
        httpx.AsyncClient(base_url=f"http://{worker_a}") as on_a,
        httpx.AsyncClient(base_url=f"http://{worker_b}") as on_b,
    ):
        assert (await on_b.get("/api/v1/me", headers=mentor)).status_code == 200
        deleted = await on_a.post(
            "/graphql",
            json={"query": 'mutation { deletePerson(id: "user_042") }'},
            headers=auth.admin,
        )
        assert deleted.json()["data"]["deletePerson"] is True, deleted.text
        assert (await on_a.get("/api/v1/me", headers=mentor)).status_code == 401
        # Until the event reaches it, the other worker lets them in (and finds no such
        # person: 404).
        deadline = time.monotonic() + 10
        while (status := (await on_b.get("/api/v1/me", headers=mentor)).status_code) != 401:
            assert time.monotonic() < deadline, f"the other worker still lets them in: {status}"
            await asyncio.sleep(0.05)


async def test_metrics_on_each_worker(two_workers: tuple[str, str], auth: Auth):
    async with httpx.AsyncClient() as http:
        for worker in two_workers:
            await http.get(f"http://{worker}/api/v1/me", headers=auth.admin)
            text = (await http.get(f"http://{worker}/metrics")).text
            assert (
                'gateway_http_requests_total{method="GET",route="/api/v1/me",status="200"}' in text
            )
            assert "gateway_active_subscriptions" in text


async def _notifications(db: Database) -> list[tuple[str, str, int]]:
    """(assignment, kind, how many) of every notification raised so far."""
    async with db.read() as session:
        counted = select(Notification.assignment_id, Notification.kind, func.count())
        grouped = counted.group_by(Notification.assignment_id, Notification.kind)
        return [(r[0], r[1], r[2]) for r in await session.execute(grouped)]


async def _until_raised(db: Database, assignment: str | None) -> None:
    """Until a reminder and an escalation of ``assignment`` (None: of any assignment) are
    visible; 20 s (both workers tick every second) is the failure bound."""
    deadline = time.monotonic() + 20
    while True:
        kinds = {kind for key, kind, _ in await _notifications(db) if assignment in (None, key)}
        if kinds == {"reminder", "escalation"}:
            return
        assert time.monotonic() < deadline, f"the sweep raised only {kinds} of {assignment}"
        await asyncio.sleep(0.05)  # poll interval: another process, no event to await


FENCES = 3  # later sweeps waited for, each of them a second or more after the one before


@pytest.mark.parametrize("worker_env", [{"GATEWAY_FOLLOWUP_INTERVAL_SECONDS": "1"}])
async def test_two_sweeping_workers_raise_each_notification_once(
    two_workers: tuple[str, str], db: Database, auth: Auth
):
    """Both workers run the periodic follow-up sweep every second on the demo data, whose
    assignments are long overdue. Once the demo's notifications are raised, assignments
    made due one after another (each once the previous one's notifications are visible)
    prove that later sweeps ran, on both workers' ticks, meanwhile; every notification is
    still raised once (the database's unique (assignment, kind, gap) backs that up). Fails
    if the sweeps stop raising (a periodic sweep that ends after its first tick, or one
    that fails once ``claim_due`` lost its ``sent`` check and ``insert_outbox`` its skip
    of the conflict: the later notifications are never raised)."""
    await _until_raised(db, None)
    async with httpx.AsyncClient(base_url=f"http://{two_workers[0]}") as http:
        world = World(http, auth, role_headers(auth))
        for _ in range(FENCES):
            fence = await world.new_assignment("org_03")
            await world.ok("PUT", f"/api/v1/assignments/{fence}", body={"start_date": "2026-01-01"})
            await _until_raised(db, fence)
    counts = await _notifications(db)
    assert {kind for _, kind, _ in counts} == {"reminder", "escalation"}
    assert all(count == 1 for _, _, count in counts), counts


def _requests_served(metrics: Iterable[Metric], route: str) -> float:
    """The ``gateway_http_requests_total`` count of 200 GETs on ``route`` in ``metrics``."""
    labels = {"route": route, "method": "GET", "status": "200"}
    return sum(
        sample.value
        for metric in metrics
        for sample in metric.samples
        if sample.name == "gateway_http_requests_total" and sample.labels == labels
    )


def _per_worker(directory: Path, route: str) -> dict[str, float]:
    """Each worker's own count, read from its metric files (``<kind>_<pid>.db``)."""
    files: dict[str, list[str]] = {}
    for path in directory.glob("*.db"):
        files.setdefault(path.stem.rsplit("_", 1)[1], []).append(str(path))
    return {
        pid: _requests_served(MultiProcessCollector.merge(paths), route)  # type: ignore[no-untyped-call]
        for pid, paths in files.items()
    }


async def _until_counted(directory: Path, route: str, total: int) -> dict[str, float]:
    """Wait until the workers' files hold ``total`` requests (a worker counts a request
    just after answering it); 10 s is the failure bound."""
    deadline = time.monotonic() + 10
    while sum((counts := _per_worker(directory, route)).values()) < total:
        assert time.monotonic() < deadline, counts
        await asyncio.sleep(0.02)  # poll interval: another process's files, no event
    return counts


async def _until_both_workers_answer(
    http: httpx.AsyncClient,
    directory: Path,
    path: str,
    check: Callable[[httpx.Response], None],
    headers: dict[str, str] | None = None,
) -> int:
    """GET ``path``, ten at a time on new connections (either worker may accept each),
    until both workers have answered it (their own metric files say so); every answer
    passes ``check``. Returns how many were sent; 60 s is the failure bound."""
    deadline = time.monotonic() + 60
    sent = 0
    while True:
        for response in await asyncio.gather(*(http.get(path, headers=headers) for _ in range(10))):
            check(response)
        sent += 10
        counts = await _until_counted(directory, path, sent)
        if len([count for count in counts.values() if count]) >= 2:
            return sent
        assert time.monotonic() < deadline, f"one worker answered every request: {counts}"


@pytest.fixture
def two_worker_server(settings: Settings, demo, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """One ``gateway serve --workers 2``, and the metrics directory it made for them (with
    tempfile, under TMPDIR): the newest one, as a start that lost its port to another
    process (and was started again on a new one) left its own behind."""
    env = {"TMPDIR": str(tmp_path), **cross_worker_events(settings)}
    with _serve(settings, env, "--workers", "2") as served:
        made = list(tmp_path.glob("gateway-metrics-*"))
        assert made, "serve --workers 2 made no shared metrics directory"
        yield served.base, max(made, key=lambda path: path.stat().st_mtime_ns)


async def test_metrics_under_workers_report_the_sum_over_workers(
    two_worker_server: tuple[str, Path], auth: Auth
):
    """``gateway serve --workers 2``: requests spread over both workers, and ``/metrics``,
    whichever worker answers it, reports the sum. Mutations: ``metrics_endpoint`` without
    the ``MultiProcessCollector`` (each worker reports its own count), or ``cmd_serve``
    not setting ``PROMETHEUS_MULTIPROC_DIR`` (no shared directory): both fail."""
    base, directory = two_worker_server

    def ok(response: httpx.Response) -> None:
        assert response.status_code == 200, response.text

    fresh_connections = httpx.Limits(max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=f"http://{base}", limits=fresh_connections) as http:
        await _until_both_workers_answer(http, directory, "/readyz", ok)  # both are up
        sent = await _until_both_workers_answer(http, directory, "/api/v1/me", ok, auth.admin)
        counts = _per_worker(directory, "/api/v1/me")
        assert sum(counts.values()) == sent
        assert max(counts.values()) < sent  # no single worker saw them all

        def reports_the_sum(scrape: httpx.Response) -> None:
            assert scrape.status_code == 200
            families = text_string_to_metric_families(scrape.text)
            assert _requests_served(families, "/api/v1/me") == sent

        await _until_both_workers_answer(http, directory, "/metrics", reports_the_sum)


# --- writes across two workers ------------------------------------------------------------

WRITERS = 8


async def _version(http: httpx.AsyncClient, auth: Auth) -> int:
    answer = await http.get("/api/v1/assignments/asgn_001", headers=auth.coordinator)
    assert answer.status_code == 200, answer.text
    return int(answer.headers["etag"].strip('"'))


async def test_concurrent_writes_on_two_workers_without_preconditions_all_succeed(
    two_workers: tuple[str, str], auth: Auth
):
    clients = [httpx.AsyncClient(base_url=f"http://{worker}") for worker in two_workers]
    try:
        before = await _version(clients[0], auth)
        answers = await asyncio.gather(
            *(
                clients[i % 2].put(
                    "/api/v1/assignments/asgn_001",
                    json={"notes": f"writer {i}"},
                    headers=auth.coordinator,
                )
                for i in range(WRITERS)
            )
        )
        assert [a.status_code for a in answers] == [200] * WRITERS, [a.text for a in answers]
        assert await _version(clients[1], auth) == before + WRITERS
    finally:
        for client in clients:
            await client.aclose()


async def test_an_if_match_race_on_two_workers_has_one_winner_and_412s(
    two_workers: tuple[str, str], auth: Auth
):
    clients = [httpx.AsyncClient(base_url=f"http://{worker}") for worker in two_workers]
    try:
        version = await _version(clients[0], auth)
        headers = {**auth.coordinator, "If-Match": f'"{version}"'}
        answers = await asyncio.gather(
            *(
                clients[i % 2].put(
                    "/api/v1/assignments/asgn_001", json={"notes": f"racer {i}"}, headers=headers
                )
                for i in range(WRITERS)
            )
        )
        statuses = sorted(a.status_code for a in answers)
        assert statuses == [200] + [412] * (WRITERS - 1), [a.text for a in answers]
        assert await _version(clients[1], auth) == version + 1
    finally:
        for client in clients:
            await client.aclose()


async def test_one_key_sent_to_two_workers_at_once_has_one_effect(
    two_workers: tuple[str, str], db: Database, auth: Auth
):
    async def contacts() -> int:
        async with db.read() as session:
            found = await session.scalar(
                select(func.count())
                .select_from(ContactEvent)
                .where(ContactEvent.assignment_id == "asgn_001")
            )
        return int(found or 0)

    before = await contacts()
    headers = {**auth.coordinator, "Idempotency-Key": "two-workers-one-key"}
    clients = [httpx.AsyncClient(base_url=f"http://{worker}") for worker in two_workers]
    try:
        answers = await asyncio.gather(
            *(
                clients[i % 2].put(
                    "/api/v1/assignments/asgn_001/last-contact",
                    json={"contact_type": "call"},
                    headers=headers,
                )
                for i in range(WRITERS)
            )
        )
    finally:
        for client in clients:
            await client.aclose()
    assert [a.status_code for a in answers] == [200] * WRITERS, [a.text for a in answers]
    assert len({a.content for a in answers}) == 1
    assert await contacts() == before + 1


# --- the CLI's events reach subscribers -----------------------------------------------------

_BACKENDS = ["redis"] if BACKEND == "sqlite" else ["redis", "postgres"]


@pytest.mark.parametrize("backend", _BACKENDS)
async def test_the_cli_sweeps_events_reach_a_subscriber_of_a_serving_gateway(
    settings: Settings, demo, db: Database, auth: Auth, tmp_path: Path, backend: str
):
    """``gateway followups run`` publishes nothing itself: its notifications' events wait
    in the outbox, and the relay of the serving gateway publishes each one once, through
    the configured backend, to a subscriber connected to it."""
    env = {
        "GATEWAY_EVENTS_BACKEND": backend,
        "GATEWAY_REDIS_URL": "redis://127.0.0.1:6379/0",
        "GATEWAY_REDIS_KEY_PREFIX": f"gateway-test-{uuid.uuid4().hex}",
        "GATEWAY_OUTBOX_RELAY_SECONDS": "0.2",
    }
    seeded = await _notification_ids(db)
    with _serve(settings, env) as served:
        async with connect(f"ws://{served.base}/graphql", subprotocols=[PROTOCOL]) as ws:
            await ws.send(json.dumps({"type": "connection_init", "payload": auth.admin}))
            assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "connection_ack"
            query = "subscription { notificationRaised { legacyId kind } }"
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
            await _until_subscribed(served.base, 1)
            swept = await asyncio.to_thread(
                subprocess.run,
                [sys.executable, "-m", "app.cli", "followups", "run"],
                env=gateway_env(settings, **env),
                cwd=tmp_path,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert swept.returncode == 0, swept.stderr
            summary = json.loads(swept.stdout)
            raised = summary["reminders"] + summary["escalations"]
            assert raised > 0  # the demo's assignments are long overdue
            heard: list[str] = []
            while len(heard) < raised:
                message = json.loads(await asyncio.wait_for(ws.recv(), 10))
                assert message["type"] == "next", message
                heard.append(message["payload"]["data"]["notificationRaised"]["legacyId"])
            with pytest.raises(TimeoutError):  # and nothing twice
                await asyncio.wait_for(ws.recv(), 1.5)
    assert sorted(heard) == sorted(await _notification_ids(db) - seeded)


async def _notification_ids(db: Database) -> set[str]:
    async with db.read() as session:
        return set(await session.scalars(select(Notification.id)))
