"""The ``gateway`` command: tokens, schema and OpenAPI output, backups."""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.auth import TokenService
from app.cli import build_parser, parse_duration
from app.settings import Settings
from tests.helpers import free_port, gateway_env, run_cli


async def test_token_command_prints_a_valid_token(
    settings: Settings, capsys: pytest.CaptureFixture[str]
):
    code = await run_cli(
        settings,
        "token",
        "--sub",
        "user_007",
        "--role",
        "coordinator",
        "--org",
        "org_03",
        "--ttl",
        "30m",
    )
    assert code == 0
    principal = TokenService(settings).decode(capsys.readouterr().out.strip())
    assert principal.person_id == "user_007"
    assert principal.orgs == frozenset({"org_03"})


def test_durations():
    assert parse_duration("90s").total_seconds() == 90
    assert parse_duration("8h").total_seconds() == 8 * 3600
    assert parse_duration("3600").total_seconds() == 3600
    for bad in ("0", "-5m", "1y", "soon"):
        with pytest.raises(Exception, match="invalid duration"):
            parse_duration(bad)


async def test_export_schema_and_openapi(settings: Settings, capsys: pytest.CaptureFixture[str]):
    assert await run_cli(settings, "export-schema") == 0
    sdl = capsys.readouterr().out
    assert "type Query" in sdl
    assert "interface Node" in sdl
    assert await run_cli(settings, "openapi") == 0
    document = json.loads(capsys.readouterr().out)
    assert document["openapi"].startswith("3.")
    assert "/api/v1/me" in document["paths"]


async def test_backup_copies_a_live_sqlite_database(settings: Settings, demo, tmp_path: Path):
    target = tmp_path / "backup.db"
    code = await run_cli(settings, "backup", str(target))
    if not settings.is_sqlite:
        assert code == 2  # PostgreSQL is backed up with pg_dump
        assert not target.exists()
        return
    assert code == 0
    with sqlite3.connect(target) as copy:
        assert copy.execute("SELECT name FROM people WHERE id = 'user_042'").fetchone() == (
            "Ola Hansen",
        )
    assert await run_cli(settings, "backup", str(target)) == 1  # never overwrites


def _gateway(
    *argv: str, env: dict[str, str], cwd: Path, stdout: int | None = subprocess.PIPE
) -> subprocess.CompletedProcess[str]:
    """The real ``gateway`` command as a subprocess (in an empty directory: no ``.env``)."""
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *argv],
        env=env,
        cwd=cwd,
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        timeout=120,
    )


EVERY_COMMAND = [
    ["serve"],
    ["migrate"],
    ["seed", "--demo"],
    ["token", "--sub", "user_007", "--role", "admin"],
    ["api-key", "list"],
    ["backup", "copy.db"],
    ["demo-tokens"],
    ["export-schema"],
    ["openapi"],
    ["followups", "run"],
]


@pytest.mark.parametrize(
    ("setting", "value", "line"),
    [
        ("GATEWAY_ENV", "prod", "GATEWAY_ENV: Input should be 'development' or 'production'"),
        (
            "GATEWAY_RATE_LIMIT_PER_IP",
            "lots",
            "GATEWAY_RATE_LIMIT_PER_IP: couldn't parse rate limit string 'lots'",
        ),
        (
            "GATEWAY_DB_POOL_SIZE",
            "0",
            "GATEWAY_DB_POOL_SIZE: Input should be greater than or equal to 1",
        ),
    ],
)
@pytest.mark.parametrize("argv", EVERY_COMMAND, ids=lambda argv: argv[0])
def test_an_invalid_setting_is_one_line_naming_it(
    settings: Settings, tmp_path: Path, argv: list[str], setting: str, value: str, line: str
):
    result = _gateway(*argv, env=gateway_env(settings, **{setting: value}), cwd=tmp_path)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"gateway: configuration error: {line}\n"


