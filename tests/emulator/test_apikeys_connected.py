"""The emulator's API keys and connected accounts, held to the recordings of v2.8.86 and v2.7.16."""

from __future__ import annotations

import re
import zlib
from typing import Any

import pytest
import requests
from emu_support import authorize_url, client_headers, exchange, load_recording, query_of, server_headers, sign_in
from test_recordings import assert_like

from flask_stackauth.emulator import EmulatorServer
from flask_stackauth.emulator.client import complete_oauth

KEY_FORMAT = re.compile(r"^(sk|pk)_[a-z0-9]{45}[0-9a-f]{32}(user|team)[0-9a-z]574ck4u7h[0-9a-f]{8}$")


def _rec(version: str, name: str, step: str) -> dict[str, Any]:
    data = load_recording(version, name)
    if data is None:
        pytest.skip("recordings not available")
    return data[step]  # type: ignore[no-any-return]


def _enable(server: EmulatorServer, **flags: bool) -> None:
    resp = requests.post(f"{server.url}/_emulator/project", json=flags, timeout=10)
    assert resp.status_code == 200, resp.text


def _user(server: EmulatorServer, email: str) -> tuple[str, str]:
    user = server.emulator.create_user(email)
    return user["id"], server.emulator.create_session(user["id"])["access_token"]


def _post(server: EmulatorServer, path: str, body: Any, headers: dict[str, str]) -> requests.Response:
    return requests.post(server.url + path, json=body, headers=headers, timeout=10)


def test_project_control_and_projects_current(server: EmulatorServer) -> None:
    _enable(server, allow_user_api_keys=True)
    config = requests.get(f"{server.url}/api/v1/projects/current", headers=client_headers(server),
                          timeout=10).json()["config"]
    assert config["allow_user_api_keys"] is True and config["allow_team_api_keys"] is False
    bad = requests.post(f"{server.url}/_emulator/project", json={"allow_user_api_keys": "yes"}, timeout=10)
    assert bad.status_code == 400
    assert requests.post(f"{server.url}/_emulator/project", json={"secret_server_key": "x"},
                         timeout=10).status_code == 400


def test_feature_off_is_a_plain_text_400(server: EmulatorServer) -> None:
    _, token = _user(server, "keys@example.com")
    resp = _post(server, "/api/v1/user-api-keys", {"description": "k", "expires_at_millis": None, "user_id": "me"},
                 client_headers(server, token))
    assert_like(resp, _rec("v2.8.86", "apikeys-result.json", "err_user_create_disabled"))
    resp = _post(server, "/api/v1/user-api-keys/check", {"api_key": "sk_anything"}, server_headers(server))
    assert_like(resp, _rec("v2.8.86", "apikeys-result.json", "err_user_check_disabled"))


