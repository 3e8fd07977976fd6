"""``make bench``: the gateway against the physical limit of its stack, on SQLite and
PostgreSQL, in one run.

For each database: a fresh database seeded with ``gateway seed --demo --scale N``; three
servers of one uvicorn worker each (the baseline (a), the gateway, the gateway with
DataLoaders off) and, on PostgreSQL, the peer (e) (PostGraphile v4, one Node process) for
the workloads that have a peer question (list100); the responses of (a)-(d) checked equal,
and the rows of (e) against (c); then every workload timed for every variant by a
separate load-generator process. Prints a table per database (ratios to
(a)) and writes ``bench/results/<time>.json`` and ``bench/results/latest.json``.

    python -m bench.run [--db sqlite,postgres] [--scale 10] [--concurrency 16]
                        [--duration 5] [--warmup 1.5] [--only list100,single]
    python -m bench.run --soak 300     # memory over a long mixed run (make soak)
"""

from __future__ import annotations

import argparse
import os
import platform
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench import report
from bench.servers import (
    ROOT,
    Database,
    Server,
    start_baseline,
    start_gateway,
    start_peer,
    start_profiled,
)
from bench.workloads import INSERT_MENTOR, ORG, Request, Workload, workloads

RESULTS = ROOT / "bench" / "results"

# (key, label, server, shape)
VARIANTS = (
    ("a_rest", "(a) baseline, REST shape", "baseline", "rest"),
    ("b", "(b) REST shim", "gateway", "rest"),
    ("a_gql", "(a) baseline, GraphQL shape", "baseline", "graphql"),
    ("c", "(c) GraphQL", "gateway", "graphql"),
    ("d", "(d) GraphQL, DataLoaders off", "nobatch", "graphql"),
    ("e", "(e) PostGraphile v4", "peer", "peer"),  # list100 on PostgreSQL only
)
# Servers that count their statements at ``/stats`` (the gateway's are in ``/metrics``).
STATS_SERVERS = ("baseline", "peer")


@dataclass
class Stack:
    db: Database
    servers: dict[str, Server]
    tokens: dict[str, str]
    open_ids: list[str]
    yesterday: str


def _tokens(secret: str) -> dict[str, str]:
    from app.auth import TokenService
    from app.settings import Settings

    service = TokenService(Settings(jwt_secret=secret, database_url="sqlite+aiosqlite:///:memory:"))
    return {
        "coordinator": service.issue("user_007", ["coordinator"], [ORG], timedelta(hours=6)),
        "mentor": service.issue(INSERT_MENTOR, ["peer_mentor"], [ORG], timedelta(hours=6)),
    }


@contextmanager
def stack(
    kind: str, scale: int, profile_to: Path | None = None, *, peer: bool = False
) -> Iterator[Stack]:
    workdir = Path(tempfile.mkdtemp(prefix=f"gateway-bench-{kind}-"))
    db = Database.create(kind, workdir)
    servers: dict[str, Server] = {}
    try:
        secret = secrets.token_urlsafe(48)
        env = {
            **os.environ,
            "GATEWAY_DATABASE_URL": db.url,
            "GATEWAY_ENV": "production",
            "GATEWAY_JWT_SECRET": secret,
            "GATEWAY_RATE_LIMIT_ENABLED": "false",
            "GATEWAY_LOG_FORMAT": "json",
        }
        started = time.perf_counter()
        db.seed(scale, env)
        print(f"  seeded scale {scale} in {time.perf_counter() - started:.1f} s", flush=True)
        base_env = {**env, "BENCH_DATABASE_URL": db.url, "BENCH_JWT_SECRET": secret}
        servers["baseline"] = start_baseline(base_env, workdir)
        servers["gateway"] = start_gateway("gateway", env, workdir)
        # Three servers share PostgreSQL's max_connections (100 by default, with whatever
        # else runs there): the N+1 server gets a smaller pool than the gateway's default.
        nobatch_env = {**env, "GATEWAY_DATALOADER_BATCHING": "false", "GATEWAY_DB_POOL_SIZE": "10"}
        servers["nobatch"] = start_gateway("nobatch", nobatch_env, workdir)
        if profile_to is not None:
            servers["profiled"] = start_profiled(env, workdir, profile_to)
        if peer and db.kind == "postgres":
            servers["peer"] = start_peer(base_env, workdir, db.url)
        yesterday = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
        yield Stack(db, servers, _tokens(secret), db.open_assignment_ids(ORG), yesterday)
    finally:
        for server in servers.values():
            server.stop()
        db.drop()
        shutil.rmtree(workdir, ignore_errors=True)


