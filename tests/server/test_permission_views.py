"""@permission_required, @team_permission_required and current_user's team/permission helpers in views."""

from __future__ import annotations

from typing import Any

from flask import Flask

from tests.helpers import sign_out
from tests.server.server_support import Raw, make_server_app, stack

PROJECT_PERMISSIONS = "/api/v1/project-permissions"
TEAM_PERMISSIONS = "/api/v1/team-permissions"
JSON = {"Accept": "application/json"}
HTML = {"Accept": "text/html"}


def _sign_out(client: Any) -> None:
    assert sign_out(client).status_code == 303


def _team_with(app: Flask, owner_id: str, *members: str) -> str:
    with app.app_context():
        team = stack.server.teams.create(display_name="Ops", creator_user_id=owner_id)
        for member in members:
            stack.server.teams.add_member(team.id, member)
        return team.id


def test_permission_required_needs_a_user_first(client: Any) -> None:
    html = client.get("/admin", headers=HTML)
    assert html.status_code == 302 and html.headers["Location"].startswith("/auth/login?next=/admin")
    api = client.get("/admin", headers=JSON)
    assert api.status_code == 401 and api.json["code"] == "USER_AUTHENTICATION_REQUIRED"


def test_project_permission_missing_then_granted(app: Flask, client: Any, stackauth_login: Any,
                                                 raw: Raw) -> None:
    raw.define("admin")
    user = stackauth_login(client, "boss@example.com")
    api = client.get("/admin", headers=JSON)
    assert api.status_code == 403
    assert api.json["code"] == "PROJECT_PERMISSION_REQUIRED"
    assert api.json["details"] == {"permission_id": "admin", "team_id": None}
    page = client.get("/admin", headers=HTML)
    assert page.status_code == 403 and "text/html" in page.content_type
    assert "admin" in page.get_data(as_text=True)
    with app.app_context():
        stack.server.permissions.grant(user["id"], "admin")  # drops this process's cached answer
    assert client.get("/admin", headers=JSON).json == {"admin": user["id"]}


def test_answers_are_cached_per_user_and_dropped_on_sign_out(client: Any, stackauth_login: Any, raw: Raw,
                                                             emu: Any) -> None:
    raw.define("admin")
    user = stackauth_login(client, "cached@example.com")
    assert client.get("/admin", headers=JSON).status_code == 403
    # Granted by another process: this one keeps its cached answer for STACK_PERMISSION_CACHE_TTL seconds.
    assert raw.call("POST", f"/api/v1/project-permissions/{user['id']}/admin").status_code == 201
    for _ in range(5):
        assert client.get("/admin", headers=JSON).status_code == 403
    assert emu.calls("GET", PROJECT_PERMISSIONS) == 1
    _sign_out(client)
    stackauth_login(client, "cached@example.com")
    assert client.get("/admin", headers=JSON).status_code == 200
    assert emu.calls("GET", PROJECT_PERMISSIONS) == 2


def test_cache_ttl_zero_asks_every_time(stackauth_config: dict[str, Any], stackauth_login: Any, raw: Raw,
                                        emu: Any) -> None:
    raw.define("admin")
    client = make_server_app(stackauth_config, STACK_PERMISSION_CACHE_TTL=0).test_client()
    user = stackauth_login(client, "nocache@example.com")
    assert client.get("/admin", headers=JSON).status_code == 403
    assert raw.call("POST", f"/api/v1/project-permissions/{user['id']}/admin").status_code == 201
    assert client.get("/admin", headers=JSON).status_code == 200
    assert emu.calls("GET", PROJECT_PERMISSIONS) == 2


def test_team_permission_from_a_view_argument(app: Flask, client: Any, stackauth_login: Any, emu: Any) -> None:
    member = stackauth_login(client, "member@example.com")
    with app.app_context():
        owner = stack.server.users.create(primary_email="owner@example.com")
    team_id = _team_with(app, owner.id, member["id"])
    assert client.get(f"/teams/{team_id}/members", headers=JSON).json == {"team": team_id}

    other_team = _team_with(app, owner.id)
    denied = client.get(f"/teams/{other_team}/members", headers=JSON)
    assert denied.status_code == 403
    assert denied.json["code"] == "TEAM_PERMISSION_REQUIRED"
    assert denied.json["details"] == {"permission_id": "$read_members", "team_id": other_team}
    unknown = client.get("/teams/ad962777-8244-496a-b6a2-e0c6a449c79e/members", headers=JSON)
    assert unknown.status_code == 403
    calls = emu.calls("GET", TEAM_PERMISSIONS)
    garbage = client.get("/teams/not-a-team/members", headers=JSON)
    assert garbage.status_code == 403 and garbage.json["code"] == "TEAM_PERMISSION_REQUIRED"
    assert emu.calls("GET", TEAM_PERMISSIONS) == calls  # nobody holds permissions in a team that cannot exist


