"""The account settings under /auth/account, over HTTP against the emulator (account-result.json)."""

from __future__ import annotations

from io import BytesIO
from typing import Any

import pytest

from flask_stackauth.emulator.account_settings import configure_project
from flask_stackauth.testing import sign_in_client
from flask_stackauth.tokens import TOKENS_KEY
from tests.account.account_support import PASSWORD, account_app, mails, post, text
from tests.helpers import sign_in

NEW = "another good passphrase"


@pytest.fixture
def app(stackauth_config: dict[str, Any]) -> Any:
    return account_app(stackauth_config)


def _signed_in(client: Any) -> bool:
    with client.session_transaction() as session:
        return TOKENS_KEY in session


def test_account_pages_need_a_signed_in_user(client: Any) -> None:
    for path in ("/auth/account", "/auth/account/emails", "/auth/account/password", "/auth/account/sessions"):
        answer = client.get(path)
        assert answer.status_code == 302 and "/auth/login?next=" in answer.headers["Location"]


def test_nav_shows_only_what_the_project_enables(client: Any, emu: Any, stackauth_login: Any) -> None:
    stackauth_login(client, "ada@example.com", password=PASSWORD)
    page = text(client.get("/auth/account"))
    assert "Emails" in page and "Password" in page and "Sessions" in page and "Delete account" not in page
    assert client.get("/auth/account/delete").status_code == 404
    configure_project(emu, client_user_deletion_enabled=True, credential_enabled=False)
    client.application.extensions["stackauth"]._project = None  # the project's config is cached for a minute
    page = text(client.get("/auth/account"))
    assert "Delete account" in page and 'href="/auth/account/password"' not in page
    assert client.get("/auth/account/password").status_code == 404


def test_profile_display_name_and_image(client: Any, stackauth_login: Any) -> None:
    stackauth_login(client, "ada@example.com")
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 40
    answer = post(client, "/auth/account", {"display_name": "Ada L.", "profile_image": (BytesIO(png), "me.png")},  # type: ignore[dict-item]
                  content_type="multipart/form-data")
    assert answer.status_code == 200 and "Your profile was saved" in text(answer)
    page = text(client.get("/auth/account"))
    assert 'value="Ada L."' in page and 'src="data:image/png;base64,' in page
    exe = (BytesIO(b"MZ not an image"), "x.exe")
    bad = post(client, "/auth/account", {"display_name": "Ada", "profile_image": exe},  # type: ignore[dict-item]
               content_type="multipart/form-data")
    assert bad.status_code == 400 and "not a PNG" in text(bad)
    long = post(client, "/auth/account", {"display_name": "x" * 101})
    assert long.status_code == 400 and "at most 100" in text(long)


def test_contact_channels_add_verify_primary_sign_in_remove(client: Any, emu: Any, stackauth_login: Any) -> None:
    stackauth_login(client, "ada@example.com")
    added = post(client, "/auth/account/emails", {"action": "add", "email": "ada@work.example.com"})
    assert added.status_code == 200 and "ada@work.example.com" in text(added)
    assert [m["to"] for m in mails(emu, "email_verification")] == ["ada@work.example.com"]
    channels = {c["value"]: c for c in _channels(client)}
    work = channels["ada@work.example.com"]["id"]
    assert post(client, "/auth/account/emails", {"action": "verify", "channel_id": work}).status_code == 200
    assert len(mails(emu, "email_verification")) == 2
    again = post(client, "/auth/account/emails", {"action": "add", "email": "ada@work.example.com"})
    assert again.status_code == 400 and "already on your account" in text(again)
    assert post(client, "/auth/account/emails", {"action": "use_for_sign_in", "channel_id": work}).status_code == 200
    assert post(client, "/auth/account/emails", {"action": "primary", "channel_id": work}).status_code == 200
    channels = {c["value"]: c for c in _channels(client)}
    assert channels["ada@work.example.com"]["is_primary"] and channels["ada@work.example.com"]["used_for_auth"]
    removed = post(client, "/auth/account/emails", {"action": "remove", "channel_id": work})
    assert removed.status_code == 200 and "ada@work.example.com" not in text(removed).split("was removed")[1]
    gone = post(client, "/auth/account/emails", {"action": "remove", "channel_id": work})
    assert gone.status_code == 404 and "no longer on your account" in text(gone)
    junk = post(client, "/auth/account/emails", {"action": "remove", "channel_id": "../../users/me"})
    assert junk.status_code == 404


def _channels(client: Any) -> list[dict[str, Any]]:
    with client.application.test_request_context():
        from flask_stackauth.state import get_state
        from flask_stackauth.tokens import load_tokens
        with client.session_transaction() as session:
            tokens = load_tokens(session)
        assert tokens is not None
        answer = get_state(client.application).client.request("GET", "/api/v1/contact-channels",
                                                              access_token=tokens.access_token,
                                                              params={"user_id": "me"})
    return list(answer["items"])


