"""The emulator console and the example app's pages in Chromium: the inbox's magic link, "sign in as", the notes
page's ``fetch`` calls, and the screenshots in ``docs/img`` (desktop and 390 px, light and dark).

``STACKAUTH_UPDATE_SCREENSHOTS=1`` copies the screenshots into ``docs/img``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flask_stackauth.emulator import EmulatorServer

IMG = Path(__file__).resolve().parents[2] / "docs" / "img"
VIEWPORTS = {"desktop": {"width": 1280, "height": 860}, "phone": {"width": 390, "height": 844}}

pytestmark = pytest.mark.slow


@pytest.fixture
def js_page(browser: Any, stack: EmulatorServer) -> Iterator[Any]:
    """A new browser profile with JavaScript on (the notes page needs it)."""
    stack.emulator.reset()
    context = browser.new_context(viewport={"width": 1024, "height": 800})
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def test_open_the_inbox_click_the_magic_link_and_sign_in(page: Any, app_url: str, stack: EmulatorServer) -> None:
    page.goto(f"{app_url}/auth/login?next=/dashboard")
    page.locator("#otp_email").fill("inbox@example.com")
    page.get_by_role("button", name="Email me a sign-in code").click()
    assert page.get_by_role("heading", name="Check your email").is_visible()

    page.goto(f"{stack.url}/_emulator/")
    page.get_by_role("link", name="Inbox").click()
    assert page.url == f"{stack.url}/_emulator/console/inbox"
    mail = page.get_by_role("article", name="Email to inbox@example.com")
    assert mail.locator(".otp").inner_text() == stack.emulator.emails[-1]["otp"]
    mail.get_by_role("link", name="Open the sign-in link").click()
    assert page.url.startswith(f"{app_url}/auth/otp/callback?code=")
    assert page.get_by_role("heading", name="Sign in?").is_visible()
    page.get_by_role("button", name="Sign in").click()
    assert page.url == f"{app_url}/dashboard"
    assert page.get_by_role("heading", name="Hello inbox@example.com!").is_visible()

    # The console now lists the user and its session.
    page.goto(f"{stack.url}/_emulator/console/sessions")
    assert page.get_by_role("link", name="inbox@example.com").is_visible()


def test_sign_in_as_a_user_from_the_console(page: Any, app_url: str, stack: EmulatorServer) -> None:
    page.goto(f"{stack.url}/_emulator/console/users")
    page.locator("#new-email").fill("grace@example.com")
    page.locator("#new-name").fill("Grace Hopper")
    page.get_by_role("button", name="Create user").click()
    assert page.get_by_role("heading", name="Grace Hopper").is_visible()
    assert page.get_by_text("User created.").is_visible()
    page.get_by_role("button", name="Sign in to Example app").click()
    assert page.url == f"{app_url}/dashboard"
    assert page.get_by_role("heading", name="Hello Grace Hopper!").is_visible()

    # Revoke the session in the console, then the app's next refresh finds it gone.
    page.goto(f"{stack.url}/_emulator/console/sessions")
    page.get_by_role("button", name="Revoke").click()
    assert page.get_by_text("Session revoked").is_visible()
    assert stack.emulator.data.sessions == {}


def test_the_notes_page_talks_to_the_api_with_fetch(js_page: Any, app_url: str) -> None:
    page = js_page
    page.goto(f"{app_url}/auth/login?provider=github&next=/notes")
    page.get_by_label("Email").fill("notes@example.com")
    page.get_by_role("button", name="Sign in").click()
    assert page.url == f"{app_url}/notes"
    page.get_by_text("No notes yet.").wait_for()
    page.get_by_label("New note").fill("Write the release notes")
    page.get_by_role("button", name="Add").click()
    note = page.locator("#notes li", has_text="Write the release notes")
    note.wait_for()
    note.get_by_role("button", name="Done").click()
    page.locator("#notes li.done", has_text="Write the release notes").wait_for()
    page.get_by_label("New note").fill("x" * 200)
    page.evaluate("document.getElementById('title').removeAttribute('maxlength')")
    page.get_by_label("New note").fill("x" * 201)
    page.get_by_role("button", name="Add").click()
    assert page.get_by_role("alert").inner_text() == "title may have at most 200 characters."
    page.reload()
    # The list is filled by fetch after the page loads: wait for it, then count.
    page.locator("#notes li.done", has_text="Write the release notes").wait_for()
    assert page.locator("#notes li").count() == 1


def _signed_in_with_content(browser: Any, app_url: str, stack: EmulatorServer) -> None:
    """A populated emulator: an admin with notes and a second team, a colleague, an email in the inbox."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{app_url}/auth/login?provider=github&next=/team")
        page.get_by_label("Email").fill("admin@example.com")
        page.get_by_role("button", name="Sign in").click()
        page.get_by_label("New team").fill("Design crew")
        page.get_by_role("button", name="Create team").click()
        for title in ("Draft the onboarding checklist", "Review the pricing page", "Book the team offsite"):
            page.request.post(f"{app_url}/api/notes", data={"title": title})
        stack.emulator.create_user("grace@example.com", display_name="Grace Hopper")
        page.goto(f"{app_url}/auth/login")
        page.locator("#otp_email").fill("grace@example.com")
        page.get_by_role("button", name="Email me a sign-in code").click()
    finally:
        context.close()


def test_screenshots_at_desktop_and_phone_width_in_light_and_dark(browser: Any, app_url: str,
                                                                  stack: EmulatorServer, tmp_path: Path) -> None:
    stack.emulator.reset()
    _signed_in_with_content(browser, app_url, stack)
    admin = stack.emulator.find_user_by_email("admin@example.com")
    assert admin is not None
    shots = {
        "example-dashboard": f"{app_url}/dashboard", "example-notes": f"{app_url}/notes",
        "example-team": f"{app_url}/team", "example-admin": f"{app_url}/admin",
        "console-overview": f"{stack.url}/_emulator/", "console-inbox": f"{stack.url}/_emulator/console/inbox",
        "console-user": f"{stack.url}/_emulator/console/users/{admin.id}",
    }
    too_wide: list[str] = []
    for scheme in ("light", "dark"):
        for size, viewport in VIEWPORTS.items():
            context = browser.new_context(viewport=viewport, color_scheme=scheme)
            context.set_default_timeout(15_000)
            try:
                page = context.new_page()
                page.goto(f"{app_url}/auth/login?provider=github&next=/dashboard")
                page.get_by_label("Email").fill("admin@example.com")
                page.get_by_role("button", name="Sign in").click()
                for name, url in shots.items():
                    page.goto(url)
                    if name == "example-notes":
                        page.locator("#notes li").first.wait_for()
                    # Responsive: nothing wider than the window (no sideways scrolling of the page).
                    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                    if overflow > 0:
                        too_wide.append(f"{name} is {overflow}px too wide at {size}")
                    shot = tmp_path / f"{name}-{size}-{scheme}.png"
                    page.screenshot(path=str(shot))
                    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
                page.goto(f"{app_url}/auth/login?provider=github")
                page.screenshot(path=str(tmp_path / f"mock-provider-{size}-{scheme}.png"))
            finally:
                context.close()
    target = os.environ.get("STACKAUTH_SCREENSHOT_DIR") or (IMG if os.environ.get("STACKAUTH_UPDATE_SCREENSHOTS") == "1"
                                                            else None)
    if target:
        for shot in tmp_path.glob("*.png"):
            shutil.copyfile(shot, Path(target) / shot.name)
    assert not too_wide
