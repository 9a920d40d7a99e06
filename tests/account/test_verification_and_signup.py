"""Sign-up's verification link (both servers), the verification landing page, and the resend buttons."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import responses

from tests.account.account_support import PASSWORD, account_app, code_of, link_path, mails, post, text


@pytest.fixture
def app(stackauth_config: dict[str, Any]) -> Any:
    return account_app(stackauth_config)


def _sign_up(client: Any, email: str) -> Any:
    return post(client, "/auth/signup", {"email": email, "password": PASSWORD, "password_repeat": PASSWORD})


@pytest.mark.parametrize("legacy", [False, True], ids=["v2.8", "v2.7"])
def test_sign_up_creates_the_account_and_mails_a_link_to_our_verification_page(client: Any, emu: Any,
                                                                               legacy: bool) -> None:
    emu.set_legacy_tokens(legacy)  # v2.7 refuses a sign-up without verification_callback_url
    answer = _sign_up(client, "new@example.com")
    assert answer.status_code == 303, text(answer)
    sent = mails(emu, "email_verification")
    assert [m["to"] for m in sent] == ["new@example.com"]
    assert sent[0]["link"].startswith("http://localhost/auth/verify-email?code=")


def test_a_schema_error_is_logged_by_field_name_and_does_not_blame_the_visitor(
        client: Any, stackauth_config: dict[str, Any], caplog: pytest.LogCaptureFixture) -> None:
    page_token = client.get("/auth/signup")  # the form token, before Stack is replaced
    import re
    token = re.search(r'name="csrf_token" value="([^"]+)"', text(page_token)).group(1)  # type: ignore[union-attr]
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_passthru(stackauth_config["STACK_API_URL"] + "/api/v1/projects")
        mock.add(responses.POST, stackauth_config["STACK_API_URL"] + "/api/v1/auth/password/sign-up", status=400,
                 headers={"x-stack-known-error": "SCHEMA_ERROR"},
                 json={"code": "SCHEMA_ERROR", "error": "Request validation failed on POST /api/v1/auth/password/"
                       "sign-up:\n  - body.verification_callback_url must be defined"})
        with caplog.at_level(logging.WARNING, logger="flask_stackauth"):
            answer = client.post("/auth/signup", data={"csrf_token": token, "email": "new@example.com",
                                                       "password": PASSWORD, "password_repeat": PASSWORD})
    assert answer.status_code == 400
    assert "not something you did" in text(answer) and "what was typed" not in text(answer)
    logged = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("body.verification_callback_url" in m for m in logged), logged
    assert not any(PASSWORD in m or "new@example.com" in m for m in logged)


def _signed_in_unverified(client: Any, login: Any) -> dict[str, Any]:
    return dict(login(client, "ada@example.com", email_verified=False))


def test_resend_then_verify_with_one_click_and_the_session_sees_it_at_once(client: Any, emu: Any,
                                                                           stackauth_login: Any) -> None:
    _signed_in_unverified(client, stackauth_login)
    assert client.get("/me").json["verified"] is False
    sent = post(client, "/auth/verify-email/send", {}, page="/auth/account/emails")
    assert sent.status_code == 200 and "We sent a new verification link" in text(sent)
    mail = mails(emu, "email_verification")[-1]
    path = link_path(mail)
    for _ in range(2):  # GETs (a mail scanner's too) only check the code
        landing = client.get(path)
        assert landing.status_code == 200 and "Verify my email" in text(landing)
    done = post(client, "/auth/verify-email", {"code": code_of(mail)}, page=path)
    assert done.status_code == 200 and "Your email address is verified" in text(done)
    assert client.get("/me").json["verified"] is True  # no wait for the access token to expire
    used = client.get(path)
    assert used.status_code == 409 and "already been used" in text(used)


def test_the_link_works_in_a_signed_out_browser_too(app: Any, client: Any, emu: Any, stackauth_login: Any) -> None:
    _signed_in_unverified(client, stackauth_login)
    post(client, "/auth/verify-email/send", {}, page="/auth/account/emails")
    mail = mails(emu, "email_verification")[-1]
    elsewhere = app.test_client()
    done = post(elsewhere, "/auth/verify-email", {"code": code_of(mail)}, page=link_path(mail))
    assert done.status_code == 200 and "verified" in text(done)
    # The first browser's token says unverified until it is next refreshed (Stack's tokens are not revoked).
    assert client.get("/me").status_code == 200


def test_resend_for_a_verified_address_says_so(client: Any, stackauth_login: Any) -> None:
    stackauth_login(client, "ada@example.com")
    answer = post(client, "/auth/verify-email/send", {}, page="/auth/account/emails")
    assert answer.status_code == 409 and "already verified" in text(answer)


def test_resend_needs_a_signed_in_user_and_a_form_token(client: Any, app: Any, stackauth_login: Any) -> None:
    assert app.test_client().post("/auth/verify-email/send").status_code == 403
    stranger = app.test_client()
    assert post(stranger, "/auth/verify-email/send", {}, page="/auth/login").status_code == 401


def test_the_restricted_user_page_offers_a_resend_button(client: Any, stackauth_login: Any) -> None:
    stackauth_login(client, "ada@example.com", email_verified=False)
    page = client.get("/needs-verified-email")
    assert page.status_code == 403
    assert 'action="/auth/verify-email/send"' in text(page) and 'name="csrf_token"' in text(page)


@pytest.mark.parametrize("code", ["", "nope", "a" * 45])
def test_bad_codes_answer_4xx_with_a_way_on(client: Any, code: str) -> None:
    answer = client.get("/auth/verify-email", query_string={"code": code})
    assert 400 <= answer.status_code < 500
    assert "Sign in" in text(answer) or "new verification link" in text(answer)
