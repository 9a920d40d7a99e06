"""Email codes: the typed 6-character code and the emailed link, over real HTTP against the emulator."""

from __future__ import annotations

import re
from typing import Any

from flask_stackauth import user_signed_in
from flask_stackauth.views.otp import OTP_KEY
from tests.conftest import make_app
from tests.signin.signin_support import csrf, last_email, link_code, password_user, post_form, signed_in, text

SEND = "/api/v1/auth/otp/send-sign-in-code"
SIGN_IN = "/api/v1/auth/otp/sign-in"


def _send(client: Any, email: str = "ada@example.com", next_url: str | None = "/dashboard", **kwargs: Any) -> Any:
    data = {"otp_email": email}
    if next_url:
        data["next"] = next_url
    return post_form(client, "/auth/otp/send", data, **kwargs)


def _type(client: Any, code: str) -> Any:
    return post_form(client, "/auth/otp/code", {"code": code}, page="/auth/otp/code")


def test_typed_code_signs_in_and_lands_on_next(app: Any, client: Any, emu: Any) -> None:
    seen: list[dict[str, Any]] = []
    user_signed_in.connect(lambda sender, **kw: seen.append(kw), app, weak=False)
    sent = _send(client)
    assert sent.status_code == 303
    assert sent.headers["Location"] == "/auth/otp/code"
    mail = last_email(emu)
    assert mail["to"] == "ada@example.com"
    # The emailed link points at our callback and carries no next and no nonce of ours.
    assert mail["link"].startswith("http://localhost/auth/otp/callback?code=")
    assert "next" not in mail["link"] and "dashboard" not in mail["link"]
    page = client.get("/auth/otp/code")
    assert page.status_code == 200
    assert "ada@example.com" in text(page)
    assert 'autocomplete="one-time-code"' in text(page)
    otp = mail["otp"]
    typed = f"{otp[:3].lower()} {otp[3:]}"  # lower case and a space, as people type it
    response = _type(client, typed)
    assert response.status_code == 303
    assert response.headers["Location"] == "/dashboard"
    assert text(client.get("/dashboard")) == "Hello ada@example.com"
    assert [(s["method"], s["is_new_user"]) for s in seen] == [("otp", True)]
    with client.session_transaction() as session:
        assert OTP_KEY not in session


def test_wrong_code_is_a_field_error_and_the_right_one_still_works(client: Any, emu: Any) -> None:
    _send(client)
    otp = last_email(emu)["otp"]
    wrong = ("1" if otp[0] != "1" else "2") + otp[1:]
    response = _type(client, wrong)
    assert response.status_code == 400
    assert '<p class="field-error" id="code-error">That code is not right.' in text(response)
    assert not signed_in(client)
    assert _type(client, otp).status_code == 303
    assert signed_in(client)


def test_malformed_typed_codes_never_reach_stack(client: Any, emu: Any) -> None:
    _send(client)
    for bad, message in (("", "Enter the 6-character code"), ("12345", "6 letters and digits"),
                         ("1234567", "6 letters and digits"), ("ABCDU1", "6 letters and digits"),
                         ("<b>12</b>", "6 letters and digits"), ("9" * 5000, "6 letters and digits")):
        response = _type(client, bad)
        assert response.status_code == 400, bad
        assert message in text(response)
        assert "<b>12</b>" not in text(response)
    assert emu.calls("POST", SIGN_IN) == 0


def test_too_many_wrong_codes_need_a_new_code(stackauth_config: dict[str, Any], emu: Any) -> None:
    # Stack's own per-code limit, so the app's throttle (tests/security) is off here.
    client = make_app(stackauth_config, STACK_SIGN_IN_THROTTLE_PER_EMAIL="off",
                      STACK_SIGN_IN_THROTTLE_PER_ADDRESS="off").test_client()
    _send(client)
    otp = last_email(emu)["otp"]
    wrong = ("1" if otp[0] != "1" else "2") + otp[1:]
    for _ in range(20):
        assert _type(client, wrong).status_code == 400
    response = _type(client, otp)
    assert response.status_code == 429
    assert "Too many wrong tries" in text(response)
    assert not signed_in(client)
    assert client.get("/auth/otp/code").status_code == 400  # the spent code is forgotten


def test_code_page_without_a_sent_code(client: Any) -> None:
    page = client.get("/auth/otp/code")
    assert page.status_code == 400
    assert "no email code waiting" in text(page)
    posted = client.post("/auth/otp/code", data={"csrf_token": csrf(client), "code": "ABC123"})
    assert posted.status_code == 400
    assert "no email code waiting" in text(posted)


def test_bad_email_is_refused_before_sending(client: Any, emu: Any) -> None:
    for bad in ("", "nope", "a@b", "x" * 300 + "@example.com"):
        response = _send(client, bad)
        assert response.status_code == 400, bad
        assert '<p class="field-error" id="otp_email-error">' in text(response)
    assert emu.calls("POST", SEND) == 0
    assert not emu.emails


