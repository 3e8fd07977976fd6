"""The ``gateway`` command: serving, migrations, demo data, tokens, API keys, backups,
follow-up sweeps and the schema documents.

Every command fails in one line on stderr: exit 2 for a configuration error (naming the
setting), 3 when the database is unreachable (saying where), and 141 (128 + SIGPIPE, as
the shell reports a process a closed pipe ended) when its output is closed early.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import re
import signal
import sys
from collections.abc import Callable, Sequence
from datetime import timedelta

import orjson
from pydantic import ValidationError

from app.auth import Role
from app.logs import configure_logging
from app.settings import ConfigurationError, Settings, get_settings

_DURATION = re.compile(r"^(\d+)([smhd]?)\Z")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> timedelta:
    """``3600``, ``90s``, ``30m``, ``8h`` or ``7d``."""
    match = _DURATION.match(text.strip())
    if not match or int(match.group(1)) == 0:
        raise argparse.ArgumentTypeError(f"invalid duration {text!r}: use e.g. 30m, 8h, 7d")
    return timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import tempfile

    import uvicorn

    from app.logs import uvicorn_log_config
    from app.main import create_app

    # Several workers need a backend that carries events between them: refused otherwise;
    # the workers build their apps from the environment, so the resolved one goes there.
    backend = settings.events_backend_for(1 if args.reload else args.workers)
    if backend != settings.events_backend:
        os.environ["GATEWAY_EVENTS_BACKEND"] = backend
        settings = settings.model_copy(update={"events_backend": backend})
    if args.workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Workers write their metrics to a shared directory; /metrics sums them.
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="gateway-metrics-")

    # Built here first, so a configuration error stops `serve` before it binds the port; one
    # process serves this app, several (or --reload) build their own from the factory.
    app = create_app(settings)
    subprocesses = args.reload or args.workers > 1
    base = f"http://{_browsable(args.host)}:{args.port}"
    graphiql = (
        f"GraphiQL at {base}/graphql"
        if settings.graphiql_enabled
        else "GraphiQL off (GATEWAY_GRAPHIQL=true serves it)"
    )
    logging.getLogger("gateway").info("%s, REST API docs at %s/docs", graphiql, base)
    uvicorn.run(
        "app.main:create_app" if subprocesses else app,
        factory=subprocesses,
        host=args.host,
        port=args.port,
        workers=None if args.reload else args.workers,
        reload=args.reload,
        http="app.serving:BoundedHttpToolsProtocol",
        proxy_headers=True,
        forwarded_allow_ips=args.forwarded_allow_ips,
        timeout_graceful_shutdown=args.graceful_timeout,
        log_level=args.log_level,
        log_config=uvicorn_log_config(settings),
        access_log=False,  # the gateway's own access log has the request id and the route
    )
    return 0


def _browsable(host: str) -> str:
    """The address to open for a listening host (all interfaces: this machine)."""
    if host in ("0.0.0.0", "::", ""):  # noqa: S104 (a listening address, not a bind)
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


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
    """One follow-up sweep (reminders and escalations into the outbox); prints a summary.
    Its change events wait in the event outbox for a serving gateway's relay to publish."""
    from app.db import Database
    from app.models.mentoring import ESCALATION, REMINDER
    from app.services.followups import sweep_once
    from app.services.work import Work

    async def run() -> int:
        db = Database.from_settings(settings)
        try:
            result = await sweep_once(Work(db, settings, None))
        finally:
            await db.dispose()
        summary = {"reminders": result.count(REMINDER), "escalations": result.count(ESCALATION)}
        print(orjson.dumps(summary).decode())
        return 0

    return asyncio.run(run())


def cmd_deliveries(_args: argparse.Namespace, settings: Settings) -> int:
    """One notification delivery pass (webhooks and email); prints a summary. Safe to run
    while serving gateways and other passes deliver too."""
    from app.db import Database
    from app.services.deliveries import run_once
    from app.services.work import Work

    async def run() -> int:
        db = Database.from_settings(settings)
        try:
            summary = await run_once(Work(db, settings, None))
        finally:
            await db.dispose()
        print(orjson.dumps(summary.as_dict()).decode())
        return 0

    return asyncio.run(run())


