"""The ``gateway`` command: serve, migrate, seed, token, demo-tokens, export-schema, openapi."""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import sys
from collections.abc import Sequence
from datetime import timedelta

import orjson

from app.auth import Role
from app.settings import Settings, get_settings

_DURATION = re.compile(r"^(\d+)([smhd]?)\Z")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> timedelta:
    """``3600``, ``90s``, ``30m``, ``8h`` or ``7d``."""
    match = _DURATION.match(text.strip())
    if not match or int(match.group(1)) == 0:
        raise argparse.ArgumentTypeError(f"invalid duration {text!r}: use e.g. 30m, 8h, 7d")
    return timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import os
    import tempfile

    import uvicorn

    if args.workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Workers write their metrics to a shared directory; /metrics sums them.
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="gateway-metrics-")

    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=None if args.reload else args.workers,
        reload=args.reload,
        proxy_headers=True,
        forwarded_allow_ips=args.forwarded_allow_ips,
        timeout_graceful_shutdown=args.graceful_timeout,
        log_level=args.log_level,
        log_config=None,  # the app configures structured logging itself
    )
    return 0


def cmd_migrate(_args: argparse.Namespace, settings: Settings) -> int:
    from app.migrate import upgrade

    upgrade(settings)
    print("database is at the latest revision", file=sys.stderr)
    return 0


def cmd_seed(args: argparse.Namespace, settings: Settings) -> int:
    from app.db import Database
    from app.seed import is_empty, seed_demo

    if not args.demo:
        print("nothing to seed: pass --demo", file=sys.stderr)
        return 2

    async def run() -> int:
        db = Database.from_settings(settings)
        try:
            if not await is_empty(db):
                if args.if_empty:
                    print("database already has data; demo seed skipped", file=sys.stderr)
                    return 0
                print("database is not empty; refusing to seed (use --if-empty)", file=sys.stderr)
                return 1
            await seed_demo(db, args.scale)
            print(f"demo data seeded (scale {args.scale})", file=sys.stderr)
            return 0
        finally:
            await db.dispose()

    return asyncio.run(run())


def cmd_token(args: argparse.Namespace, settings: Settings) -> int:
    from app.auth import TokenService

    print(TokenService(settings).issue(args.sub, args.role, args.org or [], args.ttl))
    return 0


def cmd_demo_tokens(_args: argparse.Namespace, settings: Settings) -> int:
    from app.auth import TokenService
    from app.seed.people import DEMO_LOGINS

    tokens = TokenService(settings)
    print("Demo bearer tokens (send as 'Authorization: Bearer <token>'):\n")
    for login in DEMO_LOGINS:
        token = tokens.issue(login.person_id, login.roles, login.orgs)
        print(f"# {login.person_id}: {login.what}\n{token}\n")
    return 0


def cmd_export_schema(_args: argparse.Namespace, settings: Settings) -> int:
    from schema import build_schema

    print(build_schema(settings).as_str())
    return 0


def cmd_openapi(_args: argparse.Namespace, settings: Settings) -> int:
    from app.rest.openapi import openapi_document

    sys.stdout.write(
        orjson.dumps(openapi_document(settings), option=orjson.OPT_INDENT_2).decode() + "\n"
    )
    return 0


def cmd_followups(_args: argparse.Namespace, settings: Settings) -> int:
    """One follow-up sweep (reminders and escalations into the outbox); prints a summary."""
    from app.db import Database
    from app.models.mentoring import ESCALATION, REMINDER
    from app.services.followups import sweep_once

    async def run() -> int:
        db = Database.from_settings(settings)
        try:
            result = await sweep_once(db, settings)
        finally:
            await db.dispose()
        summary = {"reminders": result.count(REMINDER), "escalations": result.count(ESCALATION)}
        print(orjson.dumps(summary).decode())
        return 0

    return asyncio.run(run())


