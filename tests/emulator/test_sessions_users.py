"""Sessions, password sign-in, users and the server-key endpoints."""

from __future__ import annotations

import requests
from emu_support import client_headers, jwt_parts, password_user, server_headers, sign_in

from flask_stackauth.emulator import Emulator, EmulatorServer


def _refresh(server: EmulatorServer, refresh_token: str) -> requests.Response:
    return requests.post(
        f"{server.url}/api/v1/auth/sessions/current/refresh",
        headers={**client_headers(server), "x-stack-refresh-token": refresh_token},
    )


def _grant(server: EmulatorServer, refresh_token: str) -> requests.Response:
    return requests.post(
        f"{server.url}/api/v1/auth/oauth/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": "internal",
            "client_secret": server.publishable_key,
        },
    )


def test_refresh_both_ways_without_rotation(server: EmulatorServer, emu: Emulator) -> None:
    tokens = sign_in(server, "ref@example.com")
    emu.advance_clock(30)
    a = _refresh(server, tokens["refresh_token"])
    assert a.status_code == 200 and list(a.json()) == ["access_token"]
    b = _grant(server, tokens["refresh_token"])
    assert b.status_code == 200 and "refresh_token" not in b.json()
    ca, cb = jwt_parts(a.json()["access_token"])[1], jwt_parts(b.json()["access_token"])[1]
    assert ca["refresh_token_id"] == cb["refresh_token_id"] == jwt_parts(tokens["access_token"])[1]["refresh_token_id"]
    assert ca["iat"] >= jwt_parts(tokens["access_token"])[1]["iat"] + 30
    assert _refresh(server, "bogus").json()["code"] == "REFRESH_TOKEN_NOT_FOUND_OR_EXPIRED"
    missing = requests.post(f"{server.url}/api/v1/auth/sessions/current/refresh", headers=client_headers(server))
    assert missing.status_code == 400 and missing.json()["code"] == "SCHEMA_ERROR"


def test_sign_out_then_refresh_fails(server: EmulatorServer) -> None:
    tokens = password_user(server, "out@example.com")
    url = f"{server.url}/api/v1/auth/sessions/current"
    resp = requests.delete(url, json={}, headers=client_headers(server, tokens["access_token"]))
    assert resp.status_code == 200 and resp.json() == {"success": True}
    assert _refresh(server, tokens["refresh_token"]).status_code == 401
    assert _grant(server, tokens["refresh_token"]).json()["code"] == "REFRESH_TOKEN_NOT_FOUND_OR_EXPIRED"
    again = requests.delete(url, json={}, headers=client_headers(server, tokens["access_token"]))
    assert again.status_code == 401 and again.json()["code"] == "REFRESH_TOKEN_NOT_FOUND_OR_EXPIRED"
    no_token = requests.delete(url, json={}, headers=client_headers(server))
    assert no_token.status_code == 401 and no_token.json()["code"] == "ACCESS_TOKEN_EXPIRED"


def test_revoke_control_and_expired_refresh_token(server: EmulatorServer, emu: Emulator) -> None:
    one = password_user(server, "rv@example.com")
    assert emu.revoke_refresh_token(one["refresh_token"]) is True
    assert _refresh(server, one["refresh_token"]).status_code == 401
    two = requests.post(
        f"{server.url}/api/v1/auth/password/sign-in",
        json={"email": "rv@example.com", "password": "password123"},
        headers=client_headers(server),
    ).json()
    resp = requests.post(f"{server.url}/_emulator/revoke-refresh-token", json={"refresh_token": two["refresh_token"]})
    assert resp.json() == {"revoked": True}
    assert _refresh(server, two["refresh_token"]).status_code == 401
    three = requests.post(
        f"{server.url}/api/v1/auth/sessions",
        json={"user_id": one["user_id"], "expires_in_millis": 60_000},
        headers=server_headers(server),
    )
    assert three.status_code == 200 and list(three.json()) == ["refresh_token", "access_token"]
    emu.advance_clock(61)
    assert _refresh(server, three.json()["refresh_token"]).status_code == 401


