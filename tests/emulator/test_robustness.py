"""Bad input never produces a 500 or a traceback."""

from __future__ import annotations

import json
from typing import Any

import requests
from emu_support import client_headers, password_user, server_headers
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flask_stackauth.emulator import EmulatorServer

ROUTES = [
    ("POST", "/api/v1/auth/oauth/token"),
    ("POST", "/api/v1/auth/password/sign-up"),
    ("POST", "/api/v1/auth/password/sign-in"),
    ("POST", "/api/v1/auth/sessions"),
    ("POST", "/api/v1/users"),
    ("PATCH", "/api/v1/users/me"),
    ("POST", "/api/v1/auth/oauth/callback/github"),
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3),
    max_leaves=8,
)
bodies = (
    st.dictionaries(
        st.sampled_from(
            [
                "email",
                "password",
                "grant_type",
                "code",
                "refresh_token",
                "client_id",
                "client_secret",
                "user_id",
                "primary_email",
                "display_name",
                "expires_in_millis",
                "selected_team_id",
                "state",
                "client_metadata",
            ]
        ),
        json_values,
        max_size=5,
    )
    | json_values
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies, route=st.sampled_from(ROUTES), server_key=st.booleans())
def test_random_bodies_never_500(server: EmulatorServer, body: Any, route: tuple[str, str], server_key: bool) -> None:
    method, path = route
    headers = server_headers(server) if server_key else client_headers(server)
    headers["content-type"] = "application/json"
    resp = requests.request(method, server.url + path, data=json.dumps(body), headers=headers, timeout=10)
    assert resp.status_code < 500, (route, body, resp.text)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    params=st.dictionaries(
        st.sampled_from(
            [
                "client_id",
                "client_secret",
                "redirect_uri",
                "scope",
                "state",
                "grant_type",
                "code_challenge",
                "code_challenge_method",
                "response_type",
                "token",
                "type",
                "after_callback_redirect_url",
                "stack_response_mode",
                "limit",
                "cursor",
                "desc",
            ]
        ),
        st.text(max_size=30),
        max_size=10,
    )
)
def test_random_queries_never_500(server: EmulatorServer, params: dict[str, str]) -> None:
    for path in ("/api/v1/auth/oauth/authorize/github", "/api/v1/users", "/api/v1/auth/oauth/callback/github"):
        resp = requests.get(server.url + path, params=params, headers=server_headers(server), allow_redirects=False)
        assert resp.status_code < 500, (path, params, resp.text)


def test_odd_headers_never_500(server: EmulatorServer) -> None:
    tokens = password_user(server, "odd@example.com")
    for token in ("", "a.b.c", "e30.e30.e30", tokens["access_token"] + "x", "eyJhbGciOiJub25lIn0.e30."):
        resp = requests.get(f"{server.url}/api/v1/users/me", headers=client_headers(server, token))
        assert resp.status_code < 500
    resp = requests.post(
        f"{server.url}/api/v1/auth/password/sign-in",
        data=b"\xff\xfe",
        headers={**client_headers(server), "content-type": "application/json"},
    )
    assert resp.status_code == 400 and resp.json()["code"] == "BODY_PARSING_ERROR"
