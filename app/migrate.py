"""Alembic, configured from the settings (no ini file needed): ``gateway migrate``.

Each domain's migrations form a branch off the foundation revision; ``upgrade heads`` runs
them all. On PostgreSQL the run holds an advisory lock, so concurrent deploys are safe.
"""

from __future__ import annotations

from importlib.resources import files

from alembic import command
from alembic.config import Config

from app.settings import Settings


def alembic_config(settings: Settings) -> Config:
    config = Config()
    config.set_main_option("script_location", str(files("app") / "migrations"))
    config.set_main_option("sqlalchemy.url", settings.database_url.replace("%", "%%"))
    config.attributes["settings"] = settings
    return config


def upgrade(settings: Settings, revision: str = "heads") -> None:
    command.upgrade(alembic_config(settings), revision)


def downgrade(settings: Settings, revision: str = "base") -> None:
    command.downgrade(alembic_config(settings), revision)
