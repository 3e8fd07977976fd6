"""GraphiQL and the REST docs work in a real browser with no internet: headless Chromium
loads them from the gateway itself, runs a query with a bearer token and sees data, and
runs a subscription (over WebSocket, the Headers tab's token as connection params) that
shows an event a mutation over HTTP caused. Fails when GraphiQL has no subscription URL
or does not pass the token, or the event never reaches its result pane."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.conftest import LiveServer
from tests.helpers import Auth, wait_for_subscribers, wait_for_unsubscribed

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    chromium = shutil.which("chromium")
    driver_path = shutil.which("chromedriver")
    if chromium is None or driver_path is None:
        pytest.fail("chromium and chromedriver are required (make test installs them)")
    os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium fetch a browser
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    profile = tempfile.mkdtemp(prefix="gateway-chromium-")
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--window-size=1400,900",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


async def test_graphiql_runs_a_query_with_a_token(
    browser: webdriver.Chrome, live_url: str, demo, auth: Auth
):
    base = f"http://{live_url}"
    browser.get(f"{base}/graphql")
    headers = json.dumps(auth.admin)
    browser.execute_script(
        "localStorage.setItem('graphiql:headers', arguments[0]);"
        "localStorage.setItem('graphiql:query', arguments[1]);",
        headers,
        "query Me { me { legacyId name } }",
    )
    browser.get(f"{base}/graphql")
    wait = WebDriverWait(browser, 30)
    button = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, ".graphiql-execute-button"))
    button.click()
    wait.until(lambda d: "Ada Admin" in d.find_element(By.CSS_SELECTOR, ".result-window").text)
    # Every script and stylesheet came from the gateway itself.
    sources = browser.execute_script(
        "return [...document.scripts].map(s => s.src).concat("
        "[...document.querySelectorAll('link[rel=stylesheet]')].map(l => l.href))"
    )
    assert sources
    assert all(src.startswith(base) for src in sources if src), sources


async def test_graphiql_runs_a_subscription(
    browser: webdriver.Chrome, live_server: LiveServer, demo, auth: Auth
):
    base = f"http://{live_server.url}"
    before = live_server.app.state.events.subscriber_count
    browser.get(f"{base}/graphql")
    browser.execute_script(
        "localStorage.clear();"  # no tabs kept from another test
        "localStorage.setItem('graphiql:headers', arguments[0]);"
        "localStorage.setItem('graphiql:query', arguments[1]);",
        json.dumps(auth.admin),
        "subscription Changes { personChanged { kind personId } }",
    )
    browser.get(f"{base}/graphql")
    wait = WebDriverWait(browser, 60)
    wait.until(
        lambda d: "personChanged" in d.find_element(By.CSS_SELECTOR, ".graphiql-query-editor").text
    )
    # GraphiQL sends an operation over WebSocket only once it has parsed it and found a
    # subscription; until then (its parse of a loaded editor is debounced, and slow on a
    # busy machine) a click sends it over HTTP. An edit makes it parse again, and it
    # records the operation name it found in local storage when it has: click after that.
    browser.execute_script(
        "var cm = document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror;"
        "cm.setValue(cm.getValue() + ' ');"
    )
    wait.until(
        lambda d: (
            d.execute_script("return localStorage.getItem('graphiql:operationName')") == "Changes"
        )
    )
    button = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, ".graphiql-execute-button"))
    button.click()
    await wait_for_subscribers(live_server.app, before + 1, within=30)
    async with httpx.AsyncClient(base_url=base) as http:
        renamed = await http.post(
            "/graphql",
            json={
                "query": 'mutation { updatePerson(id: "user_042", input: {name: "Ola H."}) '
                "{ name } }"
            },
            headers=auth.admin,
        )
    assert renamed.json()["data"]["updatePerson"]["name"] == "Ola H.", renamed.text
    wait.until(lambda d: "user_042" in d.find_element(By.CSS_SELECTOR, ".result-window").text)
    assert '"kind": "updated"' in browser.find_element(By.CSS_SELECTOR, ".result-window").text
    # Stopping it in GraphiQL ends the subscription on the server.
    browser.find_element(By.CSS_SELECTOR, ".graphiql-execute-button").click()
    await wait_for_unsubscribed(live_server.app, before, within=30)


async def test_docs_page_renders_the_openapi_document(browser: webdriver.Chrome, live_url: str):
    browser.get(f"http://{live_url}/docs")
    wait = WebDriverWait(browser, 30)
    wait.until(lambda d: "/api/v1/me" in d.find_element(By.ID, "swagger-ui").text)
    assert "Gateway REST compatibility shim" in browser.find_element(By.ID, "swagger-ui").text
