"""Request validation of the remaining routes held to Stack's yup schemas: OAuth authorize/token, OTP, MFA,
teams, memberships, permissions, projects/current, sessions; and yup's order of problems.

Each case cites the schema it comes from; where a recording exists the expected answer is the recorded one.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import requests
from emu_support import authorize_url, client_headers, password_user, recording_or_skip, server_headers

from flask_stackauth.emulator import Emulator, EmulatorServer

CODE_45 = "a" * 45


def _problems(resp: requests.Response, method: str, path: str) -> list[str]:
    assert resp.status_code == 400, resp.text
    assert resp.headers.get("x-stack-known-error") == "SCHEMA_ERROR"
    body = resp.json()
    assert body["details"] == {"message": body["error"]}
    head, *lines = body["error"].split("\n  - ")
    assert head == f"Request validation failed on {method} {path}:"
    return lines


# --- yup's order: fields visited in reverse, then sorted by the first key their path contains ---------


def test_problems_sorted_by_key_order_with_overlapping_names(server: EmulatorServer) -> None:
    # primary_email_verified's path contains "primary_email": both sort at that key, in visiting order,
    # and yup visits fields in reverse declaration order (usersCrudServerCreateSchema).
    resp = requests.post(f"{server.url}/api/v1/users", json={"primary_email": "bad", "primary_email_verified": "x"},
                         headers=server_headers(server), timeout=10)
    assert _problems(resp, "POST", "/api/v1/users") == [
        'body.primary_email_verified must be a `boolean` type, but the final value was: `"x"`.',
        "body.primary_email must be a valid email",
    ]


def test_request_level_order_follows_the_crud_request_keys(server: EmulatorServer) -> None:
    # The crud request schema is {auth, url, method, body, params, query}: "body.profile_image_url" contains
    # "url", so it sorts before the other body problems; params come after the body.
    token = password_user(server, "order@example.com")["access_token"]
    path = "/api/v1/teams/not-a-team"
    resp = requests.patch(server.url + path, json={"display_name": ["x"], "profile_image_url": "a b"},
                          headers=client_headers(server, token), timeout=10)
    assert _problems(resp, "PATCH", path) == [
        "body.profile_image_url contains spaces",
        'body.display_name must be a `string` type, but the final value was: `[\n    "\\"x\\""\n  ]`.',
        "params.team_id must be a valid UUID",
    ]


# --- OAuth authorize (auth/oauth/authorize/[provider_id]/route.tsx) ----------------------------------


@pytest.mark.parametrize("version", ["v2.8.86", "v2.7.16"])
def test_recorded_authorize_missing_params(version: str, server: EmulatorServer,
                                           legacy_server: EmulatorServer) -> None:
    step = recording_or_skip(version, "extra-result.json")["authorize_missing_params"]
    srv = legacy_server if version == "v2.7.16" else server
    resp = requests.get(f"{srv.url}/api/v1/auth/oauth/authorize/github?client_id=internal", allow_redirects=False,
                        timeout=10)
    assert resp.status_code == step["status"] and resp.json() == step["body"]


def test_authorize_schema_v28(server: EmulatorServer) -> None:
    path = "/api/v1/auth/oauth/authorize/github"
    spaced = requests.get(authorize_url(server, redirect_uri="http://a b/cb").url, allow_redirects=False, timeout=10)
    assert _problems(spaced, "GET", path) == ["query.redirect_uri contains spaces"]
    phase = requests.get(authorize_url(server, bot_challenge_phase="later").url, allow_redirects=False, timeout=10)
    assert _problems(phase, "GET", path) == [
        "query.bot_challenge_phase must be one of the following values: invisible, visible"]
    # noUnknown(false): parameters injected by browsers pass.
    extra = requests.get(authorize_url(server, ttclid="1").url, allow_redirects=False, timeout=10)
    assert extra.status_code == 307


def test_authorize_schema_v27(legacy_server: EmulatorServer) -> None:
    path = "/api/v1/auth/oauth/authorize/github"
    extra = requests.get(authorize_url(legacy_server, ttclid="1").url, allow_redirects=False, timeout=10)
    assert _problems(extra, "GET", path) == ["query contains unknown properties: ttclid"]
    # v2.7's after_callback_redirect_url is a plain string: a non-URL is refused by the whitelist, not yup.
    after = requests.get(authorize_url(legacy_server, after_callback_redirect_url="nowhere").url,
                         allow_redirects=False, timeout=10)
    assert after.status_code == 400 and after.headers["x-stack-known-error"] == "REDIRECT_URL_NOT_WHITELISTED"


# --- OAuth token (auth/oauth/token/route.tsx): yup checks three fields, node-oauth2-server the rest -------


@pytest.mark.parametrize("version", ["v2.8.86"])
def test_recorded_token_unsupported_grant(version: str, server: EmulatorServer) -> None:
    step = recording_or_skip(version, "extra2-result.json")["token_unsupported_grant"]
    resp = requests.post(f"{server.url}/api/v1/auth/oauth/token", data={"grant_type": "password"}, timeout=10)
    assert resp.status_code == step["status"] and resp.json() == step["body"]


def test_token_body_schema(server: EmulatorServer) -> None:
    url = f"{server.url}/api/v1/auth/oauth/token"
    assert _problems(requests.post(url, json=[], timeout=10), "POST", "/api/v1/auth/oauth/token") == [
        "body must be a `object` type, but the final value was: `[]`."]
    # yup casts a number to a string: the client id is then just unknown (not a SCHEMA_ERROR).
    cast = requests.post(url, json={"grant_type": "refresh_token", "client_id": 12, "client_secret": "x",
                                    "refresh_token": "r"}, timeout=10)
    assert cast.status_code == 400 and cast.headers["x-stack-known-error"] == "INVALID_OAUTH_CLIENT_ID_OR_SECRET"


# --- OTP (auth/otp/send-sign-in-code, verification-code-handler.tsx) -------------------------------------


def _send(srv: EmulatorServer, body: dict[str, Any]) -> requests.Response:
    return requests.post(f"{srv.url}/api/v1/auth/otp/send-sign-in-code", json=body, headers=client_headers(srv),
                         timeout=10)


def test_otp_send_email_schema_by_version(server: EmulatorServer, legacy_server: EmulatorServer) -> None:
    path = "/api/v1/auth/otp/send-sign-in-code"
    cb = "http://localhost:5000/handler/magic-link-callback"
    long_email = "a" * 250 + "@example.com"
    assert _problems(_send(server, {"email": long_email, "callback_url": cb}), "POST", path) == [
        "body.email must be at most 256 characters"]
    dots = _send(server, {"email": "a..b@example.com", "callback_url": cb})
    assert _problems(dots, "POST", path) == [
        'body.email must match the following: "/^[^.]+(\\.[^.]+)*@.*\\.[^.][^.]+$/"']
    # v2.7.16's strictEmailSchema: no length limit and /^[^.].*@.*\.[^.][^.]+$/, so both are accepted.
    for email in (long_email, "a..b@example.com"):
        assert _send(legacy_server, {"email": email, "callback_url": cb}).status_code == 200


def test_otp_sign_in_code_schema(server: EmulatorServer) -> None:
    url, path = f"{server.url}/api/v1/auth/otp/sign-in", "/api/v1/auth/otp/sign-in"
    number = requests.post(url, json={"code": 123}, headers=client_headers(server), timeout=10)
    assert _problems(number, "POST", path) == ["body.code must be exactly 45 characters"]
    # yupObject({code}).concat(yupObject({})): two objects, two unknown-properties tests.
    extra = requests.post(url, json={"code": CODE_45, "nonce": "n"}, headers=client_headers(server), timeout=10)
    assert _problems(extra, "POST", path) == ["body contains unknown properties: nonce"] * 2


def test_mfa_sign_in_schema(server: EmulatorServer) -> None:
    url, path = f"{server.url}/api/v1/auth/mfa/sign-in", "/api/v1/auth/mfa/sign-in"
    cast = requests.post(url, json={"code": CODE_45, "type": "totp", "totp": 123456}, headers=client_headers(server),
                         timeout=10)
    assert cast.status_code == 404 and cast.headers["x-stack-known-error"] == "VERIFICATION_CODE_NOT_FOUND"
    extra = requests.post(url, json={"code": CODE_45, "type": "sms", "totp": "1", "x": 1},
                          headers=client_headers(server), timeout=10)
    assert _problems(extra, "POST", path) == ["body.type must be one of the following values: totp",
                                              "body contains unknown properties: x",
                                              "body contains unknown properties: x"]


# --- teams, memberships, permissions (their crud.tsx files) ----------------------------------------------


def test_team_body_and_query_schema(server: EmulatorServer) -> None:
    user = password_user(server, "teams@example.com")
    headers = client_headers(server, user["access_token"])
    made = requests.post(f"{server.url}/api/v1/teams", json={"display_name": 5, "creator_user_id": user["user_id"]},
                         headers=server_headers(server), timeout=10)
    assert made.status_code == 201 and made.json()["display_name"] == "5"
    team_id = made.json()["id"]
    bad_url = requests.patch(f"{server.url}/api/v1/teams/{team_id}", json={"profile_image_url": "not a url"},
                             headers=headers, timeout=10)
    assert _problems(bad_url, "PATCH", f"/api/v1/teams/{team_id}") == ["body.profile_image_url contains spaces"]
    listing = requests.get(f"{server.url}/api/v1/teams", params={"user_id": "me", "limit": "5"}, headers=headers,
                           timeout=10)
    assert _problems(listing, "GET", "/api/v1/teams") == ["query contains unknown properties: limit"]
    member = f"/api/v1/team-memberships/{team_id}/me"
    leave = requests.delete(server.url + member, params={"user_id": "me"}, headers=headers, timeout=10)
    assert _problems(leave, "DELETE", member) == ["query contains unknown properties: user_id"]


def test_permission_id_and_query_schema(server: EmulatorServer, emu: Emulator) -> None:
    user = emu.create_user("perm@example.com")
    team_id = str(uuid.uuid4())
    path = f"/api/v1/team-permissions/{team_id}/{user['id']}/$Bad"
    both = requests.post(server.url + path, headers=server_headers(server), timeout=10)
    # permissionDefinitionIdSchema: yup runs its matches() and its system-permission test both.
    assert _problems(both, "POST", path) == [
        'Only lowercase letters, numbers, ":", "_" and optional "$" at the beginning are allowed',
        "Invalid system permission",
    ]
    listing = requests.get(f"{server.url}/api/v1/team-permissions", params={"permission_id": "$nope"},
                           headers=server_headers(server), timeout=10)
    assert _problems(listing, "GET", "/api/v1/team-permissions") == ["Invalid system permission"]
    project = requests.get(f"{server.url}/api/v1/project-permissions", params={"user_id": "abc", "team_id": team_id},
                           headers=server_headers(server), timeout=10)
    assert _problems(project, "GET", "/api/v1/project-permissions") == [
        "query.user_id must be a valid UUID", "query contains unknown properties: team_id"]


def test_projects_current_refuses_unknown_query(server: EmulatorServer) -> None:
    resp = requests.get(f"{server.url}/api/v1/projects/current", params={"x": "1"}, headers=client_headers(server),
                        timeout=10)
    assert _problems(resp, "GET", "/api/v1/projects/current") == ["query contains unknown properties: x"]


# --- selected team, session deletion, refresh ---------------------------------------------------------


@pytest.mark.parametrize("srv_name", ["server", "legacy_server"])
def test_selecting_a_team_the_user_is_not_in(srv_name: str, request: pytest.FixtureRequest) -> None:
    srv: EmulatorServer = request.getfixturevalue(srv_name)
    version = "v2.7.16" if srv_name == "legacy_server" else "v2.8.86"
    recorded = recording_or_skip(version, "account-result.json")["err_patch_selected_team_not_member"]
    other = srv.emulator.create_user("owner@example.com")
    team = requests.post(f"{srv.url}/api/v1/teams", json={"display_name": "T", "creator_user_id": other["id"]},
                         headers=server_headers(srv), timeout=10).json()
    me = password_user(srv, "chooser@example.com")
    for team_id in (team["id"], "00000000-0000-4000-8000-000000000000"):
        resp = requests.patch(f"{srv.url}/api/v1/users/me", json={"selected_team_id": team_id},
                              headers=client_headers(srv, me["access_token"]), timeout=10)
        assert resp.status_code == recorded["status"]
        assert resp.headers["x-stack-known-error"] == "TEAM_MEMBERSHIP_NOT_FOUND"
        assert resp.json() == {"code": "TEAM_MEMBERSHIP_NOT_FOUND",
                               "details": {"team_id": team_id, "user_id": me["user_id"]},
                               "error": f"User {me['user_id']} is not found in team {team_id}."}


def test_client_session_delete_ignores_the_user_id_it_names(server: EmulatorServer, emu: Emulator) -> None:
    # sessions/crud.tsx onDelete finds the session by id and compares its owner with the caller, never with
    # query.user_id (which is required but unused): no 403 for naming someone else.
    me = password_user(server, "del@example.com")
    emu.create_session(me["user_id"])  # a second session of the same user
    other = emu.create_user("someone@example.com")
    url = f"{server.url}/api/v1/auth/sessions"
    mine = client_headers(server, me["access_token"])

    def ids(user_id: str) -> list[str]:
        got = requests.get(url, params={"user_id": user_id}, headers=server_headers(server), timeout=10)
        return [s["id"] for s in got.json()["items"]]

    target = next(i for i in ids(me["user_id"]) if i != emu.decode_token_claims(me["access_token"])["refresh_token_id"])
    resp = requests.delete(f"{url}/{target}", params={"user_id": other["id"]}, headers=mine, timeout=10)
    assert resp.status_code == 200 and resp.json() == {"success": True}
    assert target not in ids(me["user_id"])
    requests.post(url, json={"user_id": other["id"]}, headers=server_headers(server), timeout=10).raise_for_status()
    foreign = ids(other["id"])[0]
    not_mine = requests.delete(f"{url}/{foreign}", params={"user_id": other["id"]}, headers=mine, timeout=10)
    assert not_mine.status_code == 404 and not_mine.text == "Session not found."
    assert foreign in ids(other["id"])


def test_empty_refresh_token_header_is_a_token_not_found(server: EmulatorServer) -> None:
    # yupTuple([yupString().defined()]): "" is a defined string, so the lookup, not yup, refuses it.
    resp = requests.post(f"{server.url}/api/v1/auth/sessions/current/refresh",
                         headers=client_headers(server, **{"x-stack-refresh-token": ""}), timeout=10)
    assert resp.status_code == 401 and resp.headers["x-stack-known-error"] == "REFRESH_TOKEN_NOT_FOUND_OR_EXPIRED"
