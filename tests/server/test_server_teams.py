"""stack.server.teams and stack.server.permissions against the emulator (v2.8 and legacy v2.7 behaviour)."""

from __future__ import annotations

from typing import Any

import pytest

from flask_stackauth import (
    NotSupportedByServer,
    PermissionNotFound,
    Team,
    TeamMembershipNotFound,
    TeamNotFound,
    UserNotFound,
)
from flask_stackauth.errors import TeamMembershipAlreadyExists, TeamPermissionNotFound, WrongPermissionScope
from flask_stackauth.server import ServerAPI

CREATOR = ["$read_members", "$remove_members", "$update_team"]
MISSING = "ad962777-8244-496a-b6a2-e0c6a449c79e"


def test_team_lifecycle(server: ServerAPI) -> None:
    owner = server.users.create(primary_email="owner@example.com")
    team = server.teams.create(display_name="Ops", creator_user_id=owner.id, server_metadata={"tier": 1})
    assert isinstance(team, Team)
    assert team.display_name == "Ops" and team.server_metadata == {"tier": 1} and team.created_at_millis
    assert server.teams.get(team.id) == team
    renamed = server.teams.update(team.id, display_name="SRE", client_metadata={"color": "red"})
    assert (renamed.display_name, renamed.client_metadata, renamed.server_metadata) == ("SRE", {"color": "red"},
                                                                                         {"tier": 1})
    assert team.id in {t.id for t in server.teams.list()}
    server.teams.delete(team.id)
    with pytest.raises(TeamNotFound) as info:
        server.teams.get(team.id)
    assert info.value.status == 404
    with pytest.raises(TeamNotFound):
        server.teams.delete(team.id)


def test_personal_team_and_default_permissions(server: ServerAPI) -> None:
    user = server.users.create(primary_email="p@example.com")
    # The personal team exists right after creation (v2.8 seed), with the user as its creator.
    teams = server.teams.list(user_id=user.id)
    assert [t.display_name for t in teams] == ["p@example.com's Team"]
    assert server.permissions.list(user.id, team_id=teams[0].id) == CREATOR
    assert server.users.get(user.id).selected_team_id == teams[0].id


def test_members_and_their_permissions(server: ServerAPI) -> None:
    owner = server.users.create(primary_email="o@example.com")
    member = server.users.create(primary_email="m@example.com")
    team = server.teams.create(display_name="Ops", creator_user_id=owner.id)
    assert server.permissions.list(owner.id, team_id=team.id) == CREATOR
    assert server.permissions.list(member.id, team_id=team.id) == []

    server.teams.add_member(team.id, member.id)
    assert server.permissions.list(member.id, team_id=team.id) == ["$read_members"]
    assert server.permissions.has(member.id, "$read_members", team_id=team.id)
    assert not server.permissions.has(member.id, "$delete_team", team_id=team.id)
    assert {t.id for t in server.teams.list(user_id=member.id)} >= {team.id}
    assert {u.id for u in server.users.list(team_id=team.id)} == {owner.id, member.id}
    with pytest.raises(TeamMembershipAlreadyExists):
        server.teams.add_member(team.id, member.id)

    server.teams.remove_member(team.id, member.id)
    assert server.permissions.list(member.id, team_id=team.id) == []
    with pytest.raises(TeamMembershipNotFound):
        server.teams.remove_member(team.id, member.id)


def test_bad_team_and_user_ids(server: ServerAPI, emu: Any) -> None:
    user = server.users.create(primary_email="x@example.com")
    with pytest.raises(TeamNotFound):
        server.teams.get(MISSING)
    with pytest.raises(TeamNotFound):
        server.teams.add_member(MISSING, user.id)
    with pytest.raises(UserNotFound):
        server.teams.create(display_name="Ghost's", creator_user_id="3241a285-8329-4d69-8f3d-316e08cf140c")
    assert "Ghost's" not in {t.display_name for t in server.teams.list()}  # nothing half-created
    before = emu.calls()
    with pytest.raises(TeamNotFound):
        server.teams.get("../users")
    assert server.teams.list(user_id="nope") == []
    assert server.permissions.list(user.id, team_id="nope") == []
    assert list(server.users.list(team_id="nope")) == []
    assert emu.calls() == before


