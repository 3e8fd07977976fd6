"""The browser pages the gateway serves itself, GraphiQL (``GET /graphql``) and the REST
shim's docs (``GET /docs``), and the rule for both: a page is served only when every file
it loads from ``/static`` is there. Those bundles come from the npm registry
(``scripts/build-ui.sh``, run by ``make setup``) and are not in the repository, so an
install without that step answers a clear 503 page naming what is missing, instead of a
page whose scripts are 404s."""

from __future__ import annotations

import re
from html import escape
from importlib.resources import files
from pathlib import Path

from starlette.responses import HTMLResponse

STATIC = Path(str(files("app") / "static"))
_LOADS = re.compile(r'(?:src|href)="/static/([^"]+)"')


def missing_assets(html: str, static: Path) -> list[str]:
    """The files under ``/static`` that the page loads and ``static`` does not hold."""
    return [name for name in _LOADS.findall(html) if not (static / name).is_file()]


def page(name: str, title: str) -> HTMLResponse:
    """The page ``name`` from the static folder, or 503 when its assets are not built."""
    html = (STATIC / name).read_text()
    missing = missing_assets(html, STATIC)
    if not missing:
        return HTMLResponse(html)
    files_missing = ", ".join(f"<code>{escape(m)}</code>" for m in missing)
    return HTMLResponse(
        f"<!doctype html><title>{escape(title)}: assets not built</title>"
        f"<h1>{escape(title)} is unavailable: its browser assets are not built</h1>"
        f"<p>Missing: {files_missing}.</p>"
        "<p>They come from the npm registry: in a checkout, run <code>make setup</code> "
        "(needs Node.js and npm) or <code>bash scripts/build-ui.sh</code>, "
        "then restart the gateway.</p>",
        status_code=503,
        headers={"cache-control": "no-store"},
    )
