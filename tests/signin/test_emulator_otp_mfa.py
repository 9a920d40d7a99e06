"""The emulator's email-code and MFA endpoints answer like the recorded real servers (v2.7.16 and v2.8.86)."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from flask_stackauth.emulator import EmulatorServer, run_emulator
from flask_stackauth.emulator.client import complete_oauth
from flask_stackauth.emulator.mfa import totp
from tests.helpers import query_of
from tests.signin.signin_support import (
    PASSWORD,
    client_headers,
    current_totp,
    enable_totp,
    last_email,
    link_code,
    password_user,
    wrong_totp,
)

CALLBACK = "http://localhost:5000/auth/otp/callback"
KEYS = ["refresh_token", "access_token", "is_new_user", "user_id"]


@pytest.fixture(scope="module", params=["current", "legacy"])
def server(request: pytest.FixtureRequest) -> Iterator[EmulatorServer]:
    """A server per behaviour: the recordings show the same OTP answers on v2.7 and v2.8."""
    with run_emulator(legacy_tokens=request.param == "legacy") as srv:
        yield srv


@pytest.fixture
def emu(server: EmulatorServer) -> Any:
    server.emulator.reset()
    return server.emulator


def _post(server: EmulatorServer, path: str, body: Any) -> requests.Response:
    return requests.post(f"{server.url}/api/v1{path}", json=body, headers=client_headers(server), timeout=10)


def _send(server: EmulatorServer, email: str = "otp@example.com", callback: str = CALLBACK) -> requests.Response:
    return _post(server, "/auth/otp/send-sign-in-code", {"email": email, "callback_url": callback})


def _known(response: requests.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["x-stack-known-error"] == code
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    return body


def test_send_then_link_then_replay(server: EmulatorServer, emu: Any) -> None:
    sent = _send(server, callback=CALLBACK + "?keep=1")
    assert sent.status_code == 200
    assert list(sent.json()) == ["nonce"]
    nonce = sent.json()["nonce"]
    assert re.fullmatch(r"[0-9a-z]{39}", nonce)
    mail = last_email(emu)
    assert re.fullmatch(r"Sign in to Stack Dashboard: Your code is [0-9A-Z]{6}", mail["subject"])
    assert mail["link"].startswith(CALLBACK + "?keep=1&code=")  # the callback's own query is kept
    code = link_code(mail)
    assert len(code) == 45 and code.endswith(nonce) and code[:6] == mail["otp"].lower()
    first = _post(server, "/auth/otp/sign-in", {"code": code})
    assert first.status_code == 200
    assert list(first.json()) == KEYS
    assert first.json()["is_new_user"] is True
    replay = _known(_post(server, "/auth/otp/sign-in", {"code": code}), 409, "VERIFICATION_CODE_ALREADY_USED")
    assert replay == {"code": "VERIFICATION_CODE_ALREADY_USED", "error": "The verification link has already been used."}


def test_typed_code_in_upper_case_and_existing_user(server: EmulatorServer, emu: Any) -> None:
    _send(server)
    assert _post(server, "/auth/otp/sign-in", {"code": link_code(last_email(emu))}).status_code == 200
    nonce = _send(server).json()["nonce"]
    answer = _post(server, "/auth/otp/sign-in", {"code": last_email(emu)["otp"].upper() + nonce})
    assert answer.status_code == 200
    assert answer.json()["is_new_user"] is False


def test_refusals(server: EmulatorServer, emu: Any) -> None:
    _known(_send(server, callback="https://evil.example/cb"), 400, "REDIRECT_URL_NOT_WHITELISTED")
    _known(_post(server, "/auth/otp/sign-in", {"code": "0" * 45}), 404, "VERIFICATION_CODE_NOT_FOUND")
    bad = _known(_post(server, "/auth/otp/sign-in", {"code": "short"}), 400, "SCHEMA_ERROR")
    assert "body.code must be exactly 45 characters" in bad["error"]
    _known(_send(server, email="not-an-email"), 400, "SCHEMA_ERROR")
    _send(server)
    code = link_code(last_email(emu))
    emu.advance_clock(7 * 24 * 3600 + 1)
    _known(_post(server, "/auth/otp/sign-in", {"code": code}), 400, "VERIFICATION_CODE_EXPIRED")


def test_unverified_account_and_closed_sign_up(server: EmulatorServer, emu: Any) -> None:
    password_user(server, "pw@example.com", verified=False)
    body = _known(_send(server, email="pw@example.com"), 409, "USER_EMAIL_ALREADY_EXISTS")
    assert body["details"] == {"email": "pw@example.com", "would_work_if_email_was_verified": True}
    emu.project.sign_up_enabled = False
    _known(_send(server, email="new@example.com"), 400, "SIGN_UP_NOT_ENABLED")
    emu.project.magic_link_enabled = False
    off = _send(server)
    assert off.status_code == 403
    assert off.text == "OTP sign-in is not enabled for this project"
    assert not emu.emails


def test_twenty_wrong_guesses_spend_the_nonce(server: EmulatorServer, emu: Any) -> None:
    nonce = _send(server).json()["nonce"]
    otp = last_email(emu)["otp"].lower()
    wrong = ("1" if otp[0] != "1" else "2") + otp[1:]
    for _ in range(20):
        _known(_post(server, "/auth/otp/sign-in", {"code": wrong + nonce}), 404, "VERIFICATION_CODE_NOT_FOUND")
    _known(_post(server, "/auth/otp/sign-in", {"code": otp + nonce}), 400, "VERIFICATION_CODE_MAX_ATTEMPTS_REACHED")


def test_totp_matches_rfc_6238() -> None:
    secret = base64.b64encode(b"12345678901234567890").decode()
    assert totp(secret, 59) == "287082"
    assert totp(secret, 1111111109) == "081804"
    assert totp(secret, 2000000000) == "279037"


def test_password_sign_in_of_a_totp_user_needs_the_second_factor(server: EmulatorServer, emu: Any) -> None:
    user = password_user(server, "mfa@example.com")
    secret = enable_totp(server, user["id"])
    sessions_before = len(emu.data.sessions)
    first = _known(_post(server, "/auth/password/sign-in", {"email": "mfa@example.com", "password": PASSWORD}),
                   400, "MULTI_FACTOR_AUTHENTICATION_REQUIRED")
    assert first["error"] == "Multi-factor authentication is required for this user."
    attempt = first["details"]["attempt_code"]
    assert re.fullmatch(r"[0-9a-z]{45}", attempt)
    assert len(emu.data.sessions) == sessions_before  # no session until the second factor
    wrong = _post(server, "/auth/mfa/sign-in", {"type": "totp", "totp": wrong_totp(emu, secret), "code": attempt})
    assert _known(wrong, 400, "INVALID_TOTP_CODE")["error"] == "The TOTP code is invalid. Please try again."
    done = _post(server, "/auth/mfa/sign-in", {"type": "totp", "totp": current_totp(emu, secret), "code": attempt})
    assert done.status_code == 200
    assert list(done.json()) == KEYS
    assert done.json()["user_id"] == user["id"] and done.json()["is_new_user"] is False
    again = _post(server, "/auth/mfa/sign-in", {"type": "totp", "totp": current_totp(emu, secret), "code": attempt})
    _known(again, 409, "VERIFICATION_CODE_ALREADY_USED")


def test_attempt_codes_expire_after_five_minutes(server: EmulatorServer, emu: Any) -> None:
    user = password_user(server, "mfa@example.com")
    secret = enable_totp(server, user["id"])
    attempt = _post(server, "/auth/password/sign-in",
                    {"email": "mfa@example.com", "password": PASSWORD}).json()["details"]["attempt_code"]
    emu.advance_clock(301)
    late = _post(server, "/auth/mfa/sign-in", {"type": "totp", "totp": current_totp(emu, secret), "code": attempt})
    _known(late, 400, "VERIFICATION_CODE_EXPIRED")


def test_email_code_of_a_totp_user_needs_the_second_factor(server: EmulatorServer, emu: Any) -> None:
    user = password_user(server, "mfa@example.com")
    enable_totp(server, user["id"])
    _send(server, email="mfa@example.com")
    _known(_post(server, "/auth/otp/sign-in", {"code": link_code(last_email(emu))}), 400,
           "MULTI_FACTOR_AUTHENTICATION_REQUIRED")


def test_mfa_schema_errors(server: EmulatorServer, emu: Any) -> None:
    body = _known(_post(server, "/auth/mfa/sign-in", {"type": "sms", "code": "x"}), 400, "SCHEMA_ERROR")
    for problem in ("body.code must be exactly 45 characters", "body.type must be one of the following values: totp",
                    "body.totp must be defined"):
        assert problem in body["error"]


def test_oauth_code_exchange_of_a_totp_user_needs_the_second_factor(server: EmulatorServer, emu: Any) -> None:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    redirect_uri = "http://localhost:5000/auth/callback"
    params = {"client_id": server.project_id, "client_secret": server.publishable_key, "redirect_uri": redirect_uri,
              "scope": "legacy", "state": "s", "grant_type": "authorization_code", "code_challenge": challenge,
              "code_challenge_method": "S256", "response_type": "code"}
    authorize = requests.Request("GET", f"{server.url}/api/v1/auth/oauth/authorize/github", params=params).prepare()
    user = password_user(server, "gh@example.com")
    secret = enable_totp(server, user["id"])
    code = query_of(complete_oauth(str(authorize.url), "gh@example.com"))["code"]
    token = requests.post(f"{server.url}/api/v1/auth/oauth/token", timeout=10, data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri, "code_verifier": verifier,
        "client_id": server.project_id, "client_secret": server.publishable_key})
    attempt = _known(token, 400, "MULTI_FACTOR_AUTHENTICATION_REQUIRED")["details"]["attempt_code"]
    done = _post(server, "/auth/mfa/sign-in", {"type": "totp", "totp": current_totp(emu, secret), "code": attempt})
    assert done.status_code == 200
    # Refreshing does not ask again: Stack asks for the TOTP only when a session is created.
    refreshed = requests.post(f"{server.url}/api/v1/auth/oauth/token", timeout=10, data={
        "grant_type": "refresh_token", "refresh_token": done.json()["refresh_token"],
        "client_id": server.project_id, "client_secret": server.publishable_key})
    assert refreshed.status_code == 200, refreshed.text


def test_a_user_turning_on_totp_with_their_own_token(server: EmulatorServer, emu: Any) -> None:
    password_user(server, "self@example.com")
    body = {"email": "self@example.com", "password": PASSWORD}
    tokens = _post(server, "/auth/password/sign-in", body).json()
    secret = base64.b64encode(secrets.token_bytes(20)).decode()
    patched = requests.patch(f"{server.url}/api/v1/users/me", json={"totp_secret_base64": secret}, timeout=10,
                             headers={**client_headers(server), "x-stack-access-token": tokens["access_token"]})
    assert patched.status_code == 200, patched.text
    _known(_post(server, "/auth/password/sign-in", body), 400, "MULTI_FACTOR_AUTHENTICATION_REQUIRED")