@pytest.mark.parametrize("argv", [["serve"], ["token", "--sub", "user_007", "--role", "admin"]])
def test_production_without_a_secret_is_one_line(settings: Settings, tmp_path: Path, argv):
    env = gateway_env(settings, GATEWAY_ENV="production")
    del env["GATEWAY_JWT_SECRET"]
    result = _gateway(*argv, env=env, cwd=tmp_path)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        "gateway: configuration error: GATEWAY_JWT_SECRET must be set when GATEWAY_ENV=production\n"
    )


@pytest.mark.parametrize(
    "argv",
    [argv for argv in EVERY_COMMAND if argv[0] in {"migrate", "seed", "api-key", "followups"}],
    ids=lambda argv: argv[0],
)
def test_an_unreachable_database_is_one_line_saying_where(
    settings: Settings, tmp_path: Path, argv: list[str]
):
    port = free_port()  # nothing listens on it
    url = f"postgresql+asyncpg://gateway:hunter2@127.0.0.1:{port}/gateway"
    result = _gateway(*argv, env=gateway_env(settings, GATEWAY_DATABASE_URL=url), cwd=tmp_path)
    assert (result.returncode, result.stdout) == (3, "")
    assert result.stderr == (
        f"gateway: database unreachable at postgresql+asyncpg://gateway:***@127.0.0.1:{port}"
        f"/gateway (GATEWAY_DATABASE_URL): [Errno 111] Connect call failed "
        f"('127.0.0.1', {port})\n"
    )


def test_a_missing_sqlite_directory_is_one_line(settings: Settings, tmp_path: Path):
    url = f"sqlite+aiosqlite:///{tmp_path}/missing/gateway.db"
    result = _gateway("migrate", env=gateway_env(settings, GATEWAY_DATABASE_URL=url), cwd=tmp_path)
    assert (result.returncode, result.stdout) == (3, "")
    assert result.stderr == (
        f"gateway: database unreachable at {url} (GATEWAY_DATABASE_URL): "
        "unable to open database file\n"
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["export-schema"],
        ["openapi"],
        ["demo-tokens"],
        ["token", "--sub", "user_007", "--role", "admin"],
    ],
    ids=lambda argv: argv[0],
)
def test_a_closed_output_pipe_ends_quietly(settings: Settings, tmp_path: Path, argv: list[str]):
    # As ``gateway export-schema | head -1`` once head has exited: every write finds the
    # pipe's reading end closed.
    reader, writer = os.pipe()
    os.close(reader)
    try:
        result = _gateway(*argv, env=gateway_env(settings), cwd=tmp_path, stdout=writer)
    finally:
        os.close(writer)
    assert result.stderr == ""
    assert result.returncode == 141  # 128 + SIGPIPE, as the shell reports `head`'s writer


def _parsers(parser: argparse.ArgumentParser) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    """Every (sub)command parser: (its command line, the parser)."""
    yield parser.prog, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                yield from _parsers(child)


def test_help_lists_every_command_with_a_summary_and_every_option_with_help(
    settings: Settings, tmp_path: Path
):
    parser = build_parser()
    top = _gateway("--help", env=gateway_env(settings), cwd=tmp_path)
    assert top.returncode == 0
    assert "`" not in top.stdout
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    summaries = {a.dest: a.help for a in commands._choices_actions}
    assert set(summaries) == set(commands.choices)
    listed = " ".join(top.stdout.split())  # summaries may wrap
    for name, summary in summaries.items():
        assert summary
        assert f"{name} {summary}" in listed
    for prog, sub in _parsers(parser):
        text = _gateway(*prog.split()[1:], "--help", env=gateway_env(settings), cwd=tmp_path)
        assert text.returncode == 0, prog
        assert "`" not in text.stdout, prog
        flat = " ".join(text.stdout.split())
        for action in sub._actions:
            if isinstance(action, argparse._HelpAction | argparse._SubParsersAction):
                continue
            assert action.help, f"{prog} {action.dest} has no help"
            if action.default not in (None, False):
                assert f"(default: {action.default})" in flat, f"{prog} {action.dest}"
