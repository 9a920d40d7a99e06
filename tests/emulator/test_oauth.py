"""OAuth: authorize, the mock provider, callback and the token endpoint."""

from __future__ import annotations

import json
import re
from urllib.parse import urljoin

import pytest
import requests
from emu_support import (
    APP_REDIRECT,
    authorize_url,
    client_headers,
    exchange,
    jwt_parts,
    query_of,
    sign_in,
)

from flask_stackauth.emulator import Emulator, EmulatorServer
from flask_stackauth.emulator.client import complete_oauth


def test_full_sign_in_with_plain_requests(server: EmulatorServer, emu: Emulator) -> None:
    flow = authorize_url(server, "github")
    http = requests.Session()
    resp = http.get(flow.url, allow_redirects=False)
    assert resp.status_code == 307
    cookie = resp.headers["set-cookie"]
    assert cookie.startswith("stack-oauth-inner-") and "HttpOnly" in cookie and "Max-Age=600" in cookie
    assert "Secure" not in cookie and "Path=/" in cookie
    provider_url = resp.headers["location"]
    assert provider_url.startswith(server.url + "/mock-oauth/auth?client_id=github")
    resp = http.get(provider_url, allow_redirects=False)
    assert resp.status_code == 303
    page_url = urljoin(provider_url, resp.headers["location"])
    page = http.get(page_url)
    assert page.status_code == 200 and 'name="login"' in page.text and 'type="email"' in page.text
    action = re.search(r'action="([^"]*/login)"', page.text)
    assert action is not None
    resp = http.post(urljoin(page_url, action.group(1)), data={"login": "a@example.com"}, allow_redirects=False)
    assert resp.status_code == 303
    callback = resp.headers["location"]
    assert "/api/v1/auth/oauth/callback/github?" in callback
    resp = http.get(callback, allow_redirects=False)
    assert resp.status_code == 303
    assert resp.headers["content-type"].startswith("application/json") and resp.json() == {}
    assert "Expires=Thu, 01 Jan 1970" in resp.headers["set-cookie"]
    location = resp.headers["location"]
    assert location.startswith(APP_REDIRECT + "?")
    params = query_of(location)
    assert params["state"] == flow.state and re.fullmatch(r"[0-9a-f]{64}", params["code"])
    token = exchange(server, flow, params["code"])
    assert token.status_code == 200
    body = token.json()
    assert list(body) == [
        "access_token",
        "token_type",
        "expires_in",
        "refresh_token",
        "scope",
        "newUser",
        "is_new_user",
        "afterCallbackRedirectUrl",
        "after_callback_redirect_url",
    ]
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3599 and body["scope"] == "legacy"
    assert body["is_new_user"] is True and body["newUser"] is True
    assert re.fullmatch(r"[0-9a-z]{45}", body["refresh_token"])
    _, claims = jwt_parts(body["access_token"])
    assert claims["email"] == "a@example.com" and claims["email_verified"] is True
    me = requests.get(f"{server.url}/api/v1/users/me", headers=client_headers(server, body["access_token"])).json()
    assert me["oauth_providers"] == [{"id": "github", "account_id": "a@example.com", "email": "a@example.com"}]
    assert me["selected_team"]["display_name"] == "a@example.com's Team"
    assert me["auth_with_email"] is False and me["has_password"] is False


def test_complete_oauth_and_second_sign_in_is_not_new(server: EmulatorServer) -> None:
    first = sign_in(server, "same@example.com")
    second = sign_in(server, "same@example.com")
    assert first["is_new_user"] is True and second["is_new_user"] is False
    assert jwt_parts(first["access_token"])[1]["sub"] == jwt_parts(second["access_token"])[1]["sub"]


