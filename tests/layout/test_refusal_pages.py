"""What a signed-in user who may not use a view is told: restricted users, and missing permissions."""

from __future__ import annotations

from typing import Any

import requests
from flask import Flask

from flask_stackauth import permission_required
from tests.conftest import make_app
from tests.helpers import store_session

HTML = {"Accept": "text/html"}
JSON = {"Accept": "application/json"}


def _restrict(server: Any, user_id: str) -> None:
    answer = requests.patch(f"{server.url}/api/v1/users/{user_id}", json={"restricted_by_admin": True}, timeout=10,
                            headers={"x-stack-access-type": "server", "x-stack-project-id": server.project_id,
                                     "x-stack-secret-server-key": server.secret_server_key})
    assert answer.status_code == 200, answer.text


def _app(config: dict[str, Any]) -> Flask:
    app = make_app(config, STACK_AFTER_SIGN_IN_URL="/home")

    @app.get("/admin")
    @permission_required("admin")
    def admin() -> str:
        return "admin"

    return app


def test_a_restricted_user_gets_a_403_that_says_why_not_a_sign_in_loop(stackauth_config: dict[str, Any],
                                                                       stackauth_emulator: Any,
                                                                       emu: Any) -> None:
    client = _app(stackauth_config).test_client()
    user = emu.create_user("restricted@example.com")
    _restrict(stackauth_emulator, user["id"])
    pair = emu.create_session(user["id"])  # a session whose token says "restricted"
    store_session(client, pair["access_token"], pair["refresh_token"])

    page = client.get("/dashboard", headers=HTML)
    assert page.status_code == 403  # not a redirect to the sign-in page, where signing in leads back here
    text = page.get_data(as_text=True)
    assert "Your account cannot use this page yet" in text and "administrator" in text
    assert 'href="/home"' in text and "Back to sign-in" not in text

    api = client.get("/dashboard", headers=JSON)
    assert api.status_code == 403
    assert api.json["code"] == "RESTRICTED_USER_NOT_ALLOWED"
    assert api.json["details"] == {"restricted_reason": {"type": "restricted_by_administrator"}}
    assert "administrator" in api.json["error"]
    # A view that allows restricted users still serves them.
    assert client.get("/anon-ok", headers=JSON).status_code == 200


def test_a_restricted_bearer_token_gets_the_same_403(stackauth_config: dict[str, Any], stackauth_emulator: Any,
                                                    emu: Any) -> None:
    user = emu.create_user("restricted-api@example.com")
    _restrict(stackauth_emulator, user["id"])
    token = emu.create_session(user["id"])["access_token"]
    client = _app(stackauth_config).test_client()
    api = client.get("/protected", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 403
    assert api.json["code"] == "RESTRICTED_USER_NOT_ALLOWED"
    assert api.json["details"]["restricted_reason"] == {"type": "restricted_by_administrator"}


def test_the_permission_denied_page_is_worded_for_a_signed_in_user(stackauth_config: dict[str, Any],
                                                                   stackauth_login: Any) -> None:
    client = _app(stackauth_config).test_client()
    stackauth_login(client, "nobody-special@example.com")
    page = client.get("/admin", headers=HTML)
    assert page.status_code == 403
    text = page.get_data(as_text=True)
    assert "<title>You don&#39;t have access to this page" in text or "You don't have access to this page" in text
    assert "Sign-in problem" not in text and "Back to sign-in" not in text
    assert 'href="/home"' in text and "Back to the app" in text
