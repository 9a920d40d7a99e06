"""Server-side sessions (Flask-Session on a real Redis) under three gunicorn workers.

The browser holds only a session id; the token pair lives in Redis; sign-in moves the session to a new id;
sign-out deletes the server-side record, so a copied cookie is dead at once.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests

from flask_stackauth.emulator import EmulatorServer
from flask_stackauth.emulator.client import complete_oauth
from tests.conftest import make_app
from tests.deploy.support import (
    JSON,
    TOKEN_PATH,
    WORKERS,
    burst,
    gunicorn,
    issue_expiring_tokens,
    issue_normal_tokens,
    sign_out,
)
from tests.deploy.test_workers import LEEWAY, live_sessions
from tests.helpers import local_path

pytestmark = pytest.mark.slow

PREFIX = "deploy-session:"


def test_server_side_sessions_across_workers(stackauth_emulator: EmulatorServer, redis_client: Any,
                                             redis_url: str) -> None:
    emu = stackauth_emulator.emulator
    with gunicorn(stackauth_emulator, DEPLOY_SESSION_REDIS_URL=redis_url, **LEEWAY) as base:
        issue_expiring_tokens(emu)
        browser = requests.Session()
        start = browser.get(f"{base}/auth/login/github", allow_redirects=False, timeout=10)
        assert start.status_code == 302
        pending_sid = browser.cookies["session"]
        assert redis_client.exists(PREFIX + pending_sid)  # the pending sign-in lives in Redis too

        callback = browser.get(complete_oauth(start.headers["Location"], "grace@example.com"),
                               allow_redirects=False, timeout=10)
        assert callback.status_code == 302, callback.text
        sid = browser.cookies["session"]
        # The cookie is an opaque id, new at sign-in; the token pair is in Redis.
        assert re.fullmatch(r"[A-Za-z0-9_-]{32,64}", sid), sid
        assert sid != pending_sid
        assert not redis_client.exists(PREFIX + pending_sid)
        record = redis_client.get(PREFIX + sid)
        assert record is not None and b"stackauth_tokens" in record

        issue_normal_tokens(emu)
        before = emu.calls("POST", TOKEN_PATH)
        answers = burst(base, "/protected", {"session": sid})
        assert [a.status_code for a in answers] == [200] * len(answers)
        assert len({a.json()["pid"] for a in answers}) >= 2
        assert 1 <= emu.calls("POST", TOKEN_PATH) - before <= WORKERS
        assert all("session=" not in a.headers.get("Set-Cookie", "") or sid in a.headers["Set-Cookie"]
                   for a in answers), "a refresh changed the session id"
        user_id = answers[0].json()["id"]

        out = sign_out(base, browser)
        assert out.status_code == 303
        assert not redis_client.exists(PREFIX + sid)
        assert live_sessions(stackauth_emulator, user_id) == []
        replay = requests.get(f"{base}/protected", cookies={"session": sid}, headers=JSON, timeout=10)
        assert replay.status_code == 401


def test_sign_in_moves_the_session_to_a_new_id(stackauth_config: dict[str, Any], redis_client: Any) -> None:
    from flask_session import Session

    app = make_app(stackauth_config, SESSION_TYPE="redis", SESSION_REDIS=redis_client, SESSION_KEY_PREFIX=PREFIX)
    Session(app)
    client = app.test_client()
    start = client.get("/auth/login/github")
    assert start.status_code == 302
    before = client.get_cookie("session")
    assert before is not None and redis_client.exists(PREFIX + before.value)
    callback = complete_oauth(start.headers["Location"], "fixation@example.com")
    assert client.get(local_path(callback)).status_code == 302
    after = client.get_cookie("session")
    assert after is not None and redis_client.exists(PREFIX + after.value)
    assert after.value != before.value
    assert not redis_client.exists(PREFIX + before.value)