# --- checks ---------------------------------------------------------------------------------


def _render(text: str | None, variant: str, n: int, item: str) -> str | None:
    if text is None:
        return None
    return text.replace("{variant}", variant).replace("{n}", str(n)).replace("{item}", item)


def _send(server: Server, request: Request, token: str, variant: str, n: int, item: str) -> Any:
    response = httpx.request(
        request.method,
        f"http://127.0.0.1:{server.port}{_render(request.path, variant, n, item)}",
        content=_render(request.body, variant, n, item),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        timeout=30,
    )
    return response.status_code, response.json()


def _first_difference(a: Any, b: Any, path: str = "") -> str:
    if type(a) is not type(b):
        return f"{path or '/'}: {a!r} != {b!r}"
    if isinstance(a, dict):
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                return f"{path}/{key}: only in one response"
            found = _first_difference(a[key], b[key], f"{path}/{key}")
            if found:
                return found
        return ""
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} items != {len(b)} items"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            found = _first_difference(x, y, f"{path}/{i}")
            if found:
                return found
        return ""
    return "" if a == b else f"{path or '/'}: {a!r} != {b!r}"


def _same(what: str, a: Any, b: Any) -> None:
    difference = _first_difference(a, b)
    if difference:
        raise SystemExit(f"responses differ ({what}): {difference}")


def check_reads(st: Stack, w: Workload) -> int:
    token = st.tokens[w.who]
    gateway, baseline, nobatch = (st.servers[k] for k in ("gateway", "baseline", "nobatch"))
    checked = 0
    for item in (w.items or ("",))[:20]:
        for request in w.rest:
            expected = _send(gateway, request, token, "b", 0, item)
            if expected[0] != 200:
                raise SystemExit(f"{w.name}: the REST shim answered {expected}")
            _same(
                f"{w.name} {request.path} (a) vs (b)",
                _send(baseline, request, token, "a", 0, item),
                expected,
            )
        expected = _send(gateway, w.graphql, token, "c", 0, item)
        if expected[0] != 200 or "errors" in expected[1]:
            raise SystemExit(f"{w.name}: GraphQL answered {expected}")
        _same(
            f"{w.name} GraphQL (a) vs (c)",
            _send(baseline, w.graphql, token, "a", 0, item),
            expected,
        )
        _same(
            f"{w.name} GraphQL (d) vs (c)", _send(nobatch, w.graphql, token, "d", 0, item), expected
        )
        checked += 1
    return checked


def _moment(text: str | None) -> str | None:
    """A date-time of either door in UTC at whole seconds (the precision the gateway shows;
    PostGraphile answers microseconds and an offset)."""
    if text is None:
        return None
    return datetime.fromisoformat(text).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _person(who: dict[str, Any] | None, key: str) -> dict[str, Any] | None:
    return None if who is None else {"id": who[key], "name": who["name"]}


def _gateway_rows(body: Any) -> dict[str, Any]:
    page = body["data"]["assignments"]
    nodes = [
        {
            "id": a["legacyId"],
            "status": a["status"],
            "startedAt": _moment(a["startDate"]),
            "lastContactAt": _moment(a["lastContactAt"]),
            "mentor": _person(a["mentor"], "legacyId"),
            "mentee": _person(a["mentee"], "legacyId"),
            "contacts": [
                {"contactAt": _moment(c["contactAt"]), "contactType": c["contactType"]}
                for c in a["contacts"]
            ],
        }
        for a in page["nodes"]
    ]
    return {"totalCount": page["totalCount"], "nodes": nodes}


def _peer_rows(body: Any) -> dict[str, Any]:
    page = body["data"]["allAssignments"]
    nodes = [
        {
            "id": a["id"],
            "status": a["status"].upper(),
            "startedAt": _moment(a["startedAt"]),
            "lastContactAt": _moment(a["lastContactAt"]),
            "mentor": _person(a["mentor"], "id"),
            "mentee": _person(a["mentee"], "id"),
            "contacts": [
                {"contactAt": _moment(c["contactAt"]), "contactType": c["contactType"].upper()}
                for c in a["contacts"]["nodes"]
            ],
        }
        for a in page["nodes"]
    ]
    return {"totalCount": page["totalCount"], "nodes": nodes}


