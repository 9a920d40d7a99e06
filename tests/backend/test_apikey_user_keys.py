"""current_user.api_keys() / create_api_key() / revoke_api_key() and the /auth/account/api-keys page."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from flask import Flask

from flask_stackauth import current_user
from flask_stackauth.errors import ApiKeyNotFound, ApiKeysNotEnabled
from tests.backend.conftest import make_backend_app

PAGE = "/auth/account/api-keys"


@pytest.fixture
def methods_app(stackauth_config: dict[str, Any]) -> Flask:
    app = make_backend_app(stackauth_config)

    @app.post("/keys")
    def create() -> Any:
        key = current_user.create_api_key("from a view", datetime.now(timezone.utc) + timedelta(days=1))
        return {"id": key.id, "value": key.value}

    @app.get("/keys")
    def listing() -> Any:
        return {"keys": [[k.id, k.is_revoked, k.value] for k in current_user.api_keys()]}

    @app.post("/keys/<key_id>/revoke")
    def revoke(key_id: str) -> Any:
        return {"revoked": current_user.revoke_api_key(key_id).is_revoked}

    return app


def test_user_manages_own_keys_with_their_token(methods_app: Flask, keys_on: Any, stackauth_bearer: Any) -> None:
    client = methods_app.test_client()
    auth = {"Authorization": f"Bearer {stackauth_bearer('owner@example.com')}"}
    created = client.post("/keys", headers=auth).json
    assert created["value"].startswith("sk_") and len(created["value"]) == 102
    assert client.get("/keys", headers=auth).json == {"keys": [[created["id"], False, None]]}
    # The new key works on an API-key endpoint at once.
    assert client.get("/api/user-key", headers={"X-Api-Key": created["value"]}).status_code == 200
    assert client.post(f"/keys/{created['id']}/revoke", headers=auth).json == {"revoked": True}
    assert client.get("/keys", headers=auth).json["keys"][0][1] is True


def test_errors_are_typed(methods_app: Flask, emu: Any, stackauth_bearer: Any, keys_on: Any) -> None:
    token = stackauth_bearer("typed@example.com")
    with methods_app.test_request_context(headers={"Authorization": f"Bearer {token}"}):
        with pytest.raises(ApiKeyNotFound):
            current_user.revoke_api_key("not-an-id")
        with pytest.raises(ApiKeyNotFound):
            current_user.revoke_api_key("00000000-0000-4000-8000-000000000000")
        with pytest.raises(ValueError):
            current_user.create_api_key("")
        emu.project.allow_user_api_keys = False
        with pytest.raises(ApiKeysNotEnabled):
            current_user.api_keys()


def test_page_lists_creates_once_and_revokes(client: Any, keys_on: Any, stackauth_login: Any) -> None:
    stackauth_login(client, "page@example.com")
    page = client.get(PAGE)
    assert page.status_code == 200 and "You have no API keys yet" in page.get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    created = client.post(PAGE, data={"csrf_token": token, "description": "laptop", "expires_in_days": "30"})
    html = created.get_data(as_text=True)
    assert created.status_code == 201 and created.headers["Cache-Control"] == "no-store"
    secret = re.search(r'id="new-key" readonly value="(sk_[a-z0-9_]+)"', html).group(1)  # type: ignore[union-attr]
    assert client.get("/api/user-key", headers={"X-Api-Key": secret}).status_code == 200
    again = client.get(PAGE).get_data(as_text=True)
    assert secret not in again and "laptop" in again and secret[-4:] in again  # shown once, then only last four
    key_id = re.search(r'/account/api-keys/([0-9a-f-]+)/revoke', again).group(1)  # type: ignore[union-attr]
    revoked = client.post(f"{PAGE}/{key_id}/revoke", data={"csrf_token": token})
    assert revoked.status_code == 303
    assert "revoked" in client.get(PAGE).get_data(as_text=True)


def test_page_refuses_bad_input_and_forgery(client: Any, keys_on: Any, stackauth_login: Any) -> None:
    stackauth_login(client, "bad@example.com")
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(PAGE).get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    assert client.post(PAGE, data={"description": "x"}).status_code == 403
    assert client.post(PAGE, data={"csrf_token": token, "description": "x"},
                       headers={"Origin": "https://evil.example"}).status_code == 403
    assert client.post(PAGE, data={"csrf_token": token, "description": "", "expires_in_days": ""}).status_code == 400
    assert client.post(PAGE, data={"csrf_token": token, "description": "x" * 101}).status_code == 400
    assert client.post(PAGE, data={"csrf_token": token, "description": "x", "expires_in_days": "7"}).status_code == 400
    gone = client.post(f"{PAGE}/00000000-0000-4000-8000-000000000000/revoke", data={"csrf_token": token})
    assert gone.status_code == 404


def test_page_is_404_when_keys_are_off_and_asks_to_sign_in(client: Any, emu: Any, stackauth_login: Any) -> None:
    assert client.get(PAGE).status_code == 302
    stackauth_login(client, "off@example.com")
    assert client.get(PAGE).status_code == 404
