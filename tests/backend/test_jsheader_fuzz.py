"""Hypothesis: any x-stack-auth header gives a 401 (or a 200 only for the real pair), never a 500 or a forgery."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.backend.conftest import Pair, make_backend_app

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
header_text = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=400)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)


@pytest.fixture
def fuzz_client(stackauth_config: dict[str, Any]) -> Any:
    return make_backend_app(stackauth_config, STACK_ACCEPT_JS_SDK_COOKIES=True).test_client()


@pytest.fixture
def real(emu: Any) -> Pair:
    return Pair(emu, "fuzz@example.com")


def _no_errors(caplog: pytest.LogCaptureFixture) -> None:
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text


@FUZZ
@given(value=header_text)
def test_random_headers_are_refused(fuzz_client: Any, value: str, caplog: Any) -> None:
    with caplog.at_level(logging.INFO):
        response = fuzz_client.get("/me", headers={"x-stack-auth": value})
    _no_errors(caplog)
    assert response.status_code == 401 and response.is_json


@FUZZ
@given(value=json_values, extra=st.dictionaries(st.sampled_from(["accessToken", "refreshToken", "x"]), json_values))
def test_any_json_is_refused(fuzz_client: Any, value: Any, extra: dict[str, Any], caplog: Any) -> None:
    body = {**value, **extra} if isinstance(value, dict) else value
    with caplog.at_level(logging.INFO):
        response = fuzz_client.get("/me", headers={"x-stack-auth": json.dumps(body)})
    _no_errors(caplog)
    assert response.status_code in (401, 503), response.get_data(as_text=True)  # 503: a made-up refresh token
    assert response.status_code == 401 or (isinstance(body, dict) and isinstance(body.get("refreshToken"), str))


@FUZZ
@given(data=st.data())
def test_mutated_real_tokens_are_never_accepted(fuzz_client: Any, real: Pair, data: Any) -> None:
    field = data.draw(st.sampled_from(["access", "refresh"]))
    original = real.access if field == "access" else real.refresh
    index = data.draw(st.integers(min_value=0, max_value=len(original) - 2))
    replacement = data.draw(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"))
    if replacement == original[index]:
        return
    mutated = original[:index] + replacement + original[index + 1:]
    header = real.header(access=mutated, refresh=None) if field == "access" else real.header(access=None,
                                                                                             refresh=mutated)
    response = fuzz_client.get("/me", headers=header)
    assert response.status_code == 401


@FUZZ
@given(name=st.sampled_from(["stack-access", "stack-refresh", "stack-refresh-internal",
                             "stack-refresh-internal--default", "__Host-stack-refresh-internal--x"]),
       value=header_text)
def test_random_cookies_are_refused(fuzz_client: Any, name: str, value: str, caplog: Any) -> None:
    fuzz_client.set_cookie(name, value)
    try:
        with caplog.at_level(logging.INFO):
            response = fuzz_client.get("/me", headers={"Accept": "application/json"})
    finally:
        fuzz_client.delete_cookie(name)
    _no_errors(caplog)
    assert response.status_code in (401, 503)
