"""The whole flow against a server of the pre-mid-2025 generation (v2.7: constant issuer, minimal claims)."""

from __future__ import annotations

from typing import Any

from tests.helpers import age_session, callback_for, sign_in, sign_out, start_login


def test_sign_in_refresh_and_sign_out_on_a_legacy_server(client: Any, legacy: Any, stackauth_emulator: Any) -> None:
    authorize = start_login(client, next_url="/dashboard")
    response = client.get(callback_for(authorize, "old@example.com"))
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard"
    # Legacy tokens carry only sub, so the email comes from one users/me call per access token.
    for _ in range(3):
        assert client.get("/dashboard").get_data(as_text=True) == "Hello old@example.com"
    assert legacy.calls("GET", "/api/v1/users/me") == 1
    age_session(client, 5)
    assert client.get("/dashboard").status_code == 200
    assert legacy.calls("POST", "/api/v1/auth/oauth/token") == 2
    assert sign_out(client).status_code == 303
    assert legacy.calls("DELETE", "/api/v1/auth/sessions/current") == 1


def test_cookie_size_warning(client: Any, caplog: Any) -> None:
    import os

    with client.session_transaction() as session:
        session["app_data"] = os.urandom(1800).hex()
    sign_in(client)
    assert "session cookie is" in caplog.text
