"""@api_key_required, login_required(allow_api_key=True) and current_api_key over HTTP against the emulator."""

from __future__ import annotations

import logging
import threading
from typing import Any

import pytest
from flask import Flask

from flask_stackauth import api_key_required
from tests.backend.conftest import TEAM_CHECK, USER_CHECK, make_backend_app


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_user_key_authenticates_and_shows_its_owner(client: Any, user_key: Any) -> None:
    user, key = user_key()
    for headers in (_bearer(key.value), {"X-Api-Key": key.value}):
        response = client.get("/api/user-key", headers=headers)
        assert response.status_code == 200, response.json
        assert response.json == {"key_id": key.id, "type": "user", "description": "test key", "user_id": user["id"],
                                 "current_user": user["id"], "email": "keys@example.com"}


def test_warm_cache_makes_no_call_and_user_is_loaded_once(client: Any, user_key: Any, emu: Any) -> None:
    _, key = user_key()
    client.get("/api/user-key", headers=_bearer(key.value))
    before = emu.calls()
    for _ in range(30):
        assert client.get("/api/user-key", headers=_bearer(key.value)).status_code == 200
    assert emu.calls() == before


def test_header_name_is_configurable(stackauth_config: Any, user_key: Any) -> None:
    client = make_backend_app(stackauth_config, STACK_API_KEY_HEADER="X-Service-Key").test_client()
    _, key = user_key()
    assert client.get("/api/user-key", headers={"X-Service-Key": key.value}).status_code == 200
    assert client.get("/api/user-key", headers={"X-Api-Key": key.value}).status_code == 401


def test_revoked_key_stops_within_the_ttl(stackauth_config: Any, user_key: Any, server: Any) -> None:
    _, key = user_key()
    cached = make_backend_app(stackauth_config, STACK_API_KEY_CACHE_TTL=3600).test_client()
    uncached = make_backend_app(stackauth_config, STACK_API_KEY_CACHE_TTL=0).test_client()
    assert cached.get("/api/user-key", headers=_bearer(key.value)).status_code == 200
    assert uncached.get("/api/user-key", headers=_bearer(key.value)).status_code == 200
    server.api_keys.revoke(key)
    revoked = uncached.get("/api/user-key", headers=_bearer(key.value))
    assert revoked.status_code == 401 and revoked.json["code"] == "API_KEY_REVOKED"
    assert cached.get("/api/user-key", headers=_bearer(key.value)).status_code == 200  # within its TTL


def test_missing_and_bad_keys_are_json_401_and_bad_keys_are_cached(client: Any, user_key: Any, emu: Any,
                                                                    server: Any) -> None:
    _, key = user_key()
    missing = client.get("/api/user-key", headers={"Accept": "text/html"})
    assert missing.status_code == 401 and missing.json["code"] == "API_KEY_REQUIRED"
    assert "X-Api-Key" in missing.json["error"] and missing.headers["WWW-Authenticate"] == "Bearer"
    before = emu.calls("POST", USER_CHECK)
    shaped = client.get("/api/user-key", headers=_bearer("sk_not-a-key"))
    assert shaped.status_code == 401 and shaped.json["code"] == "API_KEY_NOT_FOUND"
    assert emu.calls("POST", USER_CHECK) == before  # cannot be a Stack key: no call
    server.api_keys.revoke(key)
    for _ in range(20):
        flood = client.get("/api/user-key", headers=_bearer(key.value))
        assert flood.status_code == 401 and flood.json["code"] == "API_KEY_REVOKED"
        assert 'error="invalid_token"' in flood.headers["WWW-Authenticate"]
    assert emu.calls("POST", USER_CHECK) == before + 1  # the refusal is remembered for a few seconds


def test_team_keys(client: Any, keys_on: Any, server: Any, user_key: Any, emu: Any) -> None:
    team = server.teams.create(display_name="Ops")
    key = server.api_keys.create(team_id=team.id, description="deploy")
    response = client.get("/api/team-key", headers={"X-Api-Key": key.value})
    assert response.json == {"key_id": key.id, "team_id": team.id, "signed_in": False}
    _, ukey = user_key()
    before = emu.calls()
    wrong = client.get("/api/team-key", headers={"X-Api-Key": ukey.value})
    assert wrong.status_code == 401 and wrong.json["code"] == "WRONG_API_KEY_TYPE"
    wrong = client.get("/api/user-key", headers={"X-Api-Key": key.value})
    assert wrong.status_code == 401 and wrong.json["code"] == "WRONG_API_KEY_TYPE"
    assert emu.calls() == before  # the kind is in the key: refused without a call
    assert client.get("/api/any-key", headers=_bearer(key.value)).json == {"type": "team", "owner": team.id}
    assert client.get("/api/any-key", headers=_bearer(ukey.value)).json["type"] == "user"
    assert emu.calls("POST", TEAM_CHECK) == 1