def test_user_key_lifecycle(server: EmulatorServer) -> None:
    _enable(server, allow_user_api_keys=True, allow_team_api_keys=True)
    rec = "apikeys-result.json"
    uid, token = _user(server, "keys@example.com")
    _, other_token = _user(server, "other@example.com")
    client = client_headers(server, token)
    created = _post(server, "/api/v1/user-api-keys", {"description": "Rec user key", "expires_at_millis": None,
                                                      "user_id": "me"}, client)
    assert_like(created, _rec("v2.8.86", rec, "user_create"))
    key = created.json()
    assert len(key["value"]) == 102 and KEY_FORMAT.match(key["value"])
    assert key["value"][48:80] == key["id"].replace("-", "")
    assert key["value"][-8:] == format(zlib.crc32(key["value"][:-8].encode()), "08x")
    public = _post(server, "/api/v1/user-api-keys", {"description": "p", "expires_at_millis": None,
                                                     "user_id": "me", "is_public": True}, client).json()
    assert public["value"].startswith("pk_") and public["value"][84] == "3"

    check = _post(server, "/api/v1/user-api-keys/check", {"api_key": key["value"]}, server_headers(server))
    assert_like(check, _rec("v2.8.86", rec, "user_check"))
    assert check.json()["value"] == {"last_four": key["value"][-4:]}
    # One checksum character changed (to another one: the key's own last character may already be "0").
    bad_checksum = key["value"][:-1] + ("1" if key["value"].endswith("0") else "0")
    for step, body in (("err_user_check_malformed", {"api_key": "sk_this-is-not-a-key"}),
                       ("err_user_check_bad_checksum", {"api_key": bad_checksum}),
                       ("err_user_check_empty", {"api_key": ""}),
                       ("err_user_check_missing_api_key", {})):
        assert_like(_post(server, "/api/v1/user-api-keys/check", body, server_headers(server)),
                    _rec("v2.8.86", rec, step))
    assert_like(_post(server, "/api/v1/user-api-keys/check", {"api_key": key["value"]}, client),
                _rec("v2.8.86", rec, "err_user_check_client_access"))
    assert_like(_post(server, "/api/v1/team-api-keys/check", {"api_key": key["value"]}, server_headers(server)),
                _rec("v2.8.86", rec, "err_team_check_with_user_key"))
    for step, body in (("err_user_create_missing_expires", {"description": "k", "user_id": "me"}),
                       ("err_user_create_with_team_id", {"description": "k", "expires_at_millis": None,
                                                         "team_id": "eaeda395-0a1c-4393-ae0a-dc17be627156"})):
        resp = _post(server, "/api/v1/user-api-keys", body, client)
        assert_like(resp, _rec("v2.8.86", rec, step), exact_message=False)
        assert resp.json()["error"].split(":\n")[1] == _rec("v2.8.86", rec, step)["body"]["error"].split(":\n")[1]

    listed = requests.get(f"{server.url}/api/v1/user-api-keys", params={"user_id": "me"}, headers=client,
                          timeout=10)
    assert_like(listed, _rec("v2.8.86", rec, "user_list"))
    assert [k["id"] for k in listed.json()["items"]] == [public["id"], key["id"]]  # newest first
    assert_like(requests.get(f"{server.url}/api/v1/user-api-keys/{key['id']}", params={"user_id": "me"},
                             headers=client_headers(server, other_token), timeout=10),
                _rec("v2.8.86", rec, "err_user_read_by_other_user"))
    path = f"{server.url}/api/v1/user-api-keys/{key['id']}"
    assert_like(requests.patch(path, params={"user_id": uid}, json={"revoked": False}, headers=client, timeout=10),
                _rec("v2.8.86", rec, "err_user_unrevoke"), exact_message=False)
    revoked = requests.patch(path, params={"user_id": uid}, json={"revoked": True}, headers=client, timeout=10)
    assert_like(revoked, _rec("v2.8.86", rec, "user_revoke"))
    again = requests.patch(path, params={"user_id": uid}, json={"revoked": True}, headers=client, timeout=10)
    assert again.json()["manually_revoked_at_millis"] == revoked.json()["manually_revoked_at_millis"]
    assert_like(_post(server, "/api/v1/user-api-keys/check", {"api_key": key["value"]}, server_headers(server)),
                _rec("v2.8.86", rec, "err_user_check_revoked"))
    assert requests.delete(path, headers=client, timeout=10).status_code == 405

    soon = _post(server, "/api/v1/user-api-keys", {"description": "soon", "user_id": "me",
                                                   "expires_at_millis": (server.emulator.now() + 3) * 1000},
                 client).json()
    assert _post(server, "/api/v1/user-api-keys/check", {"api_key": soon["value"]},
                 server_headers(server)).status_code == 200
    server.emulator.advance_clock(5)
    assert_like(_post(server, "/api/v1/user-api-keys/check", {"api_key": soon["value"]}, server_headers(server)),
                _rec("v2.8.86", rec, "err_user_check_expiring_soon_after"))

    _enable(server, allow_user_api_keys=False)
    assert_like(_post(server, "/api/v1/user-api-keys/check", {"api_key": public["value"]}, server_headers(server)),
                _rec("v2.8.86", rec, "err_user_check_after_disable"))


def test_team_keys_need_manage_api_keys(server: EmulatorServer) -> None:
    _enable(server, allow_team_api_keys=True, allow_user_api_keys=True)
    rec = "apikeys-result.json"
    uid, token = _user(server, "teamkeys@example.com")
    _, outsider = _user(server, "outsider@example.com")
    team = _post(server, "/api/v1/teams", {"display_name": "T", "creator_user_id": uid}, server_headers(server))
    tid = team.json()["id"]
    body = {"description": "Rec team key", "expires_at_millis": None, "team_id": tid}
    assert_like(_post(server, "/api/v1/team-api-keys", body, client_headers(server, token)),
                _rec("v2.8.86", rec, "err_team_create_without_manage_permission"))
    assert _post(server, f"/api/v1/team-permissions/{tid}/{uid}/$manage_api_keys", {},
                 server_headers(server)).status_code == 201
    created = _post(server, "/api/v1/team-api-keys", body, client_headers(server, token))
    assert_like(created, _rec("v2.8.86", rec, "team_create"))
    assert_like(_post(server, "/api/v1/team-api-keys", body, client_headers(server, outsider)),
                _rec("v2.8.86", rec, "err_team_create_outsider"))
    check = _post(server, "/api/v1/team-api-keys/check", {"api_key": created.json()["value"]},
                  server_headers(server))
    assert_like(check, _rec("v2.8.86", rec, "team_check"))
    assert_like(_post(server, "/api/v1/user-api-keys/check", {"api_key": created.json()["value"]},
                      server_headers(server)), _rec("v2.8.86", rec, "err_user_check_with_team_key"))
    assert_like(requests.get(f"{server.url}/api/v1/team-api-keys", headers=client_headers(server, token),
                             timeout=10), _rec("v2.8.86", rec, "err_team_list_without_team_id"))