def test_redirect_uri_query_is_kept(server: EmulatorServer) -> None:
    flow = authorize_url(server, redirect_uri="http://localhost:5000/cb?x=1#frag")
    location = complete_oauth(flow.url, "q@example.com")
    assert location.startswith("http://localhost:5000/cb?x=1&code=")
    assert query_of(location)["state"] == flow.state
    flow.redirect_uri = "http://localhost:5000/cb?x=1"
    assert exchange(server, flow, query_of(location)["code"]).status_code == 200


def test_json_mode_needs_no_cookie(server: EmulatorServer) -> None:
    flow = authorize_url(server, stack_response_mode="json")
    resp = requests.get(flow.url, allow_redirects=False)
    assert resp.status_code == 200 and "set-cookie" not in resp.headers
    assert list(resp.json()) == ["location"]
    # a fresh session (no cookies) completes it
    location = complete_oauth(flow.url, "json@example.com", session=requests.Session())
    assert exchange(server, flow, query_of(location)["code"]).status_code == 200


def test_cancel_redirects_with_error_and_no_state(server: EmulatorServer) -> None:
    flow = authorize_url(server)
    location = complete_oauth(flow.url, "x@example.com", cancel=True)
    params = query_of(location)
    assert location.startswith(APP_REDIRECT)
    assert "state" not in params and "code" not in params
    assert params["error"] == "server_error"
    assert params["errorCode"] == "OAUTH_PROVIDER_ACCESS_DENIED"
    assert params["message"] == params["error_description"] == "The OAuth provider denied access to the user."
    assert json.loads(params["details"]) == {}


def test_cancel_status_is_307(server: EmulatorServer) -> None:
    flow = authorize_url(server)
    http = requests.Session()
    resp = http.get(flow.url, allow_redirects=True)
    page_url = resp.url
    resp = http.post(page_url + "/abort", allow_redirects=False)
    resp = http.get(resp.headers["location"], allow_redirects=False)
    assert resp.status_code == 307 and query_of(resp.headers["location"])["errorCode"] == "OAUTH_PROVIDER_ACCESS_DENIED"


def test_code_is_single_use(server: EmulatorServer) -> None:
    flow = authorize_url(server)
    code = query_of(complete_oauth(flow.url, "r@example.com"))["code"]
    assert exchange(server, flow, code).status_code == 200
    replay = exchange(server, flow, code)
    assert replay.status_code == 400
    assert replay.headers["x-stack-known-error"] == "INVALID_AUTHORIZATION_CODE"
    assert replay.json() == {"code": "INVALID_AUTHORIZATION_CODE", "error": "The given authorization code is invalid."}


def test_code_expires_after_five_minutes(server: EmulatorServer, emu: Emulator) -> None:
    flow = authorize_url(server)
    code = query_of(complete_oauth(flow.url, "late@example.com"))["code"]
    emu.advance_clock(301)
    resp = exchange(server, flow, code)
    assert resp.status_code == 400 and resp.headers["x-stack-known-error"] == "INVALID_AUTHORIZATION_CODE"


def test_wrong_pkce_verifier_does_not_burn_code(server: EmulatorServer) -> None:
    flow = authorize_url(server)
    code = query_of(complete_oauth(flow.url, "pkce@example.com"))["code"]
    bad = exchange(server, flow, code, code_verifier="wrong-verifier-" + "x" * 40)
    assert bad.status_code == 400 and bad.headers["x-stack-known-error"] == "INVALID_AUTHORIZATION_CODE"
    missing = exchange(server, flow, code, code_verifier=None)
    assert missing.status_code == 400 and missing.headers["x-stack-known-error"] == "INVALID_AUTHORIZATION_CODE"
    assert exchange(server, flow, code).status_code == 200


def test_plain_pkce(server: EmulatorServer) -> None:
    flow = authorize_url(server, code_challenge="plain-verifier-1234567890", code_challenge_method="plain")
    flow.verifier = "plain-verifier-1234567890"
    code = query_of(complete_oauth(flow.url, "plain@example.com"))["code"]
    assert exchange(server, flow, code).status_code == 200