def test_session_listing_and_deleting(server: EmulatorServer) -> None:
    first = password_user(server, "ls@example.com")
    second = requests.post(
        f"{server.url}/api/v1/auth/password/sign-in",
        json={"email": "ls@example.com", "password": "password123"},
        headers=client_headers(server),
    ).json()
    url = f"{server.url}/api/v1/auth/sessions"
    listing = requests.get(url, params={"user_id": "me"}, headers=client_headers(server, first["access_token"]))
    assert listing.status_code == 200
    body = listing.json()
    assert body["is_paginated"] is False and len(body["items"]) == 2
    # As v2.8.86 answers (account-result.json): newest first, no IP info key when none is known.
    assert list(body["items"][0]) == [
        "is_current_session",
        "last_used_at",
        "is_impersonation",
        "created_at",
        "user_id",
        "id",
    ]
    current_id = jwt_parts(first["access_token"])[1]["refresh_token_id"]
    assert [i["is_current_session"] for i in body["items"]] == [False, True]
    own = requests.delete(
        f"{url}/{current_id}", params={"user_id": "me"}, headers=client_headers(server, first["access_token"])
    )
    assert own.status_code == 400 and own.json()["code"] == "CANNOT_DELETE_CURRENT_SESSION"
    unknown = requests.delete(
        f"{url}/00000000-0000-0000-0000-000000000000",
        params={"user_id": "me"},
        headers=client_headers(server, first["access_token"]),
    )
    assert unknown.status_code == 404 and unknown.text == "Session not found."
    other_id = jwt_parts(second["access_token"])[1]["refresh_token_id"]
    ok = requests.delete(
        f"{url}/{other_id}", params={"user_id": "me"}, headers=client_headers(server, first["access_token"])
    )
    assert ok.status_code == 200 and ok.json() == {"success": True}
    assert _refresh(server, second["refresh_token"]).status_code == 401
    other_user = password_user(server, "ls2@example.com")
    forbidden = requests.get(
        url, params={"user_id": other_user["user_id"]}, headers=client_headers(server, first["access_token"])
    )
    assert forbidden.status_code == 403
    by_server = requests.get(url, params={"user_id": other_user["user_id"]}, headers=server_headers(server))
    assert len(by_server.json()["items"]) == 1


def test_create_session_with_server_key(server: EmulatorServer, emu: Emulator) -> None:
    user = emu.create_user("srv@example.com")
    url = f"{server.url}/api/v1/auth/sessions"
    ok = requests.post(url, json={"user_id": user["id"]}, headers=server_headers(server))
    assert ok.status_code == 200 and jwt_parts(ok.json()["access_token"])[1]["sub"] == user["id"]
    missing = requests.post(
        url, json={"user_id": "00000000-0000-0000-0000-000000000000"}, headers=server_headers(server)
    )
    assert missing.status_code == 400 and missing.json()["code"] == "USER_ID_DOES_NOT_EXIST"
    client = requests.post(url, json={"user_id": user["id"]}, headers=client_headers(server))
    assert client.status_code == 401 and client.json()["code"] == "INSUFFICIENT_ACCESS_TYPE"
    direct = emu.create_session(user["id"])
    assert set(direct) == {"access_token", "refresh_token"}


