"""Access tokens, JWKS, key rotation and the x-stack-* header rules."""

from __future__ import annotations

import time

import requests
from emu_support import client_headers, jwt_parts, password_user, server_headers, sign_in
from joserfc import jws
from joserfc.jwk import KeySet

from flask_stackauth.emulator import Emulator, EmulatorServer

CURRENT_CLAIMS = [
    "sub",
    "project_id",
    "branch_id",
    "refresh_token_id",
    "role",
    "name",
    "email",
    "email_verified",
    "selected_team_id",
    "signed_up_at",
    "is_anonymous",
    "is_restricted",
    "restricted_reason",
    "requires_totp_mfa",
    "iss",
    "iat",
    "aud",
    "exp",
]


def _jwks(server: EmulatorServer, query: str = "") -> requests.Response:
    return requests.get(f"{server.url}/api/v1/projects/internal/.well-known/jwks.json{query}")


def test_claims_and_signature(server: EmulatorServer, emu: Emulator) -> None:
    tokens = sign_in(server, "claims@example.com")
    header, claims = jwt_parts(tokens["access_token"])
    assert header == {"alg": "ES256", "kid": header["kid"]} and list(header) == ["alg", "kid"]
    assert list(claims) == CURRENT_CLAIMS
    assert claims["iss"] == f"{server.url}/api/v1/projects/internal"
    assert claims["aud"] == "internal" and claims["role"] == "authenticated" and claims["branch_id"] == "main"
    assert claims["exp"] - claims["iat"] == 600
    jwks = _jwks(server)
    assert jwks.headers["cache-control"] == "public, max-age=3600"
    keys = jwks.json()["keys"]
    assert len(keys) == 2 and all(list(k) == ["kty", "crv", "alg", "kid", "x", "y"] for k in keys)
    assert keys[0]["kid"] == header["kid"]
    jws.deserialize_compact(tokens["access_token"], KeySet.import_key_set(jwks.json()), algorithms=["ES256"])


def test_jwks_variants_and_stability(server: EmulatorServer, emu: Emulator) -> None:
    assert len(_jwks(server, "?include_restricted=true").json()["keys"]) == 4
    assert len(_jwks(server, "?include_anonymous=true").json()["keys"]) == 6
    seeded = _jwks(server).json()
    assert Emulator().keys.jwks(["internal"]) == seeded  # deterministic across instances
    unknown = requests.get(f"{server.url}/api/v1/projects/nope/.well-known/jwks.json")
    assert unknown.status_code == 404 and unknown.text == "Project not found"
    redirect = requests.get(
        f"{server.url}/api/v1/projects-anonymous-users/internal/.well-known/jwks.json", allow_redirects=False
    )
    assert redirect.status_code == 307 and redirect.headers["location"].endswith("include_anonymous=true")


def test_key_rotation(server: EmulatorServer, emu: Emulator) -> None:
    before = password_user(server, "rot@example.com")
    old_kid = jwt_parts(before["access_token"])[0]["kid"]
    new_kid = emu.rotate_keys()
    assert new_kid != old_kid
    kids = [k["kid"] for k in _jwks(server).json()["keys"]]
    assert kids == [new_kid, old_kid]
    fresh = requests.post(
        f"{server.url}/api/v1/auth/sessions/current/refresh",
        headers={**client_headers(server), "x-stack-refresh-token": before["refresh_token"]},
    ).json()["access_token"]
    assert jwt_parts(fresh)[0]["kid"] == new_kid
    # the old token still verifies (previous key kept)
    me = requests.get(f"{server.url}/api/v1/users/me", headers=client_headers(server, before["access_token"]))
    assert me.status_code == 200
    http_kid = requests.post(f"{server.url}/_emulator/rotate-keys").json()["kid"]
    assert [k["kid"] for k in _jwks(server).json()["keys"]] == [http_kid, new_kid]
    emu.reset()
    assert next(k["kid"] for k in _jwks(server).json()["keys"]) == old_kid


def test_expired_token_fails_everywhere(server: EmulatorServer, emu: Emulator) -> None:
    tokens = password_user(server, "exp@example.com")
    emu.advance_clock(601)
    for method, path in [
        ("GET", "/users/me"),
        ("GET", "/projects/current"),
        ("POST", "/auth/sessions/current/refresh"),
    ]:
        resp = requests.request(
            method,
            f"{server.url}/api/v1{path}",
            headers={
                **client_headers(server, tokens["access_token"]),
                "x-stack-refresh-token": tokens["refresh_token"],
            },
        )
        assert resp.status_code == 401, path
        assert resp.headers["x-stack-known-error"] == "ACCESS_TOKEN_EXPIRED"
        body = resp.json()
        claims = jwt_parts(tokens["access_token"])[1]
        assert body["details"] == {
            "expired_at_millis": claims["exp"] * 1000,
            "project_id": "internal",
            "user_id": claims["sub"],
            "refresh_token_id": claims["refresh_token_id"],
        }
        assert body["error"].startswith("Access token has expired. Please refresh it and try again. (The access token")
        assert "Debug info:" in body["error"]
    # without the access token, the refresh works
    ok = requests.post(
        f"{server.url}/api/v1/auth/sessions/current/refresh",
        headers={**client_headers(server), "x-stack-refresh-token": tokens["refresh_token"]},
    )
    assert ok.status_code == 200


