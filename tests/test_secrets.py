"""Signing secrets: long enough for their algorithm (a start-up error naming the setting
otherwise), and the generated development secret anchored to the database, so a command
run from any directory signs tokens the server accepts."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from pydantic import ValidationError

from app.auth import TokenService, jwt_secret, secret_file_for
from app.settings import Settings
from tests.helpers import app_client

ROOT = Path(__file__).resolve().parents[1]
CREATED = "gateway: created a development JWT secret in "


def _settings(**values: object) -> Settings:
    return Settings(**values, _env_file=None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("algorithm", "secret", "minimum", "size"),
    [
        ("HS256", "x" * 29, 32, 29),
        ("HS256", "x" * 31, 32, 31),
        ("HS384", "x" * 40, 48, 40),
        ("HS512", "x" * 63, 64, 63),
    ],
)
def test_short_jwt_secret_is_refused_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, algorithm: str, secret: str, minimum: int, size: int
):
    monkeypatch.setenv("GATEWAY_ENV", "production")
    monkeypatch.setenv("GATEWAY_JWT_ALGORITHM", algorithm)
    monkeypatch.setenv("GATEWAY_JWT_SECRET", secret)
    with pytest.raises(ValidationError) as refused:
        Settings(_env_file=None)
    assert [error["msg"] for error in refused.value.errors()] == [
        f"Value error, GATEWAY_JWT_SECRET (for {algorithm}) must be at least {minimum} bytes"
        f' (it has {size}); generate one with python -c "import secrets;'
        ' print(secrets.token_urlsafe(48))"'
    ]


def test_secret_of_the_minimum_size_signs_without_a_library_warning():
    for secret in ("x" * 32, "é" * 16):  # bytes count, not characters
        settings = _settings(env="production", jwt_secret=secret)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            tokens = TokenService(settings)
            assert tokens.decode(tokens.issue("admin_001", ["admin"])).person_id == "admin_001"
    with pytest.raises(ValidationError, match="at least 32 bytes \\(it has 30\\)"):
        _settings(jwt_secret="é" * 15)


def test_short_metrics_token_is_refused():
    with pytest.raises(ValidationError) as refused:
        _settings(metrics_token="scrape-me")
    assert "GATEWAY_METRICS_TOKEN must be at least 32 bytes (it has 9)" in str(refused.value)
    assert _settings(metrics_token="m" * 32).metrics_token is not None


def test_short_development_secret_file_is_refused(tmp_path: Path):
    secret_file = tmp_path / "gw.db.jwt-secret"
    secret_file.write_text("short")
    with pytest.raises(RuntimeError) as refused:
        TokenService(_settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/gw.db"))
    assert str(refused.value) == (
        f"The development JWT secret in {secret_file} (for HS256) must be at least 32 bytes"
        ' (it has 5); generate one with python -c "import secrets;'
        ' print(secrets.token_urlsafe(48))", or delete the file to have one generated'
    )


def test_the_cli_refuses_to_start_with_a_short_secret(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    run = subprocess.run(
        [sys.executable, "-m", "app.cli", "token", "--sub", "admin_001", "--role", "admin"],
        env={**env, "PYTHONPATH": str(ROOT), "GATEWAY_JWT_SECRET": "x" * 29},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode != 0
    assert run.stdout == ""
    assert "GATEWAY_JWT_SECRET (for HS256) must be at least 32 bytes (it has 29)" in run.stderr


def _demo_tokens(database_url: str, cwd: Path, state: Path) -> tuple[dict[str, str], str]:
    """``gateway demo-tokens`` in a process of its own: tokens by person id, and stderr."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    env.update(PYTHONPATH=str(ROOT), GATEWAY_DATABASE_URL=database_url, XDG_STATE_HOME=str(state))
    run = subprocess.run(
        [sys.executable, "-m", "app.cli", "demo-tokens"],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return dict(re.findall(r"^# (\S+): .*\n(\S+)$", run.stdout, re.MULTILINE)), run.stderr


async def test_demo_tokens_from_another_directory_are_accepted_by_the_server(
    settings: Settings, demo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    state, elsewhere = tmp_path / "state", tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.setenv("XDG_STATE_HOME", str(state))
    development = settings.model_copy(update={"jwt_secret": None})
    expected = secret_file_for(development)
    assert expected is not None
    if settings.is_sqlite:
        assert expected == Path(settings.database_url.split(":///", 1)[1] + ".jwt-secret")
    else:
        assert expected.parent == state / "gateway"
    expected.unlink(missing_ok=True)
    try:
        tokens, stderr = _demo_tokens(settings.database_url, elsewhere, state)
        assert stderr.splitlines() == [
            f"{CREATED}{expected}; every gateway command and server using this database signs"
            " tokens with it (GATEWAY_JWT_SECRET overrides it)"
        ]
        assert list(elsewhere.iterdir()) == []
        assert stat.S_IMODE(expected.stat().st_mode) == 0o600
        again, stderr = _demo_tokens(settings.database_url, elsewhere, state)
        assert CREATED not in stderr  # said once, when it was created
        async with app_client(development) as client:
            for token, person in (
                (tokens["admin_001"], "admin_001"),
                (tokens["user_007"], "user_007"),
                (again["user_042"], "user_042"),
            ):
                response = await client.get(
                    "/api/v1/me", headers={"Authorization": f"Bearer {token}"}
                )
                assert response.status_code == 200, response.text
                assert response.json()["id"] == person
    finally:
        expected.unlink(missing_ok=True)


def test_relative_sqlite_url_anchors_the_secret_to_the_database_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.chdir(tmp_path)
    settings = _settings(database_url="sqlite+aiosqlite:///./data/gateway.db")
    assert secret_file_for(settings) == tmp_path / "data" / "gateway.db.jwt-secret"


def test_secret_file_setting_overrides_the_default(tmp_path: Path):
    chosen = tmp_path / "keys" / "gateway.jwt-secret"
    settings = _settings(
        database_url="postgresql+asyncpg://gw@db.example:6543/gateway", jwt_secret_file=chosen
    )
    assert secret_file_for(settings) == chosen
    first = TokenService(settings)
    assert TokenService(settings).decode(first.issue("admin_001", ["admin"])).is_admin
    assert stat.S_IMODE(chosen.stat().st_mode) == 0o600


def test_postgres_default_is_in_the_state_directory_keyed_by_the_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    settings = _settings(database_url="postgresql+asyncpg://gw:pw@db.example:6543/gate/way")
    assert secret_file_for(settings) == tmp_path / "gateway" / "db.example-6543-gate_way.jwt-secret"
    monkeypatch.delenv("XDG_STATE_HOME")
    assert secret_file_for(settings) == (
        Path.home() / ".local" / "state" / "gateway" / "db.example-6543-gate_way.jwt-secret"
    )


def test_in_memory_database_keeps_its_secret_in_the_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.chdir(tmp_path)
    settings = _settings(database_url="sqlite+aiosqlite:///:memory:")
    assert secret_file_for(settings) is None
    token = TokenService(settings).issue("admin_001", ["admin"])
    assert TokenService(settings).decode(token).person_id == "admin_001"
    assert list(tmp_path.iterdir()) == []


def test_workers_starting_together_agree_on_one_secret(tmp_path: Path):
    settings = _settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/gw.db")
    start = threading.Barrier(8)

    def worker() -> str:
        start.wait(timeout=30)
        return jwt_secret(settings)

    with ThreadPoolExecutor(8) as pool:
        seen = set(pool.map(lambda _: worker(), range(8)))
    assert seen == {(tmp_path / "gw.db.jwt-secret").read_text()}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gw.db.jwt-secret"]