def test_redirect_uri_mismatch_burns_code(server: EmulatorServer) -> None:
    flow = authorize_url(server)
    code = query_of(complete_oauth(flow.url, "mm@example.com"))["code"]
    bad = exchange(server, flow, code, redirect_uri="http://localhost:5000/other")
    assert bad.status_code == 400 and "x-stack-known-error" not in bad.headers
    assert bad.headers["content-type"].startswith("text/plain")
    assert bad.text == (
        "Invalid redirect URI. Your redirect URI must be the same as the one used to get the authorization code."
    )
    again = exchange(server, flow, code)
    assert again.status_code == 400 and again.headers["x-stack-known-error"] == "INVALID_AUTHORIZATION_CODE"


def test_callback_without_cookie(server: EmulatorServer) -> None:
    flow = authorize_url(server)
    http = requests.Session()
    resp = http.get(flow.url, allow_redirects=False)
    inner = resp.headers["location"]
    resp = http.get(inner, allow_redirects=True)
    post = http.post(resp.url + "/login", data={"login": "c@example.com"}, allow_redirects=False)
    callback = post.headers["location"]
    fresh = requests.get(callback, allow_redirects=False)
    assert fresh.status_code == 400 and fresh.headers["content-type"].startswith("text/plain")
    assert fresh.text.startswith("Inner OAuth cookie not found.")
    assert "Expires=Thu, 01 Jan 1970" in fresh.headers["set-cookie"]


def test_callback_replay_of_provider_code(server: EmulatorServer) -> None:
    flow = authorize_url(server)
    http = requests.Session()
    resp = http.get(flow.url, allow_redirects=True)
    post = http.post(resp.url + "/login", data={"login": "rp@example.com"}, allow_redirects=False)
    callback = post.headers["location"]
    jar = dict(http.cookies)
    assert http.get(callback, allow_redirects=False).status_code == 303
    replay = requests.get(callback, cookies=jar, allow_redirects=False)
    assert replay.status_code == 400
    assert replay.text == "Inner OAuth callback failed due to invalid grant. Please try again."


def test_callback_unknown_state(server: EmulatorServer) -> None:
    resp = requests.get(f"{server.url}/api/v1/auth/oauth/callback/github?state=nope&code=x", allow_redirects=False)
    assert resp.status_code == 400 and resp.text == "Invalid OAuth state. Please try signing in again."


def test_foreign_redirect_uri_fails_at_callback_not_authorize(server: EmulatorServer, emu: Emulator) -> None:
    flow = authorize_url(server, redirect_uri="https://evil.example.com/cb")
    assert requests.get(flow.url, allow_redirects=False).status_code == 307
    http = requests.Session()
    resp = http.get(flow.url, allow_redirects=True)
    post = http.post(resp.url + "/login", data={"login": "evil@example.com"}, allow_redirects=False)
    resp = http.get(post.headers["location"], allow_redirects=False)
    assert resp.status_code == 400
    assert resp.headers["x-stack-known-error"] == "REDIRECT_URL_NOT_WHITELISTED"
    assert "Expires=Thu, 01 Jan 1970" in resp.headers["set-cookie"]
    assert emu.find_user_by_email("evil@example.com") is None


def test_foreign_redirect_uri_goes_to_valid_error_redirect(server: EmulatorServer) -> None:
    flow = authorize_url(
        server, redirect_uri="https://evil.example.com/cb", error_redirect_url="http://localhost:5000/error"
    )
    location = complete_oauth(flow.url, "e@example.com")
    assert location.startswith("http://localhost:5000/error?")
    assert query_of(location)["errorCode"] == "REDIRECT_URL_NOT_WHITELISTED"


