"""The pages the gateway serves to browsers (GraphiQL, the REST docs): with their npm-built
assets, the page and everything it loads answer 200; without them (an install that skipped
scripts/build-ui.sh), the page is a clear 503 naming what is missing, not a 200 page whose
scripts are 404s."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import httpx
import pytest

from app import assets

HTML = {"accept": "text/html"}
PAGES = [("/docs", "The REST API docs"), ("/graphql", "GraphiQL")]
# What each page loads from /static: the npm-built bundles, then the repository's own script.
BUILT = {
    "/docs": ["swagger/swagger-ui.css", "swagger/swagger-ui-bundle.js"],
    "/graphql": [
        "graphiql/graphiql.min.css",
        "graphiql/react.production.min.js",
        "graphiql/react-dom.production.min.js",
        "graphiql/graphiql.min.js",
    ],
}
OWN = {"/docs": "swagger-init.js", "/graphql": "graphiql-start.js"}


@pytest.fixture
def unbuilt_static(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The static folder as a checkout has it before scripts/build-ui.sh."""
    static = tmp_path / "static"
    shutil.copytree(
        assets.STATIC,
        static,
        ignore=lambda folder, _names: (
            ["graphiql", "swagger"] if Path(folder) == assets.STATIC else []
        ),
    )
    monkeypatch.setattr(assets, "STATIC", static)
    return static


@pytest.mark.parametrize(("path", "title"), PAGES)
async def test_a_page_and_everything_it_loads_are_served(client: httpx.AsyncClient, path, title):
    response = await client.get(path, headers=HTML)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    loaded = re.findall(r'(?:src|href)="(/static/[^"]+)"', response.text)
    assert loaded == [f"/static/{name}" for name in [*BUILT[path], OWN[path]]]
    for asset in loaded:
        assert (await client.get(asset)).status_code == 200, asset


@pytest.mark.parametrize(("path", "title"), PAGES)
async def test_a_page_without_its_built_assets_is_a_clear_503(
    client: httpx.AsyncClient, unbuilt_static: Path, path, title
):
    response = await client.get(path, headers=HTML)
    assert response.status_code == 503
    assert response.headers["cache-control"] == "no-store"
    missing = ", ".join(f"<code>{name}</code>" for name in BUILT[path])
    assert response.text == (
        f"<!doctype html><title>{title}: assets not built</title>"
        f"<h1>{title} is unavailable: its browser assets are not built</h1>"
        f"<p>Missing: {missing}.</p>"
        "<p>They come from the npm registry: in a checkout, run <code>make setup</code> "
        "(needs Node.js and npm) or <code>bash scripts/build-ui.sh</code>, "
        "then restart the gateway.</p>"
    )


def test_missing_assets_names_only_what_a_page_loads_and_lacks(tmp_path: Path):
    (tmp_path / "swagger").mkdir()
    (tmp_path / "swagger" / "swagger-ui.css").write_text("")
    html = '<link href="/static/swagger/swagger-ui.css"><script src="/static/swagger/x.js">'
    assert assets.missing_assets(html, tmp_path) == ["swagger/x.js"]
