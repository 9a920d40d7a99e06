"""Issue 11 item 8: current_user is the anonymous stand-in for Stack's anonymous and restricted users,
unless the app or the view's decorator opts in (as Stack's own SDKs do)."""

from __future__ import annotations

from typing import Any

import requests
from flask import Flask

from flask_stackauth import current_user, login_required
from tests.conftest import make_app
from tests.security.sec2_support import put_session
from tests.signin.signin_support import server_headers


def _with_restricted_view(app: Flask) -> Flask:
    @app.get("/restricted-ok")
    @login_required(allow_restricted=True)
    def restricted_ok() -> Any:
        return {"id": current_user.id, "authenticated": current_user.is_authenticated,
                "restricted": current_user.is_restricted}

    return app


def _anonymous(client: Any, emu: Any) -> dict[str, Any]:
    user = emu.create_user(None, anonymous=True)
    put_session(client, emu.create_session(user["id"]))
    return dict(user)


def _restricted(client: Any, server: Any) -> dict[str, Any]:
    user = server.emulator.create_user("restricted-by-admin@example.com")
    answer = requests.patch(f"{server.url}/api/v1/users/{user['id']}", json={"restricted_by_admin": True},
                            headers=server_headers(server), timeout=10)
    assert answer.status_code == 200, answer.text
    put_session(client, server.emulator.create_session(user["id"]))
    return dict(user)


def test_anonymous_user_is_not_authenticated_by_default(client: Any, emu: Any) -> None:
    user = _anonymous(client, emu)
    assert client.get("/").json == {"signed_in": False, "id": None}
    # Inside a view that allows anonymous users, current_user is that user.
    assert client.get("/anon-ok").json["id"] == user["id"]
    assert client.get("/anon-ok").json["anonymous"] is True
    assert client.get("/").json == {"signed_in": False, "id": None}


def test_restricted_user_is_not_authenticated_by_default(stackauth_config: dict[str, Any],
                                                         stackauth_emulator: Any) -> None:
    client = _with_restricted_view(make_app(stackauth_config)).test_client()
    user = _restricted(client, stackauth_emulator)
    assert client.get("/").json == {"signed_in": False, "id": None}
    assert client.get("/restricted-ok").json == {"id": user["id"], "authenticated": True, "restricted": True}
    assert client.get("/protected", headers={"Accept": "application/json"}).status_code == 403


def test_apps_opt_in_with_settings(stackauth_config: dict[str, Any], stackauth_emulator: Any) -> None:
    emu = stackauth_emulator.emulator
    anon_app = make_app(stackauth_config, STACK_CURRENT_USER_ALLOW_ANONYMOUS=True).test_client()
    user = _anonymous(anon_app, emu)
    assert anon_app.get("/").json == {"signed_in": True, "id": user["id"]}
    restricted_app = make_app(stackauth_config, STACK_CURRENT_USER_ALLOW_RESTRICTED="true").test_client()
    restricted = _restricted(restricted_app, stackauth_emulator)
    assert restricted_app.get("/").json == {"signed_in": True, "id": restricted["id"]}
    # Allowing restricted users does not admit anonymous ones.
    other = make_app(stackauth_config, STACK_CURRENT_USER_ALLOW_RESTRICTED=True).test_client()
    _anonymous(other, emu)
    assert other.get("/").json == {"signed_in": False, "id": None}


def test_ordinary_users_are_unaffected(client: Any, stackauth_login: Any) -> None:
    user = stackauth_login(client, "ordinary@example.com")
    assert client.get("/").json == {"signed_in": True, "id": user["id"]}
