"""The whole flow against a server of the pre-mid-2025 generation (v2.7: constant issuer, minimal claims)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from flask_stackauth.tokens import TOKENS_KEY
from tests.helpers import callback_for, sign_in, start_login


@pytest.fixture
def legacy(emu: Any) -> Iterator[Any]:
    emu.set_legacy_tokens(True)
    yield emu
    emu.set_legacy_tokens(False)


def test_sign_in_refresh_and_sign_out_on_a_legacy_server(client: Any, legacy: Any, stackauth_emulator: Any) -> None:
    authorize = start_login(client, next_url="/dashboard")
    response = client.get(callback_for(authorize, "old@example.com"))
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard"
    # Legacy tokens carry only sub, so the email comes from one users/me call per access token.
    for _ in range(3):
        assert client.get("/dashboard").get_data(as_text=True) == "Hello old@example.com"
    assert legacy.calls("GET", "/api/v1/users/me") == 1
    with client.session_transaction() as session:
        session[TOKENS_KEY] = {**session[TOKENS_KEY], "expires_at": int(time.time()) + 5}
    assert client.get("/dashboard").status_code == 200
    assert legacy.calls("POST", "/api/v1/auth/oauth/token") == 2
    page = client.get("/auth/logout").get_data(as_text=True)
    csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
    assert client.post("/auth/logout", data={"csrf_token": csrf}).status_code == 303
    assert legacy.calls("DELETE", "/api/v1/auth/sessions/current") == 1


def test_cookie_size_warning(client: Any, caplog: Any) -> None:
    import os

    with client.session_transaction() as session:
        session["app_data"] = os.urandom(1800).hex()
    sign_in(client)
    assert "session cookie is" in caplog.text