def test_trusted_domains(server: EmulatorServer, emu: Emulator) -> None:
    emu.project.allow_localhost = False
    emu.project.trusted_domains = ["https://*.example.org", "https://app.example.com:8443"]
    for uri, ok in [
        ("https://a.example.org/cb", True),
        ("https://a.b.example.org/cb", False),
        ("https://app.example.com:8443/x/y", True),
        ("https://app.example.com/cb", False),
        ("http://localhost:5000/cb", False),
    ]:
        flow = authorize_url(server, redirect_uri=uri, stack_response_mode="json")
        if ok:
            assert "code" in query_of(complete_oauth(flow.url, "t@example.com")), uri
        else:
            with pytest.raises(RuntimeError, match="REDIRECT_URL_NOT_WHITELISTED"):
                complete_oauth(flow.url, "t@example.com")
    emu.project.trusted_domains = ["https://**.example.org"]
    flow = authorize_url(server, redirect_uri="https://a.b.example.org/cb", stack_response_mode="json")
    assert "code" in query_of(complete_oauth(flow.url, "t@example.com"))


def test_flow_times_out_after_ten_minutes(server: EmulatorServer, emu: Emulator) -> None:
    flow = authorize_url(server)
    http = requests.Session()
    resp = http.get(flow.url, allow_redirects=True)
    post = http.post(resp.url + "/login", data={"login": "slow@example.com"}, allow_redirects=False)
    emu.advance_clock(601)
    resp = http.get(post.headers["location"], allow_redirects=False)
    assert resp.status_code == 307
    assert query_of(resp.headers["location"])["errorCode"] == "OUTER_OAUTH_TIMEOUT"


def test_sign_up_disabled_redirects_with_error(server: EmulatorServer, emu: Emulator) -> None:
    emu.project.sign_up_enabled = False
    flow = authorize_url(server)
    params = query_of(complete_oauth(flow.url, "new@example.com"))
    assert params["errorCode"] == "SIGN_UP_NOT_ENABLED"


def test_after_callback_redirect_url(server: EmulatorServer) -> None:
    flow = authorize_url(server, after_callback_redirect_url="http://localhost:5000/next")
    code = query_of(complete_oauth(flow.url, "n@example.com"))["code"]
    body = exchange(server, flow, code).json()
    assert body["after_callback_redirect_url"] == body["afterCallbackRedirectUrl"] == "http://localhost:5000/next"
    bad = authorize_url(server, after_callback_redirect_url="https://evil.example.com/next")
    resp = requests.get(bad.url, allow_redirects=False)
    assert resp.status_code == 400 and resp.headers["x-stack-known-error"] == "REDIRECT_URL_NOT_WHITELISTED"


def test_authorize_errors(server: EmulatorServer, emu: Emulator) -> None:
    base = f"{server.url}/api/v1/auth/oauth/authorize/github"
    resp = requests.get(base + "?client_id=internal", allow_redirects=False)
    assert resp.status_code == 400 and resp.headers["x-stack-known-error"] == "SCHEMA_ERROR"
    assert resp.json()["error"].splitlines() == [
        "Request validation failed on GET /api/v1/auth/oauth/authorize/github:",
        "  - query.response_type must be defined",
        "  - query.grant_type must be defined",
        "  - query.client_secret must be defined",
        "  - query.redirect_uri must be defined",
        "  - query.scope must be defined",
        "  - query.state must be defined",
        "  - query.code_challenge_method must be defined",
        "  - query.code_challenge must be defined",
    ]
    wrong_client = requests.get(authorize_url(server, client_id="nope").url, allow_redirects=False)
    assert wrong_client.status_code == 400
    assert wrong_client.json()["code"] == "INVALID_OAUTH_CLIENT_ID_OR_SECRET"
    assert wrong_client.json()["details"] == {"client_id": "nope"}
    wrong_key = requests.get(authorize_url(server, client_secret="bad").url, allow_redirects=False)
    assert wrong_key.status_code == 401 and wrong_key.json()["code"] == "INVALID_PUBLISHABLE_CLIENT_KEY"
    grant = requests.get(authorize_url(server, grant_type="implicit").url, allow_redirects=False)
    assert "query.grant_type must be one of the following values: authorization_code" in grant.json()["error"]
    method = requests.get(authorize_url(server, code_challenge_method="S512").url, allow_redirects=False)
    # Stack's authorize schema takes any code_challenge_method (yupString().defined()): no SCHEMA_ERROR here.
    assert method.status_code == 307
    disabled = requests.get(authorize_url(server, "facebook").url, allow_redirects=False)
    assert disabled.status_code == 400 and disabled.json()["code"] == "OAUTH_PROVIDER_NOT_FOUND_OR_NOT_ENABLED"
    emu.project.oauth_providers = ["google"]
    assert requests.get(authorize_url(server, "github").url, allow_redirects=False).status_code == 400
    assert requests.get(authorize_url(server, "google").url, allow_redirects=False).status_code == 307