def test_access_token_lifetime(server: EmulatorServer, emu: Emulator) -> None:
    emu.set_access_token_lifetime(5)
    claims = jwt_parts(password_user(server, "life@example.com")["access_token"])[1]
    assert claims["exp"] - claims["iat"] == 5
    requests.post(f"{server.url}/_emulator/access-token-lifetime", json={"seconds": 7})
    claims = jwt_parts(password_user(server, "life2@example.com")["access_token"])[1]
    assert claims["exp"] - claims["iat"] == 7


def test_token_errors(server: EmulatorServer, emu: Emulator) -> None:
    def me(token: str, **extra: str) -> requests.Response:
        return requests.get(f"{server.url}/api/v1/users/me", headers=client_headers(server, token, **extra))

    garbage = me("garbage")
    assert garbage.status_code == 401 and garbage.json() == {
        "code": "UNPARSABLE_ACCESS_TOKEN",
        "error": "Access token is not parsable.",
    }
    user = emu.create_user("odd@example.com")
    other = me(emu.mint_access_token(user["id"], audience="other-project"))
    assert other.status_code == 401 and other.json()["code"] == "INVALID_PROJECT_FOR_ACCESS_TOKEN"
    bad_iss = me(emu.mint_access_token(user["id"], issuer="https://evil.example.com"))
    assert bad_iss.json()["code"] == "UNPARSABLE_ACCESS_TOKEN"
    tampered = emu.mint_access_token(user["id"])
    h, c, s = tampered.split(".")
    assert me(f"{h}.{c}.{s[::-1]}").json()["code"] == "UNPARSABLE_ACCESS_TOKEN"
    old = me(emu.mint_access_token(user["id"], iat=time.time() - 3600, lifetime=60))
    assert old.json()["code"] == "ACCESS_TOKEN_EXPIRED"
    assert me(emu.mint_access_token(user["id"])).status_code == 200


def test_anonymous_tokens(server: EmulatorServer) -> None:
    resp = requests.post(f"{server.url}/api/v1/auth/anonymous/sign-up", json={}, headers=client_headers(server))
    assert resp.status_code == 200 and list(resp.json()) == ["access_token", "refresh_token", "user_id"]
    token = resp.json()["access_token"]
    claims = jwt_parts(token)[1]
    assert claims["aud"] == "internal:anon" and claims["is_anonymous"] is True and claims["is_restricted"] is True
    assert claims["iss"] == f"{server.url}/api/v1/projects-anonymous-users/internal"
    assert claims["restricted_reason"] == {"type": "anonymous"}
    denied = requests.get(f"{server.url}/api/v1/users/me", headers=client_headers(server, token))
    assert denied.status_code == 401 and denied.json()["code"] == "ANONYMOUS_AUTHENTICATION_NOT_ALLOWED"
    ok = requests.get(
        f"{server.url}/api/v1/users/me",
        headers=client_headers(server, token, **{"x-stack-allow-anonymous-user": "true"}),
    )
    assert ok.status_code == 200 and ok.json()["is_anonymous"] is True
    jwks = requests.get(f"{server.url}/api/v1/projects/internal/.well-known/jwks.json?include_anonymous=true").json()
    jws.deserialize_compact(token, KeySet.import_key_set(jwks), algorithms=["ES256"])


