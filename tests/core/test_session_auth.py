"""login_required on session sign-ins: refresh before the view, sign-out on revoked tokens, outages."""

from __future__ import annotations

import time
from typing import Any

import pytest

from flask_stackauth import refresh_failed, token_refreshed
from flask_stackauth.tokens import TOKENS_KEY
from tests.helpers import age_session, sign_in

TOKEN = "/api/v1/auth/oauth/token"


def _tokens(client: Any) -> dict[str, Any] | None:
    with client.session_transaction() as session:
        return session.get(TOKENS_KEY)


def test_no_session_redirects_html_and_401s_json(client: Any) -> None:
    html = client.get("/dashboard?tab=1", headers={"Accept": "text/html"})
    assert html.status_code == 302
    assert html.headers["Location"] == "/auth/login?next=/dashboard?tab%3D1"
    api = client.get("/protected", headers={"Accept": "application/json"})
    assert api.status_code == 401
    assert api.json["code"] == "USER_AUTHENTICATION_REQUIRED"
    assert api.headers["WWW-Authenticate"] == "Bearer"
    xhr = client.get("/protected", headers={"X-Requested-With": "XMLHttpRequest"})
    assert xhr.status_code == 401


def test_options_is_exempt_and_async_views_work(client: Any, stackauth_login: Any) -> None:
    assert client.options("/protected").status_code == 204
    assert client.get("/async-protected", headers={"Accept": "application/json"}).status_code == 401
    user = stackauth_login(client, "async@example.com")
    assert client.get("/async-protected").json == {"id": user["id"]}


def test_steady_state_request_makes_no_call_to_stack_auth(client: Any, emu: Any) -> None:
    sign_in(client)
    client.get("/protected")  # warms the JWKS cache
    before = emu.calls()
    for _ in range(50):
        assert client.get("/protected").status_code == 200
    assert emu.calls() == before


def test_expiring_token_is_refreshed_before_the_view(app: Any, client: Any, emu: Any) -> None:
    sign_in(client)
    old = client.get("/protected").json["token_sha"]
    refreshed: list[Any] = []
    age_session(client, 5)
    with token_refreshed.connected_to(lambda sender, **kw: refreshed.append(kw), app):
        response = client.get("/protected")
    assert response.status_code == 200
    assert response.json["token_sha"] != old
    assert emu.calls("POST", TOKEN) == 2  # the code exchange and one refresh
    assert len(refreshed) == 1
    stored = _tokens(client)
    assert stored is not None and stored["expires_at"] > time.time() + 60
    assert client.get("/protected").json["token_sha"] == response.json["token_sha"]
    assert emu.calls("POST", TOKEN) == 2


def test_revoked_refresh_token_signs_out(app: Any, client: Any, emu: Any) -> None:
    sign_in(client)
    emu.revoke_refresh_token(_tokens(client)["refresh_token"])  # type: ignore[index]
    age_session(client, 5)
    failures: list[Any] = []
    with refresh_failed.connected_to(lambda sender, **kw: failures.append(kw), app):
        html = client.get("/dashboard")
    assert html.status_code == 302
    assert html.headers["Location"].startswith("/auth/login?next=")
    assert _tokens(client) is None
    assert failures[0]["error"].code == "REFRESH_TOKEN_NOT_FOUND_OR_EXPIRED"


def test_revoked_refresh_token_gives_json_401(client: Any, emu: Any) -> None:
    sign_in(client)
    emu.revoke_refresh_token(_tokens(client)["refresh_token"])  # type: ignore[index]
    age_session(client, 5)
    api = client.get("/protected", headers={"Accept": "application/json"})
    assert api.status_code == 401
    assert api.json["code"] == "USER_AUTHENTICATION_REQUIRED"
    assert _tokens(client) is None


@pytest.mark.parametrize("mode", ["500", "garbage", "hang"])
def test_stack_auth_down_during_refresh_of_expired_token_is_503_and_keeps_tokens(
        stackauth_config: dict[str, Any], emu: Any, mode: str) -> None:
    from tests.conftest import make_app

    app = make_app(stackauth_config, STACK_HTTP_TIMEOUT=0.3)
    client = app.test_client()
    sign_in(client)
    client.get("/protected")
    kept = _tokens(client)
    age_session(client, -1)
    emu.fail_next(1, path=TOKEN, mode=mode, delay=1.0)
    api = client.get("/protected", headers={"Accept": "application/json"})
    assert api.status_code == 503
    assert api.json["code"] == "STACK_AUTH_UNAVAILABLE"
    after = _tokens(client)
    assert after is not None and after["refresh_token"] == kept["refresh_token"]  # type: ignore[index]


def test_stack_auth_down_while_token_still_valid_runs_the_view(client: Any, emu: Any, caplog: Any) -> None:
    sign_in(client)
    client.get("/protected")
    age_session(client, 10)
    emu.fail_next(1, path=TOKEN, mode="500")
    response = client.get("/protected")
    assert response.status_code == 200
    assert "could not refresh" in caplog.text


def test_tampered_or_garbage_session_cookie_is_signed_out(client: Any) -> None:
    sign_in(client)
    cookie = client.get_cookie("session")
    assert cookie is not None
    client.set_cookie("session", cookie.value[:-3] + "AAA")
    response = client.get("/dashboard")
    assert response.status_code == 302
    client.set_cookie("session", "not-a-session")
    assert client.get("/protected", headers={"Accept": "application/json"}).status_code == 401


def test_malformed_stored_tokens_read_as_signed_out(client: Any) -> None:
    with client.session_transaction() as session:
        session[TOKENS_KEY] = {"access_token": 5, "refresh_token": None, "expires_at": "soon"}
    assert client.get("/protected", headers={"Accept": "application/json"}).status_code == 401


def test_session_cookie_is_httponly_lax_and_small(client: Any) -> None:
    response = sign_in(client)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    value = client.get_cookie("session").value
    assert len(value) < 4096


def test_current_user_on_public_view(client: Any, stackauth_login: Any) -> None:
    assert client.get("/").json == {"signed_in": False, "id": None}
    user = stackauth_login(client, "pub@example.com")
    assert client.get("/").json == {"signed_in": True, "id": user["id"]}
