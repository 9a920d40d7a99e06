"""Request validation held to real Stack Auth: each recorded ``SCHEMA_ERROR`` replayed against the emulator,
and the server-key user and session endpoints checked against the yup schemas in Stack's source."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import emu_support
import pytest
import requests
from emu_support import WIRE, client_headers, password_user, recording_or_skip, server_headers
from werkzeug.exceptions import HTTPException

from flask_stackauth.emulator import Emulator, EmulatorServer
from flask_stackauth.emulator.app import create_app

VERSIONS = ("v2.8.86", "v2.7.16")


def _schema_error_steps() -> list[Any]:
    """``(version, file, step)`` for every recorded SCHEMA_ERROR on a route the emulator serves."""
    routes = create_app(Emulator()).url_map.bind("localhost")
    out: list[Any] = []
    for version in VERSIONS:
        for path in sorted((WIRE / version).glob("*.json")) if (WIRE / version).is_dir() else []:
            for name, step in json.loads(path.read_text()).items():
                if not isinstance(step, dict) or step.get("headers", {}).get("x-stack-known-error") != "SCHEMA_ERROR":
                    continue
                req = step.get("request")
                if not req or "raw_body" in req:
                    continue
                try:
                    routes.match(req["path"].split("?")[0], method=req["method"])
                except HTTPException:
                    continue  # a route the emulator does not serve (yet)
                out.append(pytest.param(version, path.name, name, id=f"{version}-{path.stem}-{name}"))
    # Without the recordings, one case that skips (or fails in CI) rather than a silently empty run.
    return out or [pytest.param(VERSIONS[0], "account-result.json", "", id="recordings-missing")]


@pytest.mark.parametrize(("version", "file", "name"), _schema_error_steps())
def test_recorded_schema_errors(
    version: str, file: str, name: str, server: EmulatorServer, legacy_server: EmulatorServer
) -> None:
    step = recording_or_skip(version, file)[name]
    srv = legacy_server if version == "v2.7.16" else server
    if file == "apikeys-result.json":  # recorded with the project's API keys turned on
        srv.emulator.project.allow_user_api_keys = srv.emulator.project.allow_team_api_keys = True
    req = step["request"]
    token = None
    if req.get("as_user"):
        token = password_user(srv, f"rec-{uuid.uuid4().hex[:8]}@example.com")["access_token"]
    headers = server_headers(srv, token) if req["access_type"] == "server" else client_headers(srv, token)
    kwargs: dict[str, Any] = {"json": req["body"]} if req.get("body") is not None else {}
    resp = requests.request(req["method"], srv.url + req["path"], headers=headers, timeout=10, **kwargs)
    assert resp.status_code == step["status"], resp.text
    assert resp.headers.get("x-stack-known-error") == "SCHEMA_ERROR"
    assert resp.json() == step["body"]


def test_missing_recordings_fail_in_ci(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(emu_support, "WIRE", tmp_path)
    monkeypatch.delenv("STACKAUTH_REQUIRE_RECORDINGS", raising=False)
    with pytest.raises(pytest.skip.Exception):
        recording_or_skip("v2.8.86", "flow-result.json")
    monkeypatch.setenv("STACKAUTH_REQUIRE_RECORDINGS", "1")
    with pytest.raises(pytest.fail.Exception, match="STACKAUTH_REQUIRE_RECORDINGS"):
        recording_or_skip("v2.8.86", "flow-result.json")


def _error(resp: requests.Response) -> str:
    assert resp.status_code == 400, resp.text
    assert resp.headers.get("x-stack-known-error") == "SCHEMA_ERROR"
    body = resp.json()
    assert body["details"] == {"message": body["error"]}
    message: str = body["error"]
    return message


def _expect(resp: requests.Response, method: str, path: str, *problems: str) -> None:
    want = f"Request validation failed on {method} {path}:\n" + "\n".join(f"  - {p}" for p in problems)
    assert _error(resp) == want


# Server-key user endpoints, against usersCrudServer{Create,Update}Schema and the users crud's querySchema
# (packages/stack-shared/src/interface/crud/users.ts, apps/backend/src/app/api/latest/users/crud.tsx).
@pytest.mark.parametrize(
    ("body", "problems"),
    [
        ({"primary_email": "not-an-email"}, ["body.primary_email must be a valid email"]),
        ({"primary_email": ""}, ["body.primary_email must not be empty"]),
        ({"display_name": "x" * 257}, ["body.display_name must be at most 256 characters"]),
        ({"password": "p" * 71}, ["body.password must be at most 70 characters"]),
        ({"primary_email_verified": "maybe"},
         ["body.primary_email_verified must be a `boolean` type, but the final value was: `\"maybe\"`."]),
        ({"primary_email_verified": None}, ["body.primary_email_verified cannot be null"]),
        ({"totp_secret_base64": "not base64!"}, ["body.totp_secret_base64 is not valid base64"]),
        ({"profile_image_url": "not a url"}, ["body.profile_image_url contains spaces"]),
        ({"country_code": "USA"}, ["body.country_code must be a 2-letter country code"]),
        ({"oauth_providers": [{"id": "github"}]}, ["body.oauth_providers[0].account_id must be defined"]),
        ({"restricted_by_admin_reason": "spam"},
         ["restricted_by_admin_reason must be null when restricted_by_admin is not true"]),
        ({"favourite_colour": "red", "display_name": {"a": 1}},
         ['body.display_name must be a `string` type, but the final value was: `{\n    "a": "1"\n  }`.',
          "body contains unknown properties: favourite_colour"]),
    ],
)
def test_server_create_user_refuses_what_stack_refuses(
    server: EmulatorServer, body: dict[str, Any], problems: list[str]
) -> None:
    resp = requests.post(f"{server.url}/api/v1/users", json=body, headers=server_headers(server), timeout=10)
    _expect(resp, "POST", "/api/v1/users", *problems)


def test_server_create_user_casts_like_yup(server: EmulatorServer) -> None:
    resp = requests.post(
        f"{server.url}/api/v1/users",
        json={"display_name": 42, "primary_email_verified": "true", "primary_email": "cast@example.com"},
        headers=server_headers(server),
        timeout=10,
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["display_name"] == "42" and resp.json()["primary_email_verified"] is True


def test_server_update_user_refuses_what_stack_refuses(server: EmulatorServer, emu: Emulator) -> None:
    user = emu.create_user("upd@example.com")
    path = f"/api/v1/users/{user['id']}"
    resp = requests.patch(server.url + path, json={"selected_team_id": "team-1", "is_anonymous": True},
                          headers=server_headers(server), timeout=10)
    _expect(resp, "PATCH", path, "body.selected_team_id must be a valid UUID",
            "body.is_anonymous must be one of the following values: false")
    unknown = requests.patch(server.url + path, json={"oauth_providers": []}, headers=server_headers(server),
                             timeout=10)
    _expect(unknown, "PATCH", path, "body contains unknown properties: oauth_providers")


@pytest.mark.parametrize(
    ("query", "problems"),
    [
        ("cursor=abc", ["query.cursor must be a valid UUID"]),
        ("limit=0", ["query.limit must be greater than or equal to 1"]),
        ("limit=1.5", ["query.limit must be an integer"]),
        ("limit=ten",
         ['query.limit must be a `number` type, but the final value was: `NaN` (cast from the value `"ten"`).']),
        ("team_id=team-1", ["query.team_id must be a valid UUID"]),
        ("desc=1", ["query.desc must be one of the following values: true, false"]),
        ("order_by=email", ["query.order_by must be one of the following values: signed_up_at"]),
        ("sort=desc", ["query contains unknown properties: sort"]),
    ],
)
def test_server_list_users_refuses_what_stack_refuses(server: EmulatorServer, query: str, problems: list[str]) -> None:
    resp = requests.get(f"{server.url}/api/v1/users?{query}", headers=server_headers(server), timeout=10)
    _expect(resp, "GET", "/api/v1/users", *problems)


def test_server_user_id_must_be_a_uuid(server: EmulatorServer) -> None:
    for method in ("GET", "PATCH", "DELETE"):
        resp = requests.request(method, f"{server.url}/api/v1/users/abc", json={}, headers=server_headers(server),
                                timeout=10)
        _expect(resp, method, "/api/v1/users/abc", "params.user_id must be a valid UUID")


def test_server_create_session_refuses_what_stack_refuses(server: EmulatorServer) -> None:
    resp = requests.post(f"{server.url}/api/v1/auth/sessions", json={"user_id": "abc", "is_impersonation": "yes"},
                         headers=server_headers(server), timeout=10)
    _expect(resp, "POST", "/api/v1/auth/sessions", "body.user_id must be a valid UUID",
            'body.is_impersonation must be a `boolean` type, but the final value was: `"yes"`.')


# GET /auth/sessions leaves impersonation sessions out unless the caller is an admin
# (apps/backend/src/app/api/latest/auth/sessions/crud.tsx, onList: isImpersonation: false).
def test_session_listing_leaves_out_impersonation_sessions(server: EmulatorServer) -> None:
    user = password_user(server, "imp@example.com")
    made = requests.post(f"{server.url}/api/v1/auth/sessions",
                         json={"user_id": user["user_id"], "is_impersonation": True},
                         headers=server_headers(server), timeout=10)
    assert made.status_code == 200, made.text
    url = f"{server.url}/api/v1/auth/sessions"
    for headers in (server_headers(server), client_headers(server, user["access_token"])):
        items = requests.get(url, params={"user_id": user["user_id"]}, headers=headers, timeout=10).json()["items"]
        assert len(items) == 1 and items[0]["is_impersonation"] is False
    admin = {"x-stack-access-type": "admin", "x-stack-project-id": server.project_id,
             "x-stack-super-secret-admin-key": server.emulator.project.super_secret_admin_key}
    items = requests.get(url, params={"user_id": user["user_id"]}, headers=admin, timeout=10).json()["items"]
    assert sorted(i["is_impersonation"] for i in items) == [False, True]
