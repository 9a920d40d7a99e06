"""Hypothesis: any API key header gives a 401, never a 500, never an accepted forgery."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.backend.conftest import make_backend_app

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
header_text = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=300)


@pytest.fixture
def fuzz_client(stackauth_config: dict[str, Any]) -> Any:
    return make_backend_app(stackauth_config).test_client()


@pytest.fixture
def real_key(user_key: Any) -> str:
    return str(user_key("fuzzkey@example.com")[1].value)


@FUZZ
@given(value=header_text, path=st.sampled_from(["/api/user-key", "/api/team-key", "/api/any-key", "/api/either"]),
       how=st.sampled_from(["X-Api-Key", "Authorization"]))
def test_random_keys_are_refused(fuzz_client: Any, value: str, path: str, how: str, caplog: Any) -> None:
    headers = {how: value if how == "X-Api-Key" else f"Bearer {value}"}
    with caplog.at_level(logging.INFO):
        response = fuzz_client.get(path, headers=headers)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
    assert response.status_code == 401 and response.is_json


@FUZZ
@given(data=st.data())
def test_mutated_real_keys_are_refused(fuzz_client: Any, keys_on: Any, real_key: str, data: Any) -> None:
    index = data.draw(st.integers(min_value=0, max_value=len(real_key) - 1))
    replacement = data.draw(st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789_"))
    if replacement == real_key[index]:
        return
    mutated = real_key[:index] + replacement + real_key[index + 1:]
    response = fuzz_client.get("/api/any-key", headers={"X-Api-Key": mutated})
    assert response.status_code == 401, (index, response.json)