def test_public_client_sentinel(server: EmulatorServer, emu: Emulator) -> None:
    flow = authorize_url(server, client_secret="__stack_public_client__")
    assert requests.get(flow.url, allow_redirects=False).status_code == 307
    emu.project.require_publishable_client_key = True
    resp = requests.get(flow.url, allow_redirects=False)
    assert resp.status_code == 401 and resp.json()["code"] == "PUBLISHABLE_CLIENT_KEY_REQUIRED_FOR_PROJECT"


def test_invalid_scope_fails_at_callback(server: EmulatorServer) -> None:
    flow = authorize_url(server, scope="openid")
    http = requests.Session()
    resp = http.get(flow.url, allow_redirects=True)
    post = http.post(resp.url + "/login", data={"login": "s@example.com"}, allow_redirects=False)
    resp = http.get(post.headers["location"], allow_redirects=False)
    assert resp.status_code == 400 and "Invalid scope" in resp.text


def test_token_endpoint_errors(server: EmulatorServer) -> None:
    url = f"{server.url}/api/v1/auth/oauth/token"
    wrong = requests.post(
        url,
        data={"grant_type": "refresh_token", "refresh_token": "x", "client_id": "internal", "client_secret": "nope"},
    )
    assert wrong.status_code == 400 and wrong.json()["details"] == {"client_id": None}
    assert wrong.json()["code"] == "INVALID_OAUTH_CLIENT_ID_OR_SECRET"
    missing = requests.post(url, data={"grant_type": "refresh_token", "refresh_token": "x"})
    assert missing.status_code == 400 and missing.headers["x-stack-known-error"] == "INVALID_OAUTH_CLIENT_ID_OR_SECRET"
    grant = requests.post(
        url, data={"grant_type": "password", "client_id": "internal", "client_secret": server.publishable_key}
    )
    assert grant.status_code == 400 and grant.json()["code"] == "SCHEMA_ERROR"
    assert grant.json()["error"].endswith(
        "body.grant_type must be one of the following values: authorization_code, refresh_token"
    )
    no_body = requests.post(url)
    assert no_body.status_code == 400 and no_body.json()["code"] == "SCHEMA_ERROR"
    bogus = requests.post(
        url,
        json={
            "grant_type": "authorization_code",
            "code": "x" * 64,
            "code_verifier": "y",
            "redirect_uri": APP_REDIRECT,
            "client_id": "internal",
            "client_secret": server.publishable_key,
        },
    )
    assert bogus.status_code == 400 and bogus.json()["code"] == "INVALID_AUTHORIZATION_CODE"
    no_code = requests.post(
        url, data={"grant_type": "authorization_code", "client_id": "internal", "client_secret": server.publishable_key}
    )
    assert no_code.status_code == 400 and no_code.json()["error"] == "invalid_request"
    refresh = requests.post(
        url,
        data={
            "grant_type": "refresh_token",
            "refresh_token": "bogus",
            "client_id": "internal",
            "client_secret": server.publishable_key,
        },
    )
    assert refresh.status_code == 401 and refresh.json()["code"] == "REFRESH_TOKEN_NOT_FOUND_OR_EXPIRED"


