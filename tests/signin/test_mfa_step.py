"""The TOTP step after ``MULTI_FACTOR_AUTHENTICATION_REQUIRED``, over real HTTP against the emulator."""

from __future__ import annotations

from typing import Any

from flask_stackauth import user_signed_in
from flask_stackauth.views.mfa import MFA_KEY
from tests.signin.signin_support import (
    PASSWORD,
    csrf,
    current_totp,
    enable_totp,
    last_email,
    password_user,
    post_form,
    signed_in,
    text,
    wrong_totp,
)

MFA = "/api/v1/auth/mfa/sign-in"


def _totp_user(server: Any, email: str = "ada@example.com") -> str:
    user = password_user(server, email)
    return enable_totp(server, user["id"])


def _password(client: Any, next_url: str = "/dashboard") -> Any:
    return post_form(client, "/auth/password", {"email": "ada@example.com", "password": PASSWORD, "next": next_url})


def _verify(client: Any, code: str) -> Any:
    return post_form(client, "/auth/mfa", {"totp": code}, page="/auth/mfa")


def test_password_then_totp_signs_in_to_next(app: Any, client: Any, emu: Any, stackauth_emulator: Any) -> None:
    secret = _totp_user(stackauth_emulator)
    seen: list[dict[str, Any]] = []
    user_signed_in.connect(lambda sender, **kw: seen.append(kw), app, weak=False)
    first = _password(client)
    assert first.status_code == 303
    assert first.headers["Location"] == "/auth/mfa"
    assert not signed_in(client)
    page = client.get("/auth/mfa")
    assert page.status_code == 200
    assert 'inputmode="numeric"' in text(page)
    wrong = _verify(client, wrong_totp(emu, secret))
    assert wrong.status_code == 400
    assert '<p class="field-error" id="totp-error">That code is not right.' in text(wrong)
    assert not signed_in(client)
    done = _verify(client, current_totp(emu, secret))
    assert done.status_code == 303
    assert done.headers["Location"] == "/dashboard"
    assert text(client.get("/dashboard")) == "Hello ada@example.com"
    assert [(s["method"], s["is_new_user"]) for s in seen] == [("password", False)]
    with client.session_transaction() as session:
        assert MFA_KEY not in session


def test_email_code_then_totp(client: Any, emu: Any, stackauth_emulator: Any) -> None:
    secret = _totp_user(stackauth_emulator)
    post_form(client, "/auth/otp/send", {"otp_email": "ada@example.com", "next": "/dashboard"})
    typed = post_form(client, "/auth/otp/code", {"code": last_email(emu)["otp"]}, page="/auth/otp/code")
    assert typed.status_code == 303
    assert typed.headers["Location"] == "/auth/mfa"
    assert not signed_in(client)
    done = _verify(client, current_totp(emu, secret))
    assert done.headers["Location"] == "/dashboard"
    assert signed_in(client)


def test_malformed_totp_never_reaches_stack(client: Any, emu: Any, stackauth_emulator: Any) -> None:
    _totp_user(stackauth_emulator)
    _password(client)
    for bad, message in (("", "Enter the 6-digit code"), ("12345", "The code is 6 digits"),
                         ("1234567", "The code is 6 digits"), ("abcdef", "The code is 6 digits"),
                         ("1" * 10_000, "The code is 6 digits")):
        response = _verify(client, bad)
        assert response.status_code == 400, bad
        assert message in text(response)
    assert emu.calls("POST", MFA) == 0
    assert not signed_in(client)


def test_mfa_page_without_a_pending_sign_in(client: Any, emu: Any) -> None:
    page = client.get("/auth/mfa")
    assert page.status_code == 400
    assert "Please sign in again" in text(page)
    posted = client.post("/auth/mfa", data={"csrf_token": csrf(client), "totp": "123456"})
    assert posted.status_code == 400
    assert emu.calls("POST", MFA) == 0


def test_mfa_form_needs_its_token(client: Any, emu: Any, stackauth_emulator: Any) -> None:
    secret = _totp_user(stackauth_emulator)
    _password(client)
    response = client.post("/auth/mfa", data={"totp": current_totp(emu, secret)})
    assert response.status_code == 403
    assert "has expired or is not valid" in text(response)
    assert emu.calls("POST", MFA) == 0
    assert not signed_in(client)


def test_attempt_that_expired_at_stack_auth(client: Any, emu: Any, stackauth_emulator: Any) -> None:
    secret = _totp_user(stackauth_emulator)
    _password(client)
    token = csrf(client, "/auth/mfa")
    emu.advance_clock(301)  # Stack's attempt code lives 5 minutes
    response = client.post("/auth/mfa", data={"csrf_token": token, "totp": current_totp(emu, secret)})
    assert response.status_code == 410
    assert "took too long" in text(response)
    assert not signed_in(client)
    assert client.get("/auth/mfa").status_code == 400


def test_oauth_then_totp_signs_in_to_next(client: Any, emu: Any, stackauth_emulator: Any) -> None:
    from tests.helpers import callback_for, start_login

    secret = _totp_user(stackauth_emulator)
    callback = callback_for(start_login(client, next_url="/dashboard"), "ada@example.com")
    first = client.get(callback)
    assert first.status_code == 303
    assert first.headers["Location"] == "/auth/mfa"
    assert not signed_in(client)
    done = _verify(client, current_totp(emu, secret))
    assert done.status_code == 303
    assert done.headers["Location"] == "/dashboard"
    assert text(client.get("/dashboard")) == "Hello ada@example.com"