def test_password_flows(server: EmulatorServer, emu: Emulator) -> None:
    url = f"{server.url}/api/v1/auth/password"
    h = client_headers(server)
    up = requests.post(f"{url}/sign-up", json={"email": "pw@example.com", "password": "password123"}, headers=h)
    assert up.status_code == 200 and list(up.json()) == ["access_token", "refresh_token", "user_id"]
    dup = requests.post(f"{url}/sign-up", json={"email": "pw@example.com", "password": "password123"}, headers=h)
    assert dup.status_code == 409 and dup.json()["details"] == {
        "email": "pw@example.com",
        "would_work_if_email_was_verified": False,
    }
    short = requests.post(f"{url}/sign-up", json={"email": "s@example.com", "password": "short"}, headers=h)
    assert short.status_code == 400 and short.json()["details"] == {"min_length": 8}
    good = requests.post(f"{url}/sign-in", json={"email": "pw@example.com", "password": "password123"}, headers=h)
    assert good.status_code == 200 and good.json()["user_id"] == up.json()["user_id"]
    bad = requests.post(f"{url}/sign-in", json={"email": "pw@example.com", "password": "nope-nope"}, headers=h)
    assert bad.status_code == 400 and bad.json()["code"] == "EMAIL_PASSWORD_MISMATCH"
    assert "password123" not in emu.data.users[up.json()["user_id"]].password_hash  # type: ignore[operator]
    cb = requests.post(
        f"{url}/sign-up",
        json={
            "email": "v@example.com",
            "password": "password123",
            "verification_callback_url": "http://localhost:5000/verify",
        },
        headers=h,
    )
    assert cb.status_code == 200 and emu.emails[-1]["to"] == "v@example.com"
    assert emu.emails[-1]["link"].startswith("http://localhost:5000/verify?code=")
    emu.project.sign_up_enabled = False
    off = requests.post(f"{url}/sign-up", json={"email": "x@example.com", "password": "password123"}, headers=h)
    assert off.json()["code"] == "SIGN_UP_NOT_ENABLED"
    emu.project.credential_enabled = False
    cred = requests.post(f"{url}/sign-in", json={"email": "pw@example.com", "password": "password123"}, headers=h)
    assert cred.json()["code"] == "PASSWORD_AUTHENTICATION_NOT_ENABLED"


def test_users_me_shape_and_patch(server: EmulatorServer) -> None:
    tokens = password_user(server, "me@example.com")
    url = f"{server.url}/api/v1/users/me"
    me = requests.get(url, headers=client_headers(server, tokens["access_token"])).json()
    assert set(me) == {
        "restricted_by_admin_reason",
        "restricted_by_admin",
        "restricted_reason",
        "is_restricted",
        "is_anonymous",
        "passkey_auth_enabled",
        "otp_auth_enabled",
        "requires_totp_mfa",
        "selected_team_id",
        "oauth_providers",
        "auth_with_email",
        "has_password",
        "signed_up_at_millis",
        "profile_image_url",
        "client_read_only_metadata",
        "client_metadata",
        "display_name",
        "primary_email_verified",
        "primary_email",
        "id",
        "selected_team",
    }
    assert me["has_password"] is True and me["auth_with_email"] is True and me["primary_email_verified"] is False
    patched = requests.patch(
        url,
        json={"display_name": "Ada", "client_metadata": {"a": 1}},
        headers=client_headers(server, tokens["access_token"]),
    )
    assert patched.status_code == 200 and patched.json()["display_name"] == "Ada"
    assert patched.json()["client_metadata"] == {"a": 1}
    sneaky = requests.patch(
        url, json={"server_metadata": {"admin": True}}, headers=client_headers(server, tokens["access_token"])
    )
    assert sneaky.status_code == 400 and sneaky.json()["code"] == "SCHEMA_ERROR"
    as_server = requests.get(url, headers=server_headers(server, tokens["access_token"])).json()
    assert {"server_metadata", "primary_email_auth_enabled", "last_active_at_millis"} <= set(as_server)
    delete = requests.delete(url, headers=client_headers(server, tokens["access_token"]))
    # Both real servers: 400 text/plain "Client user deletion is not enabled for this project".
    assert delete.status_code == 400 and delete.text == "Client user deletion is not enabled for this project"


