"""End to end in Chromium: two-factor enrolment and sign-in with the code; a team invitation accepted by a new user.

Same set-up as ``test_browser.py`` (Debian's Chromium, JavaScript off, the example app on loopback).
``STACKAUTH_UPDATE_SCREENSHOTS=1`` refreshes ``docs/img/<page>-<light|dark>-<390|desktop>.png``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyotp
import pytest
import requests
from flask import Flask
from werkzeug.serving import make_server

from example_app import create_app
from flask_stackauth.emulator import EmulatorServer
from flask_stackauth.emulator.account_settings import configure_project
from flask_stackauth.state import get_state
from flask_stackauth.testing import emulator_config

IMG = Path(__file__).resolve().parents[2] / "docs" / "img"
PASSWORD = "correct horse battery"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def example(stack: EmulatorServer) -> Flask:
    """The example app (kept, so a test can drop its cached project configuration)."""
    return create_app(emulator_config(stack))


@pytest.fixture(scope="module")
def app_url(example: Flask) -> Iterator[str]:
    """The example app served by a real werkzeug server on loopback."""
    server = make_server("127.0.0.1", 0, example, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="example-app-teams", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _shots(tab: Any, name: str) -> None:
    """Screenshots of the current page, light and dark, at 390 px and desktop width (only when asked)."""
    if os.environ.get("STACKAUTH_UPDATE_SCREENSHOTS") != "1":
        return
    size = tab.viewport_size
    for scheme in ("light", "dark"):
        tab.emulate_media(color_scheme=scheme)
        for label, width in (("390", 390), ("desktop", 1100)):
            tab.set_viewport_size({"width": width, "height": 760})
            tab.screenshot(path=str(IMG / f"{name}-{scheme}-{label}.png"), full_page=label == "390")
    tab.emulate_media(color_scheme="light")
    tab.set_viewport_size(size)


def _sign_up(page: Any, app_url: str, email: str, next_url: str = "/dashboard") -> None:
    page.goto(f"{app_url}/auth/signup?next={next_url}")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()


def test_enrol_totp_sign_out_and_sign_in_with_the_code(page: Any, app_url: str) -> None:
    _sign_up(page, app_url, "mfa@example.com")
    page.get_by_text("Hello mfa@example.com!").wait_for()
    page.goto(f"{app_url}/auth/account/two-factor")
    _shots(page, "two-factor")
    page.get_by_role("button", name="Set up two-factor sign-in").click()
    assert page.locator("svg.stack-qr").is_visible()
    _shots(page, "two-factor-enrol")
    secret = page.locator("#totp-secret").inner_text().strip()
    page.get_by_label("Code from your app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    page.get_by_text("Two-factor sign-in is on.").wait_for()

    page.goto(f"{app_url}/dashboard")
    page.get_by_role("button", name="Sign out").click()
    page.goto(f"{app_url}/auth/login?next=/dashboard")
    page.locator("#email").fill("mfa@example.com")
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(f"{app_url}/auth/mfa")
    page.get_by_label("Authentication code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(f"{app_url}/dashboard")
    page.get_by_text("Hello mfa@example.com!").wait_for()
    page.goto(f"{app_url}/auth/account/connections")
    _shots(page, "connections")


def test_invite_a_second_user_who_accepts_and_sees_the_team(page: Any, browser: Any, app_url: str,
                                                            stack: EmulatorServer, example: Flask) -> None:
    configure_project(stack.emulator, client_team_creation_enabled=True)
    get_state(example)._project = None  # the app caches the project's configuration for a minute
    _sign_up(page, app_url, "owner@example.com")
    page.goto(f"{app_url}/auth/teams")
    page.get_by_label("Team name").fill("Rocket")
    page.get_by_role("button", name="Create team").click()
    team_id = page.url.rsplit("/", 1)[1]
    owner = next(u for u in stack.emulator.data.users.values() if u.primary_email == "owner@example.com")
    # Creators do not hold $invite_members by default (as on the real servers): the admin grants it.
    granted = requests.post(
        f"{stack.url}/api/v1/team-permissions/{team_id}/{owner.id}/$invite_members", json={}, timeout=10,
        headers={"x-stack-access-type": "server", "x-stack-project-id": stack.project_id,
                 "x-stack-secret-server-key": stack.secret_server_key})
    assert granted.status_code in (200, 201), granted.text
    get_state(example).permissions.clear()  # permission answers are cached for a few seconds
    page.reload()
    page.get_by_label("Email").fill("bob@example.com")
    page.get_by_role("button", name="Send invitation").click()
    page.get_by_text("Invitation sent.").wait_for()
    _shots(page, "team")
    page.goto(f"{app_url}/auth/teams")
    _shots(page, "teams")
    link = stack.emulator.emails[-1]["link"]
    assert link.startswith(f"{app_url}/auth/team-invitation?code=")

    other = browser.new_context(java_script_enabled=False, viewport={"width": 720, "height": 900})
    try:
        bob = other.new_page()
        bob.goto(link)
        assert bob.get_by_text("You have been invited to join a team.").is_visible()
        _shots(bob, "team-invitation-signed-out")
        bob.get_by_role("link", name="Create an account").click()
        bob.get_by_label("Email").fill("bob@example.com")
        bob.get_by_label("Password", exact=True).fill(PASSWORD)
        bob.get_by_label("Repeat the password").fill(PASSWORD)
        bob.get_by_role("button", name="Create account").click()
        assert bob.url.startswith(f"{app_url}/auth/team-invitation?code=")
        _shots(bob, "team-invitation")
        bob.get_by_role("button", name="Join Rocket").click()
        assert bob.url == f"{app_url}/auth/teams/{team_id}?done=joined"
        assert bob.get_by_text("Welcome to the team.").is_visible()
        assert bob.get_by_role("heading", name="Rocket").is_visible()
    finally:
        other.close()
