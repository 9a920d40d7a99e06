"""Issue 11 item 6: sign-out retries the revocation once, then signs out here and says the session lives on."""

from __future__ import annotations

from typing import Any

from flask_stackauth import sign_out_incomplete, user_signed_out
from tests.security.sec2_support import SESSIONS, age, put_session, stored
from tests.signin.signin_support import csrf, text


def _signed_in(client: Any, emu: Any, email: str) -> tuple[dict[str, Any], dict[str, Any]]:
    user = emu.create_user(email)
    pair = emu.create_session(user["id"])
    put_session(client, pair)
    return user, pair


def _refresh_token_still_works(app: Any, pair: dict[str, Any]) -> bool:
    probe = app.test_client()
    put_session(probe, pair)
    age(probe, -1)
    return bool(probe.get("/protected", headers={"Accept": "application/json"}).status_code == 200)


def test_one_failed_revocation_is_retried(app: Any, client: Any, emu: Any) -> None:
    _, pair = _signed_in(client, emu, "retry@example.com")
    emu.fail_next(1, path=SESSIONS, mode="503")
    response = client.post("/auth/logout", data={"csrf_token": csrf(client, "/auth/logout")})
    assert response.status_code == 303
    assert emu.calls("DELETE", SESSIONS) == 2
    assert stored(client) is None
    assert not _refresh_token_still_works(app, pair)  # the session really ended at Stack Auth


def test_revocation_that_keeps_failing_signs_out_here_and_says_so(app: Any, client: Any, emu: Any,
                                                                  caplog: Any) -> None:
    user, pair = _signed_in(client, emu, "incomplete@example.com")
    incomplete: list[dict[str, Any]] = []
    signed_out: list[dict[str, Any]] = []
    sign_out_incomplete.connect(lambda sender, **kw: incomplete.append(kw), app, weak=False)
    user_signed_out.connect(lambda sender, **kw: signed_out.append(kw), app, weak=False)
    emu.fail_next(2, path=SESSIONS, mode="500")
    response = client.post("/auth/logout", data={"csrf_token": csrf(client, "/auth/logout")})
    assert response.status_code == 200
    page = text(response)
    assert "could not be ended" in page and "expires on its own" in page
    assert stored(client) is None  # signed out here anyway
    assert client.get("/protected", headers={"Accept": "application/json"}).status_code == 401
    assert emu.calls("DELETE", SESSIONS) == 2
    assert incomplete and incomplete[0]["user_id"] == user["id"]
    assert signed_out == [{"user_id": user["id"], "revoked": False}]
    assert "could not revoke the session" in caplog.text
    assert pair["refresh_token"] not in caplog.text and pair["refresh_token"] not in page
    assert _refresh_token_still_works(app, pair)  # what the page warns about
