"""Email and password: sign-in and sign-up forms, over real HTTP against the emulator."""

from __future__ import annotations

from typing import Any

import pytest

from flask_stackauth import user_signed_in
from tests.conftest import make_app
from tests.signin.signin_support import PASSWORD, csrf, password_user, post_form, signed_in, text

SIGN_IN = "/api/v1/auth/password/sign-in"
SIGN_UP = "/api/v1/auth/password/sign-up"


def _signals(app: Any) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []

    def receiver(sender: Any, **kwargs: Any) -> None:
        seen.append(kwargs)

    user_signed_in.connect(receiver, app, weak=False)
    return seen


def test_password_sign_in_lands_on_next_with_the_same_session_and_signal(
        app: Any, client: Any, stackauth_emulator: Any) -> None:
    password_user(stackauth_emulator, "ada@example.com")
    seen = _signals(app)
    response = post_form(client, "/auth/password",
                         {"email": " ada@example.com ", "password": PASSWORD, "next": "/dashboard"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/dashboard"
    assert text(client.get("/dashboard")) == "Hello ada@example.com"
    assert client.get("/protected").json["email"] == "ada@example.com"
    assert [(s["method"], s["is_new_user"], s["user"].primary_email) for s in seen] == [
        ("password", False, "ada@example.com")]


@pytest.mark.parametrize("email", ["ada@example.com", "nobody@example.com"])
def test_wrong_password_and_unknown_email_get_the_same_answer(
        client: Any, stackauth_emulator: Any, email: str) -> None:
    password_user(stackauth_emulator, "ada@example.com")
    response = post_form(client, "/auth/password", {"email": email, "password": "not the password"})
    assert response.status_code == 400
    html = text(response)
    assert "Wrong email or password." in html
    assert "not the password" not in html
    assert f'value="{email}"' in html  # the email is kept, the password is not
    assert not signed_in(client)


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"email": "", "password": PASSWORD}, "email", "Enter your email address."),
    ({"email": "ada@example.com", "password": ""}, "password", "Enter your password."),
    ({"email": "not-an-email", "password": PASSWORD}, "email", "Enter a valid email address"),
    ({"email": "a@b", "password": PASSWORD}, "email", "Enter a valid email address"),
    ({"email": "x" * 300 + "@example.com", "password": PASSWORD}, "email", "too long"),
    ({"email": "ada@example.com", "password": "p" * 71}, "password", "too long"),
    ({"password": PASSWORD}, "email", "Enter your email address."),
])
def test_bad_input_is_answered_next_to_the_field_without_calling_stack(
        client: Any, emu: Any, data: dict[str, str], field: str, message: str) -> None:
    response = post_form(client, "/auth/password", data)
    assert response.status_code == 400
    html = text(response)
    assert f'<p class="field-error" id="{field}-error">' in html
    assert message in html
    assert 'aria-invalid="true"' in html
    assert emu.calls("POST", SIGN_IN) == 0
    assert not signed_in(client)


def test_missing_or_forged_form_token_is_refused(client: Any, emu: Any, stackauth_emulator: Any) -> None:
    password_user(stackauth_emulator, "ada@example.com")
    for token in (None, "forged", csrf(client) + "x"):
        data = {"email": "ada@example.com", "password": PASSWORD}
        if token is not None:
            data["csrf_token"] = token
        response = client.post("/auth/password", data=data)
        assert response.status_code == 403
        assert "has expired or is not valid" in text(response)
    assert emu.calls("POST", SIGN_IN) == 0
    assert not signed_in(client)


def test_cross_site_posts_are_refused(client: Any, emu: Any, stackauth_emulator: Any) -> None:
    password_user(stackauth_emulator, "ada@example.com")
    data = {"email": "ada@example.com", "password": PASSWORD}
    by_origin = post_form(client, "/auth/password", data, headers={"Origin": "https://evil.example"})
    by_fetch_site = post_form(client, "/auth/password", data, headers={"Sec-Fetch-Site": "cross-site"})
    for response in (by_origin, by_fetch_site):
        assert response.status_code == 403
        assert "came from another site" in text(response)
    assert emu.calls("POST", SIGN_IN) == 0
    assert not signed_in(client)


def test_unsafe_next_falls_back_to_after_sign_in_url(stackauth_config: dict[str, Any],
                                                     stackauth_emulator: Any) -> None:
    password_user(stackauth_emulator, "ada@example.com")
    client = make_app(stackauth_config, STACK_AFTER_SIGN_IN_URL="/welcome").test_client()
    for unsafe in ("//evil.example", "https://evil.example/", "/\\evil.example"):
        response = post_form(client, "/auth/password",
                             {"email": "ada@example.com", "password": PASSWORD, "next": unsafe})
        assert response.status_code == 303
        assert response.headers["Location"] == "/welcome"