def check_peer(st: Stack, w: Workload) -> int:
    """PostGraphile's answer (e) holds the rows of the gateway's (c): the same assignments
    in the same order, the same people and contacts, the same total. It must also refuse
    a token that is not the gateway's (it verifies every token it is sent)."""
    assert w.peer is not None
    token, peer = st.tokens[w.who], st.servers["peer"]
    status, body = _send(st.servers["gateway"], w.graphql, token, "c", 0, "")
    if status != 200 or "errors" in body:
        raise SystemExit(f"{w.name}: GraphQL answered {status} {body}")
    expected = _gateway_rows(body)
    status, body = _send(peer, w.peer, token, "e", 0, "")
    if status != 200 or "errors" in body:
        raise SystemExit(f"{w.name}: PostGraphile answered {status} {str(body)[:2000]}")
    _same(f"{w.name} GraphQL (c) vs PostGraphile (e)", expected, _peer_rows(body))
    nodes = expected["nodes"]
    if not nodes or not any(node["contacts"] for node in nodes):
        raise SystemExit(f"{w.name}: no rows or no contacts to compare with PostGraphile")
    status, body = _send(peer, w.peer, token[:-2] + "xx", "e", 0, "")
    if status == 200 and "errors" not in body:
        raise SystemExit(f"{w.name}: PostGraphile accepted a token with a bad signature")
    return len(nodes)


def check_write(st: Stack, w: Workload) -> int:
    """Each variant writes once (its own record); its answer must equal what the gateway
    reads back from the database afterwards, field for field."""
    from bench.workloads import READ_ACTIVITY, READ_CONTACTED, graphql

    token, reader = st.tokens[w.who], st.servers["gateway"]
    spare = iter(reversed(st.open_ids))
    for key, _label, server_name, shape in VARIANTS:
        if (key == "d" and not w.nested) or shape == "peer":  # the peer only reads list100
            continue
        server, item, n = st.servers[server_name], next(spare), 10**9
        if shape == "rest":
            status, body = _send(server, w.rest[0], token, key, n, item)
            if status not in (200, 201):
                raise SystemExit(f"{w.name} {key}: {status} {body}")
            path = (
                f"/api/v1/assignments/{item}"
                if w.name == "contact"
                else f"/api/v1/activities/{body['id']}"
            )
            _same(
                f"{w.name} {key} vs read-back",
                body,
                _send(reader, Request("GET", path), token, key, n, item)[1],
            )
        else:
            status, body = _send(server, w.graphql, token, key, n, item)
            if status != 200 or "errors" in body:
                raise SystemExit(f"{w.name} {key}: {status} {body}")
            if w.name == "contact":
                back = graphql(READ_CONTACTED, "ReadBack", {"id": item})
                _same(
                    f"{w.name} {key} vs read-back",
                    body,
                    _send(reader, back, token, key, n, item)[1],
                )
            else:
                logged = body["data"]["logActivity"]
                if logged["created"] is not True:
                    raise SystemExit(f"{w.name} {key}: not created: {body}")
                back = graphql(READ_ACTIVITY, "ReadBack", {"id": logged["activity"]["legacyId"]})
                read = _send(reader, back, token, key, n, item)[1]
                _same(f"{w.name} {key} vs read-back", logged["activity"], read["data"]["activity"])
    return 1


# --- timed runs -----------------------------------------------------------------------------