def cmd_api_key(args: argparse.Namespace, settings: Settings) -> int:
    from app.auth import Principal, Role
    from app.db import Database
    from app.services import apikeys

    operator = Principal("cli-operator", frozenset({Role.ADMIN}))

    async def run() -> int:
        db = Database.from_settings(settings)
        try:
            if args.action == "create":
                async with db.write() as session:
                    issued = await apikeys.create_key(
                        session,
                        operator,
                        name=args.name,
                        person_id=args.person,
                        role=args.role,
                        orgs=args.org or [],
                    )
                print(issued.key)
                print(f"created {issued.row.id}; the key is shown only once", file=sys.stderr)
            elif args.action == "revoke":
                async with db.write() as session:
                    await apikeys.revoke_key(session, operator, args.key_id)
                print(f"revoked {args.key_id}", file=sys.stderr)
            else:
                async with db.read() as session:
                    for row in await apikeys.list_keys(session, operator):
                        state = "revoked" if row.revoked_at else "active"
                        print(f"{row.id}\t{state}\t{row.role}\t{row.person_id}\t{row.name}")
            return 0
        finally:
            await db.dispose()

    return asyncio.run(run())


def cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    """Online backup of the SQLite database (consistent while the gateway keeps serving)."""
    import sqlite3
    from pathlib import Path

    if not settings.is_sqlite:
        print("on PostgreSQL use pg_dump (see docs/operations.md)", file=sys.stderr)
        return 2
    source_path = settings.database_url.split(":///", 1)[1]
    target = Path(args.target)
    if target.exists():
        print(f"{target} exists; refusing to overwrite it", file=sys.stderr)
        return 1
    with sqlite3.connect(source_path) as source, sqlite3.connect(target) as copy:
        source.backup(copy)
    print(f"backed up {source_path} to {target}", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gateway", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the gateway with uvicorn")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--reload", action="store_true", help="restart on code changes (dev)")
    serve.add_argument(
        "--forwarded-allow-ips",
        default="127.0.0.1",
        help="proxies whose X-Forwarded-* headers are trusted",
    )
    serve.add_argument("--graceful-timeout", type=int, default=30)
    serve.add_argument("--log-level", default="info")
    serve.set_defaults(run=cmd_serve)

    sub.add_parser("migrate", help="upgrade the database to the latest schema").set_defaults(
        run=cmd_migrate
    )

    seed = sub.add_parser("seed", help="load demo data")
    seed.add_argument("--demo", action="store_true", help="the contracts' example data")
    seed.add_argument("--scale", type=int, default=1, help="multiply the volume (benchmarks)")
    seed.add_argument("--if-empty", action="store_true", help="do nothing if data exists")
    seed.set_defaults(run=cmd_seed)

    token = sub.add_parser("token", help="print a bearer token for the configured secret")
    token.add_argument("--sub", required=True, help="person id")
    token.add_argument(
        "--role",
        action="append",
        required=True,
        choices=[r.value for r in Role],
    )
    token.add_argument("--org", action="append", help="organisation id (repeatable)")
    token.add_argument("--ttl", type=parse_duration, default=None, help="e.g. 30m, 8h, 7d")
    token.set_defaults(run=cmd_token)

    api_key = sub.add_parser("api-key", help="manage API keys for legacy service clients")
    key_actions = api_key.add_subparsers(dest="action", required=True)
    create = key_actions.add_parser("create", help="create a key (printed once)")
    create.add_argument("--name", required=True)
    create.add_argument("--person", required=True, help="directory person the key acts as")
    create.add_argument("--role", required=True, choices=[r.value for r in Role])
    create.add_argument("--org", action="append", help="organisation id (repeatable)")
    revoke = key_actions.add_parser("revoke", help="revoke a key")
    revoke.add_argument("key_id")
    key_actions.add_parser("list", help="list keys")
    api_key.set_defaults(run=cmd_api_key)

    backup = sub.add_parser("backup", help="online backup of the SQLite database")
    backup.add_argument("target", help="path of the backup file to create")
    backup.set_defaults(run=cmd_backup)

    sub.add_parser("demo-tokens", help="print tokens for the demo roles").set_defaults(
        run=cmd_demo_tokens
    )
    sub.add_parser("export-schema", help="print the GraphQL SDL").set_defaults(
        run=cmd_export_schema
    )
    sub.add_parser("openapi", help="print the REST shim's OpenAPI document").set_defaults(
        run=cmd_openapi
    )
    followups = sub.add_parser("followups", help="mentoring follow-up reminders/escalations")
    followups.add_subparsers(dest="action", required=True).add_parser(
        "run", help="raise every due reminder and escalation once (safe to run concurrently)"
    )
    followups.set_defaults(run=cmd_followups)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    args = build_parser().parse_args(argv)
    if args.command == "seed" and args.scale < 1:
        build_parser().error("--scale must be at least 1")
    return int(args.run(args, get_settings()))


if __name__ == "__main__":
    raise SystemExit(main())
