"""The gateway under pyinstrument: ``python -m bench.profiled --port P --out DIR``.

Samples the server process's main thread (the event loop and everything it runs) every
millisecond while it serves, and on SIGTERM writes ``DIR/profile.txt`` (pyinstrument's
call tree) and ``DIR/profile-top.txt`` (functions by own time and by time inside them).
"""

from __future__ import annotations

import argparse
import signal
from collections import defaultdict
from pathlib import Path
from typing import Any

import uvicorn
from pyinstrument import Profiler


def top_functions(root: Any, limit: int = 30) -> str:
    """Self and inclusive time per function (recursion counted once)."""
    own: dict[str, float] = defaultdict(float)
    inside: dict[str, float] = defaultdict(float)

    def walk(frame: Any, stack: frozenset[str]) -> None:
        key = f"{frame.function} ({frame.file_path_short}:{frame.line_no})"
        own[key] += frame.total_self_time
        if key not in stack:
            inside[key] += frame.time
        for child in frame.children:
            walk(child, stack | {key})

    walk(root, frozenset())
    total = root.time or 1.0
    lines = [f"total sampled: {total:.2f} s", "", "by own time:"]
    for key, seconds in sorted(own.items(), key=lambda kv: -kv[1])[:limit]:
        lines.append(f"  {seconds / total * 100:5.1f} %  {key}")
    lines += ["", "by time inside (own + callees):"]
    for key, seconds in sorted(inside.items(), key=lambda kv: -kv[1])[:limit]:
        lines.append(f"  {seconds / total * 100:5.1f} %  {key}")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    # uvicorn re-raises the SIGTERM it shut down on; a handler of our own makes that a
    # no-op, so uvicorn.run returns and the profile is written.
    signal.signal(signal.SIGTERM, lambda *_: None)
    profiler = Profiler(interval=0.001, async_mode="disabled")

    def factory() -> Any:
        from app.main import create_app

        app = create_app()
        profiler.start()  # after imports and the schema build: serving only
        return app

    try:
        uvicorn.run(
            factory,
            factory=True,
            host="127.0.0.1",
            port=args.port,
            log_level="warning",
            log_config=None,
        )
    finally:
        session = profiler.stop()
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "profile.txt").write_text(profiler.output_text(unicode=True, show_all=False))
        root = session.root_frame()
        if root is not None:
            (args.out / "profile-top.txt").write_text(top_functions(root))


if __name__ == "__main__":
    main()
