"""``STACK_HTTP_TIMEOUT`` is a total deadline per call to Stack Auth: connect, headers and the whole body.

Issue 11, item 5: it used to be a per-read timeout, so an upstream dripping a byte every half second held a
request for as long as it dripped. The proxy here drips 40 bytes, one per 0.5 s (20 s in all), under a 1 s
setting: each call must end as an outage while the drip still had most of its bytes to send. No clock is read:
the proof is the count of bytes the drip managed to send.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from flask_stackauth.tokens import TokenSet, load_tokens, save_tokens
from tests.conftest import make_app
from tests.helpers import callback_for, start_login
from tests.security.proxy import MisbehavingProxy, Rule

JWKS = "/api/v1/projects/internal/.well-known/jwks.json"
TOKEN = "/api/v1/auth/oauth/token"
ME = "/api/v1/users/me"
DRIP = 40


def _cut_short(rule: Rule) -> None:
    assert rule.hits >= 1, "the dripping path was never called"
    assert rule.completed == 0, "the call waited for the whole drip"
    assert rule.sent < DRIP


@pytest.fixture
def slow_config(proxied_config: dict[str, Any]) -> dict[str, Any]:
    return {**proxied_config, "STACK_HTTP_TIMEOUT": 1}


@pytest.mark.parametrize("kind", ["drip", "drip-headers"])
def test_a_dripping_jwks_is_cut_off_on_a_bearer_request(
        slow_config: dict[str, Any], proxy: MisbehavingProxy, stackauth_bearer: Any, kind: str) -> None:
    client = make_app(slow_config).test_client()
    token = stackauth_bearer("drip@example.com")
    rule = proxy.add(JWKS, kind, size=DRIP)

    response = client.get("/protected", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 503
    _cut_short(rule)


@pytest.mark.parametrize("kind", ["drip", "drip-headers"])
def test_a_dripping_refresh_is_cut_off_and_keeps_the_tokens(
        slow_config: dict[str, Any], proxy: MisbehavingProxy, stackauth_login: Any, kind: str) -> None:
    # Authlib makes this call (the refresh grant), through the same deadline.
    client = make_app(slow_config).test_client()
    stackauth_login(client, "drip-refresh@example.com")
    with client.session_transaction() as session:
        tokens = load_tokens(session)
        assert tokens is not None
        # Marked expired, so the refresh is needed and its failure cannot fall back on the old token.
        save_tokens(session, TokenSet(tokens.access_token, tokens.refresh_token, int(time.time()) - 60))
    rule = proxy.add(TOKEN, kind, size=DRIP)

    response = client.get("/protected")

    assert response.status_code == 503
    _cut_short(rule)
    with client.session_transaction() as session:
        kept = load_tokens(session)
        assert kept is not None and kept.refresh_token == tokens.refresh_token


def test_a_dripping_code_exchange_is_cut_off(slow_config: dict[str, Any], proxy: MisbehavingProxy,
                                             stackauth_emulator: Any) -> None:
    client = make_app(slow_config).test_client()
    authorize = start_login(client)
    # The browser's part of the flow goes to the emulator itself; only the app's exchange meets the drip.
    callback = callback_for(authorize.replace(proxy.url, stackauth_emulator.url), "drip-signin@example.com")
    rule = proxy.add(TOKEN, "drip", size=DRIP)

    response = client.get(callback)

    assert response.status_code in (502, 503)
    _cut_short(rule)
    with client.session_transaction() as session:
        assert load_tokens(session) is None


def test_a_dripping_api_call_is_cut_off(slow_config: dict[str, Any], proxy: MisbehavingProxy,
                                        stackauth_login: Any) -> None:
    # /anon-ok reads has_password, which is in the profile (users/me, through StackAuthClient.request).
    client = make_app(slow_config).test_client()
    stackauth_login(client, "drip-me@example.com")
    rule = proxy.add(ME, "drip", size=DRIP)

    response = client.get("/anon-ok")

    assert response.status_code == 503
    _cut_short(rule)


def test_a_slow_but_steady_answer_within_the_deadline_still_works(
        proxied_config: dict[str, Any], proxy: MisbehavingProxy, stackauth_bearer: Any,
        stackauth_emulator: Any) -> None:
    # The control: the same drip, short enough to end well inside a generous deadline, is read in full.
    client = make_app({**proxied_config, "STACK_HTTP_TIMEOUT": 30}).test_client()
    token = stackauth_bearer("drip-ok@example.com")
    rule = proxy.add(ME, "drip", size=4, interval=0.1)
    response = client.get("/anon-ok", headers={"Authorization": f"Bearer {token}"})
    assert rule.completed == 1
    assert response.status_code == 503  # "[[[[" is no JSON: read to its end, then refused as an outage
