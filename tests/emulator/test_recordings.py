"""Hold the emulator to what real Stack Auth servers answered (the shared wire recordings)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from emu_support import (
    APP_REDIRECT,
    authorize_url,
    client_headers,
    exchange,
    jwt_parts,
    password_user,
    query_of,
    recording_or_skip,
)

from flask_stackauth.emulator import Emulator, EmulatorServer
from flask_stackauth.emulator.client import complete_oauth

TOKEN_URL = "/api/v1/auth/oauth/token"
# v2.7 refuses a sign-up without it (body.verification_callback_url must be defined).
VERIFY_URL = "http://localhost:5000/handler/email-verification"


def _rec(version: str, name: str) -> dict[str, Any]:
    return recording_or_skip(version, name)


def assert_like(resp: requests.Response, recorded: dict[str, Any], *, exact_message: bool = True) -> None:
    """Same status, known-error header, body keys and (for known errors) message."""
    assert resp.status_code == recorded["status"], resp.text
    assert resp.headers.get("x-stack-known-error") == recorded["headers"].get("x-stack-known-error")
    rec_ct = recorded["headers"].get("content-type")
    if rec_ct:
        assert resp.headers["content-type"].split(";")[0] == rec_ct.split(";")[0]
    body = recorded["body"]
    if isinstance(body, dict):
        got = resp.json()
        assert set(got) == set(body)
        if "code" in body and exact_message:
            assert got["error"] == body["error"]
            if "details" in body:
                assert set(got["details"]) == set(body["details"])
    elif body:
        assert resp.text.split("URL:")[0] == body.split("URL:")[0]


def _token(server: EmulatorServer, **data: str) -> requests.Response:
    return requests.post(server.url + TOKEN_URL, data=data)


def _flow_until_callback(server: EmulatorServer, email: str, **extra: str) -> tuple[requests.Session, str]:
    flow = authorize_url(server, **extra)
    http = requests.Session()
    page = http.get(flow.url, allow_redirects=True)
    post = http.post(page.url + "/login", data={"login": email}, allow_redirects=False)
    return http, post.headers["location"]


def _check_flow(server: EmulatorServer, emu: Emulator, version: str) -> None:
    rec = _rec(version, "flow-result.json")
    jwks = requests.get(f"{server.url}/api/v1/projects/internal/.well-known/jwks.json")
    assert_like(jwks, rec["jwks"])
    assert len(jwks.json()["keys"]) == len(rec["jwks"]["body"]["keys"])
    assert [list(k) for k in jwks.json()["keys"]] == [list(k) for k in rec["jwks"]["body"]["keys"]]

    flow = authorize_url(server, "google")
    auth = requests.get(flow.url, allow_redirects=False)
    assert auth.status_code == rec["authorize"]["status"]
    assert set(query_of(auth.headers["location"])) == set(query_of(rec["authorize"]["headers"]["location"])) | {
        "access_type",
        "prompt",
    } or set(query_of(auth.headers["location"])) == set(query_of(rec["authorize"]["headers"]["location"]))

    http, callback = _flow_until_callback(server, "rec@example.com")
    cb = http.get(callback, allow_redirects=False)
    assert cb.status_code == rec["callback"]["status"] and cb.json() == rec["callback"]["body"]
    code = query_of(cb.headers["location"])["code"]
    assert len(code) == len(query_of(rec["callback"]["headers"]["location"])["code"])

    flow2 = authorize_url(server, "github")
    code2 = query_of(complete_oauth(flow2.url, "rec2@example.com"))["code"]
    tok = exchange(server, flow2, code2)
    assert_like(tok, rec["token_authorization_code"])
    assert list(tok.json()) == list(rec["token_authorization_code"]["body"])
    assert len(tok.json()["refresh_token"]) == len(rec["token_authorization_code"]["body"]["refresh_token"])
    assert_like(exchange(server, flow2, code2), rec["token_code_replay"])
    header, claims = jwt_parts(tok.json()["access_token"])
    assert list(header) == list(rec["access_token_jwt"]["header"])
    assert list(claims) == list(rec["access_token_jwt"]["claims"])

    at, rt = tok.json()["access_token"], tok.json()["refresh_token"]
    me = requests.get(f"{server.url}/api/v1/users/me", headers=client_headers(server, at))
    assert_like(me, rec["users_me"])
    assert list(me.json()) == list(rec["users_me"]["body"])
    assert me.json()["primary_email_verified"] == rec["users_me"]["body"]["primary_email_verified"]
    assert (me.json()["selected_team"] is None) == (rec["users_me"]["body"]["selected_team"] is None)

    refresh_headers = {**client_headers(server), "x-stack-refresh-token": rt}
    assert_like(
        requests.post(f"{server.url}/api/v1/auth/sessions/current/refresh", headers=refresh_headers),
        rec["sessions_refresh"],
    )
    grant = _token(
        server, grant_type="refresh_token", refresh_token=rt, client_id="internal", client_secret=server.publishable_key
    )
    assert_like(grant, rec["token_refresh_grant"])
    assert list(grant.json()) == list(rec["token_refresh_grant"]["body"])
    assert_like(
        requests.post(
            f"{server.url}/api/v1/auth/sessions/current/refresh",
            headers={**client_headers(server), "x-stack-refresh-token": "bogus"},
        ),
        rec["err_refresh_bogus"],
    )
    assert_like(
        requests.get(f"{server.url}/api/v1/users/me", headers=client_headers(server, "garbage")),
        rec["err_me_garbage_token"],
    )
    assert_like(requests.get(f"{server.url}/api/v1/users/me", headers=client_headers(server)), rec["err_me_no_token"])
    assert_like(
        requests.get(
            f"{server.url}/api/v1/users/me",
            headers=client_headers(server, **{"x-stack-publishable-client-key": "wrong"}),
        ),
        rec["err_me_wrong_pk"],
    )
    assert_like(
        _token(
            server,
            grant_type="refresh_token",
            refresh_token="bogus",
            client_id="internal",
            client_secret=server.publishable_key,
        ),
        rec["err_token_refresh_bogus"],
    )
    assert_like(
        _token(
            server,
            grant_type="authorization_code",
            code="0" * 64,
            redirect_uri=APP_REDIRECT,
            code_verifier="x" * 43,
            client_id="internal",
            client_secret=server.publishable_key,
        ),
        rec["err_token_code_bogus"],
    )
    assert_like(
        _token(server, grant_type="refresh_token", refresh_token=rt, client_id="internal", client_secret="wrong"),
        rec["err_token_wrong_secret"],
    )
    assert_like(
        requests.get(authorize_url(server, "facebook").url, allow_redirects=False),
        rec["err_authorize_provider_disabled"],
    )
    foreign = requests.get(authorize_url(server, redirect_uri="https://evil.example.com/cb").url, allow_redirects=False)
    assert foreign.status_code == rec["authorize_foreign_redirect_uri"]["status"]

    su = requests.post(
        f"{server.url}/api/v1/auth/password/sign-up",
        json={"email": "pwrec@example.com", "password": "password123", "verification_callback_url": VERIFY_URL},
        headers=client_headers(server),
    )
    assert_like(su, rec["password_sign_up"])
    assert_like(
        requests.post(
            f"{server.url}/api/v1/auth/password/sign-up",
            json={"email": "pwrec@example.com", "password": "password123", "verification_callback_url": VERIFY_URL},
            headers=client_headers(server),
        ),
        rec["err_password_sign_up_dup"],
        exact_message=False,
    )
    dup = requests.post(
        f"{server.url}/api/v1/auth/password/sign-up",
        json={
            "email": rec["err_password_sign_up_dup"]
            .get("body", {})
            .get("details", {})
            .get("email", "pwrec@example.com"),
            "password": "password123",
            "verification_callback_url": VERIFY_URL,
        },
        headers=client_headers(server),
    )
    if dup.status_code == 409:
        assert dup.json()["error"] == rec["err_password_sign_up_dup"]["body"]["error"]
    si = requests.post(
        f"{server.url}/api/v1/auth/password/sign-in",
        json={"email": "pwrec@example.com", "password": "password123"},
        headers=client_headers(server),
    )
    assert_like(si, rec["password_sign_in"])
    assert_like(
        requests.post(
            f"{server.url}/api/v1/auth/password/sign-in",
            json={"email": "pwrec@example.com", "password": "wrong-password"},
            headers=client_headers(server),
        ),
        rec["err_password_sign_in_wrong"],
    )
    # With the refresh token too, as Stack's SDK sends it (v2.7 requires it).
    out = requests.delete(
        f"{server.url}/api/v1/auth/sessions/current",
        json={},
        headers={
            **client_headers(server, si.json()["access_token"]),
            "x-stack-refresh-token": si.json()["refresh_token"],
        },
    )
    assert_like(out, rec["sign_out"])
    assert_like(
        requests.post(
            f"{server.url}/api/v1/auth/sessions/current/refresh",
            headers={**client_headers(server), "x-stack-refresh-token": si.json()["refresh_token"]},
        ),
        rec["err_refresh_after_sign_out"],
    )


def test_flow_matches_v2_8(server: EmulatorServer, emu: Emulator) -> None:
    _check_flow(server, emu, "v2.8.86")


def test_flow_matches_v2_7_in_legacy_mode(legacy_server: EmulatorServer) -> None:
    _check_flow(legacy_server, legacy_server.emulator, "v2.7.16")


def _check_extra(server: EmulatorServer, emu: Emulator, version: str) -> None:
    rec = _rec(version, "extra-result.json")
    http, callback = _flow_until_callback(server, "f@example.com", redirect_uri="https://evil.example.com/cb")
    resp = http.get(callback, allow_redirects=False)
    assert_like(resp, rec["callback_foreign_redirect_uri"])
    assert "set-cookie" in resp.headers

    flow = authorize_url(server)
    code = query_of(complete_oauth(flow.url, "x@example.com"))["code"]
    assert_like(exchange(server, flow, code, code_verifier="w" * 43), rec["token_wrong_pkce_verifier"])
    assert_like(
        exchange(server, flow, code, redirect_uri="http://localhost:5000/elsewhere"), rec["token_redirect_uri_mismatch"]
    )
    assert_like(exchange(server, flow, code), rec["token_after_mismatch"])

    http, callback = _flow_until_callback(server, "y@example.com")
    jar = dict(http.cookies)
    assert http.get(callback, allow_redirects=False).status_code in (303, 307)
    assert_like(requests.get(callback, cookies=jar, allow_redirects=False), rec["callback_replay"])
    http, callback = _flow_until_callback(server, "z@example.com")
    no_cookie = requests.get(callback, allow_redirects=False)
    assert_like(no_cookie, rec["callback_without_cookie"])
    assert no_cookie.text == rec["callback_without_cookie"]["body"]

    flow = authorize_url(server)
    code = query_of(complete_oauth(flow.url, "y@example.com"))["code"]
    body = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": flow.redirect_uri,
        "code_verifier": flow.verifier,
        "client_id": "internal",
        "client_secret": server.publishable_key,
    }
    json_tok = requests.post(server.url + TOKEN_URL, json=body)
    assert_like(json_tok, rec["token_json_body"])
    assert json_tok.json()["is_new_user"] is False
    missing = requests.get(f"{server.url}/api/v1/auth/oauth/authorize/github?client_id=internal")
    assert_like(missing, rec["authorize_missing_params"])
    assert missing.json()["details"] == rec["authorize_missing_params"]["body"]["details"]


def test_extra_matches_v2_8(server: EmulatorServer, emu: Emulator) -> None:
    _check_extra(server, emu, "v2.8.86")


def test_extra_matches_v2_7_in_legacy_mode(legacy_server: EmulatorServer) -> None:
    _check_extra(legacy_server, legacy_server.emulator, "v2.7.16")


def test_extra2_matches_v2_8(server: EmulatorServer, emu: Emulator) -> None:
    rec = _rec("v2.8.86", "extra2-result.json")
    assert_like(
        _token(server, grant_type="password", client_id="internal", client_secret=server.publishable_key),
        rec["token_unsupported_grant"],
    )
    assert_like(_token(server, grant_type="refresh_token", refresh_token="x"), rec["token_no_client"])
    flow = authorize_url(server, stack_response_mode="json")
    resp = requests.get(flow.url, allow_redirects=False)
    assert_like(resp, rec["authorize_json_mode"])
    location = complete_oauth(flow.url, "jm@example.com", session=requests.Session())
    assert set(query_of(location)) == set(query_of(rec["callback_json_mode_no_cookie"]["headers"]["location"]))
    assert_like(requests.get(f"{server.url}/api/v1/does-not-exist"), rec["unknown_route"])
    assert_like(requests.get(f"{server.url}/api/v1/projects/nope/.well-known/jwks.json"), rec["jwks_unknown_project"])
    anon_jwks = requests.get(f"{server.url}/api/v1/projects/internal/.well-known/jwks.json?include_anonymous=true")
    assert_like(anon_jwks, rec["jwks_include_anonymous"])
    assert len(anon_jwks.json()["keys"]) == len(rec["jwks_include_anonymous"]["body"]["keys"])
    assert anon_jwks.headers["cache-control"] == rec["jwks_headers"]["cache-control"]
    anon = requests.post(f"{server.url}/api/v1/auth/anonymous/sign-up", json={}, headers=client_headers(server))
    assert_like(anon, rec["anonymous_sign_up"])
    _header, claims = jwt_parts(anon.json()["access_token"])
    assert list(claims) == list(rec["anonymous_jwt"]["claims"])
    for key in ("aud", "is_anonymous", "is_restricted", "restricted_reason", "email", "email_verified"):
        assert claims[key] == rec["anonymous_jwt"]["claims"][key]
    assert claims["iss"].endswith("/api/v1/projects-anonymous-users/internal")
    assert_like(
        requests.post(
            f"{server.url}/api/v1/auth/password/sign-in",
            json={"email": "nobody@example.com", "password": "password123"},
            headers=client_headers(server),
        ),
        rec["sign_in_unknown_email"],
    )
    assert_like(
        requests.post(
            f"{server.url}/api/v1/auth/password/sign-up",
            json={"email": "weak@example.com", "password": "123"},
            headers=client_headers(server),
        ),
        rec["sign_up_weak_password"],
    )
    assert_like(
        requests.post(
            f"{server.url}/api/v1/auth/password/sign-up",
            json={"email": "nocb@example.com", "password": "password123"},
            headers=client_headers(server),
        ),
        rec["sign_up_no_callback_url"],
    )
    assert_like(
        requests.get(f"{server.url}/api/v1/users/me", headers={"x-stack-access-type": "client"}),
        rec["me_no_project_header"],
    )


@pytest.mark.parametrize("version", ["v2.8.86", "v2.7.16"])
def test_expiry_matches(version: str, server: EmulatorServer, legacy_server: EmulatorServer) -> None:
    rec = _rec(version, "expiry-result.json")
    srv = server if version == "v2.8.86" else legacy_server
    tokens = password_user(srv, "expiry@example.com")
    srv.emulator.advance_clock(srv.emulator.access_token_lifetime + 1)
    resp = requests.get(f"{srv.url}/api/v1/users/me", headers=client_headers(srv, tokens["access_token"]))
    assert_like(resp, rec, exact_message=False)
    exp = jwt_parts(tokens["access_token"])[1]["exp"]
    assert resp.json()["details"]["expired_at_millis"] == exp * 1000
    shape = rec["body"]["error"]
    got = resp.json()["error"]
    assert got.split("(The access token expired at")[0] == shape.split("(The access token expired at")[0]
    assert ("Debug info:" in got) == ("Debug info:" in shape)
    assert json.dumps(sorted(resp.json()["details"])) == json.dumps(sorted(rec["body"]["details"]))
