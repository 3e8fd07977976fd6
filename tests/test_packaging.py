"""Reproducible installs: ``requirements.lock`` (what ``make setup`` installs, with
``--require-hashes``) pins every package the project and its dev tools need, each with
hashes, at versions pyproject.toml allows, and it is what this environment runs on; and a
hung test fails (pytest-timeout) instead of hanging CI."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9._-]+)==(\S+) \\$")


def _lock() -> dict[str, tuple[str, int]]:
    """Package (canonical name) -> (version, number of hashes)."""
    pins: dict[str, tuple[str, int]] = {}
    current: str | None = None
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if match := PIN.match(line):
            current = canonicalize_name(match[1])
            pins[current] = (match[2], 0)
        elif line.strip().startswith("--hash=sha256:") and current is not None:
            version, hashes = pins[current]
            pins[current] = (version, hashes + 1)
        elif not line.startswith((" ", "#")) and line.strip():
            raise AssertionError(f"unexpected line in requirements.lock: {line!r}")
    return pins


def _declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [
        Requirement(r) for r in project["dependencies"] + project["optional-dependencies"]["dev"]
    ]


def test_the_lock_pins_every_declared_dependency_within_its_range():
    pins = _lock()
    for requirement in _declared():
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement.name} is not in requirements.lock: run make lock"
        version = pins[name][0]
        assert requirement.specifier.contains(version, prereleases=True), (
            f"requirements.lock has {name}=={version}, pyproject.toml wants {requirement}"
        )


def test_every_locked_package_has_hashes():
    pins = _lock()
    assert len(pins) > 50
    assert {name for name, (_, hashes) in pins.items() if hashes == 0} == set()


def test_this_environment_runs_the_locked_versions():
    wrong = {}
    for name, (version, _) in _lock().items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = "missing"
        if installed != version:
            wrong[name] = (installed, version)
    assert wrong == {}, "installed != locked: run make setup"


def test_a_hung_test_fails_after_a_bound(pytestconfig: pytest.Config):
    assert pytestconfig.pluginmanager.hasplugin("timeout")
    assert pytestconfig.getini("timeout") == "300"
