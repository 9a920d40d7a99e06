"""stack.server.teams.invite / invitations / revoke_invitation and stack.server.users.contact_channels."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from flask_stackauth.errors import (
    RedirectUrlNotWhitelisted,
    StackAuthConfigError,
    TeamInvitationNotFound,
    TeamNotFound,
    VerificationCodeNotFound,
)
from flask_stackauth.models import ContactChannel, TeamInvitation
from flask_stackauth.server import ServerAPI
from tests.server.server_support import make_server_app, stack

CALLBACK = "http://localhost:5000/auth/team-invitation"
MISSING = "ad962777-8244-496a-b6a2-e0c6a449c79e"


def test_invite_list_and_revoke(server: ServerAPI, emu: Any) -> None:
    team = server.teams.create(display_name="Ops")
    invitation_id = server.teams.invite(team.id, "new@example.com", CALLBACK)
    mail = emu.emails[-1]
    assert mail["to"] == "new@example.com" and mail["subject"] == "You have been invited to join Ops"
    assert mail["link"] == f"{CALLBACK}?code={mail['code']}"
    [listed] = server.teams.invitations(team.id)
    assert isinstance(listed, TeamInvitation)
    assert (listed.id, listed.team_id, listed.recipient_email, listed.team_display_name) == (
        invitation_id, team.id, "new@example.com", "Ops")
    assert listed.expires_at_millis and listed.expires_at_millis > 0
    server.teams.revoke_invitation(team.id, invitation_id)
    assert server.teams.invitations(team.id) == []
    with pytest.raises(TeamInvitationNotFound):
        server.teams.revoke_invitation(team.id, invitation_id)  # a real server answers 500 here
    with pytest.raises(TeamInvitationNotFound):
        server.teams.revoke_invitation(team.id, "../../users")


def test_revoked_code_no_longer_accepts(server: ServerAPI, emu: Any, stackauth_emulator: Any) -> None:
    import requests

    team = server.teams.create(display_name="Ops")
    invitation_id = server.teams.invite(team.id, "x@example.com", CALLBACK)
    code = emu.emails[-1]["code"]
    server.teams.revoke_invitation(team.id, invitation_id)
    user = server.users.create(primary_email="x@example.com")
    tokens = server.sessions.create(user.id)
    resp = requests.post(f"{stackauth_emulator.url}/api/v1/team-invitations/accept", json={"code": code},
                         headers={"x-stack-access-type": "client", "x-stack-project-id": "internal",
                                  "x-stack-publishable-client-key": stackauth_emulator.publishable_key,
                                  "x-stack-access-token": tokens.access_token}, timeout=10)
    assert resp.headers["x-stack-known-error"] == "VERIFICATION_CODE_NOT_FOUND"
    assert VerificationCodeNotFound.codes == ("VERIFICATION_CODE_NOT_FOUND",)


def test_invite_errors(server: ServerAPI) -> None:
    with pytest.raises(TeamNotFound):
        server.teams.invite(MISSING, "a@example.com", CALLBACK)
    with pytest.raises(TeamNotFound):
        server.teams.invitations("not-a-team")
    team = server.teams.create(display_name="Ops")
    with pytest.raises(RedirectUrlNotWhitelisted):
        server.teams.invite(team.id, "a@example.com", "https://evil.example.com/join")


def test_invite_default_callback_comes_from_configuration(stackauth_config: dict[str, Any], emu: Any) -> None:
    app: Flask = make_server_app(stackauth_config, STACK_REDIRECT_URI="http://localhost:5000/auth/callback")
    with app.test_request_context("/", base_url="http://attacker.example.com"):
        team = stack.server.teams.create(display_name="Ops")
        stack.server.teams.invite(team.id, "a@example.com")
    assert emu.emails[-1]["link"].startswith("http://localhost:5000/auth/team-invitation?code=")


def test_invite_without_callback_or_redirect_uri_is_a_config_error(server: ServerAPI) -> None:
    team = server.teams.create(display_name="Ops")
    with pytest.raises(StackAuthConfigError, match="callback_url"):
        server.teams.invite(team.id, "a@example.com")


def test_invitations_on_legacy_server(server: ServerAPI, legacy: Any) -> None:
    team = server.teams.create(display_name="Ops")
    server.teams.invite(team.id, "a@example.com", CALLBACK)
    [listed] = server.teams.invitations(team.id)
    assert listed.team_display_name is None  # v2.7 does not send it


def test_contact_channels(server: ServerAPI, emu: Any) -> None:
    user = server.users.create(primary_email="cc@example.com", password="password123")
    [channel] = server.users.contact_channels(user.id)
    assert isinstance(channel, ContactChannel)
    assert (channel.value, channel.is_primary, channel.used_for_auth, channel.is_verified) == (
        "cc@example.com", True, True, False)
    assert server.users.contact_channels(MISSING) == []
    assert server.users.contact_channels("nope") == []
