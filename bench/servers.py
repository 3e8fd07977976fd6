"""Databases and server processes for a benchmark run: a fresh seeded database (SQLite
file in a temporary directory, or a PostgreSQL database created and dropped here), the
gateway (one uvicorn worker, as ``gateway serve`` runs it), the baseline app and, on
PostgreSQL, the peer (PostGraphile v4 in one Node process, ``bench/peer/``)."""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
PEER = ROOT / "bench" / "peer"  # package.json and its lock; `make bench` runs npm ci here
PEER_POOL_SIZE = 10  # PostGraphile's default pool, and the baseline's


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Database:
    kind: str  # sqlite | postgres
    url: str  # SQLAlchemy URL
    workdir: Path
    pg_name: str | None = None

    @classmethod
    def create(cls, kind: str, workdir: Path) -> Database:
        if kind == "sqlite":
            return cls(kind, f"sqlite+aiosqlite:///{workdir / 'bench.db'}", workdir)
        name = f"gateway_bench_{os.getpid()}_{secrets.token_hex(3)}"
        asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
        base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
        return cls(kind, f"{base}/{name}", workdir, name)

    def drop(self) -> None:
        if self.pg_name is not None:
            asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)'))

    def seed(self, scale: int, env: dict[str, str]) -> None:
        for args in (["migrate"], ["seed", "--demo", "--scale", str(scale)]):
            subprocess.run(  # noqa: S603 - our own CLI
                [str(BIN / "gateway"), *args],
                env=env,
                cwd=self.workdir,
                check=True,
                capture_output=True,
            )

    def open_assignment_ids(self, org: str) -> list[str]:
        sql = (
            "SELECT id FROM assignments WHERE org_id = ? AND status = 'open' "
            "AND deleted_at IS NULL ORDER BY id"
        )
        if self.kind == "sqlite":
            import sqlite3

            with sqlite3.connect(self.url.split(":///", 1)[1]) as conn:
                return [row[0] for row in conn.execute(sql, (org,))]
        return asyncio.run(_pg_fetch(self.url, sql.replace("?", "$1"), org))


async def _pg_admin(statement: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


async def _pg_fetch(url: str, sql: str, *args: object) -> list[str]:
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        return [row[0] for row in await conn.fetch(sql, *args)]
    finally:
        await conn.close()


@dataclass
class Server:
    name: str
    port: int
    proc: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def rss_kib(self) -> int:
        try:
            for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        except OSError:
            pass
        return 0


def _start(name: str, cmd: list[str], env: dict[str, str], workdir: Path, probe: str) -> Server:
    port = int(cmd[cmd.index("--port") + 1])
    log = workdir / f"{name}.log"
    with log.open("wb") as out:
        # The working directory is the run's own (no stray .env is read); the baseline is
        # imported from the checkout through PYTHONPATH.
        env = {**env, "PYTHONPATH": str(ROOT)}
        proc = subprocess.Popen(cmd, env=env, cwd=workdir, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603
    server = Server(name, port, proc, log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}{probe}", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"{name} did not answer on port {port}: {log.read_text()[-2000:]}")


def start_gateway(name: str, env: dict[str, str], workdir: Path) -> Server:
    cmd = [str(BIN / "gateway"), "serve", "--host", "127.0.0.1", "--port", str(free_port())]
    cmd += ["--workers", "1", "--log-level", "warning"]
    return _start(name, cmd, env, workdir, "/healthz")


def start_baseline(env: dict[str, str], workdir: Path) -> Server:
    cmd = [sys.executable, "-m", "uvicorn", "bench.baseline:create_app", "--factory"]
    cmd += ["--host", "127.0.0.1", "--port", str(free_port()), "--workers", "1"]
    cmd += ["--no-access-log", "--log-level", "warning"]
    return _start("baseline", cmd, env, workdir, "/stats")


def start_profiled(env: dict[str, str], workdir: Path, out: Path) -> Server:
    """The gateway under pyinstrument (``bench/profiled.py``); its profile is written
    to ``out`` when it stops."""
    cmd = [sys.executable, "-m", "bench.profiled", "--port", str(free_port()), "--out", str(out)]
    return _start("profiled", cmd, env, workdir, "/healthz")


def start_peer(env: dict[str, str], workdir: Path, database_url: str) -> Server:
    """PostGraphile v4 (``bench/peer/serve.js``) on the run's PostgreSQL database, verifying
    the same tokens (``BENCH_JWT_SECRET``); it listens once its schema is built."""
    node = shutil.which("node")
    if node is None or not (PEER / "node_modules" / "postgraphile").is_dir():
        raise SystemExit(
            "the peer (variant e) needs node and PostGraphile installed in bench/peer/: "
            "`make bench` installs it (npm ci there)"
        )
    url = database_url.replace("postgresql+asyncpg://", "postgresql://")
    cmd = [node, str(PEER / "serve.js"), "--port", str(free_port())]
    cmd += ["--pool-size", str(PEER_POOL_SIZE)]
    return _start("peer", cmd, {**env, "BENCH_PEER_DATABASE_URL": url}, workdir, "/healthz")
