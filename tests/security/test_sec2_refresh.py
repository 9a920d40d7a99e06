"""Issue 11 items 2 (refresh half) and 11, issue 13 item 6: what a refresh stores, when it runs, what it logs."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

import pytest
import requests

from tests.conftest import make_app
from tests.security.sec2_support import TOKEN, age, proxied_config, proxy_to, put_session, stored

JSON = {"Accept": "application/json"}


def _bad_tokens(emu: Any, good: str) -> dict[str, Callable[[], str]]:
    header, payload, signature = good.split(".")
    claims = json.loads(_b64d(payload))
    return {
        "bad signature": lambda: f"{header}.{payload}.{signature[::-1]}",
        # Signed with the project's real key, but for another audience.
        "wrong aud": lambda: emu.keys.sign("internal", {**claims, "aud": "another-project"}),
        "not a JWT": lambda: "not-a-jwt",
    }


def _b64d(part: str) -> bytes:
    import base64

    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


@pytest.mark.parametrize("kind", ["bad signature", "wrong aud", "not a JWT"])
@pytest.mark.parametrize("seconds_left", [-1, 5])
def test_refresh_answered_with_an_unverifiable_token_keeps_the_tokens(
        stackauth_config: dict[str, Any], stackauth_emulator: Any, emu: Any, caplog: Any,
        kind: str, seconds_left: float) -> None:
    with proxy_to(stackauth_emulator) as proxy:
        app = make_app(proxied_config(stackauth_config, stackauth_emulator, proxy))
        client = app.test_client()
        user = emu.create_user("refresh-garbage@example.com")
        put_session(client, emu.create_session(user["id"]))
        assert client.get("/protected", headers=JSON).status_code == 200
        before = stored(client)
        assert before is not None

        def garbage(method: str, path: str, body: bytes, forward: Any) -> Any:
            if method == "POST" and path == TOKEN and parse_qs(body.decode()).get("grant_type") == ["refresh_token"]:
                answer = forward().json()
                return 200, {**answer, "access_token": _bad_tokens(emu, answer["access_token"])[kind]()}
            return None

        proxy.rewrite = garbage
        age(client, seconds_left)
        response = client.get("/protected", headers=JSON)
        if seconds_left > 0:
            assert response.status_code == 200  # the current token is used while it lasts
        else:
            assert response.status_code == 503
            assert response.json["code"] == "STACK_AUTH_UNAVAILABLE"
        after = stored(client)
        assert after is not None, "the session's tokens were wiped"
        assert after["refresh_token"] == before["refresh_token"]
        assert after["access_token"] == before["access_token"]
        assert "could not refresh" in caplog.text or "cannot verify" in caplog.text

        proxy.rewrite = None  # Stack answers properly again: the same refresh token still works
        assert client.get("/protected", headers=JSON).status_code == 200
        assert stored(client)["access_token"] != before["access_token"]  # type: ignore[index]


def test_only_stacks_refusal_of_the_refresh_token_signs_out(client: Any, emu: Any) -> None:
    user = emu.create_user("refused@example.com")
    pair = emu.create_session(user["id"])
    put_session(client, pair)
    emu.revoke_refresh_token(pair["refresh_token"])
    age(client, -1)
    assert client.get("/protected", headers=JSON).status_code == 401
    assert stored(client) is None


def test_short_lived_tokens_are_not_refreshed_on_every_request(client: Any, stackauth_emulator: Any,
                                                                emu: Any) -> None:
    # 15 s tokens with the default 20 s leeway: the leeway is clamped to half the token's lifetime.
    assert requests.post(f"{stackauth_emulator.url}/_emulator/access-token-lifetime", json={"seconds": 15},
                         timeout=10).json() == {"seconds": 15}
    user = emu.create_user("short-lived@example.com")
    put_session(client, emu.create_session(user["id"]))
    assert client.get("/protected").status_code == 200
    assert client.get("/protected").status_code == 200
    assert emu.calls("POST", TOKEN) == 0
    age(client, 5)  # under half the lifetime left: now it is refreshed
    assert client.get("/protected").status_code == 200
    assert emu.calls("POST", TOKEN) == 1


def test_a_successful_refresh_is_logged_at_debug_with_the_user_id_only(client: Any, emu: Any, caplog: Any) -> None:
    user = emu.create_user("debug-log@example.com")
    tokens = put_session(client, emu.create_session(user["id"]))
    age(client, 5)
    with caplog.at_level(logging.DEBUG, logger="flask_stackauth"):
        assert client.get("/protected").status_code == 200
    fresh = stored(client)
    assert fresh is not None and fresh["access_token"] != tokens.access_token
    lines = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG and "refreshed" in r.getMessage()]
    assert len(lines) == 1 and user["id"] in lines[0]
    for secret in (tokens.access_token, tokens.refresh_token, fresh["access_token"]):
        assert secret not in caplog.text
