"""The emulator's team, membership and permission endpoints on the wire, held to what real servers answered
(section 13 of the protocol doc, and the shapes of the shared recordings where they cover the answer)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.server.server_support import Raw

WIRE = Path(__file__).resolve().parents[2].parent / "shared" / "stackauth-wire"
MISSING_TEAM = "ad962777-8244-496a-b6a2-e0c6a449c79e"


def _recorded(version: str, name: str, step: str) -> dict[str, Any]:
    path = WIRE / version / name
    if not path.exists():
        pytest.skip("shared Stack Auth wire recordings not available")
    return json.loads(path.read_text())[step]  # type: ignore[no-any-return]


def _known(resp: requests.Response, status: int, code: str) -> dict[str, Any]:
    """A known error exactly as real servers send them: status, header, JSON ``{code, details?, error}``."""
    assert resp.status_code == status, resp.text
    assert resp.headers["x-stack-known-error"] == code
    assert resp.headers["content-type"] == "application/json; charset=utf-8"
    body: dict[str, Any] = resp.json()
    assert body["code"] == code and isinstance(body["error"], str)
    assert list(body) in (["code", "error"], ["code", "details", "error"])
    return body


def _plain(resp: requests.Response, status: int) -> str:
    assert resp.status_code == status, resp.text
    assert "x-stack-known-error" not in resp.headers
    assert resp.headers["content-type"] == "text/plain; charset=utf-8"
    return resp.text


def _user(raw: Raw, email: str) -> tuple[str, str]:
    """A user and an access token of theirs."""
    user = raw.call("POST", "/api/v1/users", json={"primary_email": email})
    assert user.status_code == 201
    uid = user.json()["id"]
    pair = raw.call("POST", "/api/v1/auth/sessions", json={"user_id": uid})
    assert pair.status_code == 200
    return uid, pair.json()["access_token"]


def test_known_error_shape_matches_the_recordings(raw: Raw) -> None:
    recorded = _recorded("v2.8.86", "flow-result.json", "err_me_no_token")
    resp = raw.call("GET", f"/api/v1/teams/{MISSING_TEAM}")
    _known(resp, 404, "TEAM_NOT_FOUND")
    assert resp.headers["content-type"] == recorded["headers"]["content-type"]
    assert set(recorded["body"]) <= set(resp.json())


def test_creations_answer_201_and_deletes_success(raw: Raw) -> None:
    owner, _ = _user(raw, "owner@example.com")
    member, _ = _user(raw, "member@example.com")
    team = raw.call("POST", "/api/v1/teams", json={"display_name": "Ops", "creator_user_id": owner})
    assert team.status_code == 201
    tid = team.json()["id"]
    assert set(team.json()) >= {"id", "display_name", "profile_image_url", "client_metadata",
                                "client_read_only_metadata", "server_metadata", "created_at_millis"}
    joined = raw.call("POST", f"/api/v1/team-memberships/{tid}/{member}")
    assert (joined.status_code, joined.json()) == (201, {"team_id": tid, "user_id": member})
    granted = raw.call("POST", f"/api/v1/team-permissions/{tid}/{member}/$delete_team")
    assert (granted.status_code, granted.json()) == (201, {"id": "$delete_team", "user_id": member, "team_id": tid})
    again = raw.call("POST", f"/api/v1/team-permissions/{tid}/{member}/$delete_team")
    assert again.status_code == 201  # granting twice: 201 both times
    raw.define("admin")
    project = raw.call("POST", f"/api/v1/project-permissions/{member}/admin")
    assert (project.status_code, project.json()) == (201, {"id": "admin", "user_id": member})
    for path in (f"/api/v1/project-permissions/{member}/admin", f"/api/v1/team-permissions/{tid}/{member}/$delete_team",
                 f"/api/v1/team-memberships/{tid}/{member}", f"/api/v1/teams/{tid}"):
        deleted = raw.call("DELETE", path)
        assert (deleted.status_code, deleted.json()) == (200, {"success": True}), path


def test_default_team_permissions_and_recursive_listing(raw: Raw) -> None:
    owner, _ = _user(raw, "o@example.com")
    member, _ = _user(raw, "m@example.com")
    tid = raw.call("POST", "/api/v1/teams", json={"display_name": "T", "creator_user_id": owner}).json()["id"]
    raw.call("POST", f"/api/v1/team-memberships/{tid}/{member}")
    listed = raw.call("GET", "/api/v1/team-permissions", params={"team_id": tid, "recursive": "true"}).json()
    assert listed["is_paginated"] is False
    held = {(i["user_id"], i["id"]) for i in listed["items"]}
    assert held == {(owner, "$read_members"), (owner, "$remove_members"), (owner, "$update_team"),
                    (member, "$read_members")}
    raw.define("auditor", scope="team", contains=["$read_members", "$manage_api_keys"])
    raw.call("POST", f"/api/v1/team-permissions/{tid}/{member}/auditor")
    flat = raw.call("GET", "/api/v1/team-permissions", params={"team_id": tid, "user_id": member}).json()
    deep = raw.call("GET", "/api/v1/team-permissions",
                    params={"team_id": tid, "user_id": member, "recursive": "true"}).json()
    assert [i["id"] for i in flat["items"]] == ["$read_members", "auditor"]
    assert [i["id"] for i in deep["items"]] == ["$manage_api_keys", "$read_members", "auditor"]


def test_permission_errors(raw: Raw) -> None:
    owner, _ = _user(raw, "e@example.com")
    stranger, _ = _user(raw, "s@example.com")
    tid = raw.call("POST", "/api/v1/teams", json={"display_name": "T", "creator_user_id": owner}).json()["id"]
    _known(raw.call("POST", f"/api/v1/team-permissions/{tid}/{owner}/undefined_perm"), 404, "PERMISSION_NOT_FOUND")
    raw.define("billing")
    body = _known(raw.call("POST", f"/api/v1/team-permissions/{tid}/{owner}/billing"), 404, "WRONG_PERMISSION_SCOPE")
    assert body["details"] == {"permission_id": "billing", "expected_scope": "team", "actual_scope": "project"}
    _known(raw.call("POST", f"/api/v1/team-permissions/{tid}/{stranger}/$read_members"), 404,
           "TEAM_MEMBERSHIP_NOT_FOUND")
    _known(raw.call("POST", f"/api/v1/team-permissions/{MISSING_TEAM}/{stranger}/$read_members"), 404,
           "TEAM_MEMBERSHIP_NOT_FOUND")
    _known(raw.call("DELETE", f"/api/v1/team-permissions/{tid}/{owner}/$delete_team"), 401,
           "TEAM_PERMISSION_NOT_FOUND")
    _known(raw.call("DELETE", f"/api/v1/project-permissions/{owner}/billing"), 404, "PERMISSION_NOT_FOUND")
    _known(raw.call("GET", "/api/v1/teams/not-a-uuid"), 400, "SCHEMA_ERROR")
    _known(raw.call("POST", f"/api/v1/team-memberships/{tid}/{owner}"), 409, "TEAM_MEMBERSHIP_ALREADY_EXISTS")


def test_definitions_need_the_admin_key(raw: Raw) -> None:
    refused = raw.call("POST", "/api/v1/project-permission-definitions", json={"id": "admin"})
    _known(refused, 401, "INSUFFICIENT_ACCESS_TYPE")
    created = raw.call("POST", "/api/v1/project-permission-definitions", access="admin", json={"id": "admin"})
    assert (created.status_code, created.json()) == (201, {"id": "admin", "contained_permission_ids": []})
    _known(raw.call("POST", "/api/v1/project-permission-definitions", access="admin", json={"id": "admin"}), 400,
           "PERMISSION_ID_ALREADY_EXISTS")
    listed = raw.call("GET", "/api/v1/project-permission-definitions", access="admin").json()
    assert [d["id"] for d in listed["items"]] == ["admin"]


def test_client_reads_only_its_own_data(raw: Raw) -> None:
    me, token = _user(raw, "me@example.com")
    other, _ = _user(raw, "other@example.com")
    for path, params in (("/api/v1/teams", {"user_id": other}),
                         ("/api/v1/team-permissions", {"user_id": other}),
                         ("/api/v1/project-permissions", {"user_id": other}),
                         ("/api/v1/auth/sessions", {"user_id": other}),
                         ("/api/v1/teams", {})):
        _plain(raw.call("GET", path, access="client", token=token, params=params), 403)
    own = raw.call("GET", "/api/v1/teams", access="client", token=token, params={"user_id": me})
    assert own.status_code == 200 and len(own.json()["items"]) == 1
    assert set(own.json()["items"][0]) == {"id", "display_name", "profile_image_url", "client_metadata",
                                           "client_read_only_metadata"}  # no server fields for clients
    same = raw.call("GET", "/api/v1/teams", access="client", token=token, params={"user_id": "me"})
    assert same.json() == own.json()
    _known(raw.call("GET", f"/api/v1/users/{me}", access="client", token=token), 401, "INSUFFICIENT_ACCESS_TYPE")
    others_team = raw.call("GET", "/api/v1/teams", params={"user_id": other}).json()["items"][0]["id"]
    _known(raw.call("GET", f"/api/v1/teams/{others_team}", access="client", token=token), 404,
           "TEAM_MEMBERSHIP_NOT_FOUND")
    _known(raw.call("POST", f"/api/v1/team-permissions/{others_team}/{me}/$read_members", access="client",
                    token=token), 401, "INSUFFICIENT_ACCESS_TYPE")


def test_client_team_edits_need_team_permissions(raw: Raw) -> None:
    owner, owner_token = _user(raw, "boss@example.com")
    member, member_token = _user(raw, "staff@example.com")
    tid = raw.call("POST", "/api/v1/teams", json={"display_name": "T", "creator_user_id": owner}).json()["id"]
    raw.call("POST", f"/api/v1/team-memberships/{tid}/{member}")
    _known(raw.call("PATCH", f"/api/v1/teams/{tid}", access="client", token=member_token,
                    json={"display_name": "Mine"}), 401, "TEAM_PERMISSION_REQUIRED")
    renamed = raw.call("PATCH", f"/api/v1/teams/{tid}", access="client", token=owner_token,
                       json={"display_name": "Ours"})
    assert renamed.status_code == 200 and renamed.json()["display_name"] == "Ours"
    _known(raw.call("DELETE", f"/api/v1/teams/{tid}", access="client", token=owner_token), 401,
           "TEAM_PERMISSION_REQUIRED")  # nobody gets $delete_team by default
    _known(raw.call("DELETE", f"/api/v1/team-memberships/{tid}/{owner}", access="client", token=member_token),
           401, "TEAM_PERMISSION_REQUIRED")
    left = raw.call("DELETE", f"/api/v1/team-memberships/{tid}/me", access="client", token=member_token)
    assert (left.status_code, left.json()) == (200, {"success": True})


def test_legacy_server_answers(raw: Raw, legacy: Any) -> None:
    uid, _ = _user(raw, "old@example.com")
    assert raw.call("GET", "/api/v1/teams", params={"user_id": uid}).json()["items"] == []  # no personal team
    tid = raw.call("POST", "/api/v1/teams", json={"display_name": "T", "creator_user_id": uid}).json()["id"]
    perms = raw.call("GET", "/api/v1/team-permissions", params={"team_id": tid, "user_id": uid}).json()
    assert perms["items"] == []  # no default permissions
    text = _plain(raw.call("GET", "/api/v1/project-permissions", params={"user_id": uid}), 404)
    _plain(raw.call("POST", f"/api/v1/project-permissions/{uid}/admin"), 404)
    _plain(raw.call("GET", "/api/v1/auth/sessions", params={"user_id": uid}), 405)
    recorded = _recorded("v2.8.86", "extra2-result.json", "unknown_route")
    assert text.split("\n")[0] == recorded["body"].split("\n")[0]


_GARBAGE: list[Any] = [None, 1, "x", [], {"display_name": None}, {"display_name": 5}, {"creator_user_id": "nope"},
                       {"display_name": "ok", "creator_user_id": "me"}, {"display_name": "ok", "extra": 1},
                       {"id": "Bad Id"}, {"id": "ok", "contained_permission_ids": "x"},
                       {"id": "ok2", "contained_permission_ids": ["missing"]}]


def test_bad_input_never_gets_a_5xx(raw: Raw) -> None:
    uid, token = _user(raw, "fuzz@example.com")
    tid = raw.call("GET", "/api/v1/teams", params={"user_id": uid}).json()["items"][0]["id"]
    paths = ["/api/v1/teams", f"/api/v1/teams/{tid}", "/api/v1/teams/zzz", f"/api/v1/team-memberships/{tid}/me",
             f"/api/v1/team-memberships/{tid}/{uid}", "/api/v1/team-memberships/x/y",
             f"/api/v1/team-permissions/{tid}/{uid}/$nope", f"/api/v1/team-permissions/{tid}/me/UPPER",
             "/api/v1/team-permissions?recursive=maybe&team_id=1", "/api/v1/project-permissions?user_id=x",
             f"/api/v1/project-permissions/{uid}/a:b", "/api/v1/project-permission-definitions",
             "/api/v1/team-permission-definitions", "/api/v1/team-permission-definitions/nope"]
    for path in paths:
        for method in ("GET", "POST", "PATCH", "DELETE"):
            for access in ("server", "client", "admin"):
                for body in _GARBAGE if method in ("POST", "PATCH") else [None]:
                    resp = raw.call(method, path, access=access, token=token if access == "client" else None,
                                    json=body)
                    assert resp.status_code < 500, (method, path, access, body, resp.text)
                    if resp.status_code >= 400 and resp.headers["content-type"].startswith("application/json"):
                        assert resp.headers["x-stack-known-error"] == resp.json()["code"]
