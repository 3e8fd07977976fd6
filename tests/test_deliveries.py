"""Notification delivery through a real HTTP receiver and a real SMTP server.

Fails when a webhook is not signed as documented (HMAC-SHA256 over timestamp + body), when
a failed delivery is not retried with the same delivery id after its backoff, when it is
not dead-lettered after the last attempt, when a worker killed mid-delivery leaves a
notification unsent (or sent twice at once), when two concurrent passes send a
notification twice, when GraphQL shows attempts and errors to the wrong roles, or when
/metrics does not count sent, failed and dead-lettered deliveries per channel kind.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import signal
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.db import Database
from app.services.deliveries import PassSummary, run_once
from app.services.followups import sweep_once
from app.services.work import Work
from app.settings import Settings
from tests.helpers import Auth, free_port, gateway_env, gql, run_cli, serve_in_thread

SECRET = "a-webhook-secret-of-some-length"
WITHIN = 30.0  # seconds any wait is bounded by


@dataclass
class Received:
    headers: dict[str, str]
    body: dict[str, Any]
    valid: bool
    at: float


@dataclass
class Receiver:
    """A webhook receiver that checks each signature; fails ``failures`` times first."""

    failures: int = 0
    hang: threading.Event | None = None  # the first request waits for it
    requests: list[Received] = field(default_factory=list)
    got: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def endpoint(self, request: Request) -> Response:
        raw = await request.body()
        timestamp = request.headers["x-gateway-timestamp"]
        expected = hmac.new(SECRET.encode(), timestamp.encode() + b"." + raw, hashlib.sha256)
        valid = hmac.compare_digest(
            request.headers["x-gateway-signature"], "sha256=" + expected.hexdigest()
        )
        with self.lock:
            self.requests.append(
                Received(dict(request.headers), json.loads(raw), valid, time.monotonic())
            )
            first = len(self.requests) == 1
            fail = len(self.requests) <= self.failures
        self.got.set()
        if first and self.hang is not None:
            await asyncio.to_thread(self.hang.wait, WITHIN)
        return Response(status_code=500 if fail else 204)

    def ids(self) -> list[str]:
        return [r.headers["x-gateway-delivery"] for r in self.requests]


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    receiver = Receiver()
    app = Starlette(routes=[Route("/hook", receiver.endpoint, methods=["POST"])])
    with serve_in_thread(app) as host:
        yield receiver, f"http://{host}/hook"
    if receiver.hang is not None:
        receiver.hang.set()


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[Envelope] = []
        self.got = threading.Event()

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        self.messages.append(envelope)
        self.got.set()
        return "250 OK"


def _authenticate(
    server: Any, session: Session, envelope: Envelope, mechanism: str, data: Any
) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"mailer", b"pw")
    return AuthResult(success=ok)


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    port = free_port()
    controller = Controller(
        box,
        hostname="127.0.0.1",
        port=port,
        authenticator=_authenticate,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


@pytest.fixture
async def works(settings: Settings) -> AsyncIterator[list[Work]]:
    """Delivery workers on their own database engines (as other processes would be)."""
    made: list[Work] = []
    yield made
    for work in made:
        await work.db.dispose()


def worker(works: list[Work], settings: Settings, **overrides: Any) -> Work:
    tuned = settings.model_copy(update=overrides)
    work = Work(Database.from_settings(tuned), tuned, None)
    works.append(work)
    return work


CREATE = """
mutation($input: CreateNotificationChannelInput!) {
  createNotificationChannel(input: $input) { channelId kind orgId personId target hasSecret enabled }
}
"""
NOTIFICATIONS = """
query { notifications(first: 100) { nodes { legacyId deliveredAt attempts lastError deadLetteredAt } } }
"""


async def add_channel(client: httpx.AsyncClient, auth: Auth, **input: Any) -> str:
    body = await gql(client, CREATE, {"input": input}, auth.admin)
    assert "errors" not in body, body
    channel_id: str = body["data"]["createNotificationChannel"]["channelId"]
    return channel_id


async def notifications(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    body = await gql(client, NOTIFICATIONS, None, headers)
    assert "errors" not in body, body
    return {n["legacyId"]: n for n in body["data"]["notifications"]["nodes"]}


async def metric(client: httpx.AsyncClient, kind: str, outcome: str) -> float:
    text = (await client.get("/metrics")).text
    line = f'gateway_notification_deliveries_total{{kind="{kind}",outcome="{outcome}"}} '
    for row in text.splitlines():
        if row.startswith(line):
            return float(row.split()[-1])
    return 0.0


async def until_sent(work: Work, receiver: Receiver, count: int) -> list[PassSummary]:
    """Delivery passes until ``count`` requests arrived (bounded)."""
    passes = []
    deadline = time.monotonic() + WITHIN
    while len(receiver.requests) < count:
        assert time.monotonic() < deadline, receiver.requests
        passes.append(await run_once(work))
        await asyncio.sleep(0.02)  # the next pass's tick (a worker's interval)
    return passes


async def test_webhook_is_signed_and_email_sent_by_the_cli(
    client, demo, auth: Auth, settings: Settings, receiver, smtp, monkeypatch, capsys
):
    hook, url = receiver
    box, port = smtp
    await add_channel(client, auth, kind="WEBHOOK", target=url, orgId="org_03", secret=SECRET)
    await add_channel(client, auth, kind="EMAIL", target="mentor@example.org", personId="user_042")
    before = await metric(client, "webhook", "sent")
    for name, value in {
        "GATEWAY_SMTP_HOST": "127.0.0.1",
        "GATEWAY_SMTP_PORT": str(port),
        "GATEWAY_SMTP_TLS": "none",
        "GATEWAY_SMTP_USERNAME": "mailer",
        "GATEWAY_SMTP_PASSWORD": "pw",
        "GATEWAY_SMTP_SENDER": "gateway@example.org",
    }.items():
        monkeypatch.setenv(name, value)
    capsys.readouterr()
    assert await run_cli(settings, "deliveries", "run") == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary == {"queued": 2, "attempted": 2, "sent": 2, "failed": 0, "dead_lettered": 0}

    [request] = hook.requests
    assert request.valid
    assert request.body["notification"]["id"] == "ntf_asgn001rem"
    assert request.body["deliveryId"] == request.headers["x-gateway-delivery"]
    assert abs(int(request.headers["x-gateway-timestamp"]) - time.time()) < 60
    [mail] = box.messages
    assert mail.rcpt_tos == ["mentor@example.org"]
    assert mail.mail_from == "gateway@example.org"
    content = (mail.content or b"").decode() if isinstance(mail.content, bytes) else ""
    assert "asgn_001" in content
    assert "Message-ID: <dlv_" in content

    seen = await notifications(client, auth.admin)
    assert seen["ntf_asgn001rem"]["deliveredAt"] is not None
    assert seen["ntf_asgn001rem"]["attempts"] == 2  # one per channel
    # The command ran in this process (in a thread): its counters are this /metrics'.
    assert await metric(client, "webhook", "sent") == before + 1
    # A second run has nothing left to send.
    assert await run_cli(settings, "deliveries", "run") == 0
    assert json.loads(capsys.readouterr().out)["attempted"] == 0
    assert len(hook.requests) == 1


async def test_a_failing_receiver_gets_the_same_delivery_id_after_the_backoff(
    client, demo, auth: Auth, settings: Settings, receiver, works
):
    hook, url = receiver
    hook.failures = 2
    await add_channel(client, auth, kind="WEBHOOK", target=url, orgId="org_03", secret=SECRET)
    work = worker(works, settings, delivery_backoff_seconds=0.3, delivery_max_attempts=5)
    failed_before = await metric(client, "webhook", "failed")
    sent_before = await metric(client, "webhook", "sent")

    first = await run_once(work)
    assert (first.attempted, first.failed) == (1, 1)
    # Right after a failure it is not due: the backoff is at least half of 0.3 s.
    assert (await run_once(work)).attempted == 0
    mid = await notifications(client, auth.admin)
    assert mid["ntf_asgn001rem"]["deliveredAt"] is None
    assert mid["ntf_asgn001rem"]["attempts"] == 1
    assert mid["ntf_asgn001rem"]["lastError"] == "HTTP 500 from the receiver"

    await until_sent(work, hook, 3)
    assert len(set(hook.ids())) == 1  # one delivery id on every attempt
    assert all(r.valid for r in hook.requests)
    assert [r.headers["x-gateway-attempt"] for r in hook.requests] == ["1", "2", "3"]
    gaps = [b.at - a.at for a, b in zip(hook.requests, hook.requests[1:], strict=False)]
    assert gaps[0] >= 0.15
    assert gaps[1] >= 0.3

    admin = (await notifications(client, auth.admin))["ntf_asgn001rem"]
    assert admin["deliveredAt"] is not None
    assert admin["attempts"] == 3
    assert admin["deadLetteredAt"] is None
    coordinator = (await notifications(client, auth.coordinator))["ntf_asgn001rem"]
    assert coordinator["attempts"] == 3
    assert coordinator["lastError"] is not None
    mentor = (await notifications(client, auth.mentor()))["ntf_asgn001rem"]
    assert mentor["deliveredAt"] == admin["deliveredAt"]
    assert mentor["attempts"] is None
    assert mentor["lastError"] is None
    assert await notifications(client, auth.other_coordinator) == {}
    assert await metric(client, "webhook", "failed") == failed_before + 2
    assert await metric(client, "webhook", "sent") == sent_before + 1
    assert (await run_once(work)).attempted == 0
    assert len(hook.requests) == 3


async def test_dead_lettered_after_the_last_attempt(
    client, demo, auth: Auth, settings: Settings, receiver, works
):
    hook, url = receiver
    hook.failures = 100
    await add_channel(client, auth, kind="WEBHOOK", target=url, orgId="org_03", secret=SECRET)
    work = worker(works, settings, delivery_backoff_seconds=0.05, delivery_max_attempts=3)
    dead_before = await metric(client, "webhook", "dead_lettered")
    passes = await until_sent(work, hook, 3)
    assert sum(p.dead_lettered for p in passes) == 1
    for _ in range(5):  # nothing more, however long one waits
        await asyncio.sleep(0.1)
        assert (await run_once(work)).attempted == 0
    assert len(hook.requests) == 3
    row = (await notifications(client, auth.admin))["ntf_asgn001rem"]
    assert row["deliveredAt"] is None
    assert row["deadLetteredAt"] is not None
    assert row["attempts"] == 3
    assert await metric(client, "webhook", "dead_lettered") == dead_before + 1


async def test_a_worker_killed_mid_delivery_is_retried_once_with_the_same_id(
    client, demo, auth: Auth, settings: Settings, receiver, works
):
    hook, url = receiver
    hook.hang = threading.Event()
    await add_channel(client, auth, kind="WEBHOOK", target=url, orgId="org_03", secret=SECRET)
    lease = 2.0
    env = gateway_env(
        settings,
        GATEWAY_DELIVERY_LEASE_SECONDS=str(lease),
        GATEWAY_DELIVERY_TIMEOUT_SECONDS="60",
        GATEWAY_CONFIGURE_LOGGING="false",
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app.cli",
        "deliveries",
        "run",
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
        start_new_session=True,
    )
    claimed_by = time.monotonic()
    try:
        assert await asyncio.to_thread(hook.got.wait, WITHIN), "the worker never sent"
    finally:
        os.killpg(process.pid, signal.SIGKILL)  # killed while its request is in flight
        await asyncio.wait_for(process.wait(), WITHIN)
    hook.hang.set()
    work = worker(works, settings, delivery_lease_seconds=lease)
    # The claim holds until its lease passes: nobody sends the attempt meanwhile.
    assert (await run_once(work)).attempted == 0
    await asyncio.sleep(max(0.0, claimed_by + lease + 0.2 - time.monotonic()))  # the lease
    retried = await until_sent(work, hook, 2)
    assert sum(p.sent for p in retried) == 1
    assert len(set(hook.ids())) == 1
    assert len(hook.requests) == 2
    assert (await run_once(work)).attempted == 0
    row = (await notifications(client, auth.admin))["ntf_asgn001rem"]
    assert row["deliveredAt"] is not None
    assert row["attempts"] == 2


async def test_two_concurrent_passes_send_each_notification_once(
    client, demo, auth: Auth, settings: Settings, receiver, works
):
    hook, url = receiver
    await sweep_once(worker(works, settings))  # more notifications than the demo's one
    await add_channel(client, auth, kind="WEBHOOK", target=url, orgId="org_03", secret=SECRET)
    expected = set(await notifications(client, auth.coordinator))  # org_03's
    assert len(expected) >= 2
    one, two = worker(works, settings), worker(works, settings)
    first, second = await asyncio.gather(run_once(one), run_once(two))
    third = await run_once(one)
    assert first.sent + second.sent + third.sent == len(expected)
    sent = [r.body["notification"]["id"] for r in hook.requests]
    assert sorted(sent) == sorted(expected)  # each once
    assert len(set(hook.ids())) == len(hook.ids())


async def test_channels_are_managed_by_admins_and_shown_without_secrets(
    client, demo, auth: Auth, receiver
):
    _, url = receiver
    created = await gql(
        client,
        CREATE,
        {"input": {"kind": "WEBHOOK", "target": url, "orgId": "org_03", "secret": SECRET}},
        auth.admin,
    )
    channel = created["data"]["createNotificationChannel"]
    assert channel["hasSecret"] is True
    assert channel["enabled"] is True
    refused = await gql(
        client,
        CREATE,
        {"input": {"kind": "EMAIL", "target": "x@example.org", "orgId": "org_03"}},
        auth.coordinator,
    )
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    invalid = await gql(
        client,
        CREATE,
        {"input": {"kind": "WEBHOOK", "target": "ftp://x", "orgId": "org_03", "secret": "short"}},
        auth.admin,
    )
    assert "errors" in invalid
    listing = "query { notificationChannels { channelId target hasSecret } }"
    mine = await gql(client, listing, None, auth.coordinator)
    assert [c["channelId"] for c in mine["data"]["notificationChannels"]] == [channel["channelId"]]
    assert SECRET not in json.dumps(mine)
    other = await gql(client, listing, None, auth.other_coordinator)
    assert other["data"]["notificationChannels"] == []
    mentor = await gql(client, listing, None, auth.mentor())
    assert mentor["data"]["notificationChannels"] == []  # a mentor sees only their own
    update = """mutation($id: String!) {
      updateNotificationChannel(channelId: $id, input: {enabled: false}) { enabled target }
    }"""
    changed = await gql(client, update, {"id": channel["channelId"]}, auth.admin)
    assert changed["data"]["updateNotificationChannel"] == {"enabled": False, "target": url}
    delete = "mutation($id: String!) { deleteNotificationChannel(channelId: $id) { channelId } }"
    assert "errors" not in await gql(client, delete, {"id": channel["channelId"]}, auth.admin)
    after = await gql(client, listing, None, auth.admin)
    assert after["data"]["notificationChannels"] == []


async def test_a_person_opts_in_with_a_channel_of_their_own(client, demo, auth: Auth):
    """Anyone may add, change and delete channels that deliver to themselves, and sees
    them; nobody but an admin may touch another person's or an organisation's."""
    mentor, other = auth.mentor("user_042"), auth.mentor("user_202", org="org_05")
    own = {"kind": "EMAIL", "target": "ola@example.org", "personId": "user_042"}
    created = await gql(client, CREATE, {"input": own}, mentor)
    assert "errors" not in created, created
    channel = created["data"]["createNotificationChannel"]["channelId"]
    for who, target in ((other, {"personId": "user_042"}), (mentor, {"orgId": "org_03"})):
        refused = await gql(
            client,
            CREATE,
            {"input": {"kind": "EMAIL", "target": "x@example.org", **target}},
            who,
        )
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    listing = "query { notificationChannels { channelId personId } }"
    mine = await gql(client, listing, None, mentor)
    assert mine["data"]["notificationChannels"] == [{"channelId": channel, "personId": "user_042"}]
    assert (await gql(client, listing, None, other))["data"]["notificationChannels"] == []
    update = """mutation($id: String!) {
      updateNotificationChannel(channelId: $id, input: {enabled: false}) { enabled }
    }"""
    stolen = await gql(client, update, {"id": channel}, other)
    assert stolen["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    changed = await gql(client, update, {"id": channel}, mentor)
    assert changed["data"]["updateNotificationChannel"] == {"enabled": False}
    delete = "mutation($id: String!) { deleteNotificationChannel(channelId: $id) { channelId } }"
    assert "errors" not in await gql(client, delete, {"id": channel}, mentor)
    assert (await gql(client, listing, None, mentor))["data"]["notificationChannels"] == []