def test_password_change_keeps_this_browser_and_signs_the_others_out(app: Any, client: Any, emu: Any,
                                                                      stackauth_emulator: Any) -> None:
    sign_in_client(stackauth_emulator, client, "ada@example.com", password=PASSWORD)
    other = app.test_client()
    sign_in_client(stackauth_emulator, other, "ada@example.com")
    assert other.get("/me").status_code == 200
    emu.advance_clock(2)  # tokens are stamped in whole seconds: the other browser's is older than the change
    wrong = post(client, "/auth/account/password", {"old_password": "not it at all", "password": NEW,
                                                    "password_repeat": NEW})
    assert wrong.status_code == 400 and "not your current password" in text(wrong)
    assert "not it at all" not in text(wrong) and NEW not in text(wrong)
    done = post(client, "/auth/account/password", {"old_password": PASSWORD, "password": NEW, "password_repeat": NEW})
    assert done.status_code == 200 and "Your password was changed" in text(done)
    assert client.get("/me").status_code == 200
    assert other.get("/me").status_code == 302 and not _signed_in(other)


def test_an_oauth_user_sets_a_password_and_can_sign_in_with_it(client: Any, app: Any) -> None:
    sign_in(client, "oauth@example.com")
    page = text(client.get("/auth/account/password"))
    assert "Set password" in page and "old_password" not in page
    done = post(client, "/auth/account/password", {"password": NEW, "password_repeat": NEW})
    assert done.status_code == 200 and "Your password is set" in text(done)
    fresh = app.test_client()
    answer = post(fresh, "/auth/password", {"email": "oauth@example.com", "password": NEW}, page="/auth/login")
    assert answer.status_code == 303


def test_sessions_listed_ended_one_by_one_and_all_others(app: Any, client: Any, stackauth_emulator: Any) -> None:
    sign_in_client(stackauth_emulator, client, "ada@example.com")
    phone, laptop = app.test_client(), app.test_client()
    sign_in_client(stackauth_emulator, phone, "ada@example.com")
    sign_in_client(stackauth_emulator, laptop, "ada@example.com")
    page = text(client.get("/auth/account/sessions"))
    assert page.count("End this session") == 2 and page.count("This device") >= 1
    import re
    first = re.search(r'name="session_id" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    ended = post(client, "/auth/account/sessions", {"session_id": first})
    assert ended.status_code == 200 and "That device is signed out" in text(ended)
    assert sorted([phone.get("/me").status_code, laptop.get("/me").status_code]) == [200, 302]
    rest = post(client, "/auth/account/sessions", {"action": "end_others"})
    assert "Signed out of 1 other device" in text(rest)
    assert phone.get("/me").status_code == 302 and laptop.get("/me").status_code == 302
    assert client.get("/me").status_code == 200
    gone = post(client, "/auth/account/sessions", {"session_id": first}, page="/auth/account")
    assert 400 <= gone.status_code < 500


def test_sessions_hide_themselves_on_v27(client: Any, emu: Any, stackauth_login: Any) -> None:
    emu.set_legacy_tokens(True)
    stackauth_login(client, "ada@example.com")
    assert "Sessions" not in text(client.get("/auth/account"))
    assert client.get("/auth/account/sessions").status_code == 404


def test_sign_out_of_all_devices(app: Any, client: Any, stackauth_emulator: Any) -> None:
    sign_in_client(stackauth_emulator, client, "ada@example.com")
    other = app.test_client()
    sign_in_client(stackauth_emulator, other, "ada@example.com")
    assert "Sign out of all devices" in text(client.get("/auth/logout"))
    answer = post(client, "/auth/logout/everywhere", {}, page="/auth/logout", follow_redirects=True)
    assert answer.status_code == 200
    assert not _signed_in(client) and other.get("/me").status_code == 302


def test_delete_needs_the_typed_confirmation(app: Any, client: Any, emu: Any, stackauth_emulator: Any) -> None:
    configure_project(emu, client_user_deletion_enabled=True)
    user = sign_in_client(stackauth_emulator, client, "ada@example.com")
    other = app.test_client()
    sign_in_client(stackauth_emulator, other, "ada@example.com")
    no = post(client, "/auth/account/delete", {"confirm": "yes"})
    assert no.status_code == 400 and "to confirm" in text(no)
    yes = post(client, "/auth/account/delete", {"confirm": "Delete my account"})
    assert yes.status_code == 303 and not _signed_in(client)
    assert user["id"] not in emu.data.users
    assert other.get("/me").status_code == 302


def test_delete_is_refused_when_the_project_turns_it_off(client: Any, stackauth_login: Any) -> None:
    stackauth_login(client, "ada@example.com")
    answer = post(client, "/auth/account/delete", {"confirm": "delete my account"}, page="/auth/account")
    assert answer.status_code == 404 and _signed_in(client)