def _metric(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return 0.0


def _statements(server_name: str, before: str, after: str, iterations: int) -> float | None:
    if not iterations:
        return None
    if server_name in STATS_SERVERS:
        b, a = orjson.loads(before), orjson.loads(after)
        return float(a["statements"] - b["statements"]) / iterations
    total = "gateway_sql_statements_per_request_sum"
    return (_metric(after, total) - _metric(before, total)) / iterations


def timed(
    st: Stack,
    w: Workload,
    key: str,
    server_name: str,
    shape: str,
    opts: argparse.Namespace,
    n_start: int,
) -> dict[str, Any]:
    server = st.servers[server_name]
    requests = {"rest": w.rest, "graphql": (w.graphql,), "peer": (w.peer,)}[shape]
    steps = []
    for request in requests:
        assert request is not None
        step = request.spec(st.tokens[w.who])
        if step["body"]:
            step["body"] = step["body"].replace("{variant}", key)
        steps.append(step)
    spec = {
        "host": "127.0.0.1",
        "port": server.port,
        "concurrency": opts.concurrency,
        "warmup": opts.warmup,
        "duration": opts.duration,
        "max_iterations": opts.max_requests,
        "steps": steps,
        "items": list(w.items),
        "server_pid": server.pid,
        "stats_path": "/stats" if server_name in STATS_SERVERS else "/metrics",
        "n_start": n_start,
    }
    result = run_load(spec, timeout=opts.warmup + opts.duration + 240)
    result["sql_per_request"] = _statements(
        server_name, result.pop("stats_before"), result.pop("stats_after"), result["iterations"]
    )
    result["http_requests_per_iteration"] = len(steps)
    if result["errors"]:
        print(f"    ! {result['errors']} failed iterations: {result['first_error']}", flush=True)
    return result


def run_load(spec: dict[str, Any], timeout: float) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.load"],
        input=orjson.dumps(spec),
        capture_output=True,
        cwd=ROOT,
        timeout=timeout,
        check=True,
    )
    result: dict[str, Any] = orjson.loads(out.stdout)
    return result


def bench_database(kind: str, opts: argparse.Namespace) -> dict[str, Any]:
    print(f"\n== {kind}", flush=True)
    results: dict[str, Any] = {}

    def wanted(w: Workload) -> bool:
        return not opts.only or w.name in opts.only

    peer = kind == "postgres" and any(w.peer for w in workloads([], "") if wanted(w))
    with stack(kind, opts.scale, peer=peer) as st:
        chosen = [w for w in workloads(st.open_ids, st.yesterday) if wanted(w)]
        for w in chosen:
            checked = check_write(st, w) if w.write else check_reads(st, w)
            print(f"  {w.name}: responses of (a)-(d) equal ({checked} checked)", flush=True)
            if w.peer and "peer" in st.servers:
                rows = check_peer(st, w)
                print(f"  {w.name}: rows of (e) equal to (c) ({rows} assignments)", flush=True)
        n_start = 0
        for w in chosen:
            results[w.name] = {"title": w.title, "variants": {}}
            for key, label, server_name, shape in VARIANTS:
                if key == "d" and not w.nested:
                    continue
                if key == "e" and (w.peer is None or server_name not in st.servers):
                    continue
                result = timed(st, w, key, server_name, shape, opts, n_start)
                n_start = result["next_n"] + 1
                result["label"] = label
                results[w.name]["variants"][key] = result
                print(
                    f"  {w.name:8} {label:32} {result['per_second']:8.0f}/s "
                    f"p50 {result['p50_ms']:6.1f} ms p99 {result['p99_ms']:6.1f} ms "
                    f"SQL {result['sql_per_request'] or 0:5.1f} "
                    f"RSS {result['peak_rss_kib'] / 1024:5.0f} MB",
                    flush=True,
                )
    return results


# --- profile --------------------------------------------------------------------------------


def profile(opts: argparse.Namespace) -> dict[str, Any]:
    """One workload against the gateway under pyinstrument; the profile lands in
    ``bench/results/profile-<db>-<workload>-<variant>/``."""
    name, _, key = opts.profile.partition(":")
    key = key or "c"
    kind = opts.db[0]
    out = RESULTS / f"profile-{kind}-{name}-{key}"
    shape = "rest" if key == "b" else "graphql"
    print(f"\n== profile of {name} ({key}) on {kind}", flush=True)
    with stack(kind, opts.scale, profile_to=out) as st:
        chosen = [w for w in workloads(st.open_ids, st.yesterday) if w.name == name]
        if not chosen:
            raise SystemExit(f"no workload {name!r}")
        result = timed(st, chosen[0], key, "profiled", shape, opts, 0)
        st.servers["profiled"].stop()
    print(f"  {result['per_second']:.0f}/s under the profiler; written to {out}", flush=True)
    top = (out / "profile-top.txt").read_text()
    print(top[:6000])
    return {"workload": name, "variant": key, "database": kind, "result": result, "top": top}


# --- soak -----------------------------------------------------------------------------------