def test_header_rules(server: EmulatorServer, emu: Emulator) -> None:
    url = f"{server.url}/api/v1/users/me"
    no_pid = requests.get(url, headers={"x-stack-access-type": "client"})
    assert no_pid.status_code == 400 and no_pid.json()["code"] == "ACCESS_TYPE_WITHOUT_PROJECT_ID"
    assert no_pid.json()["details"] == {"request_type": "client"}
    key_only = requests.get(url, headers={"x-stack-publishable-client-key": server.publishable_key})
    assert key_only.status_code == 400 and key_only.json()["code"] == "PROJECT_KEY_WITHOUT_ACCESS_TYPE"
    bad_type = requests.get(url, headers={"x-stack-access-type": "root", "x-stack-project-id": "internal"})
    assert bad_type.json()["code"] == "INVALID_ACCESS_TYPE"
    nothing = requests.get(url)
    assert nothing.status_code == 400 and nothing.json()["code"] == "ACCESS_TYPE_REQUIRED"
    unknown = requests.get(url, headers={**client_headers(server), "x-stack-project-id": "nope"})
    assert unknown.status_code == 400 and unknown.json()["code"] == "CURRENT_PROJECT_NOT_FOUND"
    wrong_pk = requests.get(url, headers=client_headers(server, **{"x-stack-publishable-client-key": "x"}))
    assert wrong_pk.status_code == 401 and wrong_pk.json()["details"] == {"project_id": "internal"}
    keyless = {"x-stack-access-type": "client", "x-stack-project-id": "internal"}
    assert requests.get(url, headers=keyless).json()["code"] == "CANNOT_GET_OWN_USER_WITHOUT_USER"
    emu.project.require_publishable_client_key = True
    required = requests.get(url, headers=keyless)
    assert required.status_code == 401 and required.json()["code"] == "PUBLISHABLE_CLIENT_KEY_REQUIRED_FOR_PROJECT"
    srv = {"x-stack-access-type": "server", "x-stack-project-id": "internal"}
    assert requests.get(url, headers=srv).json()["code"] == "SERVER_AUTHENTICATION_REQUIRED"
    wrong_ssk = requests.get(url, headers={**srv, "x-stack-secret-server-key": "x"})
    assert wrong_ssk.status_code == 401 and wrong_ssk.json()["code"] == "INVALID_SECRET_SERVER_KEY"
    branch = requests.get(url, headers={**server_headers(server), "x-stack-branch-id": "dev"})
    assert branch.json()["code"] == "BRANCH_DOES_NOT_EXIST"


def test_common_headers_and_unknown_route(server: EmulatorServer) -> None:
    resp = requests.get(f"{server.url}/api/v1/does-not-exist")
    assert resp.status_code == 404 and resp.headers["content-type"].startswith("text/plain")
    assert resp.text.startswith("404 \u2014 this page does not exist in Stack Auth's API.")
    assert resp.text.endswith(f"URL: {server.url}/api/v1/does-not-exist")
    assert resp.headers["cache-control"] == "no-store"
    assert len(resp.headers["x-stack-request-id"]) == 16
    ok = requests.get(f"{server.url}/api/v1/projects/current", headers=client_headers(server))
    assert ok.headers["cache-control"] == "no-store" and ok.headers["x-stack-request-id"]


def test_body_parsing(server: EmulatorServer) -> None:
    url = f"{server.url}/api/v1/auth/password/sign-in"
    xml = requests.post(url, data="<a/>", headers={**client_headers(server), "content-type": "application/xml"})
    assert xml.status_code == 400 and xml.json() == {
        "code": "BODY_PARSING_ERROR",
        "error": "Unknown content type in request body: application/xml",
    }
    bad_json = requests.post(url, data="{", headers={**client_headers(server), "content-type": "application/json"})
    assert bad_json.json()["error"] == "Invalid JSON in request body"
    listy = requests.post(url, json=[1, 2], headers=client_headers(server))
    assert listy.status_code == 400 and listy.json()["code"] == "SCHEMA_ERROR"
    # yup casts a number to a string, so only an object or array is the wrong type.
    wrong_type = requests.post(url, json={"email": {"a": 5}, "password": None}, headers=client_headers(server))
    assert wrong_type.status_code == 400 and "body.email must be a `string` type" in wrong_type.json()["error"]
    form = requests.post(
        url, data={"email": "none@example.com", "password": "whatever1"}, headers=client_headers(server)
    )
    assert form.status_code == 400 and form.json()["code"] == "EMAIL_PASSWORD_MISMATCH"


def test_projects_current(server: EmulatorServer, emu: Emulator) -> None:
    emu.project.trusted_domains = ["https://app.example.com"]
    body = requests.get(f"{server.url}/api/v1/projects/current", headers=client_headers(server)).json()
    assert body["id"] == "internal" and body["display_name"] == "Stack Dashboard"
    # Key order of v2.8.86 (account-result.json projects_current).
    assert list(body["config"]) == [
        "domains",
        "enabled_oauth_providers",
        "allow_team_api_keys",
        "allow_user_api_keys",
        "client_user_deletion_enabled",
        "client_team_creation_enabled",
        "passkey_enabled",
        "magic_link_enabled",
        "credential_enabled",
        "sign_up_enabled",
    ]
    assert body["config"]["enabled_oauth_providers"] == [
        {"id": "github"},
        {"id": "google"},
        {"id": "microsoft"},
        {"id": "spotify"},
    ]
    assert body["config"]["domains"] == [{"domain": "https://app.example.com", "handler_path": "/handler"}]