def test_v27_has_no_api_key_routes(legacy_server: EmulatorServer) -> None:
    rec = "apikeys-result.json"
    _enable(legacy_server, allow_user_api_keys=True)
    assert_like(_post(legacy_server, "/api/v1/user-api-keys/check", {"api_key": "sk_anything"},
                      server_headers(legacy_server)), _rec("v2.7.16", rec, "err_user_check_disabled"))
    _, token = _user(legacy_server, "old@example.com")
    assert_like(_post(legacy_server, "/api/v1/user-api-keys", {"description": "k", "expires_at_millis": None,
                                                               "user_id": "me"}, client_headers(legacy_server, token)),
                _rec("v2.7.16", rec, "err_user_create_disabled"))


# --- connected accounts -----------------------------------------------------------------------------------------


def _connected_user(server: EmulatorServer, email: str) -> str:
    token: str = sign_in(server, email)["access_token"]
    return token


def test_connected_accounts_and_tokens(server: EmulatorServer) -> None:
    rec = "connected-result.json"
    token = _connected_user(server, "conn@example.com")
    client = client_headers(server, token)
    listed = requests.get(f"{server.url}/api/v1/connected-accounts/me", headers=client, timeout=10)
    assert_like(listed, _rec("v2.8.86", rec, "connected_accounts_list"))
    assert listed.json()["items"][0]["provider_account_id"] == "conn@example.com"
    first = _post(server, "/api/v1/connected-accounts/me/github/access-token", {"scope": ""}, client)
    assert_like(first, _rec("v2.8.86", rec, "access_token_empty_scope"))
    assert len(first.json()["access_token"]) == 43
    again = _post(server, "/api/v1/connected-accounts/me/github/access-token", {"scope": "openid"}, client)
    assert again.json() == first.json()
    for step, path, body in (
        ("err_access_token_scope_not_granted", "me/github", {"scope": "repo admin:org"}),
        ("err_access_token_unknown_provider", "me/nope", {"scope": ""}),
        ("err_access_token_provider_never_connected", "me/google", {"scope": ""}),
        ("err_access_token_scope_not_string", "me/github", {"scope": ["openid"]}),
    ):
        resp = _post(server, f"/api/v1/connected-accounts/{path}/access-token", body, client)
        assert_like(resp, _rec("v2.8.86", rec, step), exact_message=step != "err_access_token_scope_not_string")
    assert_like(_post(server, "/api/v1/connected-accounts/me/github/conn%40example.com/access-token", {}, client),
                _rec("v2.8.86", rec, "access_token_per_account"))
    assert_like(_post(server, "/api/v1/connected-accounts/me/github/access-token", {"scope": ""},
                      client_headers(server)), _rec("v2.8.86", rec, "err_access_token_no_session"))


def test_link_flow_adds_a_provider_and_scopes(server: EmulatorServer) -> None:
    token = _connected_user(server, "link@example.com")
    client = client_headers(server, token)
    assert _post(server, "/api/v1/connected-accounts/me/github/access-token", {"scope": "repo"},
                 client).status_code == 400
    flow = authorize_url(server, "github", type="link", token=token, provider_scope="repo user:email")
    location = complete_oauth(flow.url, "link@example.com")
    assert exchange(server, flow, query_of(location)["code"]).status_code == 200
    granted = _post(server, "/api/v1/connected-accounts/me/github/access-token", {"scope": "repo user:email"},
                    client)
    assert granted.status_code == 201, granted.text
    flow = authorize_url(server, "spotify", type="link", token=token)
    location = complete_oauth(flow.url, "link@example.com")
    assert exchange(server, flow, query_of(location)["code"]).status_code == 200
    items = requests.get(f"{server.url}/api/v1/connected-accounts/me", headers=client, timeout=10).json()["items"]
    assert [i["provider"] for i in items] == ["github", "spotify"]


def test_shared_keys_refuse_extra_scopes(server: EmulatorServer) -> None:
    token = _connected_user(server, "shared@example.com")
    _enable(server, shared_oauth_keys=True)
    flow = authorize_url(server, "github", type="link", token=token, provider_scope="repo")
    resp = requests.get(flow.url, allow_redirects=False, timeout=10)
    assert_like(resp, _rec("v2.8.86", "connected-result.json", "authorize_link_with_provider_scope"))


def test_v27_connected_accounts(legacy_server: EmulatorServer) -> None:
    rec = "connected-result.json"
    token = _connected_user(legacy_server, "old-conn@example.com")
    client = client_headers(legacy_server, token)
    assert_like(requests.get(f"{legacy_server.url}/api/v1/connected-accounts/me", headers=client, timeout=10),
                _rec("v2.7.16", rec, "connected_accounts_list"))
    for step, path in (("access_token_empty_scope", "me/github"),
                       ("err_access_token_unknown_provider", "me/nope")):
        assert_like(_post(legacy_server, f"/api/v1/connected-accounts/{path}/access-token", {"scope": ""}, client),
                    _rec("v2.7.16", rec, step))
    old = _post(legacy_server, "/api/v1/auth/oauth/connected-accounts/github/access-token", {"scope": ""}, client)
    assert_like(old, _rec("v2.7.16", rec, "access_token_deprecated_route"))
