"""The load generator: a separate process that drives one server over loopback HTTP/1.1.

Reads a JSON spec on stdin, prints a JSON result on stdout. ``concurrency`` keep-alive
connections each run iterations back to back (closed loop); an iteration is one request,
or a short sequence of them (a legacy client's page load), timed as a whole. Phases:
warm-up (not recorded), a pause in which the server's counters are read, the measured
window (bounded by ``duration`` seconds and ``max_iterations``), a pause, counters again.

Bodies and paths may hold ``{n}`` (a number unique in this run) and ``{item}`` (the next
entry of ``items``, round robin), so inserts stay distinct and look-ups rotate.

Built on uvloop (when installed) and httptools' response parser, so one client core
drives far more requests than one server worker answers (see docs/performance.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import resource
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import httptools


@dataclass
class Step:
    method: str
    path: str
    headers: dict[str, str]
    body: str | None
    static: bytes | None = None

    def render(self, n: int, item: str) -> bytes:
        if self.static is not None:
            return self.static
        path = self.path.replace("{n}", str(n)).replace("{item}", item)
        body = None
        if self.body is not None:
            body = self.body.replace("{n}", str(n)).replace("{item}", item).encode()
        return _request(self.method, path, self.headers, body)


def _request(method: str, path: str, headers: dict[str, str], body: bytes | None) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    if body is not None:
        lines.append(f"Content-Length: {len(body)}")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode()
    return head + (body or b"")


class Connection(asyncio.Protocol):
    """One keep-alive connection; ``request`` sends bytes and waits for the whole response."""

    def __init__(self, keep_body: bool = False) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.transport: asyncio.Transport | None = None
        self.waiter: asyncio.Future[int] | None = None
        self.keep_body = keep_body
        self.body: list[bytes] = []
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is no subclass

    def data_received(self, data: bytes) -> None:
        self.parser.feed_data(data)

    def on_body(self, body: bytes) -> None:
        if self.keep_body:
            self.body.append(body)

    def on_message_complete(self) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(self.parser.get_status_code())

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError("server closed the connection"))

    async def request(self, data: bytes) -> int:
        assert self.transport is not None
        if self.closed:
            raise ConnectionError("the connection was closed")
        self.body = []
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(data)
        return await self.waiter


@dataclass
class Run:
    spec: dict[str, Any]
    steps: list[Step]
    items: list[str]
    phase: str = "warmup"
    counter: itertools.count[int] = field(default_factory=itertools.count)
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0
    first_error: str | None = None
    idle: int = 0
    measured: int = 0


async def _connect(host: str, port: int, keep_body: bool = False) -> Connection:
    loop = asyncio.get_running_loop()
    _, protocol = await loop.create_connection(lambda: Connection(keep_body), host, port)
    return protocol


async def _worker(run: Run, host: str, port: int) -> None:
    conn = await _connect(host, port, keep_body=True)
    limit = int(run.spec.get("max_iterations", 10**9))
    while True:
        if run.phase in ("pause", "stop"):
            run.idle += 1
            while run.phase == "pause":
                await asyncio.sleep(0.001)
            run.idle -= 1
            if run.phase == "stop":
                return
            continue
        recording = run.phase == "measure"
        if recording and run.measured >= limit:
            run.phase = "pause"
            continue
        n = next(run.counter)
        item = run.items[n % len(run.items)] if run.items else ""
        started = time.perf_counter()
        failed = False
        for step in run.steps:
            data = step.render(n, item)
            try:
                status = await conn.request(data)
            except ConnectionError:
                # uvicorn closes keep-alive connections idle for 5 s (as in a long
                # pause); such a request was never sent: reconnect and send it.
                conn = await _connect(host, port, keep_body=True)
                try:
                    status = await conn.request(data)
                except ConnectionError as error:
                    status = 599
                    conn = await _connect(host, port, keep_body=True)
                    run.first_error = run.first_error or f"connection: {error}"
            if recording:
                run.statuses[status] = run.statuses.get(status, 0) + 1
            if status >= 400:
                failed = True
                if run.first_error is None:
                    run.first_error = f"{status}: {b''.join(conn.body)[:300]!r}"
        if recording:
            run.latencies.append(time.perf_counter() - started)
            run.measured += 1
            run.errors += failed


async def _get(host: str, port: int, path: str, headers: dict[str, str]) -> str:
    conn = await _connect(host, port, keep_body=True)
    await conn.request(_request("GET", path, headers, None))
    assert conn.transport is not None
    conn.transport.close()
    return b"".join(conn.body).decode()


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


async def _sample_rss(pid: int, peak: list[int], stop: asyncio.Event) -> None:
    while not stop.is_set():
        peak[0] = max(peak[0], _rss_kib(pid))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.05)


async def _wait_idle(run: Run, workers: list[asyncio.Task[None]]) -> None:
    """Until every worker waits (a worker that died of an error counts as waiting)."""
    while run.idle + sum(task.done() for task in workers) < len(workers):
        await asyncio.sleep(0.001)


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


async def main(spec: dict[str, Any]) -> dict[str, Any]:
    host, port = spec["host"], spec["port"]
    steps = [
        Step(s["method"], s["path"], s.get("headers", {}), s.get("body")) for s in spec["steps"]
    ]
    for step in steps:
        text = step.path + (step.body or "")
        if "{n}" not in text and "{item}" not in text:
            step.static = step.render(0, "")
    run = Run(spec, steps, list(spec.get("items") or []))
    run.counter = itertools.count(int(spec.get("n_start", 0)))
    concurrency = int(spec["concurrency"])
    workers = [asyncio.create_task(_worker(run, host, port)) for _ in range(concurrency)]
    stats_path, stats_headers = spec.get("stats_path"), spec.get("stats_headers", {})

    await asyncio.sleep(float(spec["warmup"]))
    run.phase = "pause"
    await _wait_idle(run, workers)
    before = await _get(host, port, stats_path, stats_headers) if stats_path else ""
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)

    peak, stop_sampling = [0], asyncio.Event()
    sampler = asyncio.create_task(_sample_rss(int(spec.get("server_pid", 0)), peak, stop_sampling))
    run.phase = "measure"
    started = time.perf_counter()
    deadline = started + float(spec["duration"])
    while run.phase == "measure" and time.perf_counter() < deadline:
        await asyncio.sleep(0.01)
    run.phase = "pause"
    await _wait_idle(run, workers)
    elapsed = time.perf_counter() - started
    stop_sampling.set()
    await sampler
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    after = await _get(host, port, stats_path, stats_headers) if stats_path else ""
    run.phase = "stop"
    await asyncio.gather(*workers, return_exceptions=True)

    lat = run.latencies
    return {
        "iterations": run.measured,
        "requests": sum(run.statuses.values()),
        "seconds": elapsed,
        "per_second": run.measured / elapsed if elapsed else 0.0,
        "p50_ms": _percentile(lat, 0.50) * 1000,
        "p99_ms": _percentile(lat, 0.99) * 1000,
        "max_ms": max(lat, default=0.0) * 1000,
        "errors": run.errors,
        "first_error": run.first_error,
        "statuses": {str(k): v for k, v in sorted(run.statuses.items())},
        "peak_rss_kib": peak[0],
        "client_cpu_seconds": (cpu_after.ru_utime + cpu_after.ru_stime)
        - (cpu_before.ru_utime + cpu_before.ru_stime),
        "stats_before": before,
        "stats_after": after,
        "next_n": next(run.counter),
    }


def _install_loop() -> None:
    try:
        import uvloop
    except ImportError:
        return
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


if __name__ == "__main__":
    _install_loop()
    result = asyncio.run(main(json.load(sys.stdin)))
    json.dump(result, sys.stdout)