def soak(opts: argparse.Namespace) -> dict[str, Any]:
    """Every workload's requests in one mixed iteration, for ``opts.soak`` seconds against
    the gateway; its RSS sampled every ``opts.sample`` seconds."""
    kind = opts.db[0]
    print(f"\n== soak on {kind}: {opts.soak} s, {opts.concurrency} connections", flush=True)
    with stack(kind, opts.scale) as st:
        server = st.servers["gateway"]
        chosen = workloads(st.open_ids, st.yesterday)
        steps = []
        for w in chosen:
            token = st.tokens[w.who]
            for request in (*w.rest, w.graphql):
                step = request.spec(token)
                if step["body"]:
                    step["body"] = step["body"].replace("{variant}", "soak")
                steps.append(step)
        spec = {
            "host": "127.0.0.1",
            "port": server.port,
            "concurrency": opts.concurrency,
            "warmup": 0.1,
            "duration": opts.soak,
            "max_iterations": opts.max_requests * 10,
            "steps": steps,
            "items": st.open_ids,
            "server_pid": server.pid,
            "stats_path": "/metrics",
        }
        samples: list[tuple[float, int]] = []
        done = threading.Event()

        def sample() -> None:
            started = time.monotonic()
            while not done.wait(opts.sample):
                samples.append((time.monotonic() - started, server.rss_kib()))
                print(f"  {samples[-1][0]:6.0f} s  RSS {samples[-1][1] / 1024:7.1f} MB", flush=True)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        result = run_load(spec, timeout=opts.soak + 120)
        done.set()
        sampler.join()
    warm = [rss for t, rss in samples if t >= opts.soak_warmup]
    after_warmup, end, peak = (warm[0], warm[-1], max(warm)) if warm else (0, 0, 0)
    growth = (end - after_warmup) / after_warmup * 100 if after_warmup else 0.0
    summary = {
        "database": kind,
        "seconds": opts.soak,
        "warmup_seconds": opts.soak_warmup,
        "iterations": result["iterations"],
        "http_requests": result["requests"],
        "errors": result["errors"],
        "rss_after_warmup_mb": after_warmup / 1024,
        "rss_end_mb": end / 1024,
        "rss_peak_mb": peak / 1024,
        "growth_after_warmup_percent": growth,
        "samples": [{"t": t, "rss_mb": rss / 1024} for t, rss in samples],
    }
    print(
        f"\n  soak: {result['requests']} requests, {result['errors']} failed iterations; RSS "
        f"{after_warmup / 1024:.1f} MB after {opts.soak_warmup} s warm-up, {end / 1024:.1f} MB "
        f"at the end (peak {peak / 1024:.1f} MB): growth {growth:+.1f} % (target: within 10 %)",
        flush=True,
    )
    return summary


# --- entry ----------------------------------------------------------------------------------


def _args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--db", default="sqlite,postgres", type=lambda s: s.split(","))
    parser.add_argument("--scale", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--duration", type=float, default=5.0, help="measured seconds per run")
    parser.add_argument("--warmup", type=float, default=1.5, help="warm-up seconds per run")
    parser.add_argument("--max-requests", type=int, default=100_000, help="per run")
    parser.add_argument("--only", type=lambda s: s.split(","), default=None)
    parser.add_argument("--soak", type=float, default=0, help="seconds of mixed load (soak mode)")
    parser.add_argument("--profile", default=None, help="WORKLOAD[:b|c]: profile one run")
    parser.add_argument("--soak-warmup", type=float, default=60)
    parser.add_argument("--sample", type=float, default=5, help="soak: seconds between samples")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    opts = _args(argv)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    meta = {
        "started": stamp,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "settings": {k: v for k, v in vars(opts).items()},
    }
    if opts.soak:
        data = {**meta, "soak": soak(opts)}
        name = "soak"
    elif opts.profile:
        data = {**meta, "profile": profile(opts)}
        name = "profile"
    else:
        data = {**meta, "databases": {kind: bench_database(kind, opts) for kind in opts.db}}
        print(report.tables(data))
        name = "bench"
    text = orjson.dumps(data, option=orjson.OPT_INDENT_2)
    (RESULTS / f"{name}-{stamp}.json").write_bytes(text)
    (RESULTS / f"{name}-latest.json").write_bytes(text)
    print(f"\nwritten: bench/results/{name}-{stamp}.json", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
