"""End to end in a real browser: Chromium (through Playwright) drives the example app and the emulator.

JavaScript is turned off in every page: the prebuilt pages and the emulator's mock provider work without it.
Chromium comes from Debian (``apt-get install -y chromium``); Playwright's own browser download is never used.
The test skips when Chromium is missing, unless ``STACKAUTH_REQUIRE_BROWSER=1`` (set by ``.ci/run``) makes that
a failure. ``STACKAUTH_UPDATE_SCREENSHOTS=1`` refreshes ``docs/img/sign-in.png``.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from example_app import create_app
from flask_stackauth.emulator import EmulatorServer, run_emulator
from flask_stackauth.testing import emulator_config

CHROMIUM = os.environ.get("STACKAUTH_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "img" / "sign-in.png"

pytestmark = pytest.mark.slow


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
    """The example app served by a real werkzeug server on loopback."""
    app = create_app(emulator_config(stack))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="example-app", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
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


def test_provider_sign_in_see_the_protected_page_and_sign_out(page: Any, app_url: str, tmp_path: Path) -> None:
    page.goto(f"{app_url}/dashboard")
    assert page.url == f"{app_url}/auth/login?next=/dashboard"
    assert page.get_by_role("heading", name="Sign in", exact=True).is_visible()
    shot = tmp_path / "sign-in.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if os.environ.get("STACKAUTH_UPDATE_SCREENSHOTS") == "1":
        shutil.copyfile(shot, SCREENSHOT)

    page.get_by_role("link", name="Continue with GitHub").click()
    assert "/mock-oauth/interaction/" in page.url
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_role("button", name="Sign in").click()
    assert page.url == f"{app_url}/dashboard"
    assert page.get_by_text("Hello ada@example.com!").is_visible()

    page.get_by_role("button", name="Sign out").click()
    assert page.url == f"{app_url}/"
    assert page.get_by_text("You are not signed in.").is_visible()
    page.goto(f"{app_url}/dashboard")
    assert page.url.startswith(f"{app_url}/auth/login?next=")


def test_sign_up_with_a_password_then_sign_in_again(page: Any, app_url: str) -> None:
    page.goto(f"{app_url}/auth/login?next=/dashboard")
    page.get_by_role("link", name="Create one").click()
    assert page.url == f"{app_url}/auth/signup?next=/dashboard"
    page.get_by_label("Email").fill("new@example.com")
    page.get_by_label("Password", exact=True).fill("correct horse battery")
    page.get_by_label("Repeat the password").fill("correct horse battery!")
    page.get_by_role("button", name="Create account").click()
    assert page.get_by_text("The two passwords do not match.").is_visible()
    page.get_by_label("Password", exact=True).fill("correct horse battery")
    page.get_by_label("Repeat the password").fill("correct horse battery")
    page.get_by_role("button", name="Create account").click()
    assert page.url == f"{app_url}/dashboard"
    assert page.get_by_text("Hello new@example.com!").is_visible()

    page.get_by_role("button", name="Sign out").click()
    page.goto(f"{app_url}/auth/login?next=/dashboard")
    page.locator("#email").fill("new@example.com")
    page.locator("#password").fill("wrong password!")
    page.get_by_role("button", name="Sign in", exact=True).click()
    assert page.get_by_text("Wrong email or password.").is_visible()
    page.locator("#password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in", exact=True).click()
    assert page.url == f"{app_url}/dashboard"
    assert page.get_by_text("Hello new@example.com!").is_visible()


def test_sign_in_with_an_email_code_and_with_the_emailed_link(
        page: Any, browser: Any, app_url: str, stack: EmulatorServer) -> None:
    page.goto(f"{app_url}/auth/login?next=/dashboard")
    page.locator("#otp_email").fill("otp@example.com")
    page.get_by_role("button", name="Email me a sign-in code").click()
    assert page.url == f"{app_url}/auth/otp/code"
    assert page.get_by_role("heading", name="Check your email").is_visible()
    mail = stack.emulator.emails[-1]
    assert mail["to"] == "otp@example.com"
    page.get_by_label("Code").fill(mail["otp"])
    page.get_by_role("button", name="Sign in").click()
    assert page.url == f"{app_url}/dashboard"
    assert page.get_by_text("Hello otp@example.com!").is_visible()

    # The same person asks again, then opens the emailed link in another browser (their phone).
    page.get_by_role("button", name="Sign out").click()
    page.goto(f"{app_url}/auth/login")
    page.locator("#otp_email").fill("otp@example.com")
    page.get_by_role("button", name="Email me a sign-in code").click()
    link = stack.emulator.emails[-1]["link"]
    assert link.startswith(f"{app_url}/auth/otp/callback?code=")
    phone = browser.new_context(java_script_enabled=False)
    try:
        other = phone.new_page()
        other.goto(link)
        assert other.get_by_role("heading", name="Sign in?").is_visible()
        other.get_by_role("button", name="Sign in").click()
        assert other.url == f"{app_url}/"
        assert other.get_by_text("Signed in as otp@example.com").is_visible()
    finally:
        phone.close()
