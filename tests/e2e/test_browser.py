"""End to end in a real browser: Chromium (through Playwright) drives the example app and the emulator.

JavaScript is turned off in every page: the prebuilt pages and the emulator's mock provider work without it.
Fixtures (Chromium, the emulator, the example app) are in ``conftest.py``. ``STACKAUTH_UPDATE_SCREENSHOTS=1``
refreshes ``docs/img/sign-in.png``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from flask_stackauth.emulator import EmulatorServer

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "img" / "sign-in.png"

pytestmark = pytest.mark.slow


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