def test_server_user_crud_and_errors(server: EmulatorServer, emu: Emulator) -> None:
    h = server_headers(server)
    url = f"{server.url}/api/v1/users"
    created = requests.post(
        url,
        json={
            "primary_email": "c@example.com",
            "password": "password123",
            "primary_email_auth_enabled": True,
            "display_name": "C",
            "server_metadata": {"x": 1},
        },
        headers=h,
    )
    assert created.status_code == 201 and created.json()["selected_team_id"] is None
    uid = created.json()["id"]
    assert requests.get(f"{url}/{uid}", headers=h).json()["selected_team_id"] is not None  # team made afterwards
    signin = requests.post(
        f"{server.url}/api/v1/auth/password/sign-in",
        json={"email": "c@example.com", "password": "password123"},
        headers=client_headers(server),
    )
    assert signin.status_code == 200
    dup = requests.post(url, json={"primary_email": "c@example.com", "primary_email_auth_enabled": True}, headers=h)
    assert dup.status_code == 409
    patched = requests.patch(f"{url}/{uid}", json={"display_name": "D", "primary_email_verified": True}, headers=h)
    assert patched.json()["display_name"] == "D" and patched.json()["primary_email_verified"] is True
    own = requests.get(f"{url}/{uid}", headers=client_headers(server, signin.json()["access_token"]))
    assert own.status_code == 401 and own.json()["code"] == "INSUFFICIENT_ACCESS_TYPE"
    missing = requests.get(f"{url}/00000000-0000-0000-0000-000000000000", headers=h)
    assert missing.status_code == 404 and missing.json() == {"code": "USER_NOT_FOUND", "error": "User not found."}
    token = signin.json()["access_token"]
    assert requests.delete(f"{url}/{uid}", headers=h).json() == {"success": True}
    gone = requests.get(f"{server.url}/api/v1/users/me", headers=client_headers(server, token))
    assert gone.status_code == 400 and gone.json()["code"] == "CANNOT_GET_OWN_USER_WITHOUT_USER"
    assert _refresh(server, signin.json()["refresh_token"]).status_code == 401
    assert requests.delete(f"{url}/{uid}", headers=h).status_code == 404


def test_user_list_pagination(server: EmulatorServer, emu: Emulator) -> None:
    ids = []
    for i in range(5):
        ids.append(emu.create_user(f"u{i}@example.com")["id"])
        emu.advance_clock(1)
    emu.create_user(anonymous=True)
    url = f"{server.url}/api/v1/users"
    h = server_headers(server)
    everything = requests.get(url, headers=h).json()
    assert [u["id"] for u in everything["items"]] == ids and everything["pagination"] == {"next_cursor": None}
    assert everything["is_paginated"] is True
    page1 = requests.get(url, params={"limit": 2}, headers=h).json()
    assert [u["id"] for u in page1["items"]] == ids[:2] and page1["pagination"]["next_cursor"] == ids[2]
    page2 = requests.get(url, params={"limit": 2, "cursor": ids[2]}, headers=h).json()
    assert [u["id"] for u in page2["items"]] == ids[2:4]
    unknown = requests.get(url, params={"limit": 2, "cursor": "00000000-0000-0000-0000-000000000000"}, headers=h)
    assert unknown.json()["items"] == [] and unknown.json()["pagination"]["next_cursor"] is None
    desc = requests.get(url, params={"desc": "true", "order_by": "signed_up_at"}, headers=h).json()
    assert [u["id"] for u in desc["items"]] == ids[::-1]
    query = requests.get(url, params={"query": "U3@"}, headers=h).json()
    assert [u["id"] for u in query["items"]] == [ids[3]]
    zero = requests.get(url, params={"limit": 0}, headers=h)
    assert zero.status_code == 400 and zero.json()["code"] == "SCHEMA_ERROR"
    client = requests.get(url, headers=client_headers(server))
    assert client.status_code == 401 and client.json()["code"] == "INSUFFICIENT_ACCESS_TYPE"


def test_malformed_user_id_is_a_schema_error_unknown_uuid_is_user_not_found(server: EmulatorServer) -> None:
    for method in ("GET", "PATCH", "DELETE"):
        bad = requests.request(method, f"{server.url}/api/v1/users/not-a-uuid", headers=server_headers(server),
                               json={} if method == "PATCH" else None)
        assert bad.status_code == 400
        assert bad.headers["x-stack-known-error"] == "SCHEMA_ERROR"
        assert "params.user_id must be a valid UUID" in bad.json()["error"]
    unknown = requests.get(f"{server.url}/api/v1/users/3241a285-8329-4d69-8f3d-316e08cf140c",
                           headers=server_headers(server))
    assert unknown.status_code == 404
    assert unknown.headers["x-stack-known-error"] == "USER_NOT_FOUND"
