"""A live server on a free loopback port and a headless Chromium driven by Playwright."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.browser.axe import assert_accessible

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The app served over real HTTP on 127.0.0.1; yields its base URL."""
    app.config["SERVER_NAME"] = None
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        app.config["SERVER_NAME"] = "localhost"


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


# Runs before the page's own scripts (Playwright injects it, the page's CSP does not apply):
# every blocked script, handler or resource is written to the console, where `page` collects it.
CSP_WATCH = """
document.addEventListener("securitypolicyviolation", function (e) {
  console.error("Content Security Policy violation: " + e.violatedDirective + " blocked "
                + (e.blockedURI || "inline") + " at " + e.sourceFile + ":" + e.lineNumber);
});
"""


def is_csp_violation(text: str) -> bool:
    return "Content Security Policy" in text


@pytest.fixture
def csp_violations() -> list[str]:
    """What the page's Content-Security-Policy blocked during the test (``page`` fills it)."""
    return []


@pytest.fixture
def page(browser, live_server: str, csp_violations: list[str]) -> Iterator[object]:
    """A fresh tab; the test fails when the CSP blocked anything on any page it opened."""
    Path("test-results").mkdir(exist_ok=True)
    context = browser.new_context(base_url=live_server, locale="zh-CN",
                                  viewport={"width": 1280, "height": 900})
    context.add_init_script(CSP_WATCH)

    def collect(message: Any) -> None:
        if is_csp_violation(message.text):
            csp_violations.append(f"{message.page.url if message.page else ''}: {message.text}")

    # On the context, so that pages it opens in new tabs (print, downloads) are watched too.
    context.on("console", collect)
    tab = context.new_page()
    yield tab
    context.close()
    assert not csp_violations, "blocked by the CSP:\n" + "\n".join(csp_violations)


def sign_in(page, username: str, password: str = "Demo@2026") -> None:
    """Fill and submit the login form like a person."""
    page.goto("/login/")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_load_state()


def switch_to(page, username: str) -> None:
    """Sign out whoever is signed in, then sign in ``username``."""
    page.goto("/logout/")
    sign_in(page, username)


def open_menu(page, top: str, item: str) -> None:
    """Click a top menu, then one of its entries; the page it opens passes axe-core."""
    page.click(f"a.dropdown-toggle:has-text('{top}')")
    page.click(f"ul.dropdown-menu a:has-text('{item}')")
    page.wait_for_load_state()
    assert_accessible(page)
