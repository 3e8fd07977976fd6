"""Milestone badge images at run time: their URLs and which ones exist.

The images are PNGs in ``app/static/badges``, served publicly at
``/assets/badges/<name>.png``. They are drawn at build time by ``app/tools/badges.py``
(``python -m app.tools.badges``) and committed; the running gateway only names them.
"""

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path

BADGE_DIR = Path(str(files("app") / "static" / "badges"))
BADGE_URL = "/assets/badges/{}.png"
BADGE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}\Z")

# One generic badge per type, usable for any threshold an admin adds.
GENERIC = {
    "hours_logged": "hours",
    "contacts_helped": "contacts",
    "activities_logged": "activities",
}


def badge_url(name: str) -> str:
    return BADGE_URL.format(name)


def badge_exists(name: str) -> bool:
    return bool(BADGE_NAME.match(name)) and (BADGE_DIR / f"{name}.png").is_file()


def available_badges() -> list[str]:
    return sorted(path.stem for path in BADGE_DIR.glob("*.png"))
