"""JOSE headers with fields of unexpected types are a 401 ``invalid_token``, never a 500 or an ERROR traceback.

Issue 11, item 3: ``crit`` that is ``null`` or holds a number made joserfc raise ``TypeError`` out of the
signature check. The tokens here carry the emulator's valid claims and a valid signature over the odd header,
so they get as far as the signature check.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from flask_stackauth.tokens import TokenSet, load_tokens, save_tokens
from tests.conftest import make_app
from tests.security.jose_tokens import signed_with_header

ODD_HEADERS: dict[str, Any] = {
    "crit null": {"crit": None},
    "crit a number": {"crit": 5},
    "crit holding a number": {"crit": [5]},
    "crit an object": {"crit": {"b64": True}},
    "crit naming an unknown extension": {"crit": ["exp"], "exp": 1},
    "crit empty": {"crit": []},
    "crit b64 false": {"crit": ["b64"], "b64": False},
    "b64 null": {"b64": None},
    "b64 a string": {"crit": ["b64"], "b64": "x"},
    "alg a list": {"alg": ["ES256"]},
    "alg null": {"alg": None},
    "alg a number": {"alg": 256},
    "kid an object": {"kid": {"x": 1}},
    "kid a list": {"kid": ["a"]},
    "kid null": {"kid": None},
    "typ a number": {"typ": 5},
    "cty a list": {"cty": []},
    "jwk a number": {"jwk": 5},
    "jku an object": {"jku": {}},
    "x5c a string": {"x5c": "abc"},
    "x5t a float": {"x5t": 1.5},
    "nested junk": {"zip": {"a": [None, {"b": []}]}},
    "an unknown field": {"x-odd": [1, {"a": None}]},
}


#: Fields a verifier may ignore: with a valid signature by the project's key the token is good.
IGNORED_HEADERS: dict[str, Any] = {
    "jwk an object that is no key": {"jwk": {"kty": "EC"}},
}


@pytest.fixture
def app_client(stackauth_config: dict[str, Any]) -> Any:
    return make_app(stackauth_config).test_client()


@pytest.mark.parametrize("header", ODD_HEADERS.values(), ids=ODD_HEADERS.keys())
def test_odd_header_on_a_bearer_token_is_401_invalid_token(
        app_client: Any, stackauth_emulator: Any, stackauth_bearer: Any, header: dict[str, Any],
        caplog: pytest.LogCaptureFixture) -> None:
    token = signed_with_header(stackauth_emulator, stackauth_bearer("jose@example.com"), header)
    with caplog.at_level(logging.WARNING):
        response = app_client.get("/protected", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert token not in caplog.text


@pytest.mark.parametrize("header", [[], None, "ES256", 5, [{"alg": "ES256"}]], ids=repr)
def test_a_header_that_is_no_object_is_401(app_client: Any, stackauth_emulator: Any, stackauth_bearer: Any,
                                           header: Any) -> None:
    token = signed_with_header(stackauth_emulator, stackauth_bearer("jose@example.com"), header, merge=False)
    response = app_client.get("/protected", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


@pytest.mark.parametrize("header", ODD_HEADERS.values(), ids=ODD_HEADERS.keys())
def test_odd_header_on_a_session_token_is_no_500(
        app_client: Any, stackauth_emulator: Any, stackauth_login: Any, header: dict[str, Any]) -> None:
    stackauth_login(app_client, "jose-session@example.com")
    with app_client.session_transaction() as session:
        tokens = load_tokens(session)
        assert tokens is not None
        odd = signed_with_header(stackauth_emulator, tokens.access_token, header)
        save_tokens(session, TokenSet(odd, tokens.refresh_token, tokens.expires_at))
    response = app_client.get("/protected")
    assert response.status_code in (302, 401)


@pytest.mark.parametrize("header", [{}, *IGNORED_HEADERS.values()], ids=["plain", *IGNORED_HEADERS.keys()])
def test_an_ordinary_header_still_verifies(app_client: Any, stackauth_emulator: Any, stackauth_bearer: Any,
                                           header: dict[str, Any]) -> None:
    # The control: the helper's tokens are good when the header is the ordinary one.
    token = signed_with_header(stackauth_emulator, stackauth_bearer("jose@example.com"), header)
    response = app_client.get("/protected", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