def test_send_without_form_token_is_refused(client: Any, emu: Any) -> None:
    response = client.post("/auth/otp/send", data={"otp_email": "ada@example.com"})
    assert response.status_code == 403
    assert "has expired or is not valid" in text(response)
    assert not emu.emails


def test_sending_reveals_nothing_about_accounts(stackauth_config: dict[str, Any], emu: Any,
                                                stackauth_emulator: Any) -> None:
    """An unverified account, an unknown email with sign-up closed, and a normal send look the same."""
    password_user(stackauth_emulator, "unverified@example.com", verified=False)
    pages = []
    for email, sign_up in (("unverified@example.com", True), ("nobody@example.com", False),
                           ("someone@example.com", True)):
        emu.project.sign_up_enabled = sign_up
        client = make_app(stackauth_config).test_client()
        sent = _send(client, email)
        assert sent.status_code == 303
        assert sent.headers["Location"] == "/auth/otp/code"
        page = text(client.get("/auth/otp/code")).replace(email, "EMAIL")
        pages.append(re.sub(r'name="csrf_token" value="[^"]*"', "CSRF", page))  # random per browser session
    assert pages[0] == pages[1] == pages[2]
    assert [m["to"] for m in emu.emails] == ["someone@example.com"]


# -- the emailed link ---------------------------------------------------------------------------------------

def test_link_asks_for_a_click_then_signs_in_to_next(client: Any, emu: Any) -> None:
    _send(client, next_url="/dashboard")
    code = link_code(last_email(emu))
    page = client.get(f"/auth/otp/callback?code={code}")
    assert page.status_code == 200
    assert "Sign in?" in text(page)
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert emu.calls("POST", SIGN_IN) == 0  # a link scanner's GET burns nothing
    assert not signed_in(client)
    response = post_form(client, "/auth/otp/callback", {"code": code}, page=f"/auth/otp/callback?code={code}")
    assert response.status_code == 303
    assert response.headers["Location"] == "/dashboard"
    assert text(client.get("/dashboard")) == "Hello ada@example.com"


def test_link_opened_in_another_browser_lands_on_after_sign_in_url(
        stackauth_config: dict[str, Any], client: Any, emu: Any) -> None:
    _send(client, next_url="/dashboard")
    code = link_code(last_email(emu))
    phone = make_app(stackauth_config, STACK_AFTER_SIGN_IN_URL="/welcome").test_client()
    response = post_form(phone, "/auth/otp/callback", {"code": code}, page=f"/auth/otp/callback?code={code}")
    assert response.status_code == 303
    assert response.headers["Location"] == "/welcome"
    assert signed_in(phone)


def test_reused_link_is_refused(client: Any, emu: Any) -> None:
    _send(client)
    code = link_code(last_email(emu))
    assert post_form(client, "/auth/otp/callback", {"code": code}).status_code == 303
    other = make_app(client.application.config).test_client()
    again = post_form(other, "/auth/otp/callback", {"code": code})
    assert again.status_code == 409
    assert "already been used" in text(again)
    assert not signed_in(other)


def test_expired_typed_code_and_expired_link(client: Any, emu: Any) -> None:
    _send(client)
    mail = last_email(emu)
    emu.advance_clock(8 * 24 * 3600)  # Stack keeps sign-in codes for 7 days
    by_typing = _type(client, mail["otp"])
    assert by_typing.status_code == 410
    assert "That code has expired. Send yourself a new one." in text(by_typing)
    by_link = post_form(client, "/auth/otp/callback", {"code": link_code(mail)})
    assert by_link.status_code == 410
    assert "expired" in text(by_link)
    assert not signed_in(client)


def test_broken_unknown_and_unsigned_links(client: Any, emu: Any) -> None:
    for broken in ("", "?code=", "?code=short", "?code=" + "a" * 44 + "%3C"):
        page = client.get("/auth/otp/callback" + broken)
        assert page.status_code == 400, broken
        assert "incomplete or broken" in text(page)
    unknown = "0" * 45
    response = post_form(client, "/auth/otp/callback", {"code": unknown})
    assert response.status_code == 400
    assert "not valid" in text(response)
    forged = client.post("/auth/otp/callback", data={"code": unknown})
    assert forged.status_code == 403
    assert emu.calls("POST", SIGN_IN) == 1
    assert not signed_in(client)


def test_untrusted_app_domain_is_a_clear_configuration_error(client: Any, emu: Any) -> None:
    base = "http://app.example.test"
    token = csrf(client, base_url=base)
    response = client.post("/auth/otp/send", base_url=base,
                           data={"csrf_token": token, "otp_email": "ada@example.com"})
    assert response.status_code == 502
    assert "not a trusted domain" in text(response)
    assert not emu.emails