def test_team_permission_from_a_callable_on_an_async_view(app: Flask, client: Any, stackauth_login: Any) -> None:
    user = stackauth_login(client, "creator@example.com")
    personal = client.get("/selected-team", headers=JSON)  # the personal team's creator has $update_team
    assert personal.status_code == 200 and personal.json["team"]
    with app.app_context():
        stack.server.permissions.revoke(user["id"], "$update_team", team_id=personal.json["team"])
    assert client.get("/selected-team", headers=JSON).status_code == 403
    with app.app_context():
        stack.server.teams.delete(personal.json["team"])
    stackauth_login(client, "creator@example.com")  # a new token: no selected team any more
    none_selected = client.get("/selected-team", headers=JSON)
    assert none_selected.status_code == 403 and "no team was selected" in none_selected.json["error"]


def test_checks_work_without_the_server_key(stackauth_config: dict[str, Any], stackauth_bearer: Any,
                                            raw: Raw) -> None:
    config = {k: v for k, v in stackauth_config.items() if k != "STACK_SECRET_SERVER_KEY"}
    client = make_server_app(config).test_client()
    token = stackauth_bearer("keyless@example.com")
    headers = {"Authorization": f"Bearer {token}"}
    me = client.get("/me", headers=headers).json
    assert me["can_read"] is True and me["teams"] == ["keyless@example.com's Team"]
    raw.define("admin")
    assert client.get("/admin", headers=headers).status_code == 403
    assert raw.call("POST", f"/api/v1/project-permissions/{me['id']}/admin").status_code == 201
    assert client.get("/admin", headers={"Authorization": f"Bearer {stackauth_bearer('keyless@example.com')}"}
                      ).status_code == 403  # still cached for this user


def test_current_user_teams_and_selected_team(app: Flask, client: Any, stackauth_login: Any) -> None:
    user = stackauth_login(client, "teams@example.com")
    with app.app_context():
        owner = stack.server.users.create(primary_email="boss@example.com")
    _team_with(app, owner.id, user["id"])
    me = client.get("/me").json
    assert me["teams"] == ["teams@example.com's Team", "Ops"]
    assert me["selected_team"] == "teams@example.com's Team"
    assert me["can_read"] is True


def test_current_user_update(app: Flask, client: Any, stackauth_login: Any, emu: Any) -> None:
    stackauth_login(client, "rename@example.com")
    other_session = app.test_client()
    stackauth_login(other_session, "rename@example.com")
    assert other_session.get("/me").json["client_metadata"] is None  # cached for that session's token
    before = emu.calls("POST", "/api/v1/auth/oauth/token")
    changed = client.post("/me").json
    assert changed == {"display_name": "Renamed", "client_metadata": {"theme": "dark"}}
    # The session got a fresh access token, so later requests see the new name in the claims too.
    assert emu.calls("POST", "/api/v1/auth/oauth/token") == before + 1
    assert client.get("/me").json["display_name"] == "Renamed"
    # Cached profiles of this user were dropped, including the one of the user's other session.
    assert other_session.get("/me").json["client_metadata"] == {"theme": "dark"}


def test_legacy_server_project_permissions_are_not_supported(client: Any, stackauth_login: Any,
                                                             legacy: Any) -> None:
    stackauth_login(client, "old@example.com")
    response = client.get("/admin", headers=JSON)
    assert response.status_code == 501 and response.json["code"] == "NOT_SUPPORTED_BY_SERVER"


def test_an_outage_is_a_503_and_is_not_cached(client: Any, stackauth_login: Any, raw: Raw, emu: Any) -> None:
    raw.define("admin")
    user = stackauth_login(client, "outage@example.com")
    assert raw.call("POST", f"/api/v1/project-permissions/{user['id']}/admin").status_code == 201
    emu.fail_next(1, path=PROJECT_PERMISSIONS, mode="503")
    down = client.get("/admin", headers=JSON)
    assert down.status_code == 503 and down.json["code"] == "STACK_AUTH_UNAVAILABLE"
    assert client.get("/admin", headers=JSON).status_code == 200
