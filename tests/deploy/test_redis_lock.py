"""The optional Redis refresh lock, in one process: reuse across apps, what Redis holds, failures, settings."""

from __future__ import annotations

import logging
import socket
import sys
from typing import Any

import pytest
from flask import Flask

from flask_stackauth import StackAuthConfigError
from flask_stackauth.emulator import EmulatorServer
from flask_stackauth.redis_lock import KEY_PREFIX, RedisRefreshLock
from tests.conftest import make_app
from tests.deploy.support import TOKEN_PATH, issue_expiring_tokens, issue_normal_tokens
from tests.helpers import sign_out

LEEWAY = 60


def expiring_login(server: EmulatorServer, login: Any, client: Any, email: str = "lock@example.com") -> None:
    """Sign ``client`` in with a token inside the refresh leeway; later tokens live 10 minutes."""
    issue_expiring_tokens(server.emulator)
    login(client, email)
    issue_normal_tokens(server.emulator)


def app_with(config: dict[str, Any], **extra: Any) -> Flask:
    return make_app(config, STACK_REFRESH_LEEWAY=LEEWAY, **extra)


def test_a_second_app_reuses_the_token_the_first_refreshed(
        stackauth_config: dict[str, Any], stackauth_emulator: EmulatorServer, stackauth_login: Any,
        redis_client: Any) -> None:
    # Two apps with their own state stand for two workers: only Redis is shared.
    first = app_with(stackauth_config, STACK_REFRESH_LOCK_REDIS=redis_client)
    second = app_with(stackauth_config, STACK_REFRESH_LOCK_REDIS=redis_client)
    a, b = first.test_client(), second.test_client()
    expiring_login(stackauth_emulator, stackauth_login, a)
    cookie = a.get_cookie("session")
    assert cookie is not None
    b.set_cookie("session", cookie.value)

    before = stackauth_emulator.emulator.calls("POST", TOKEN_PATH)
    one, two = a.get("/protected"), b.get("/protected")
    assert one.status_code == two.status_code == 200
    assert one.json["token_sha"] == two.json["token_sha"]
    assert stackauth_emulator.emulator.calls("POST", TOKEN_PATH) - before == 1


def test_redis_never_holds_a_usable_token(stackauth_config: dict[str, Any], stackauth_emulator: EmulatorServer,
                                          stackauth_login: Any, redis_client: Any) -> None:
    app = app_with(stackauth_config, STACK_REFRESH_LOCK_REDIS=redis_client)
    client = app.test_client()
    expiring_login(stackauth_emulator, stackauth_login, client)
    assert client.get("/protected").status_code == 200
    with client.session_transaction() as session:
        tokens = session["stackauth_tokens"]
    keys = redis_client.keys("*")
    assert [k for k in keys if k.startswith(KEY_PREFIX.encode())], keys
    for key in keys:
        assert tokens["refresh_token"].encode() not in key
        value = redis_client.get(key) or b""
        for secret in (tokens["access_token"], tokens["refresh_token"], tokens["access_token"].split(".")[1]):
            assert secret.encode() not in value


def test_refreshes_go_on_when_redis_is_down(stackauth_config: dict[str, Any], stackauth_emulator: EmulatorServer,
                                           stackauth_login: Any, caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = f"redis://127.0.0.1:{sock.getsockname()[1]}/0"
    app = app_with(stackauth_config, STACK_REFRESH_LOCK_REDIS_URL=dead)
    client = app.test_client()
    expiring_login(stackauth_emulator, stackauth_login, client)
    before = stackauth_emulator.emulator.calls("POST", TOKEN_PATH)
    with caplog.at_level(logging.WARNING, logger="flask_stackauth"):
        assert client.get("/protected").status_code == 200
    assert stackauth_emulator.emulator.calls("POST", TOKEN_PATH) - before == 1
    messages = [r.getMessage() for r in caplog.records]
    assert "flask-stackauth: the Redis refresh lock is unavailable (ConnectionError); refreshing without it" \
        in messages
    with client.session_transaction() as session:
        tokens = session["stackauth_tokens"]
    assert not any(tokens["access_token"] in m or tokens["refresh_token"] in m for m in messages)


def test_the_url_setting_is_read_from_the_environment(stackauth_config: dict[str, Any], redis_url: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from flask_stackauth.state import get_state

    monkeypatch.setenv("STACK_REFRESH_LOCK_REDIS_URL", redis_url)
    lock = get_state(app_with(stackauth_config)).refresher.cluster_lock
    assert isinstance(lock, RedisRefreshLock)
    monkeypatch.delenv("STACK_REFRESH_LOCK_REDIS_URL")
    assert get_state(app_with(stackauth_config)).refresher.cluster_lock is None


@pytest.mark.parametrize("url", ["http://localhost:6379", "localhost:6379", "redis://:secret@host:notaport/0"])
def test_a_malformed_url_is_refused_at_init_app(stackauth_config: dict[str, Any], url: str) -> None:
    with pytest.raises(StackAuthConfigError, match="STACK_REFRESH_LOCK_REDIS_URL") as info:
        app_with(stackauth_config, STACK_REFRESH_LOCK_REDIS_URL=url)
    assert "secret" not in str(info.value)


def test_a_missing_redis_package_is_explained(stackauth_config: dict[str, Any],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "redis", None)  # what an environment without redis-py looks like
    with pytest.raises(StackAuthConfigError, match=r"pip install 'flask-stackauth\[redis\]'"):
        app_with(stackauth_config, STACK_REFRESH_LOCK_REDIS_URL="redis://localhost:6379/0")


def test_sign_out_deletes_what_was_published(stackauth_config: dict[str, Any], stackauth_emulator: EmulatorServer,
                                             stackauth_login: Any, redis_client: Any) -> None:
    app = app_with(stackauth_config, STACK_REFRESH_LOCK_REDIS=redis_client)
    client = app.test_client()
    expiring_login(stackauth_emulator, stackauth_login, client)
    assert client.get("/protected").status_code == 200
    assert redis_client.keys(KEY_PREFIX + "*")
    assert sign_out(client).status_code == 303
    assert redis_client.keys(KEY_PREFIX + "*") == []


def test_a_profile_update_is_not_undone_by_a_published_token(
        stackauth_config: dict[str, Any], stackauth_emulator: EmulatorServer, stackauth_login: Any,
        redis_client: Any) -> None:
    from flask_stackauth import current_user, login_required

    app = app_with(stackauth_config, STACK_REFRESH_LOCK_REDIS=redis_client)

    @app.post("/rename")
    @login_required
    def rename() -> Any:
        current_user.update(display_name="Ada Lovelace")
        return {"ok": True}

    @app.get("/name")
    @login_required
    def name() -> Any:
        return {"name": current_user.claims.get("name")}

    client = app.test_client()
    expiring_login(stackauth_emulator, stackauth_login, client, "ada@example.com")
    assert client.get("/name").json == {"name": None}  # refreshed and published with the old claims
    assert client.post("/rename").status_code == 200
    # The renewed token carries the new name: not the one another worker could reuse from Redis.
    assert client.get("/name").json == {"name": "Ada Lovelace"}
