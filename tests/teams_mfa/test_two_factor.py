"""Two-factor enrolment (``/auth/account/two-factor``) over real HTTP against the emulator."""

from __future__ import annotations

import base64
import logging
import sys
from typing import Any

import pyotp
import pytest

from flask_stackauth.views.two_factor import ENROL_KEY
from tests.signin.signin_support import PASSWORD, password_user
from tests.teams_mfa.support import csrf, post, shown_secret, text

PAGE = "/auth/account/two-factor"


def _start(client: Any) -> str:
    started = post(client, f"{PAGE}/start", page=PAGE)
    assert started.status_code == 303 and started.headers["Location"] == PAGE
    page = client.get(PAGE)
    assert page.status_code == 200
    return text(page)


def test_enrol_checks_one_code_then_sign_in_asks_for_it(client: Any, stackauth_emulator: Any,
                                                        stackauth_login: Any) -> None:
    password_user(stackauth_emulator, "ada@example.com")
    stackauth_login(client, "ada@example.com")
    assert "Two-factor sign-in is <strong>off</strong>" in text(client.get(PAGE))
    html = _start(client)
    assert "<svg" in html and 'class="stack-qr"' in html
    secret = shown_secret(html)
    assert "otpauth://totp/" in html and f"secret={secret}" in html
    wrong = post(client, f"{PAGE}/confirm", {"totp": "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"},
                 page=PAGE)
    assert wrong.status_code == 400
    assert "That code is not right" in text(wrong)
    with client.session_transaction() as session:
        assert ENROL_KEY in session  # still pending: the user may try again
    done = post(client, f"{PAGE}/confirm", {"totp": pyotp.TOTP(secret).now()}, page=PAGE)
    assert done.status_code == 303
    with client.session_transaction() as session:
        assert ENROL_KEY not in session
    assert "Two-factor sign-in is <strong>on</strong>" in text(client.get(PAGE))
    user = next(u for u in stackauth_emulator.emulator.data.users.values() if u.primary_email == "ada@example.com")
    assert base64.b64decode(user.totp_secret_base64) == base64.b32decode(secret + "=" * (-len(secret) % 8))
    # A new browser: the password alone is not enough any more.
    other = client.application.test_client()
    answer = post(other, "/auth/password", {"email": "ada@example.com", "password": PASSWORD}, page="/auth/login")
    assert answer.status_code == 303 and answer.headers["Location"] == "/auth/mfa"
    # Turning it off.
    off = post(client, f"{PAGE}/disable", page=PAGE)
    assert off.status_code == 303
    assert "Two-factor sign-in is <strong>off</strong>" in text(client.get(PAGE))
    assert user.totp_secret_base64 is None


def test_cancel_drops_the_secret_and_confirm_then_says_start_again(client: Any, stackauth_login: Any) -> None:
    stackauth_login(client, "ada@example.com")
    secret = shown_secret(_start(client))
    assert post(client, f"{PAGE}/cancel", page=PAGE).status_code == 303
    with client.session_transaction() as session:
        assert ENROL_KEY not in session
    late = post(client, f"{PAGE}/confirm", {"totp": pyotp.TOTP(secret).now()}, page=PAGE)
    assert late.status_code == 409
    assert "Start again" in text(late)


def test_an_expired_enrolment_is_dropped(client: Any, stackauth_login: Any) -> None:
    stackauth_login(client, "ada@example.com")
    secret = shown_secret(_start(client))
    with client.session_transaction() as session:
        session[ENROL_KEY] = {**session[ENROL_KEY], "x": 1.0}
    assert 'id="totp-secret"' not in text(client.get(PAGE))
    late = post(client, f"{PAGE}/confirm", {"totp": pyotp.TOTP(secret).now()}, page=PAGE)
    assert late.status_code == 409


def test_forged_and_cross_site_posts_are_refused(client: Any, stackauth_login: Any) -> None:
    stackauth_login(client, "ada@example.com")
    assert client.post(f"{PAGE}/start", data={"csrf_token": "forged"}).status_code == 403
    token = csrf(client, PAGE)
    cross = client.post(f"{PAGE}/start", data={"csrf_token": token}, headers={"Origin": "https://evil.example"})
    assert cross.status_code == 403
    fetch = client.post(f"{PAGE}/disable", data={"csrf_token": token}, headers={"Sec-Fetch-Site": "cross-site"})
    assert fetch.status_code == 403
    with client.session_transaction() as session:
        assert ENROL_KEY not in session


def test_signed_out_visitors_go_to_sign_in(client: Any) -> None:
    answer = client.get(PAGE)
    assert answer.status_code == 302 and "/auth/login?next=" in answer.headers["Location"]
    assert client.post(f"{PAGE}/start", data={}).status_code == 401


def test_the_secret_is_never_logged(client: Any, stackauth_login: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    stackauth_login(client, "ada@example.com")
    secret = shown_secret(_start(client))
    post(client, f"{PAGE}/confirm", {"totp": "123456"}, page=PAGE)
    post(client, f"{PAGE}/confirm", {"totp": pyotp.TOTP(secret).now()}, page=PAGE)
    raw = base64.b32decode(secret + "=" * (-len(secret) % 8))
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert caplog.records  # the emulator and the client did log their requests
    for form in (secret, base64.b64encode(raw).decode(), raw.hex()):
        assert form not in logged


def test_without_the_totp_extra_the_page_explains(client: Any, stackauth_login: Any,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    stackauth_login(client, "ada@example.com")
    token = csrf(client, PAGE)
    monkeypatch.setitem(sys.modules, "pyotp", None)  # as if not installed: importing it raises ImportError
    page = client.get(PAGE)
    assert page.status_code == 200
    assert "flask-stackauth[totp]" in text(page)
    start = client.post(f"{PAGE}/start", data={"csrf_token": token})
    assert start.status_code == 501
    assert "flask-stackauth[totp]" in text(start)


def test_python_api_enable_and_disable(client: Any, stackauth_login: Any) -> None:
    stackauth_login(client, "ada@example.com")
    secret = pyotp.random_base32()
    raw = base64.b32decode(secret)
    wrong = client.post("/py/enable_totp", data={"secret": raw.hex(), "code": "12345x"})
    assert wrong.status_code == 400 and wrong.json["error"] == "InvalidTotpCode"
    done = client.post("/py/enable_totp", data={"secret": raw.hex(), "code": pyotp.TOTP(secret).now()})
    assert done.json == {"mfa": True}
    assert client.post("/py/disable_totp").json == {"mfa": False}
