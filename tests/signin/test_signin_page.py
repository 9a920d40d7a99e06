"""The prebuilt sign-in page shows what the project has enabled, carries ``next``, and stays self-contained."""

from __future__ import annotations

import re
from typing import Any

from tests.conftest import make_app
from tests.signin.signin_support import text


def test_page_offers_every_enabled_method_and_carries_next(client: Any) -> None:
    page = client.get("/auth/login?next=/dashboard")
    assert page.status_code == 200
    html = text(page)
    assert 'href="/auth/login/github?next=/dashboard"' in html
    assert "Continue with GitHub" in html
    assert 'action="/auth/password"' in html
    assert 'action="/auth/otp/send"' in html
    assert 'href="/auth/signup?next=/dashboard"' in html
    # Both forms carry next and a form token.
    assert html.count('name="next" value="/dashboard"') == 2
    assert html.count('name="csrf_token"') == 2
    assert 'autocomplete="current-password"' in html
    for tag in ("<label for=\"email\">", "<label for=\"password\">", "<label for=\"otp_email\">"):
        assert tag in html


def test_page_needs_no_external_css_or_javascript(client: Any) -> None:
    html = text(client.get("/auth/login"))
    assert "<script" not in html
    assert not re.search(r"<link[^>]+stylesheet", html)
    assert not re.search(r'(src|href)="(https?:)?//', html)


def test_pages_cannot_be_framed_or_cached(client: Any) -> None:
    for path in ("/auth/login", "/auth/signup", "/auth/mfa", "/auth/otp/code"):
        response = client.get(path)
        assert response.headers["X-Frame-Options"] == "DENY", path
        assert response.headers["Cache-Control"] == "no-store", path
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"], path


def test_disabled_methods_are_not_offered(stackauth_config: dict[str, Any], emu: Any) -> None:
    emu.project.credential_enabled = False
    emu.project.magic_link_enabled = False
    emu.project.oauth_providers = ["google"]
    html = text(make_app(stackauth_config).test_client().get("/auth/login"))
    assert "Continue with Google" in html
    assert "GitHub" not in html
    assert "/auth/password" not in html
    assert "/auth/otp/send" not in html
    assert "/auth/signup" not in html


def test_sign_up_link_only_when_sign_up_is_enabled(stackauth_config: dict[str, Any], emu: Any) -> None:
    emu.project.sign_up_enabled = False
    html = text(make_app(stackauth_config).test_client().get("/auth/login"))
    assert "/auth/password" in html
    assert "/auth/signup" not in html


def test_nothing_enabled_says_so(stackauth_config: dict[str, Any], emu: Any) -> None:
    emu.project.credential_enabled = False
    emu.project.magic_link_enabled = False
    emu.project.oauth_providers = []
    page = make_app(stackauth_config).test_client().get("/auth/login")
    assert page.status_code == 200
    assert "No sign-in method is enabled" in text(page)


def test_unsafe_next_is_dropped_from_every_form(client: Any) -> None:
    html = text(client.get("/auth/login?next=//evil.example/x"))
    assert "evil.example" not in html
    assert 'name="next"' not in html


def test_unreachable_stack_auth_is_a_503_page(client: Any, emu: Any) -> None:
    emu.fail_next(1, path="/api/v1/projects/current", mode="503")
    page = client.get("/auth/login")
    assert page.status_code == 503
    assert "unavailable right now" in text(page)
    assert "/auth/password" not in text(page)


def test_app_templates_override_the_packaged_ones(stackauth_config: dict[str, Any], tmp_path: Any) -> None:
    (tmp_path / "stackauth").mkdir()
    (tmp_path / "stackauth" / "login.html").write_text(
        "Custom sign-in: {% for p in providers %}[{{ p }}]{% endfor %} password={{ methods.password }}")
    app = make_app(stackauth_config)
    app.template_folder = str(tmp_path)
    page = app.test_client().get("/auth/login")
    assert page.status_code == 200
    assert text(page) == "Custom sign-in: [github][google][microsoft][spotify] password=True"