def test_token_endpoint_json_and_basic_auth(server: EmulatorServer) -> None:
    flow = authorize_url(server)
    code = query_of(complete_oauth(flow.url, "basic@example.com"))["code"]
    resp = requests.post(
        f"{server.url}/api/v1/auth/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": flow.redirect_uri,
            "code_verifier": flow.verifier,
        },
        auth=(server.project_id, server.publishable_key),
    )
    assert resp.status_code == 200, resp.text
    refresh = requests.post(
        f"{server.url}/api/v1/auth/oauth/token",
        json={
            "grant_type": "refresh_token",
            "refresh_token": resp.json()["refresh_token"],
            "client_id": "internal",
            "client_secret": server.publishable_key,
        },
    )
    assert refresh.status_code == 200
    assert list(refresh.json()) == [
        "access_token",
        "token_type",
        "expires_in",
        "scope",
        "afterCallbackRedirectUrl",
        "after_callback_redirect_url",
    ]
    assert refresh.json()["expires_in"] == 3600


def test_anonymous_upgrade_through_oauth(server: EmulatorServer) -> None:
    anon = requests.post(f"{server.url}/api/v1/auth/anonymous/sign-up", json={}, headers=client_headers(server)).json()
    flow = authorize_url(server, token=anon["access_token"])
    body = exchange(server, flow, query_of(complete_oauth(flow.url, "up@example.com"))["code"]).json()
    claims = jwt_parts(body["access_token"])[1]
    assert claims["sub"] == anon["user_id"] and claims["is_anonymous"] is False and claims["aud"] == "internal"


def test_link_flow_adds_provider(server: EmulatorServer) -> None:
    tokens = sign_in(server, "link@example.com", "github")
    flow = authorize_url(server, "google", type="link", token=tokens["access_token"])
    body = exchange(server, flow, query_of(complete_oauth(flow.url, "other@gmail.example"))["code"]).json()
    assert body["is_new_user"] is False
    me = requests.get(f"{server.url}/api/v1/users/me", headers=client_headers(server, body["access_token"])).json()
    assert [p["id"] for p in me["oauth_providers"]] == ["github", "google"]
    no_token = requests.get(authorize_url(server, "google", type="link").url, allow_redirects=False)
    assert no_token.status_code == 400 and no_token.text == "?token= query parameter is required for link type"


def test_missing_redirect_uri_at_the_token_endpoint_is_refused_and_burns_the_code(server: EmulatorServer) -> None:
    flow = authorize_url(server)
    code = query_of(complete_oauth(flow.url, "noredirect@example.com"))["code"]
    bad = exchange(server, flow, code, redirect_uri=None)
    assert bad.status_code == 400 and "x-stack-known-error" not in bad.headers
    assert bad.json() == {"error": "invalid_request",
                          "error_description": "Invalid request: `redirect_uri` is not a valid URI"}
    again = exchange(server, flow, code)
    assert again.status_code == 400 and again.headers["x-stack-known-error"] == "INVALID_AUTHORIZATION_CODE"


def test_legacy_servers_refuse_json_response_mode(legacy_server: EmulatorServer) -> None:
    # v2.7.16's authorize query has no stack_response_mode and, unlike v2.8's (noUnknown(false)), refuses
    # unknown parameters (auth/oauth/authorize/[provider_id]/route.tsx and smart-request.tsx of 2025-02-20).
    flow = authorize_url(legacy_server, stack_response_mode="json")
    resp = requests.get(flow.url, allow_redirects=False, timeout=10)
    assert resp.status_code == 400 and resp.headers["x-stack-known-error"] == "SCHEMA_ERROR"
    assert resp.json()["error"].endswith("query contains unknown properties: stack_response_mode")
    ok = requests.get(authorize_url(legacy_server).url, allow_redirects=False, timeout=10)
    assert ok.status_code == 307 and ok.headers["set-cookie"].startswith("stack-oauth-inner-")