def cmd_api_key(args: argparse.Namespace, settings: Settings) -> int:
    from app.auth import Principal, Role
    from app.db import Database
    from app.services import apikeys
    from app.services.work import Work

    operator = Principal("cli-operator", frozenset({Role.ADMIN}))

    async def run() -> int:
        db = Database.from_settings(settings)
        work = Work(db, settings, None)
        try:
            if args.action == "create":
                issued = await work.run(
                    apikeys.create_key,
                    operator,
                    name=args.name,
                    person_id=args.person,
                    role=args.role,
                    orgs=args.org or [],
                )
                print(issued.key)
                print(f"created {issued.row.id}; the key is shown only once", file=sys.stderr)
            elif args.action == "revoke":
                await work.run(apikeys.revoke_key, operator, args.key_id)
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


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows an option's default where it has one (not for flags and unset options)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default in (None, False) or "default" in (action.help or ""):
            return action.help
        return super()._get_help_string(action)


def _commands(
    parser: argparse.ArgumentParser, dest: str, metavar: str
) -> Callable[[str, str], argparse.ArgumentParser]:
    """``add(name, summary)`` for the subcommands of ``parser``."""
    sub = parser.add_subparsers(dest=dest, required=True, metavar=metavar, title=f"{dest}s")

    def add(name: str, summary: str) -> argparse.ArgumentParser:
        return sub.add_parser(
            name,
            help=summary,
            description=summary[0].upper() + summary[1:] + ".",
            formatter_class=_HelpFormatter,
        )

    return add


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gateway",
        description="The GraphQL API gateway and its REST shim: serve it and operate it.",
        epilog="Settings come from GATEWAY_* environment variables (and a .env file). "
        "Exit status: 2 for a configuration error, 3 for an unreachable database, "
        "141 when the output is closed early.",
    )
    command = _commands(parser, "command", "COMMAND")

    serve = command("serve", "run the gateway (uvicorn)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on")
    serve.add_argument("--workers", type=int, default=1, help="worker processes")
    serve.add_argument("--reload", action="store_true", help="restart on code changes (dev)")
    serve.add_argument(
        "--forwarded-allow-ips",
        default="127.0.0.1",
        help="proxies whose X-Forwarded-* headers are trusted (comma-separated, or *)",
    )
    serve.add_argument(
        "--graceful-timeout",
        type=int,
        default=30,
        help="seconds in-flight requests get to finish on shutdown",
    )
    serve.add_argument(
        "--log-level",
        default="info",
        choices=["critical", "error", "warning", "info", "debug", "trace"],
        help="level of uvicorn's own log lines (the app's: GATEWAY_LOG_LEVEL)",
    )
    serve.set_defaults(run=cmd_serve)

    command("migrate", "upgrade the database to the latest schema").set_defaults(
        run=cmd_migrate, database=True
    )

    seed = command("seed", "load demo data")
    seed.add_argument("--demo", action="store_true", help="the contracts' example data")
    seed.add_argument("--scale", type=int, default=1, help="multiply the volume (benchmarks)")
    seed.add_argument("--if-empty", action="store_true", help="do nothing if data exists")
    seed.set_defaults(run=cmd_seed, database=True)

    token = command("token", "print a bearer token signed with the configured secret")
    token.add_argument("--sub", required=True, help="person id")
    token.add_argument(
        "--role",
        action="append",
        required=True,
        choices=[r.value for r in Role],
        help="role (repeatable)",
    )
    token.add_argument("--org", action="append", help="organisation id (repeatable)")
    token.add_argument(
        "--ttl",
        type=parse_duration,
        default=None,
        help="lifetime, e.g. 30m, 8h, 7d (default: GATEWAY_TOKEN_TTL_SECONDS)",
    )
    token.set_defaults(run=cmd_token)

    api_key = command("api-key", "create, revoke and list API keys of legacy service clients")
    key_action = _commands(api_key, "action", "ACTION")
    create = key_action("create", "create a key (printed once)")
    create.add_argument("--name", required=True, help="what the key is for")
    create.add_argument("--person", required=True, help="directory person the key acts as")
    create.add_argument(
        "--role", required=True, choices=[r.value for r in Role], help="the key's role"
    )
    create.add_argument("--org", action="append", help="organisation id (repeatable)")
    revoke = key_action("revoke", "revoke a key")
    revoke.add_argument("key_id", help="id of the key (as 'api-key list' shows it)")
    key_action("list", "list the keys, active and revoked")
    api_key.set_defaults(run=cmd_api_key, database=True)

    backup = command("backup", "online backup of the SQLite database")
    backup.add_argument("target", help="path of the backup file to create")
    backup.set_defaults(run=cmd_backup, database=True)

    command("demo-tokens", "print bearer tokens for the demo people").set_defaults(
        run=cmd_demo_tokens
    )
    command("export-schema", "print the GraphQL SDL").set_defaults(run=cmd_export_schema)
    command("openapi", "print the REST shim's OpenAPI document").set_defaults(run=cmd_openapi)
    followups = command("followups", "mentoring follow-ups: raise due reminders and escalations")
    _commands(followups, "action", "ACTION")(
        "run", "raise every due reminder and escalation once (safe to run concurrently)"
    )
    followups.set_defaults(run=cmd_followups, database=True)
    deliveries = command("deliveries", "notification delivery through webhooks and email")
    _commands(deliveries, "action", "ACTION")(
        "run", "send every due notification delivery once (safe to run concurrently)"
    )
    deliveries.set_defaults(run=cmd_deliveries, database=True)
    return parser


