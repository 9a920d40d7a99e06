"""Tests that used to pass with their feature broken: session fixation across pending MFA/OTP steps, the cap
on pending sign-ins, and a view that allows restricted users. Each was seen failing with the feature broken."""

from __future__ import annotations

from typing import Any

import requests
from flask import Flask

from flask_stackauth import current_user, login_required
from tests.conftest import make_app
from tests.helpers import (
    callback_for,
    expire_pending,
    pending_sign_ins,
    query_of,
    session_keys,
    session_tokens,
    sign_in,
    start_login,
)
from tests.signin.signin_support import PASSWORD, enable_totp, password_user, post_form

JSON = {"Accept": "application/json"}


# -- session fixation: nothing of an earlier, unfinished sign-in survives a completed one ------------------

def test_a_completed_sign_in_drops_pending_mfa_and_otp_steps(client: Any, stackauth_emulator: Any) -> None:
    victim = password_user(stackauth_emulator, "mfa-user@example.com")
    enable_totp(stackauth_emulator, victim["id"])
    mfa = post_form(client, "/auth/password", {"email": "mfa-user@example.com", "password": PASSWORD})
    assert mfa.headers["Location"] == "/auth/mfa"  # a sign-in waits for its second factor
    sent = post_form(client, "/auth/otp/send", {"otp_email": "code-user@example.com"})
    assert sent.headers["Location"] == "/auth/otp/code"  # and an email code waits to be typed
    assert {"stackauth_mfa", "stackauth_otp"} <= session_keys(client)
    assert client.get("/auth/mfa").status_code == 200
    assert client.get("/auth/otp/code").status_code == 200

    sign_in(client, "someone-else@example.com")

    assert not {k for k in session_keys(client) if k.startswith("stackauth") and k != "stackauth_tokens"}
    # The earlier steps cannot be finished into this session any more.
    assert client.get("/auth/mfa").status_code == 400
    assert client.get("/auth/otp/code").status_code == 400
    assert client.get("/dashboard").get_data(as_text=True) == "Hello someone-else@example.com"


def test_a_sign_in_replaces_the_earlier_token_pair(client: Any) -> None:
    sign_in(client, "first@example.com")
    before = session_tokens(client)
    sign_in(client, "second@example.com")
    after = session_tokens(client)
    assert before is not None and after is not None
    assert after.refresh_token != before.refresh_token and after.access_token != before.access_token
    assert client.get("/dashboard").get_data(as_text=True) == "Hello second@example.com"


# -- the cap on pending sign-ins ----------------------------------------------------------------------------

def test_past_the_cap_the_oldest_tab_loses_and_the_newest_wins(client: Any) -> None:
    tabs = [start_login(client, next_url=f"/tab{i}") for i in range(7)]
    states = [query_of(url)["state"] for url in tabs]
    assert sorted(pending_sign_ins(client)) == sorted(states[2:])  # five kept: the newest five
    oldest = client.get(callback_for(tabs[0], "ada@example.com"))
    assert oldest.status_code == 400
    assert "INVALID_STATE" in oldest.get_data(as_text=True)
    newest = client.get(callback_for(tabs[-1], "ada@example.com"))
    assert newest.status_code == 302
    assert newest.headers["Location"] == "/tab6"


def test_expired_pending_sign_ins_are_pruned_before_the_cap_counts(client: Any) -> None:
    stale = [query_of(start_login(client))["state"] for _ in range(3)]
    expire_pending(client)  # the browser comes back after 10 minutes
    fresh = query_of(start_login(client, next_url="/fresh"))["state"]
    assert pending_sign_ins(client) == [fresh]  # the expired ones are gone, not kept until the cap
    more = [query_of(start_login(client))["state"] for _ in range(4)]
    assert sorted(pending_sign_ins(client)) == sorted([fresh, *more])
    assert not set(stale) & set(pending_sign_ins(client))


# -- a view that allows restricted users --------------------------------------------------------------------

def _restrict(server: Any, user_id: str) -> None:
    answer = requests.patch(f"{server.url}/api/v1/users/{user_id}", json={"restricted_by_admin": True}, timeout=10,
                            headers={"x-stack-access-type": "server", "x-stack-project-id": server.project_id,
                                     "x-stack-secret-server-key": server.secret_server_key})
    assert answer.status_code == 200, answer.text


def _restricted_app(config: dict[str, Any]) -> Flask:
    app = make_app(config)

    @app.get("/onboarding")
    @login_required(allow_restricted=True)
    def onboarding() -> Any:
        return {"id": current_user.id, "restricted": current_user.get("is_restricted")}

    return app


def test_allow_restricted_serves_restricted_users_and_still_refuses_anonymous_ones(
        stackauth_config: dict[str, Any], stackauth_emulator: Any, emu: Any, stackauth_login: Any) -> None:
    app = _restricted_app(stackauth_config)
    user = emu.create_user("restricted@example.com")
    _restrict(stackauth_emulator, user["id"])
    token = emu.create_session(user["id"])["access_token"]

    bearer = app.test_client().get("/onboarding", headers={"Authorization": f"Bearer {token}"})
    assert bearer.status_code == 200
    assert bearer.json == {"id": user["id"], "restricted": True}
    refused = app.test_client().get("/protected", headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 403  # the same token on a view that does not allow restricted users

    browser = app.test_client()
    stackauth_login(browser, "restricted@example.com")
    assert browser.get("/onboarding", headers=JSON).json == {"id": user["id"], "restricted": True}
    assert browser.get("/dashboard", headers=JSON).status_code == 403

    normal = app.test_client()
    stackauth_login(normal, "normal@example.com")
    assert normal.get("/onboarding", headers=JSON).json["restricted"] is False

    anon = requests.post(f"{stackauth_emulator.url}/api/v1/auth/anonymous/sign-up", json={}, timeout=10, headers={
        "x-stack-access-type": "client", "x-stack-project-id": stackauth_emulator.project_id}).json()
    anonymous = app.test_client().get("/onboarding", headers={"Authorization": f"Bearer {anon['access_token']}"})
    assert anonymous.status_code == 401  # allow_restricted does not let anonymous users in
    assert anonymous.json["code"] == "ANONYMOUS_AUTHENTICATION_NOT_ALLOWED"
