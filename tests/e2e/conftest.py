"""Fixtures of the browser tests: Debian's Chromium through Playwright, the emulator and the example app.

Chromium comes from Debian (``apt-get install -y chromium``); Playwright's own browser download is never used.
The tests skip when Chromium is missing, unless ``STACKAUTH_REQUIRE_BROWSER=1`` (set by ``.ci/run``) makes that
a failure.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.serving import make_server

from example_app import create_app
from example_app.__main__ import _demo_admin
from flask_stackauth.emulator import EmulatorServer, run_emulator
from flask_stackauth.emulator.console import ConsoleApp, register_app
from flask_stackauth.testing import emulator_config

CHROMIUM = os.environ.get("STACKAUTH_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def _unavailable(reason: str) -> None:
    if os.environ.get("STACKAUTH_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (STACKAUTH_REQUIRE_BROWSER=1: CI must run the browser test)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, through Playwright."""
    if not os.path.exists(CHROMIUM):
        _unavailable(f"Chromium is not installed at {CHROMIUM} (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright is not installed (pip install -e '.[dev]')")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def stack() -> Iterator[EmulatorServer]:
    """A fresh emulator for this module."""
    with run_emulator() as server:
        yield server


@pytest.fixture(scope="module")
def app_url(stack: EmulatorServer) -> Iterator[str]:
    """The example app served by a real werkzeug server on loopback, registered with the emulator console."""
    app = create_app(emulator_config(stack))
    _demo_admin(app, stack)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    console_app = ConsoleApp("Example app", f"{url}/auth/login?next=/dashboard", api_url=f"{url}/api/notes")
    register_app(stack.emulator, console_app)
    thread = threading.Thread(target=server.serve_forever, name="example-app", daemon=True)
    thread.start()
    try:
        yield url
    finally:
        stack.emulator.wsgi_app.config["EMULATOR_CONSOLE_APPS"].remove(console_app)
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def page(browser: Any, stack: EmulatorServer) -> Iterator[Any]:
    """A new browser profile (no cookies) with JavaScript off."""
    stack.emulator.reset()
    context = browser.new_context(java_script_enabled=False, viewport={"width": 720, "height": 900})
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()
