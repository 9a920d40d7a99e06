"""Property-based tests: random and mutated tokens and headers never give a 500 and are never accepted.

The JOSE-header tests sign hand-made headers (any JSON value in every field) with the project's real key, so
they reach the signature check: whatever a header holds, the answer is a 401 ``invalid_token`` (or a 200 when
the header is an ordinary one), never a 500 or an ERROR log line.
"""

from __future__ import annotations

import base64
import json
import logging
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flask_stackauth.responses import HTTP_AUTH_SCHEMES
from tests.conftest import make_app
from tests.security.jose_tokens import signed_with_header

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
header_text = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=400)


@pytest.fixture
def fuzz_client(stackauth_config: dict[str, Any]) -> Any:
    return make_app(stackauth_config).test_client()


@pytest.fixture
def valid_token(stackauth_bearer: Any) -> str:
    return str(stackauth_bearer("fuzz@example.com"))


@FUZZ
@given(value=header_text)
def test_random_authorization_headers_are_refused(fuzz_client: Any, value: str) -> None:
    response = fuzz_client.get("/protected", headers={"Authorization": value})
    if value.strip().partition(" ")[0].lower() in HTTP_AUTH_SCHEMES:
        # HTTP authentication in front of the app (a proxy's Basic auth) is not a token: the request is a
        # browser's, so a signed-out one is sent to sign in, never let through.
        assert response.status_code == 302
        return
    assert response.status_code == 401
    assert response.is_json


@FUZZ
@given(value=header_text)
def test_random_stack_token_headers_are_refused(fuzz_client: Any, value: str) -> None:
    response = fuzz_client.get("/protected", headers={"x-stack-access-token": value})
    assert response.status_code == 401


@FUZZ
@given(data=st.data())
def test_mutated_valid_tokens_are_refused(fuzz_client: Any, valid_token: str, data: Any) -> None:
    header, payload, signature = valid_token.split(".")
    part = data.draw(st.sampled_from(["header", "payload", "signature"]))
    original = {"header": header, "payload": payload, "signature": signature}[part]
    # The last base64url character of a part may carry only padding bits; mutate the others.
    index = data.draw(st.integers(min_value=0, max_value=len(original) - 2))
    replacement = data.draw(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"))
    if replacement == original[index]:
        return
    mutated = original[:index] + replacement + original[index + 1:]
    parts = {"header": header, "payload": payload, "signature": signature, part: mutated}
    token = ".".join((parts["header"], parts["payload"], parts["signature"]))
    response = fuzz_client.get("/protected", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


@FUZZ
@given(token=st.text(max_size=300))
def test_random_unicode_tokens_never_500(fuzz_client: Any, token: str) -> None:
    try:
        response = fuzz_client.get("/protected", headers={"Authorization": f"Bearer {token}"})
    except ValueError:
        return  # the test client itself refuses header values with newlines or non-latin-1 text
    assert response.status_code == 401


#: Every header parameter of RFC 7515/7797 and a few of JWE's, which a parser might read.
JOSE_FIELDS = ("alg", "kid", "typ", "cty", "crit", "jku", "jwk", "x5u", "x5c", "x5t", "x5t#S256", "b64", "zip",
               "enc", "epk", "iv", "tag", "p2s", "p2c")
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)


@st.composite
def jose_headers(draw: Any, real_kid: str) -> dict[str, Any]:
    """The ordinary header with one to three fields (any of them, alg and kid included) set to any JSON value.

    Few odd fields at a time, so most examples get past the checks of the other fields to the one under test.
    """
    header: dict[str, Any] = {"alg": "ES256", "kid": real_kid}
    names = draw(st.lists(st.sampled_from(JOSE_FIELDS) | st.text(max_size=8), min_size=1, max_size=3, unique=True))
    for name in names:
        header[name] = draw(json_values)
    if draw(st.booleans()):
        header["typ"] = "JWT"
    return header


@pytest.fixture
def real_kid(stackauth_emulator: Any) -> str:
    return str(stackauth_emulator.emulator.keys.keys_for(stackauth_emulator.project_id)[0].kid)


def _no_error_logs(caplog: pytest.LogCaptureFixture) -> None:
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text


@FUZZ
@given(data=st.data())
def test_signed_tokens_with_arbitrary_jose_headers_never_500(
        fuzz_client: Any, valid_token: str, stackauth_emulator: Any, real_kid: str, data: Any,
        caplog: pytest.LogCaptureFixture) -> None:
    header = data.draw(jose_headers(real_kid))
    token = signed_with_header(stackauth_emulator, valid_token, header, merge=False)
    with caplog.at_level(logging.INFO):
        response = fuzz_client.get("/protected", headers={"Authorization": f"Bearer {token}"})
    _no_error_logs(caplog)
    ordinary = header.get("alg") == "ES256" and header.get("kid") == real_kid and "crit" not in header
    if response.status_code == 200:
        assert ordinary, f"accepted a token whose header is {header!r}"
    else:
        assert response.status_code == 401, response.get_data(as_text=True)
        assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


@FUZZ
@given(header=st.one_of(json_values, st.dictionaries(st.sampled_from(JOSE_FIELDS), json_values, max_size=6)))
def test_any_json_header_with_a_forged_signature_is_refused(
        fuzz_client: Any, valid_token: str, header: Any, caplog: pytest.LogCaptureFixture) -> None:
    _, payload, signature = valid_token.split(".")
    # Python's json writes NaN and Infinity, which a lenient parser reads back: keep them, they are hostile too.
    encoded = base64.urlsafe_b64encode(json.dumps(header).encode()).rstrip(b"=").decode()
    with caplog.at_level(logging.INFO):
        response = fuzz_client.get("/protected", headers={"Authorization": f"Bearer {encoded}.{payload}.{signature}"})
    _no_error_logs(caplog)
    assert response.status_code == 401
