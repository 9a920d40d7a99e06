"""Legacy mode: behave like Stack Auth v2.7.16 (tokens issued before mid-2025)."""

from __future__ import annotations

import requests
from emu_support import authorize_url, client_headers, exchange, jwt_parts, password_user, query_of, sign_in

from flask_stackauth.emulator import Emulator, EmulatorServer
from flask_stackauth.emulator.client import complete_oauth


def test_legacy_claims_and_single_key(legacy_server: EmulatorServer) -> None:
    tokens = sign_in(legacy_server, "old@example.com")
    header, claims = jwt_parts(tokens["access_token"])
    assert list(header) == ["alg", "kid"]
    assert list(claims) == ["sub", "branchId", "iss", "iat", "aud", "exp"]
    assert claims["iss"] == "https://access-token.jwt-signature.stack-auth.com" and claims["aud"] == "internal"
    keys = requests.get(f"{legacy_server.url}/api/v1/projects/internal/.well-known/jwks.json").json()["keys"]
    assert [k["kid"] for k in keys] == [header["kid"]]
    me = requests.get(
        f"{legacy_server.url}/api/v1/users/me", headers=client_headers(legacy_server, tokens["access_token"])
    )
    assert me.status_code == 200 and "is_anonymous" not in me.json() and me.json()["selected_team"] is None


def test_legacy_callback_is_307_and_mismatch_is_known_error(legacy_server: EmulatorServer) -> None:
    flow = authorize_url(legacy_server)
    http = requests.Session()
    page = http.get(flow.url, allow_redirects=True)
    post = http.post(page.url + "/login", data={"login": "l@example.com"}, allow_redirects=False)
    cb = http.get(post.headers["location"], allow_redirects=False)
    assert cb.status_code == 307
    bad = exchange(legacy_server, flow, query_of(cb.headers["location"])["code"], redirect_uri="http://localhost:1/x")
    assert bad.status_code == 400 and bad.json()["code"] == "REDIRECT_URL_NOT_WHITELISTED"


def test_legacy_sign_out_and_missing_features(legacy_server: EmulatorServer) -> None:
    tokens = password_user(legacy_server, "lo@example.com")
    h = client_headers(legacy_server, tokens["access_token"])
    listing = requests.get(f"{legacy_server.url}/api/v1/auth/sessions", params={"user_id": "me"}, headers=h)
    assert listing.status_code == 405
    delete = requests.delete(f"{legacy_server.url}/api/v1/auth/sessions/x", params={"user_id": "me"}, headers=h)
    assert delete.status_code == 404 and delete.headers["content-type"].startswith("text/plain")
    bare = requests.delete(f"{legacy_server.url}/api/v1/auth/sessions/current", json={}, headers=h)
    assert bare.status_code == 400 and bare.headers["x-stack-known-error"] == "SCHEMA_ERROR"
    assert "headers.x-stack-refresh-token must be defined" in bare.json()["error"]
    out = requests.delete(f"{legacy_server.url}/api/v1/auth/sessions/current", json={},
                          headers={**h, "x-stack-refresh-token": tokens["refresh_token"]})
    assert out.status_code == 200 and out.json() == {"success": True}
    refresh = requests.post(
        f"{legacy_server.url}/api/v1/auth/sessions/current/refresh",
        headers={**client_headers(legacy_server), "x-stack-refresh-token": tokens["refresh_token"]},
    )
    assert refresh.status_code == 401
    keyless = {"x-stack-access-type": "client", "x-stack-project-id": "internal"}
    no_key = requests.get(f"{legacy_server.url}/api/v1/users/me", headers=keyless)
    assert no_key.status_code == 401 and no_key.json()["code"] == "CLIENT_AUTHENTICATION_REQUIRED"


def test_switching_modes_at_runtime(server: EmulatorServer, emu: Emulator) -> None:
    emu.set_legacy_tokens(True)
    flow = authorize_url(server)
    token = exchange(server, flow, query_of(complete_oauth(flow.url, "sw@example.com"))["code"]).json()
    assert "branchId" in jwt_parts(token["access_token"])[1]
    me = requests.get(f"{server.url}/api/v1/users/me", headers=client_headers(server, token["access_token"]))
    assert me.status_code == 200
    emu.set_legacy_tokens(False)
    assert "project_id" in jwt_parts(password_user(server, "sw2@example.com")["access_token"])[1]
    emu.set_legacy_tokens(True)
    emu.reset()
    assert emu.legacy_tokens is False
