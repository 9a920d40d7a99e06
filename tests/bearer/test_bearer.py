"""Bearer tokens on API views: verified locally (ES256, kid, aud, iss, exp), RFC 6750 answers."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import pytest
import requests
from joserfc import jws
from joserfc.jwk import ECKey

from tests.conftest import make_app

JWKS = "/api/v1/projects/internal/.well-known/jwks.json"


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims(server: Any, user_id: str, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {"sub": user_id, "iss": f"{server.url}/api/v1/projects/{server.project_id}", "aud": server.project_id,
              "iat": now, "exp": now + 600, "project_id": server.project_id, "branch_id": "main"}
    claims.update(overrides)
    return claims


def _api(client: Any, token: str | None, header: str = "Authorization") -> Any:
    headers = {}
    if token is not None:
        headers[header] = f"Bearer {token}" if header == "Authorization" else token
    return client.get("/protected", headers=headers)


def _assert_refused(response: Any, code: str) -> None:
    assert response.status_code == 401, response.get_data(as_text=True)
    assert response.json["code"] == code
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith('Bearer error="invalid_token", error_description="')
    assert response.headers.get("Set-Cookie") is None


@pytest.fixture
def user(stackauth_emulator: Any) -> dict[str, Any]:
    return dict(stackauth_emulator.emulator.create_user("bearer@example.com"))


def test_bearer_and_stack_header_are_accepted_without_touching_the_session(
        client: Any, stackauth_bearer: Any) -> None:
    token = stackauth_bearer("bearer@example.com")
    for header in ("Authorization", "x-stack-access-token"):
        response = _api(client, token, header)
        assert response.status_code == 200
        assert response.json["email"] == "bearer@example.com"
        assert "Set-Cookie" not in response.headers


def test_missing_token_on_api_request_is_plain_bearer_challenge(client: Any) -> None:
    response = client.get("/protected", headers={"Accept": "application/json"})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json == {"code": "USER_AUTHENTICATION_REQUIRED", "error": "You must be signed in to do this."}


@pytest.mark.parametrize("value", ["", "Bearer", "Bearer ", "Token abc", "bearer a.b", "Basicx y"])
def test_malformed_authorization_headers_are_401(client: Any, value: str) -> None:
    response = client.get("/protected", headers={"Authorization": value})
    assert response.status_code == 401
    assert response.json["code"] == "UNPARSABLE_ACCESS_TOKEN"
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_http_basic_auth_in_front_of_the_app_keeps_the_session(client: Any, stackauth_login: Any) -> None:
    # A staging site behind a proxy's basic auth: the browser sends Authorization: Basic on every request.
    basic = {"Authorization": "Basic dXNlcjpwYXNz"}
    signed_out = client.get("/dashboard", headers=basic)
    assert signed_out.status_code == 302 and signed_out.headers["Location"].startswith("/auth/login")
    stackauth_login(client, "staging@example.com")
    assert client.get("/protected", headers=basic).json["email"] == "staging@example.com"


def test_non_ascii_alg_gives_a_clean_401(client: Any, stackauth_emulator: Any, user: dict[str, Any]) -> None:
    token = _b64({"alg": "\u4e2d", "kid": "x"}) + "." + _b64(_claims(stackauth_emulator, user["id"])) + ".AAAA"
    response = _api(client, token)
    _assert_refused(response, "UNPARSABLE_ACCESS_TOKEN")
    response.headers["WWW-Authenticate"].encode("latin-1")


def test_alg_none_is_refused(client: Any, stackauth_emulator: Any, user: dict[str, Any]) -> None:
    token = _b64({"alg": "none", "kid": "x"}) + "." + _b64(_claims(stackauth_emulator, user["id"])) + "."
    _assert_refused(_api(client, token), "UNPARSABLE_ACCESS_TOKEN")
    token_with_sig = token + "AAAA"
    response = _api(client, token_with_sig)
    _assert_refused(response, "UNPARSABLE_ACCESS_TOKEN")
    assert "only ES256" in response.json["error"]


def test_hs256_signed_with_the_public_key_is_refused(client: Any, stackauth_emulator: Any,
                                                     user: dict[str, Any]) -> None:
    jwk = requests.get(stackauth_emulator.url + JWKS, timeout=10).json()["keys"][0]
    public_pem = ECKey.import_key(jwk).as_pem(private=False)
    signing_input = _b64({"alg": "HS256", "kid": jwk["kid"]}) + "." + _b64(_claims(stackauth_emulator, user["id"]))
    mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    token = signing_input + "." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
    _assert_refused(_api(client, token), "UNPARSABLE_ACCESS_TOKEN")


def test_token_of_another_project_is_refused(client: Any, emu: Any, user: dict[str, Any]) -> None:
    token = emu.mint_access_token(user["id"], audience="another-project")
    _assert_refused(_api(client, token), "INVALID_PROJECT_FOR_ACCESS_TOKEN")


def test_wrong_issuer_is_refused(client: Any, emu: Any, user: dict[str, Any]) -> None:
    token = emu.mint_access_token(user["id"], issuer="https://evil.example/api/v1/projects/internal")
    response = _api(client, token)
    _assert_refused(response, "UNPARSABLE_ACCESS_TOKEN")
    assert "issuer" in response.json["error"]


def test_configured_extra_issuer_is_accepted(stackauth_config: dict[str, Any], emu: Any,
                                             user: dict[str, Any]) -> None:
    app = make_app(stackauth_config, STACK_JWT_ISSUERS="https://auth.internal.example/api/v1/projects/internal")
    token = emu.mint_access_token(user["id"], issuer="https://auth.internal.example/api/v1/projects/internal")
    assert _api(app.test_client(), token).status_code == 200


def test_expired_and_not_yet_valid_tokens_are_refused(client: Any, emu: Any, user: dict[str, Any]) -> None:
    expired = emu.mint_access_token(user["id"], iat=time.time() - 700, lifetime=600)
    _assert_refused(_api(client, expired), "ACCESS_TOKEN_EXPIRED")
    future = emu.mint_access_token(user["id"], iat=time.time() + 3600, lifetime=600)
    _assert_refused(_api(client, future), "INVALID_ACCESS_TOKEN")


def _foreign_kid_token(server: Any, user_id: str, kid: str) -> str:
    key = ECKey.generate_key("P-256")
    return jws.serialize_compact({"alg": "ES256", "kid": kid}, json.dumps(_claims(server, user_id)), key,
                                 algorithms=["ES256"])


def test_unknown_kid_refetches_once_then_rejects(stackauth_config: dict[str, Any], stackauth_emulator: Any,
                                                 user: dict[str, Any], stackauth_bearer: Any) -> None:
    app = make_app(stackauth_config, STACK_JWKS_REFETCH_COOLDOWN=0)
    client = app.test_client()
    emu = stackauth_emulator.emulator
    assert _api(client, stackauth_bearer("bearer@example.com")).status_code == 200
    assert emu.calls("GET", JWKS) == 1
    response = _api(client, _foreign_kid_token(stackauth_emulator, user["id"], "not-published"))
    _assert_refused(response, "UNPARSABLE_ACCESS_TOKEN")
    assert emu.calls("GET", JWKS) == 2


def test_flood_of_unknown_kids_costs_one_fetch_per_cooldown(client: Any, stackauth_emulator: Any,
                                                            user: dict[str, Any]) -> None:
    emu = stackauth_emulator.emulator
    for i in range(40):
        _assert_refused(_api(client, _foreign_kid_token(stackauth_emulator, user["id"], f"forged-{i}")),
                        "UNPARSABLE_ACCESS_TOKEN")
    assert emu.calls("GET", JWKS) == 1


def test_new_kid_after_rotation_is_picked_up(stackauth_config: dict[str, Any], emu: Any,
                                             stackauth_bearer: Any) -> None:
    app = make_app(stackauth_config, STACK_JWKS_REFETCH_COOLDOWN=0)
    client = app.test_client()
    assert _api(client, stackauth_bearer("a@example.com")).status_code == 200
    emu.rotate_keys()
    assert _api(client, stackauth_bearer("a@example.com")).status_code == 200
    assert emu.calls("GET", JWKS) == 2


@pytest.mark.parametrize("mangle", [
    lambda t: t[:-10], lambda t: t[: len(t) // 2], lambda t: t + "x", lambda t: "garbage",
    lambda t: "a.b.c", lambda t: t.replace(".", "", 1), lambda t: "Ω" + t, lambda t: "." * 3,
])
def test_truncated_or_garbage_tokens_are_refused(client: Any, stackauth_bearer: Any, mangle: Any) -> None:
    response = _api(client, mangle(stackauth_bearer("g@example.com")))
    assert response.status_code == 401
    assert response.json["code"] in {"UNPARSABLE_ACCESS_TOKEN", "INVALID_PROJECT_FOR_ACCESS_TOKEN"}


def test_oversized_headers_are_401_not_500(client: Any) -> None:
    huge = "a" * 9000
    assert _api(client, huge).status_code == 401
    assert _api(client, huge, "x-stack-access-token").status_code == 401


def test_anonymous_users_need_opt_in(client: Any, stackauth_emulator: Any) -> None:
    anon = requests.post(f"{stackauth_emulator.url}/api/v1/auth/anonymous/sign-up", json={}, timeout=10, headers={
        "x-stack-access-type": "client", "x-stack-project-id": stackauth_emulator.project_id,
        "x-stack-publishable-client-key": stackauth_emulator.publishable_key}).json()
    token = anon["access_token"]
    refused = _api(client, token)
    assert refused.status_code == 401
    assert refused.json["code"] == "ANONYMOUS_AUTHENTICATION_NOT_ALLOWED"
    emu = stackauth_emulator.emulator
    fetches = emu.calls("GET", JWKS)
    allowed = client.get("/anon-ok", headers={"Authorization": f"Bearer {token}"})
    assert allowed.status_code == 200
    assert allowed.json["anonymous"] is True
    assert emu.calls("GET", JWKS) == fetches + 1  # the anonymous users' keys, fetched on opt-in only


def test_restricted_users_need_opt_in(client: Any, emu: Any, user: dict[str, Any]) -> None:
    token = emu.mint_access_token(user["id"], audience="internal:restricted",
                                  issuer=f"{emu.current_base_url()}/api/v1/projects-restricted-users/internal")
    response = _api(client, token)
    assert response.status_code == 403  # a valid token of a user who may not use this view (RFC 6750)
    assert response.json["code"] == "RESTRICTED_USER_NOT_ALLOWED"


def test_legacy_server_tokens_are_accepted_and_profile_fetched_once(stackauth_config: dict[str, Any],
                                                                    legacy: Any) -> None:
    user = legacy.create_user("legacy@example.com")
    token = legacy.create_session(user["id"])["access_token"]
    app = make_app(stackauth_config)
    client = app.test_client()
    for _ in range(5):
        response = _api(client, token)
        assert response.status_code == 200
        assert response.json["email"] == "legacy@example.com"
    assert legacy.calls("GET", "/api/v1/users/me") == 1


def test_steady_state_bearer_requests_make_no_calls(client: Any, emu: Any, stackauth_bearer: Any) -> None:
    token = stackauth_bearer("s@example.com")
    assert _api(client, token).status_code == 200
    before = emu.calls()
    for _ in range(100):
        assert _api(client, token).status_code == 200
    assert emu.calls() == before
