"""Client addresses behind a reverse proxy: ``gateway serve --forwarded-allow-ips``.

A real ``gateway serve`` with a per-IP rate limit of 3 a minute makes the client address
observable: requests from one address share a budget, and the limiter's log line names
the address it refused. The test connects from 127.0.0.1, as a proxy on the same host.

Mutations: ``cmd_serve`` with ``proxy_headers=False`` fails the trusted-proxy test;
``forwarded_allow_ips="*"`` (every peer trusted) fails the untrusted-proxy test.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

import httpx

from app.settings import Settings
from tests.helpers import gateway_serve

LIMITED = {"GATEWAY_RATE_LIMIT_ENABLED": "true", "GATEWAY_RATE_LIMIT_PER_IP": "3/minute"}
REFUSED = re.compile(r"rate limited limit=ip ip=(\S+)")
ROUTE = "/openapi.json"  # public, and rate limited like every route but the probes


@contextmanager
def served(settings: Settings, allowed: str) -> Iterator[tuple[httpx.Client, IO[bytes]]]:
    """``gateway serve --forwarded-allow-ips <allowed>``: a client of it, and its log."""
    env = {**LIMITED, "GATEWAY_LOG_LEVEL": "warning"}
    args = ("--log-level", "warning", "--forwarded-allow-ips", allowed)
    with (
        gateway_serve(settings, *args, env=env) as server,
        httpx.Client(base_url=f"http://{server.base}") as client,
    ):
        yield client, server.stderr


def status(client: httpx.Client, forwarded_for: str | None) -> int:
    headers = {} if forwarded_for is None else {"X-Forwarded-For": forwarded_for}
    return client.get(ROUTE, headers=headers).status_code


def refused_addresses(log: IO[bytes]) -> list[str]:
    """The addresses the rate limiter logged as refused, in order."""
    log.seek(0)
    return REFUSED.findall(log.read().decode())


def test_a_trusted_proxy_passes_the_client_address_on(settings: Settings):
    with served(settings, "127.0.0.1") as (client, log):
        assert [status(client, "203.0.113.7") for _ in range(3)] == [200] * 3
        assert status(client, "203.0.113.7") == 429
        # a client cannot escape its budget by sending its own X-Forwarded-For: the proxy
        # appends the address it saw, and only that last hop is believed
        assert status(client, "198.51.100.1, 203.0.113.7") == 429
        assert refused_addresses(log) == ["203.0.113.7", "203.0.113.7"]
        # other clients behind the same proxy have budgets of their own
        assert [status(client, "203.0.113.8") for _ in range(3)] == [200] * 3
        assert status(client, None) == 200  # the proxy's own requests: 127.0.0.1


def test_an_untrusted_peer_cannot_choose_its_address(settings: Settings):
    with served(settings, "192.0.2.1") as (client, log):  # the proxy is elsewhere
        addresses = ["203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.4"]
        assert [status(client, a) for a in addresses] == [200, 200, 200, 429]
        assert status(client, None) == 429
        assert refused_addresses(log) == ["127.0.0.1", "127.0.0.1"]
