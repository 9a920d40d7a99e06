"""Issue 11 item 9: failed password, email-code and TOTP guesses and codes sent are throttled per email and
per client address; 429 with Retry-After, a page that says when to retry, JSON for API requests."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.conftest import make_app
from tests.signin.signin_support import (
    PASSWORD,
    csrf,
    current_totp,
    enable_totp,
    last_email,
    password_user,
    signed_in,
    text,
    wrong_totp,
)

SIGN_IN = "/api/v1/auth/password/sign-in"
SEND = "/api/v1/auth/otp/send-sign-in-code"
OTP_SIGN_IN = "/api/v1/auth/otp/sign-in"
MFA = "/api/v1/auth/mfa/sign-in"


def _post(client: Any, path: str, token: str, data: dict[str, str], **kwargs: Any) -> Any:
    return client.post(path, data={"csrf_token": token, **data}, **kwargs)


def _retry_after(response: Any) -> int:
    assert response.status_code == 429, text(response)[:500]
    seconds = int(response.headers["Retry-After"])
    assert 0 < seconds <= 15 * 60
    return seconds


def test_150_wrong_passwords_then_the_right_one_is_refused(client: Any, emu: Any,
                                                           stackauth_emulator: Any) -> None:
    password_user(stackauth_emulator, "guessed@example.com")
    token = csrf(client)  # one form token for every try, as the attack did
    statuses = [_post(client, "/auth/password", token, {"email": "guessed@example.com", "password": f"guess{i}"})
                .status_code for i in range(150)]
    assert statuses[:10] == [400] * 10
    assert set(statuses[10:]) == {429}
    assert emu.calls("POST", SIGN_IN) == 10  # no more guesses reach Stack Auth
    right = _post(client, "/auth/password", token, {"email": "guessed@example.com", "password": PASSWORD})
    _retry_after(right)
    page = text(right)
    assert "Too many" in page and re.search(r"Try again in \d+ minutes? \(after \d\d:\d\d UTC\)", page)
    assert not signed_in(client)
    api = _post(client, "/auth/password", token, {"email": "guessed@example.com", "password": PASSWORD},
                headers={"Accept": "application/json"})
    assert _retry_after(api) == api.json["details"]["retry_after"]
    assert api.json["code"] == "TOO_MANY_SIGN_IN_ATTEMPTS"
    # Another email from another address is unaffected; the same email from another address is not.
    other = {"REMOTE_ADDR": "10.0.0.2"}
    password_user(stackauth_emulator, "other@example.com")
    token2 = csrf(client, environ_base=other)
    assert _post(client, "/auth/password", token2, {"email": "other@example.com", "password": PASSWORD},
                 environ_base=other).status_code == 303
    assert _post(client, "/auth/password", csrf(client, environ_base=other),
                 {"email": "guessed@example.com", "password": PASSWORD}, environ_base=other).status_code == 429


def test_failures_per_address_across_emails(stackauth_config: dict[str, Any], stackauth_emulator: Any) -> None:
    client = make_app(stackauth_config, STACK_SIGN_IN_THROTTLE_PER_ADDRESS="5 per 15 minutes").test_client()
    token = csrf(client)
    for i in range(5):
        assert _post(client, "/auth/password", token, {"email": f"spray{i}@example.com", "password": "x"}
                     ).status_code == 400
    password_user(stackauth_emulator, "sprayed@example.com")
    _retry_after(_post(client, "/auth/password", token, {"email": "sprayed@example.com", "password": PASSWORD}))


def test_throttle_can_be_turned_off(stackauth_config: dict[str, Any]) -> None:
    client = make_app(stackauth_config, STACK_SIGN_IN_THROTTLE_PER_EMAIL="off",
                      STACK_SIGN_IN_THROTTLE_PER_ADDRESS="off").test_client()
    token = csrf(client)
    for _ in range(12):
        assert _post(client, "/auth/password", token, {"email": "free@example.com", "password": "x"}
                     ).status_code == 400


def test_bad_rate_setting_is_refused_at_init(stackauth_config: dict[str, Any]) -> None:
    from flask_stackauth import StackAuthConfigError

    with pytest.raises(StackAuthConfigError, match="STACK_SIGN_IN_THROTTLE_PER_EMAIL"):
        make_app(stackauth_config, STACK_SIGN_IN_THROTTLE_PER_EMAIL="lots")


def test_codes_sent_and_wrong_codes_are_throttled(client: Any, emu: Any) -> None:
    token = csrf(client)
    for _ in range(10):
        assert _post(client, "/auth/otp/send", token, {"otp_email": "inbox@example.com"}).status_code == 303
    sent = len(emu.emails)
    _retry_after(_post(client, "/auth/otp/send", token, {"otp_email": "inbox@example.com"}))
    assert len(emu.emails) == sent  # no 11th email
    otp = last_email(emu)["otp"]
    wrong = ("1" if otp[0] != "1" else "2") + otp[1:]
    page_token = csrf(client, "/auth/otp/code")
    for _ in range(10):
        assert _post(client, "/auth/otp/code", page_token, {"code": wrong}).status_code == 400
    calls = emu.calls("POST", OTP_SIGN_IN)
    _retry_after(_post(client, "/auth/otp/code", page_token, {"code": otp}))
    assert emu.calls("POST", OTP_SIGN_IN) == calls
    assert not signed_in(client)


def test_wrong_totp_codes_are_throttled(client: Any, emu: Any, stackauth_emulator: Any) -> None:
    user = password_user(stackauth_emulator, "totp@example.com")
    secret = enable_totp(stackauth_emulator, user["id"])
    started = _post(client, "/auth/password", csrf(client), {"email": "totp@example.com", "password": PASSWORD})
    assert started.headers["Location"] == "/auth/mfa"
    token = csrf(client, "/auth/mfa")
    # The password step was one success, not a failure; ten wrong codes use up the email's allowance.
    for _ in range(10):
        assert _post(client, "/auth/mfa", token, {"totp": wrong_totp(emu, secret)}).status_code == 400
    calls = emu.calls("POST", MFA)
    _retry_after(_post(client, "/auth/mfa", token, {"totp": current_totp(emu, secret)}))
    assert emu.calls("POST", MFA) == calls
    assert not signed_in(client)


def test_two_apps_on_one_redis_share_the_limit(stackauth_config: dict[str, Any], stackauth_emulator: Any) -> None:
    from tests.deploy.support import redis_server

    with redis_server() as url:
        first = make_app(stackauth_config, STACK_REDIS_URL=url).test_client()
        # The other worker only has the refresh lock's Redis setting: it is the throttle's fallback.
        second = make_app(stackauth_config, STACK_REFRESH_LOCK_REDIS_URL=url).test_client()
        password_user(stackauth_emulator, "shared@example.com")
        for i in range(10):
            client = first if i % 2 else second
            assert _post(client, "/auth/password", csrf(client), {"email": "shared@example.com", "password": "x"}
                         ).status_code == 400
        for client in (first, second):
            _retry_after(_post(client, "/auth/password", csrf(client),
                               {"email": "shared@example.com", "password": PASSWORD}))
        # A third app without Redis counts in its own memory: proof the limit above came from Redis.
        alone = make_app(stackauth_config).test_client()
        assert _post(alone, "/auth/password", csrf(alone), {"email": "shared@example.com", "password": PASSWORD}
                     ).status_code == 303


def test_a_redis_outage_lets_sign_ins_through_with_a_warning(stackauth_config: dict[str, Any],
                                                             stackauth_emulator: Any, caplog: Any) -> None:
    from tests.deploy.support import free_port

    client = make_app(stackauth_config, STACK_REDIS_URL=f"redis://127.0.0.1:{free_port()}/0").test_client()
    password_user(stackauth_emulator, "redis-down@example.com")
    token = csrf(client)
    assert _post(client, "/auth/password", token, {"email": "redis-down@example.com", "password": "x"}
                 ).status_code == 400
    assert _post(client, "/auth/password", token, {"email": "redis-down@example.com", "password": PASSWORD}
                 ).status_code == 303
    assert "sign-in throttle's store failed" in caplog.text
