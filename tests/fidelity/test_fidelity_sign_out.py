"""Signing out of a session Stack Auth already ended, as v2.8.86 answers it: a 500 (recorded, a server bug).

v2.7.16 answers ``REFRESH_TOKEN_NOT_FOUND_OR_EXPIRED`` there (``account-result.json``, ``err_sign_out_again``),
which sign-out already treats as done; v2.8.86's 500 must not become "your session could not be ended".
"""

from __future__ import annotations

from typing import Any

from fidelity_support import step

from flask_stackauth import sign_out_incomplete, user_signed_out
from tests.security.sec2_support import SESSIONS, put_session, stored
from tests.signin.signin_support import csrf


def _signals(app: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    incomplete: list[dict[str, Any]] = []
    signed_out: list[dict[str, Any]] = []
    sign_out_incomplete.connect(lambda sender, **kw: incomplete.append(kw), app, weak=False)
    user_signed_out.connect(lambda sender, **kw: signed_out.append(kw), app, weak=False)
    return incomplete, signed_out


def test_the_v28_answer_for_an_already_ended_session_completes_sign_out(app: Any, client: Any, emu: Any) -> None:
    recorded = step("v2.8.86", "account", "err_sign_out_again")
    assert recorded["status"] == 500 and recorded["request"]["path"] == SESSIONS
    user = emu.create_user("ended-elsewhere@example.com")
    pair = emu.create_session(user["id"])
    put_session(client, pair)
    assert emu.revoke_refresh_token(pair["refresh_token"])  # ended elsewhere; the access token is still fresh
    emu.fail_next(2, path=SESSIONS, mode="500")  # what v2.8.86 answers then
    incomplete, signed_out = _signals(app)
    response = client.post("/auth/logout", data={"csrf_token": csrf(client, "/auth/logout")})
    assert response.status_code == 303
    assert stored(client) is None
    assert incomplete == []
    assert signed_out == [{"user_id": user["id"], "revoked": True}]


def test_a_500_for_a_live_session_is_still_an_incomplete_sign_out(app: Any, client: Any, emu: Any) -> None:
    user = emu.create_user("still-live@example.com")
    pair = emu.create_session(user["id"])
    put_session(client, pair)
    emu.fail_next(2, path=SESSIONS, mode="500")
    incomplete, signed_out = _signals(app)
    response = client.post("/auth/logout", data={"csrf_token": csrf(client, "/auth/logout")})
    assert response.status_code == 200 and "could not be ended" in response.get_data(as_text=True)
    assert stored(client) is None
    assert incomplete and incomplete[0]["user_id"] == user["id"]
    assert signed_out == [{"user_id": user["id"], "revoked": False}]
