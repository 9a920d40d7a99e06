"""End to end in Chromium (JavaScript off): recover a password, verify an email, end another device's session.

Same set-up as ``test_browser.py`` (fixtures in ``conftest.py``: Debian's Chromium through Playwright, the
example app on a loopback port).
``STACKAUTH_UPDATE_SCREENSHOTS=1`` refreshes the account pages' screenshots in ``docs/img/`` (light and dark,
390 px wide and desktop).
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from example_app import create_app
from flask_stackauth.emulator import EmulatorServer
from flask_stackauth.emulator.account_settings import configure_project
from flask_stackauth.testing import emulator_config

pytestmark = pytest.mark.slow
IMG = Path(__file__).resolve().parents[2] / "docs" / "img"
PASSWORD = "correct horse battery"
NEW_PASSWORD = "a brand new passphrase"


def _mail(stack: EmulatorServer, kind: str) -> dict[str, Any]:
    return dict(next(m for m in reversed(stack.emulator.emails) if m.get("type") == kind))


def _sign_in(page: Any, app_url: str, email: str, password: str) -> None:
    page.goto(f"{app_url}/auth/login?next=/dashboard")
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    assert page.url == f"{app_url}/dashboard", page.url


def test_forgot_password_reset_from_the_inbox_then_sign_in_with_the_new_one(
        page: Any, app_url: str, stack: EmulatorServer) -> None:
    stack.emulator.create_user("ada@example.com", password=PASSWORD)
    page.goto(f"{app_url}/auth/login")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_role("button", name="Email me a reset link").click()
    assert page.get_by_role("heading", name="Check your email").is_visible()
    link = _mail(stack, "password_reset")["link"]
    assert link.startswith(f"{app_url}/auth/password-reset?code=")
    page.goto(link)
    page.get_by_label("Your account's email").fill("ada@example.com")
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Repeat the new password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set the new password").click()
    assert page.url == f"{app_url}/"
    page.goto(f"{app_url}/dashboard")
    assert page.get_by_text("Hello ada@example.com!").is_visible()
    page.get_by_role("button", name="Sign out").click()
    _sign_in(page, app_url, "ada@example.com", NEW_PASSWORD)
    assert page.get_by_text("Hello ada@example.com!").is_visible()


def test_verify_an_email_from_the_account_page(page: Any, app_url: str, stack: EmulatorServer) -> None:
    stack.emulator.create_user("una@example.com", password=PASSWORD, email_verified=False)
    _sign_in(page, app_url, "una@example.com", PASSWORD)
    page.get_by_role("link", name="Account").click()
    page.get_by_role("link", name="Emails").click()
    assert page.get_by_text("Not verified").is_visible()
    page.get_by_role("button", name="Send verification link").click()
    page.goto(_mail(stack, "email_verification")["link"])
    page.get_by_role("button", name="Verify my email").click()
    assert page.get_by_role("heading", name="Email verified").is_visible()
    page.goto(f"{app_url}/auth/account/emails")
    assert page.locator(".badge", has_text="Verified").is_visible()


def test_end_another_session_and_that_device_is_signed_out(
        page: Any, browser: Any, app_url: str, stack: EmulatorServer) -> None:
    stack.emulator.create_user("ses@example.com", password=PASSWORD)
    _sign_in(page, app_url, "ses@example.com", PASSWORD)
    phone = browser.new_context(java_script_enabled=False)
    try:
        other = phone.new_page()
        _sign_in(other, app_url, "ses@example.com", PASSWORD)
        page.goto(f"{app_url}/auth/account/sessions")
        assert page.get_by_text("This device", exact=True).first.is_visible()
        page.get_by_role("button", name="End this session").click()
        assert page.get_by_text("That device is signed out.").is_visible()
        other.goto(f"{app_url}/dashboard")
        assert other.url.startswith(f"{app_url}/auth/login?next=")
        page.goto(f"{app_url}/dashboard")
        assert page.url == f"{app_url}/dashboard"
    finally:
        phone.close()


@pytest.fixture(scope="module")
def served(stack: EmulatorServer) -> Iterator[tuple[str, Flask]]:
    """Another example app on loopback, with its app object (its project-config cache is cleared per test)."""
    app = create_app(emulator_config(stack))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="example-app-shots", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", app
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


PAGES = [
    ("forgot-password", "/auth/forgot-password"),
    ("password-reset", None),
    ("verify-email", None),
    ("account-profile", "/auth/account"),
    ("account-emails", "/auth/account/emails"),
    ("account-password", "/auth/account/password"),
    ("account-sessions", "/auth/account/sessions"),
    ("account-delete", "/auth/account/delete"),
]


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [390, 1280], ids=["phone", "desktop"])
def test_screenshots_of_the_account_pages(browser: Any, served: tuple[str, Flask], stack: EmulatorServer,
                                          tmp_path: Path, scheme: str, width: int) -> None:
    app_url, app = served
    stack.emulator.reset()
    configure_project(stack.emulator, client_user_deletion_enabled=True)
    app.extensions["stackauth"]._project = None  # the project's config is cached for a minute
    stack.emulator.create_user("grace@example.com", password=PASSWORD, display_name="Grace Hopper",
                               email_verified=False)
    context = browser.new_context(java_script_enabled=False, color_scheme=scheme,
                                  viewport={"width": width, "height": 844 if width < 500 else 760})
    context.set_default_timeout(15_000)
    try:
        shot_page = context.new_page()
        shot_page.goto(f"{app_url}/auth/forgot-password")
        shot_page.get_by_label("Email").fill("grace@example.com")
        shot_page.get_by_role("button", name="Email me a reset link").click()
        reset_link = _mail(stack, "password_reset")["link"]
        _sign_in(shot_page, app_url, "grace@example.com", PASSWORD)
        shot_page.goto(f"{app_url}/auth/account/emails")
        shot_page.get_by_role("button", name="Send verification link").click()
        verify_link = _mail(stack, "email_verification")["link"]
        links = {"password-reset": reset_link, "verify-email": verify_link}
        for name, path in PAGES:
            response = shot_page.goto(links.get(name) or f"{app_url}{path}")
            assert response is not None and response.status == 200, name
            shot = tmp_path / f"{name}-{scheme}-{'phone' if width < 500 else 'desktop'}.png"
            shot_page.screenshot(path=str(shot))
            assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
            if os.environ.get("STACKAUTH_UPDATE_SCREENSHOTS") == "1":
                shutil.copyfile(shot, IMG / shot.name)
    finally:
        context.close()
