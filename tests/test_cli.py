"""The ``gateway`` command: tokens, schema and OpenAPI output, backups."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from app.auth import TokenService
from app.cli import parse_duration
from app.settings import Settings
from tests.helpers import run_cli


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
