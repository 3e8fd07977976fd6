"""The printed report: a Markdown table per database (throughput as a ratio to the
baseline of the same response shape) and where the gateway stands against its targets."""

from __future__ import annotations

from typing import Any

# Throughput targets, as a share of the same run's baseline: (workloads, variant, ratio).
READS = ("list20", "list100", "profile", "single")
WRITES = ("contact", "insert")
TARGETS: tuple[tuple[tuple[str, ...], str, float, str], ...] = (
    (READS, "c", 0.5, "GraphQL reads >= 0.5x the baseline"),
    (READS, "b", 0.5, "REST shim reads >= 0.5x the baseline"),
    (WRITES, "c", 0.4, "GraphQL writes >= 0.4x the baseline"),
    (WRITES, "b", 0.4, "REST shim writes >= 0.4x the baseline"),
)
# GraphQL list100 against PostGraphile (e) on the same database: at least as fast.
PEER_TARGET = 1.0
_BASE = {
    "a_rest": "a_rest",
    "b": "a_rest",
    "a_gql": "a_gql",
    "c": "a_gql",
    "d": "a_gql",
    "e": "a_gql",
}


def ratio(workload: dict[str, Any], key: str) -> float | None:
    base = workload["variants"].get(_BASE[key])
    mine = workload["variants"].get(key)
    if not base or not mine or not base["per_second"]:
        return None
    return float(mine["per_second"] / base["per_second"])


def _sql(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def table(results: dict[str, Any]) -> str:
    lines = [
        "| workload | variant | req/s | x (a) | p50 ms | p99 ms | SQL/req | peak RSS MB |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, workload in results.items():
        first = True
        for key, r in workload["variants"].items():
            share = ratio(workload, key)
            calls = r.get("http_requests_per_iteration", 1)
            label = r["label"] + (f" ({calls} HTTP calls)" if calls > 1 else "")
            lines.append(
                f"| {name if first else ''} | {label} | {r['per_second']:.0f} | "
                f"{'-' if share is None else f'{share:.2f}'} | {r['p50_ms']:.1f} | "
                f"{r['p99_ms']:.1f} | {_sql(r['sql_per_request'])} | "
                f"{r['peak_rss_kib'] / 1024:.0f} |"
            )
            first = False
    return "\n".join(lines)


def targets(results: dict[str, Any]) -> list[str]:
    out = []
    for only, key, goal, text in TARGETS:
        shares = {
            name: ratio(w, key)
            for name, w in results.items()
            if name in only and key in w["variants"]
        }
        for name, share in shares.items():
            if share is None:
                continue
            mark = "met" if share >= goal else "NOT met"
            out.append(f"- {text}: {name} {share:.2f}x ({mark})")
    for key in ("b", "c", "d"):
        small, large = results.get("list20"), results.get("list100")
        if small and large and key in small["variants"] and key in large["variants"]:
            a = small["variants"][key]["sql_per_request"]
            b = large["variants"][key]["sql_per_request"]
            counts = f"{_sql(a)} (20) vs {_sql(b)} (100)"
            if key == "d":  # DataLoaders off: the N+1 shown on purpose, not a target
                out.append(f"- SQL statements per request, d (DataLoaders off): {counts}")
                continue
            flat = a is not None and b is not None and abs(a - b) < 0.05
            out.append(
                f"- SQL statements per request constant in page size, {key}: "
                f"{counts} ({'met' if flat else 'NOT met'})"
            )
    peer = results.get("list100", {}).get("variants", {})
    if "c" in peer and "e" in peer and peer["e"]["per_second"]:
        c, e = peer["c"]["per_second"], peer["e"]["per_second"]
        mark = "met" if c / e >= PEER_TARGET else "NOT met"
        out.append(
            f"- GraphQL list100 vs PostGraphile: {c / e:.2f}x "
            f"(gateway (c) {c:.0f}/s, PostGraphile (e) {e:.0f}/s; target >= "
            f"{PEER_TARGET:.1f}x: {mark})"
        )
    failed = [
        f"{name}/{key}: {r['errors']} failed"
        for name, w in results.items()
        for key, r in w["variants"].items()
        if r["errors"]
    ]
    if failed:
        out.append("- FAILED requests: " + ", ".join(failed))
    return out


def tables(data: dict[str, Any]) -> str:
    settings = data["settings"]
    parts = []
    for kind, results in data["databases"].items():
        parts.append(
            f"\n### {kind}: scale {settings['scale']}, {settings['concurrency']} connections, "
            f"{settings['duration']:g} s measured after {settings['warmup']:g} s warm-up\n"
        )
        parts.append(table(results))
        parts.append("\nTargets:\n" + "\n".join(targets(results)))
    return "\n".join(parts)
