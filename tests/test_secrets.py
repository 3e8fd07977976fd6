"""Signing secrets: long enough for their algorithm (a start-up error naming the setting
otherwise)."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from pydantic import ValidationError

from app.auth import TokenService
from app.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


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
