"""A JWKS answered 200 without a usable key is an outage: never cached, never evidence against a session.

Issue 11, items 2 (the JWKS half) and 4: the proxy in front of the emulator answers the JWKS path with bodies
Stack Auth never sends; the app must answer 503, keep the session's tokens, keep using the last good keys,
and recover once the JWKS is good again.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from flask_stackauth.tokens import load_tokens
from tests.conftest import make_app
from tests.security.proxy import MisbehavingProxy

JWKS = "/api/v1/projects/internal/.well-known/jwks.json"

_EC_P384 = {"kty": "EC", "crv": "P-384", "alg": "ES384", "kid": "p384",
            "x": "iA7lWQLzVrKGEFjfGMfMHfTEZ2KnLiKU7JuNT3E7ygsfE7ygsfE7ygsfE7ygsfE7",
            "y": "mPpaHFmrxlmoTRfs9N_oIAzg6ojY6kCvpiSkEQ9y9o4Q9y9o4Q9y9o4Q9y9o4Q9y"}
_RSA = {"kty": "RSA", "alg": "RS256", "kid": "rsa", "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4",
        "e": "AQAB"}
_HS = {"kty": "oct", "alg": "HS256", "kid": "hs", "k": "c2VjcmV0"}

UNUSABLE = {
    "empty key list": {"keys": []},
    "an error object": {"error": "Internal error", "code": "UNKNOWN"},
    "a list": [],
    "null": None,
    "keys null": {"keys": None},
    "keys a number": {"keys": 5},
    "keys a string": {"keys": "abc"},
    "keys an object": {"keys": {"kid": "x"}},
    "keys of junk": {"keys": [5, None, "x", []]},
    "only a P-384 key": {"keys": [_EC_P384]},
    "only an RSA key": {"keys": [_RSA]},
    "only a symmetric key": {"keys": [_HS]},
    "a P-256 key without a kid": {"keys": [{"kty": "EC", "crv": "P-256", "alg": "ES256", "x": "AAAA", "y": "AAAA"}]},
}


def _serve(proxy: MisbehavingProxy, body: Any) -> None:
    proxy.add(JWKS, "body", body=json.dumps(body).encode())


@pytest.mark.parametrize("body", UNUSABLE.values(), ids=UNUSABLE.keys())
def test_unusable_jwks_keeps_the_session_and_is_an_outage(
        proxied_config: dict[str, Any], proxy: MisbehavingProxy, stackauth_login: Any, body: Any,
        caplog: pytest.LogCaptureFixture) -> None:
    client = make_app(proxied_config).test_client()
    stackauth_login(client, "jwks-outage@example.com")
    _serve(proxy, body)

    with caplog.at_level(logging.WARNING, logger="flask_stackauth"):
        response = client.get("/protected")

    assert response.status_code == 503
    with client.session_transaction() as session:
        assert load_tokens(session) is not None, "an unusable JWKS signed the user out"
    assert any("JWKS" in r.getMessage() for r in caplog.records)

    proxy.clear()  # Stack Auth is back: the same session works at once (no cached bad answer)
    response = client.get("/protected")
    assert response.status_code == 200
    assert response.get_json()["email"] == "jwks-outage@example.com"


@pytest.mark.parametrize("body", UNUSABLE.values(), ids=UNUSABLE.keys())
def test_unusable_jwks_on_a_bearer_request_is_503(
        proxied_config: dict[str, Any], proxy: MisbehavingProxy, stackauth_bearer: Any, body: Any) -> None:
    client = make_app(proxied_config).test_client()
    token = stackauth_bearer("jwks-bearer@example.com")
    _serve(proxy, body)

    response = client.get("/protected", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 503
    assert response.is_json

    proxy.clear()
    assert client.get("/protected", headers={"Authorization": f"Bearer {token}"}).status_code == 200


@pytest.mark.parametrize("body", [UNUSABLE["empty key list"], UNUSABLE["keys a number"], UNUSABLE["a list"]],
                         ids=["empty key list", "keys a number", "a list"])
def test_the_last_good_keys_are_kept_through_a_bad_answer(
        proxied_config: dict[str, Any], proxy: MisbehavingProxy, stackauth_login: Any, body: Any) -> None:
    # A cache TTL of 0 makes every verification refetch the JWKS, so the bad answer is certainly fetched; a new
    # session each time, since a token verified once is remembered until it expires.
    app = make_app(proxied_config, STACK_JWKS_CACHE_TTL=0)
    client = app.test_client()
    stackauth_login(client, "last-good@example.com")
    assert client.get("/protected").status_code == 200

    rule = proxy.add(JWKS, "body", body=json.dumps(body).encode())
    for _ in range(3):
        other = app.test_client()
        stackauth_login(other, "last-good@example.com")
        response = other.get("/protected")
        assert response.status_code == 200, response.get_data(as_text=True)
        with other.session_transaction() as session:
            assert load_tokens(session) is not None
    assert rule.hits >= 1, "the bad JWKS was never fetched"


def test_a_jwks_with_one_usable_key_among_junk_is_used(
        proxied_config: dict[str, Any], proxy: MisbehavingProxy, stackauth_emulator: Any,
        stackauth_login: Any) -> None:
    good = stackauth_emulator.emulator.keys.jwks([stackauth_emulator.project_id])["keys"]
    _serve(proxy, {"keys": [5, None, _RSA, _EC_P384, *good]})
    client = make_app(proxied_config).test_client()
    stackauth_login(client, "mixed-jwks@example.com")
    assert client.get("/protected").status_code == 200
