"""Sign-out: revokes at Stack Auth, clears the session, refuses cross-site and forged posts."""

from __future__ import annotations

from typing import Any

import requests

from flask_stackauth import user_signed_out
from flask_stackauth.tokens import TOKENS_KEY
from tests.helpers import age_session, form_token, sign_in


def _tokens(client: Any) -> dict[str, Any] | None:
    with client.session_transaction() as session:
        return session.get(TOKENS_KEY)


def _refresh_at_emulator(server: Any, refresh_token: str) -> requests.Response:
    return requests.post(f"{server.url}/api/v1/auth/oauth/token", timeout=10, data={
        "grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": server.project_id,
        "client_secret": server.publishable_key})


def test_sign_out_revokes_the_session_at_stack_auth(app: Any, client: Any, stackauth_emulator: Any) -> None:
    sign_in(client)
    refresh_token = _tokens(client)["refresh_token"]  # type: ignore[index]
    assert _refresh_at_emulator(stackauth_emulator, refresh_token).status_code == 200
    seen: list[Any] = []
    with user_signed_out.connected_to(lambda sender, **kw: seen.append(kw), app):
        response = client.post("/auth/logout", data={"csrf_token": form_token(client)})
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    assert _tokens(client) is None
    old = _refresh_at_emulator(stackauth_emulator, refresh_token)
    assert old.status_code == 401
    assert old.headers["x-stack-known-error"] == "REFRESH_TOKEN_NOT_FOUND_OR_EXPIRED"
    assert seen[0]["revoked"] is True and seen[0]["user_id"]
    assert client.get("/protected", headers={"Accept": "application/json"}).status_code == 401


def test_sign_out_with_expiring_token_refreshes_first(client: Any, emu: Any) -> None:
    sign_in(client)
    csrf = form_token(client)
    age_session(client, -1)
    response = client.post("/auth/logout", data={"csrf_token": csrf})
    assert response.status_code == 303
    assert emu.calls("POST", "/api/v1/auth/oauth/token") == 2
    assert emu.calls("DELETE", "/api/v1/auth/sessions/current") == 1


def test_sign_out_clears_tokens_even_when_stack_auth_is_down(client: Any, emu: Any, caplog: Any) -> None:
    sign_in(client)
    csrf = form_token(client)
    # Twice: one failure is retried (tests/security/test_sec2_sign_out.py).
    emu.fail_next(2, path="/api/v1/auth/sessions/current", mode="500")
    response = client.post("/auth/logout", data={"csrf_token": csrf})
    assert response.status_code == 200
    assert _tokens(client) is None
    assert "could not revoke" in caplog.text


def test_cross_site_and_forged_sign_out_are_refused(client: Any) -> None:
    sign_in(client)
    csrf = form_token(client)
    cross = client.post("/auth/logout", data={"csrf_token": csrf}, headers={"Origin": "https://evil.example"})
    assert cross.status_code == 403
    assert client.post("/auth/logout").status_code == 403
    assert client.post("/auth/logout", data={"csrf_token": "forged"}).status_code == 403
    other = client.application.test_client()
    assert other.post("/auth/logout", data={"csrf_token": form_token(other)}).status_code == 303
    stale = client.post("/auth/logout", data={"csrf_token": form_token(other)})
    assert stale.status_code == 403  # a token of another session
    assert _tokens(client) is not None
