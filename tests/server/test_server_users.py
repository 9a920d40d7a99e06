"""stack.server.users over real HTTP against the emulator, and how its errors reach views."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import requests

from flask_stackauth import ServerUser, StackAuthConfigError, UserNotFound
from flask_stackauth.errors import InvalidSecretServerKey, UserEmailAlreadyExists
from flask_stackauth.server import ServerAPI
from tests.server.server_support import make_server_app, stack


def _password_sign_in(srv: Any, email: str, password: str) -> requests.Response:
    return requests.post(f"{srv.url}/api/v1/auth/password/sign-in", json={"email": email, "password": password},
                         headers={"x-stack-access-type": "client", "x-stack-project-id": srv.project_id,
                                  "x-stack-publishable-client-key": srv.publishable_key}, timeout=10)


def test_create_get_update_delete(server: ServerAPI, stackauth_emulator: Any) -> None:
    user = server.users.create(primary_email="ada@example.com", password="correct horse battery",
                               display_name="Ada", server_metadata={"plan": "free"})
    assert isinstance(user, ServerUser)
    assert (user.primary_email, user.display_name, user.server_metadata) == ("ada@example.com", "Ada",
                                                                              {"plan": "free"})
    assert user.primary_email_auth_enabled and user.has_password
    assert user.raw["id"] == user.id
    # The password works because create() also sent primary_email_auth_enabled.
    assert _password_sign_in(stackauth_emulator, "ada@example.com", "correct horse battery").status_code == 200

    updated = server.users.update(user.id, display_name="Ada L.", server_metadata={"plan": "pro"},
                                  client_read_only_metadata={"tier": 2})
    assert (updated.display_name, updated.server_metadata, updated.client_read_only_metadata) == (
        "Ada L.", {"plan": "pro"}, {"tier": 2})
    fetched = server.users.get(user.id)
    assert fetched.display_name == "Ada L." and fetched.server_metadata == {"plan": "pro"}
    assert fetched.primary_email == "ada@example.com"  # fields not passed to update() stay as they were

    cleared = server.users.update(user.id, display_name=None)
    assert cleared.display_name is None

    server.users.delete(user.id)
    with pytest.raises(UserNotFound) as info:
        server.users.get(user.id)
    assert info.value.code == "USER_NOT_FOUND" and info.value.status == 404


def test_duplicate_email_with_password_is_refused(server: ServerAPI) -> None:
    server.users.create(primary_email="dup@example.com", password="long enough pw")
    with pytest.raises(UserEmailAlreadyExists) as info:
        server.users.create(primary_email="dup@example.com", password="another long pw")
    assert info.value.status == 409


def test_list_follows_next_cursor(server: ServerAPI, emu: Any) -> None:
    ids = {server.users.create(primary_email=f"u{i}@list.example").id for i in range(7)}
    server.users.create(primary_email="other@elsewhere.example")
    before = emu.calls("GET", "/api/v1/users")
    listed = list(server.users.list(query="list.example", page_size=3))
    assert {u.id for u in listed} == ids and len(listed) == 7
    assert emu.calls("GET", "/api/v1/users") - before == 3  # pages of 3, 3 and 1
    assert len(list(server.users.list())) == 8


def test_list_is_lazy_and_checks_page_size(server: ServerAPI, emu: Any) -> None:
    before = emu.calls("GET", "/api/v1/users")
    iterator = server.users.list()
    assert emu.calls("GET", "/api/v1/users") == before
    assert list(iterator) == []
    with pytest.raises(ValueError, match="page_size"):
        server.users.list(page_size=0)


def test_malformed_ids_are_unknown_ids_and_never_reach_stack(server: ServerAPI, emu: Any) -> None:
    before = emu.calls()
    for bad in ("nope", "../teams", "", "00000000-0000-0000-0000-00000000000g"):
        with pytest.raises(UserNotFound):
            server.users.get(bad)
        with pytest.raises(UserNotFound):
            server.users.delete(bad)
    assert emu.calls() == before


def test_unknown_user_is_404_in_a_view(client: Any) -> None:
    missing = "3241a285-8329-4d69-8f3d-316e08cf140c"
    api = client.get(f"/users/{missing}", headers={"Accept": "application/json"})
    assert api.status_code == 404
    assert api.json["code"] == "USER_NOT_FOUND"
    page = client.get("/users/not-a-uuid", headers={"Accept": "text/html"})
    assert page.status_code == 404 and "text/html" in page.content_type


def test_no_server_key_is_a_clear_config_error(stackauth_config: dict[str, Any]) -> None:
    config = {k: v for k, v in stackauth_config.items() if k != "STACK_SECRET_SERVER_KEY"}
    app = make_server_app(config)
    with app.app_context(), pytest.raises(StackAuthConfigError) as info:
        stack.server  # noqa: B018
    assert "STACK_SECRET_SERVER_KEY" in str(info.value)
    # In a view it is the generic 500 configuration page, never a key.
    response = app.test_client().get("/users/3241a285-8329-4d69-8f3d-316e08cf140c",
                                      headers={"Accept": "application/json"})
    assert response.status_code == 500 and response.json["code"] == "STACK_AUTH_CONFIG_ERROR"


def test_outside_an_app_context(stackauth_config: dict[str, Any]) -> None:
    make_server_app(stackauth_config)
    with pytest.raises(StackAuthConfigError, match="app_context"):
        stack.server  # noqa: B018


def test_wrong_server_key_never_shows_the_key(stackauth_config: dict[str, Any], caplog: Any) -> None:
    wrong = "ssk_this-is-the-wrong-secret-value"
    app = make_server_app({**stackauth_config, "STACK_SECRET_SERVER_KEY": wrong})
    with app.app_context(), pytest.raises(InvalidSecretServerKey) as info:
        stack.server.users.get("3241a285-8329-4d69-8f3d-316e08cf140c")
    assert wrong not in str(info.value) and wrong not in repr(info.value)
    assert wrong not in repr(app.extensions["stackauth"].settings)
    caplog.set_level(logging.DEBUG)
    response = app.test_client().get("/users/3241a285-8329-4d69-8f3d-316e08cf140c",
                                     headers={"Accept": "application/json"})
    assert response.status_code == 502 and response.json["code"] == "INVALID_SECRET_SERVER_KEY"
    assert wrong not in response.get_data(as_text=True)
    assert wrong not in caplog.text