def test_login_required_allow_api_key_takes_either(client: Any, user_key: Any, stackauth_bearer: Any) -> None:
    user, key = user_key()
    assert client.get("/api/either", headers=_bearer(key.value)).json == {"id": user["id"], "by_key": key.id}
    token = stackauth_bearer("token@example.com")
    by_token = client.get("/api/either", headers=_bearer(token)).json
    assert by_token["by_key"] is None and by_token["id"] != user["id"]
    assert client.get("/api/either", headers={"X-Api-Key": "nope"}).status_code == 401
    assert client.get("/api/either", headers={"Accept": "application/json"}).status_code == 401


@pytest.mark.parametrize("threads", [1, 8, 32])
def test_concurrent_checks_of_one_key_share_one_call(app: Flask, user_key: Any, emu: Any, threads: int) -> None:
    _, key = user_key()
    barrier = threading.Barrier(threads)
    statuses: list[int] = []

    def call() -> None:
        client = app.test_client()
        barrier.wait()
        statuses.append(client.get("/api/user-key", headers=_bearer(key.value)).status_code)

    workers = [threading.Thread(target=call) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert statuses == [200] * threads
    assert emu.calls("POST", USER_CHECK) == 1
    assert emu.calls("GET", f"/api/v1/users/{key.user_id}") == 1


def test_outage_is_503_not_401_and_not_cached(stackauth_config: Any, user_key: Any, emu: Any) -> None:
    client = make_backend_app(stackauth_config, STACK_HTTP_TIMEOUT=0.3).test_client()
    _, key = user_key()
    for mode in ("500", "garbage", "hang"):
        emu.fail_next(1, path=USER_CHECK, mode=mode, delay=1.0)
        down = client.get("/api/user-key", headers=_bearer(key.value))
        assert down.status_code == 503, mode
        assert down.json["code"] == "STACK_AUTH_UNAVAILABLE"
    assert client.get("/api/user-key", headers=_bearer(key.value)).status_code == 200


def test_keys_turned_off_is_a_503_for_the_developer_logged_once(client: Any, user_key: Any, emu: Any,
                                                                 caplog: Any) -> None:
    _, key = user_key()
    emu.project.allow_user_api_keys = False
    with caplog.at_level(logging.INFO):
        answers = [client.get("/api/user-key", headers=_bearer(key.value)) for _ in range(3)]
    for answer in answers:
        assert answer.status_code == 503 and answer.json["code"] == "API_KEYS_UNAVAILABLE"
        assert "turned off" in answer.json["error"] and "dashboard" in answer.json["error"]
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "user API keys are turned off" in errors[0].getMessage()
    assert key.value not in caplog.text


def test_v27_server_is_a_503_for_the_developer(client: Any, user_key: Any, emu: Any) -> None:
    _, key = user_key()
    emu.set_legacy_tokens(True)
    try:
        answer = client.get("/api/user-key", headers=_bearer(key.value))
    finally:
        emu.set_legacy_tokens(False)
    assert answer.status_code == 503 and "v2.8" in answer.json["error"]


def test_no_secret_server_key_fails_at_the_first_request(stackauth_config: Any, caplog: Any) -> None:
    config = {k: v for k, v in stackauth_config.items() if k != "STACK_SECRET_SERVER_KEY"}
    app = make_backend_app(config)
    with caplog.at_level(logging.ERROR):
        response = app.test_client().get("/")
    assert response.status_code == 500
    assert "STACK_SECRET_SERVER_KEY" in caplog.text and "api_key_required" not in caplog.text
    assert "user_key" in caplog.text  # names the views
    plain = Flask("plain")
    plain.config.update(SECRET_KEY="x" * 40, **config)
    from flask_stackauth import StackAuth

    StackAuth(plain)
    plain.get("/")(lambda: "ok")
    assert plain.test_client().get("/").status_code == 200  # no API-key view: nothing to complain about


def test_keys_never_logged_or_echoed(client: Any, user_key: Any, caplog: Any, server: Any) -> None:
    _, key = user_key()
    with caplog.at_level(logging.DEBUG):
        client.get("/api/user-key", headers=_bearer(key.value))
        server.api_keys.revoke(key)
        client.get("/api/user-key", headers={"X-Api-Key": key.value + "x"})
        bad = client.get("/api/team-key", headers={"X-Api-Key": key.value})
    assert key.value not in caplog.text and key.value not in bad.get_data(as_text=True)


def test_decorator_options_are_checked() -> None:
    with pytest.raises(ValueError):
        api_key_required(team=False, allow_user=False)
