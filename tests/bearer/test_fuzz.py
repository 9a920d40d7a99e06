"""Property-based tests: random and mutated tokens and headers never give a 500 and are never accepted."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import make_app

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
