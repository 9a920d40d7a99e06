"""Forgot password and reset, over HTTP against the emulator (held to password-result.json of both servers)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from flask_stackauth.tokens import TOKENS_KEY
from tests.account.account_support import PASSWORD, account_app, code_of, link_path, mails, post, text

NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture
def app(stackauth_config: dict[str, Any]) -> Any:
    return account_app(stackauth_config)


def _signed_in(client: Any) -> bool:
    with client.session_transaction() as session:
        return TOKENS_KEY in session


def _ask_reset(client: Any, email: str) -> Any:
    return post(client, "/auth/forgot-password", {"email": email})


def _without_token(html: str) -> str:
    return re.sub(r'name="csrf_token" value="[^"]+"', "", html).replace("nobody@example.com", "X").replace(
        "ada@example.com", "X")


def test_sign_in_page_links_to_forgot_password(client: Any) -> None:
    assert 'href="/auth/forgot-password"' in text(client.get("/auth/login"))


def test_the_answer_is_the_same_for_known_and_unknown_emails(client: Any, emu: Any) -> None:
    emu.create_user("ada@example.com", password=PASSWORD)
    known, unknown = _ask_reset(client, "ada@example.com"), _ask_reset(client, "nobody@example.com")
    assert known.status_code == unknown.status_code == 200
    assert _without_token(text(known)) == _without_token(text(unknown))
    assert [m["to"] for m in mails(emu, "password_reset")] == ["ada@example.com"]


def test_the_emailed_link_is_built_from_configuration_not_the_host_header(stackauth_config: dict[str, Any],
                                                                         emu: Any) -> None:
    app = account_app(stackauth_config, STACK_REDIRECT_URI="https://app.example.com/auth/callback")
    with emu.lock:
        emu.project.trusted_domains = ["https://app.example.com"]
    emu.create_user("ada@example.com", password=PASSWORD)
    client = app.test_client()
    evil = "http://evil.example.net"
    page = text(client.get("/auth/forgot-password", base_url=evil))
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    answer = client.post("/auth/forgot-password", data={"csrf_token": token, "email": "ada@example.com"},
                         base_url=evil)
    assert answer.status_code == 200
    assert mails(emu, "password_reset")[0]["link"].startswith("https://app.example.com/auth/password-reset?code=")


def test_reset_checks_on_get_spends_on_post_and_signs_in(client: Any, emu: Any, app: Any) -> None:
    user = emu.create_user("ada@example.com", password=PASSWORD)
    other = app.test_client()  # another browser of the same user
    other_pair = emu.create_session(user["id"])
    from flask_stackauth.tokens import TokenSet, peek_claims, save_tokens
    with other.session_transaction() as session:
        save_tokens(session, TokenSet(other_pair["access_token"], other_pair["refresh_token"],
                                      int(peek_claims(other_pair["access_token"])["exp"])))
    assert other.get("/me").status_code == 200
    # Tokens are stamped in whole seconds; the other browser's must be older than the reset's sign-in.
    emu.advance_clock(2)

    _ask_reset(client, "ada@example.com")
    mail = mails(emu, "password_reset")[-1]
    path = link_path(mail)
    for _ in range(2):  # a mail scanner's prefetch spends nothing
        page = client.get(path)
        assert page.status_code == 200 and 'name="password_repeat"' in text(page)
    answer = post(client, "/auth/password-reset", {"code": code_of(mail), "email": "ada@example.com",
                                                   "password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD},
                  page=path)
    assert answer.status_code == 303, text(answer)
    assert _signed_in(client) and client.get("/me").json["email"] == "ada@example.com"
    # The reset ended every session at Stack: the other browser is signed out at its next request.
    assert other.get("/me").status_code == 302
    assert not _signed_in(other)
    assert NEW_PASSWORD not in text(answer) and NEW_PASSWORD not in answer.headers.get("Location", "")
    # The code is spent: the link now offers a new one.
    again = client.get(path)
    assert again.status_code in (400, 409) and "Send a new link" in text(again)


def test_a_short_password_is_refused_before_the_code_is_spent(client: Any, emu: Any) -> None:
    emu.create_user("ada@example.com", password=PASSWORD)
    _ask_reset(client, "ada@example.com")
    mail = mails(emu, "password_reset")[-1]
    path = link_path(mail)
    short = post(client, "/auth/password-reset", {"code": code_of(mail), "email": "ada@example.com",
                                                  "password": "short", "password_repeat": "short"}, page=path)
    assert short.status_code == 400 and "at least 8 characters" in text(short)
    mismatch = post(client, "/auth/password-reset", {"code": code_of(mail), "email": "ada@example.com",
                                                     "password": NEW_PASSWORD, "password_repeat": "other one!"},
                    page=path)
    assert mismatch.status_code == 400 and "do not match" in text(mismatch)
    assert "short" not in re.sub(r"<[^>]+>", "", text(short)).replace("too short", "")
    assert client.get(path).status_code == 200  # still usable


def test_a_wrong_email_on_the_form_still_resets_and_sends_to_sign_in(client: Any, emu: Any) -> None:
    emu.create_user("ada@example.com", password=PASSWORD)
    _ask_reset(client, "ada@example.com")
    mail = mails(emu, "password_reset")[-1]
    answer = post(client, "/auth/password-reset", {"code": code_of(mail), "email": "typo@example.com",
                                                   "password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD},
                  page=link_path(mail))
    assert answer.status_code == 303 and "/auth/login?notice=password-reset" in answer.headers["Location"]
    assert "Sign in with the new password" in text(client.get(answer.headers["Location"]))
    signed = post(client, "/auth/password", {"email": "ada@example.com", "password": NEW_PASSWORD},
                  page="/auth/login")
    assert signed.status_code == 303 and _signed_in(client)


@pytest.mark.parametrize("code", ["", "short", "x" * 45 + "<", "a" * 200])
def test_broken_links_say_so_and_offer_a_new_one(client: Any, code: str) -> None:
    answer = client.get("/auth/password-reset", query_string={"code": code})
    assert answer.status_code == 400 and "Send a new link" in text(answer)


def test_an_unknown_code_is_refused_without_a_500(client: Any) -> None:
    answer = client.get("/auth/password-reset", query_string={"code": "a" * 45})
    assert 400 <= answer.status_code < 500 and "Send a new link" in text(answer)


def test_forgot_password_is_closed_when_passwords_are_off(client: Any, emu: Any) -> None:
    from flask_stackauth.emulator.account_settings import configure_project

    configure_project(emu, credential_enabled=False)
    assert client.get("/auth/forgot-password").status_code == 404
    assert "Forgot your password" not in text(client.get("/auth/login"))


def test_forged_posts_are_refused(client: Any, emu: Any) -> None:
    emu.create_user("ada@example.com", password=PASSWORD)
    assert client.post("/auth/forgot-password", data={"email": "ada@example.com"}).status_code == 403
    cross = post(client, "/auth/forgot-password", {"email": "ada@example.com"},
                 headers={"Origin": "https://evil.example.net"})
    assert cross.status_code == 403
    assert not mails(emu, "password_reset")