class _Unreachable(Exception):
    """The database did not answer a connection check."""


def _check_database(settings: Settings) -> None:
    from sqlalchemy.engine import make_url

    from app.db import Database

    async def ping() -> None:
        db = Database.from_settings(settings)
        try:
            await db.ping()
        finally:
            await db.dispose()

    try:
        if settings.is_sqlite:
            # sqlite3 itself: a failed aiosqlite connect leaves a thread that outlives the loop.
            import sqlite3
            from contextlib import closing

            with closing(sqlite3.connect(make_url(settings.database_url).database or "")) as c:
                c.execute("SELECT 1")
        else:
            asyncio.run(ping())
    except Exception as error:
        cause: BaseException = error
        while cause.__cause__ is not None:
            cause = cause.__cause__
        reason = (str(cause).splitlines() or [type(cause).__name__])[0]
        where = make_url(settings.database_url).render_as_string(hide_password=True)
        raise _Unreachable(
            f"database unreachable at {where} (GATEWAY_DATABASE_URL): {reason}"
        ) from None


def _settings_errors(error: ValidationError) -> list[str]:
    """One line per invalid setting, named as its environment variable."""
    lines = []
    for item in error.errors(include_url=False, include_input=False):
        name = "GATEWAY_" + "_".join(str(part) for part in item["loc"]).upper()
        message = item["msg"].removeprefix("Value error, ")
        lines.append(f"gateway: configuration error: {name}: {message}")
    return lines


def _run(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "seed" and args.scale < 1:
        build_parser().error("--scale must be at least 1")
    try:
        settings = get_settings()
    except ValidationError as error:
        print("\n".join(_settings_errors(error)), file=sys.stderr)
        return 2
    if settings.configure_logging:
        configure_logging(settings)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    try:
        if getattr(args, "database", False):
            _check_database(settings)
        return int(args.run(args, settings))
    except ConfigurationError as error:
        print(f"gateway: configuration error: {error}", file=sys.stderr)
        return 2
    except _Unreachable as error:
        print(f"gateway: {error}", file=sys.stderr)
        return 3


def main(argv: Sequence[str] | None = None) -> int:
    """The entry point of every command."""
    try:
        try:
            code = _run(argv)
        finally:  # also on SystemExit: a closed pipe shows here, not at interpreter exit
            sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (``gateway export-schema | head``): stop quietly, and keep the
        # interpreter's final flush from failing again on the closed descriptor.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 128 + signal.SIGPIPE
    return code


if __name__ == "__main__":
    raise SystemExit(main())
