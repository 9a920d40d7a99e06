"""The example app's small API used with an API key, and its link to the API keys page."""

from __future__ import annotations

from typing import Any

from example_app import create_app


def test_example_api_with_a_key(stackauth_config: dict[str, Any], user_key: Any, stackauth_login: Any) -> None:
    app = create_app(stackauth_config)
    client = app.test_client()
    user, key = user_key("example@example.com")
    answer = client.get("/api/key/notes", headers={"X-Api-Key": key.value})
    assert answer.status_code == 200, answer.json
    workspace = user.get("selected_team_id") or f"user:{user['id']}"
    assert answer.json == {"workspace": workspace, "key": {"id": key.id, "description": "test key"}, "items": []}
    assert client.get("/api/key/notes").status_code == 401
    stackauth_login(client, "example@example.com")
    assert 'href="/auth/account/api-keys"' in client.get("/dashboard").get_data(as_text=True)
    assert client.get("/auth/account/api-keys").status_code == 200


def test_example_without_server_key_still_starts(stackauth_config: dict[str, Any]) -> None:
    config = {k: v for k, v in stackauth_config.items() if k != "STACK_SECRET_SERVER_KEY"}
    assert create_app(config).test_client().get("/").status_code == 200