def test_password_sign_in_turned_off(client: Any, emu: Any, stackauth_emulator: Any) -> None:
    password_user(stackauth_emulator, "ada@example.com")
    emu.project.credential_enabled = False
    response = post_form(client, "/auth/password", {"email": "ada@example.com", "password": PASSWORD})
    assert response.status_code == 400
    assert "turned off" in text(response)
    assert not signed_in(client)


def test_stack_auth_down_is_a_503_page_without_session(client: Any, emu: Any, stackauth_emulator: Any) -> None:
    password_user(stackauth_emulator, "ada@example.com")
    token = csrf(client)
    emu.fail_next(1, path=SIGN_IN, mode="503")
    response = client.post("/auth/password",
                           data={"csrf_token": token, "email": "ada@example.com", "password": PASSWORD})
    assert response.status_code == 503
    assert "unavailable right now" in text(response)
    assert not signed_in(client)


# -- sign-up ------------------------------------------------------------------------------------------------

def _sign_up(client: Any, email: str = "new@example.com", password: str = PASSWORD,
             repeat: str | None = None, next_url: str = "/dashboard") -> Any:
    return post_form(client, "/auth/signup", {
        "email": email, "password": password, "password_repeat": password if repeat is None else repeat,
        "next": next_url}, page="/auth/signup")


def test_sign_up_creates_the_account_and_signs_in(app: Any, client: Any, emu: Any) -> None:
    page = client.get("/auth/signup?next=/dashboard")
    assert page.status_code == 200
    assert 'autocomplete="new-password"' in text(page)
    assert 'name="next" value="/dashboard"' in text(page)
    seen = _signals(app)
    response = _sign_up(client)
    assert response.status_code == 303
    assert response.headers["Location"] == "/dashboard"
    assert text(client.get("/dashboard")) == "Hello new@example.com"
    assert [(s["method"], s["is_new_user"]) for s in seen] == [("password", True)]
    assert emu.find_user_by_email("new@example.com") is not None


def test_sign_up_with_a_taken_email_says_so_next_to_the_field(client: Any, stackauth_emulator: Any) -> None:
    password_user(stackauth_emulator, "ada@example.com")
    response = _sign_up(client, "ada@example.com")
    assert response.status_code == 409
    html = text(response)
    assert '<p class="field-error" id="email-error">An account with this email already exists.' in html
    assert not signed_in(client)


def test_sign_up_with_a_short_password(client: Any) -> None:
    response = _sign_up(client, password="short")
    assert response.status_code == 400
    assert '<p class="field-error" id="password-error">Use at least 8 characters.</p>' in text(response)
    assert not signed_in(client)


def test_sign_up_with_mismatched_passwords_does_not_call_stack(client: Any, emu: Any) -> None:
    response = _sign_up(client, repeat=PASSWORD + "!")
    assert response.status_code == 400
    assert "The two passwords do not match." in text(response)
    assert emu.calls("POST", SIGN_UP) == 0


def test_sign_up_bad_email_and_missing_token(client: Any, emu: Any) -> None:
    assert _sign_up(client, email="nope").status_code == 400
    forged = client.post("/auth/signup", data={"email": "a@example.com", "password": PASSWORD,
                                               "password_repeat": PASSWORD})
    assert forged.status_code == 403
    assert "has expired or is not valid" in text(forged)
    assert emu.calls("POST", SIGN_UP) == 0
    assert not signed_in(client)


def test_sign_up_turned_off(stackauth_config: dict[str, Any], emu: Any) -> None:
    emu.project.sign_up_enabled = False
    client = make_app(stackauth_config).test_client()
    page = client.get("/auth/signup")
    assert page.status_code == 403
    assert "Creating new accounts is turned off" in text(page)
    posted = client.post("/auth/signup", data={"email": "a@example.com", "password": PASSWORD})
    assert posted.status_code == 403
    assert emu.calls("POST", SIGN_UP) == 0


def test_sign_up_refused_by_stack_after_the_page_was_shown(client: Any, emu: Any) -> None:
    token = csrf(client, "/auth/signup")
    emu.project.sign_up_enabled = False  # the page (and the project cache) still say sign-up is open
    response = client.post("/auth/signup", data={"csrf_token": token, "email": "a@example.com",
                                                 "password": PASSWORD, "password_repeat": PASSWORD})
    assert response.status_code == 400
    assert "Creating new accounts is turned off" in text(response)
    assert not signed_in(client)