def test_team_permission_grant_and_revoke(server: ServerAPI, raw: Any) -> None:
    user = server.users.create(primary_email="g@example.com")
    team = server.teams.create(display_name="T", creator_user_id=user.id)
    server.permissions.grant(user.id, "$delete_team", team_id=team.id)
    server.permissions.grant(user.id, "$delete_team", team_id=team.id)  # twice is fine
    assert server.permissions.has(user.id, "$delete_team", team_id=team.id)
    server.permissions.revoke(user.id, "$delete_team", team_id=team.id)
    assert not server.permissions.has(user.id, "$delete_team", team_id=team.id)
    with pytest.raises(TeamPermissionNotFound) as info:
        server.permissions.revoke(user.id, "$delete_team", team_id=team.id)
    assert info.value.status == 401 and info.value.http_status == 404  # Stack's 401, our 404

    # A custom team permission containing a system one: recursive lists include both.
    raw.define("moderator", scope="team", contains=["$remove_members"])
    other = server.users.create(primary_email="h@example.com")
    server.teams.add_member(team.id, other.id)
    server.permissions.grant(other.id, "moderator", team_id=team.id)
    assert server.permissions.list(other.id, team_id=team.id) == ["$read_members", "$remove_members", "moderator"]
    assert server.permissions.list(other.id, team_id=team.id, recursive=False) == ["$read_members", "moderator"]


def test_team_permission_errors(server: ServerAPI, raw: Any) -> None:
    user = server.users.create(primary_email="e@example.com")
    outsider = server.users.create(primary_email="out@example.com")
    team = server.teams.create(display_name="T", creator_user_id=user.id)
    with pytest.raises(PermissionNotFound) as info:
        server.permissions.grant(user.id, "no_such_permission", team_id=team.id)
    assert info.value.code == "PERMISSION_NOT_FOUND"
    with pytest.raises(TeamMembershipNotFound):
        server.permissions.grant(outsider.id, "$read_members", team_id=team.id)
    with pytest.raises(TeamMembershipNotFound):
        server.permissions.grant(user.id, "$read_members", team_id=MISSING)
    raw.define("billing")
    with pytest.raises(WrongPermissionScope):
        server.permissions.grant(user.id, "billing", team_id=team.id)
    with pytest.raises(PermissionNotFound):
        server.permissions.grant(user.id, "Not Valid!", team_id=team.id)


def test_project_permissions(server: ServerAPI, raw: Any) -> None:
    user = server.users.create(primary_email="proj@example.com")
    raw.define("read_reports")
    raw.define("admin", contains=["read_reports"])
    assert server.permissions.list(user.id) == []
    server.permissions.grant(user.id, "admin")
    assert server.permissions.list(user.id) == ["admin", "read_reports"]
    assert server.permissions.has(user.id, "read_reports")
    with pytest.raises(PermissionNotFound) as info:
        server.permissions.revoke(user.id, "read_reports")  # held only through "admin"
    assert info.value.code == "PERMISSION_NOT_FOUND"
    server.permissions.revoke(user.id, "admin")
    assert not server.permissions.has(user.id, "read_reports")
    raw.define("moderator", scope="team")
    with pytest.raises(WrongPermissionScope):
        server.permissions.grant(user.id, "moderator")
    with pytest.raises(PermissionNotFound):
        server.permissions.grant(user.id, "$read_members")  # system team permissions are not project ones
    with pytest.raises(PermissionNotFound):
        server.permissions.grant(user.id, "undefined_permission")
    with pytest.raises(UserNotFound):
        server.permissions.grant("3241a285-8329-4d69-8f3d-316e08cf140c", "admin")


def test_legacy_server_has_no_personal_teams_defaults_or_project_permissions(server: ServerAPI, legacy: Any) -> None:
    user = server.users.create(primary_email="legacy@example.com")
    assert server.teams.list(user_id=user.id) == []
    team = server.teams.create(display_name="Old", creator_user_id=user.id)
    assert server.permissions.list(user.id, team_id=team.id) == []
    server.permissions.grant(user.id, "$read_members", team_id=team.id)
    assert server.permissions.has(user.id, "$read_members", team_id=team.id)
    for call in (lambda: server.permissions.list(user.id), lambda: server.permissions.grant(user.id, "admin"),
                 lambda: server.permissions.has(user.id, "admin"), lambda: server.permissions.revoke(user.id, "x")):
        with pytest.raises(NotSupportedByServer, match="project permissions"):
            call()
