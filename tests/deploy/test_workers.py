"""Several gunicorn workers with cookie sessions: no worker needs another's memory, and refresh storms stay small.

Sign-in is served by one worker; the refresh and the views by the others, which never saw the sign-in.
Without a shared lock each worker refreshes a token at most once; with ``STACK_REFRESH_LOCK_REDIS_URL``
the whole cluster refreshes it once.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

from flask_stackauth.emulator import EmulatorServer
from tests.deploy.support import (
    JSON,
    TOKEN_PATH,
    WORKERS,
    burst,
    gunicorn,
    issue_expiring_tokens,
    issue_normal_tokens,
    sign_in,
    sign_out,
)

pytestmark = pytest.mark.slow

#: Tokens are minted with 30 s to live and the app refreshes those with under 60 s left: every request
#: of the burst below starts with a token that needs refreshing.
LEEWAY = {"STACK_REFRESH_LEEWAY": "60"}


def live_sessions(server: EmulatorServer, user_id: str) -> list[Any]:
    emu = server.emulator
    with emu.lock:
        return [s for s in emu.data.sessions.values() if s.user_id == user_id]


def storm(server: EmulatorServer, base: str, email: str) -> tuple[requests.Session, list[requests.Response], int]:
    """Sign in with a soon-expiring token, then send a burst with it; returns the refresh calls it cost."""
    emu = server.emulator
    issue_expiring_tokens(emu)
    browser, _ = sign_in(base, email)
    issue_normal_tokens(emu)
    before = emu.calls("POST", TOKEN_PATH)
    answers = burst(base, "/protected", {"session": browser.cookies["session"]})
    assert [a.status_code for a in answers] == [200] * len(answers), [a.text for a in answers if not a.ok]
    assert len({a.json()["id"] for a in answers}) == 1
    assert len({a.json()["pid"] for a in answers}) >= 2, "the burst was served by one worker only"
    return browser, answers, emu.calls("POST", TOKEN_PATH) - before


def test_sign_in_on_one_worker_refresh_and_sign_out_on_others(stackauth_emulator: EmulatorServer) -> None:
    with gunicorn(stackauth_emulator, **LEEWAY) as base:
        issue_expiring_tokens(stackauth_emulator.emulator)
        browser, callback = sign_in(base, "ada@example.com")
        signed_in_by = int(callback.headers["X-Worker-Pid"])
        issue_normal_tokens(stackauth_emulator.emulator)

        answers = burst(base, "/protected", {"session": browser.cookies["session"]})
        assert [a.status_code for a in answers] == [200] * len(answers)
        user_id = answers[0].json()["id"]
        pids = {a.json()["pid"] for a in answers}
        assert pids - {signed_in_by}, "no worker other than the signing-in one served the burst"
        # Workers that refreshed sent the new token pair back in the cookie.
        assert any("session=" in a.headers.get("Set-Cookie", "") for a in answers)
        assert len(live_sessions(stackauth_emulator, user_id)) == 1

        out = sign_out(base, browser)
        assert out.status_code == 303
        assert live_sessions(stackauth_emulator, user_id) == []
        after = browser.get(f"{base}/protected", headers=JSON, timeout=10)
        assert after.status_code == 401
        assert after.json()["code"] == "USER_AUTHENTICATION_REQUIRED"


def test_refresh_storm_without_a_lock_refreshes_at_most_once_per_worker(
        stackauth_emulator: EmulatorServer) -> None:
    with gunicorn(stackauth_emulator, **LEEWAY) as base:
        _, _, refreshes = storm(stackauth_emulator, base, "storm@example.com")
    assert 1 <= refreshes <= WORKERS


def test_refresh_storm_with_the_redis_lock_refreshes_once(stackauth_emulator: EmulatorServer,
                                                          redis_client: Any, redis_url: str) -> None:
    with gunicorn(stackauth_emulator, STACK_REFRESH_LOCK_REDIS_URL=redis_url, **LEEWAY) as base:
        _, answers, refreshes = storm(stackauth_emulator, base, "storm@example.com")
    assert refreshes == 1
    # Every worker ended up with the one refreshed access token.
    assert len({a.json()["token_sha"] for a in answers}) == 1
