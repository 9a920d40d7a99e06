"""flask_stackauth.account_api over real HTTP against the emulator: results, typed errors, both generations."""

from __future__ import annotations

import base64
from typing import Any

import pytest
import requests

from flask_stackauth import account_api as api
from flask_stackauth.client import StackAuthClient
from flask_stackauth.config import load_settings
from flask_stackauth.emulator.account_settings import configure_project, settings
from flask_stackauth.errors import (
    CannotDeleteCurrentSession,
    ContactChannelAlreadyExists,
    ContactChannelAlreadyUsedForAuthBySomeoneElse,
    ContactChannelNotFound,
    EmailAlreadyVerified,
    FeatureNotEnabled,
    ItemQuantityInsufficientAmount,
    NotSupportedByServer,
    PasswordAlreadySet,
    PasswordConfirmationMismatch,
    PasswordTooShort,
    RefreshTokenNotFoundOrExpired,
    SessionNotFound,
    TeamInvitationNotFound,
    TeamMembershipNotFound,
    TeamPermissionRequired,
    UserAuthenticationRequired,
    UserDoesNotHavePassword,
    VerificationCodeAlreadyUsed,
    VerificationCodeError,
    VerificationCodeNotFound,
)
from flask_stackauth.models import ContactChannel, InvitationDetails, Session, Team, TeamInvitation

RESET_URL = "http://localhost:5000/auth/password-reset"
VERIFY_URL = "http://localhost:5000/auth/verify-email"
INVITE_URL = "http://localhost:5000/auth/team-invitation"
PASSWORD = "correct-horse-battery-staple"
MISSING = "ad962777-8244-496a-b6a2-e0c6a449c79e"


@pytest.fixture
def client(stackauth_config: dict[str, Any]) -> StackAuthClient:
    return StackAuthClient(load_settings(stackauth_config))


@pytest.fixture
def emu(stackauth_emulator: Any) -> Any:
    return stackauth_emulator.emulator


def _user(emu: Any, email: str, password: str | None = PASSWORD) -> tuple[Any, dict[str, str]]:
    user = emu.add_user(email=email, password=password, email_auth_enabled=password is not None)
    return user, emu.create_session(user.id)


def _refresh(stackauth_emulator: Any, refresh_token: str) -> int:
    resp = requests.post(f"{stackauth_emulator.url}/api/v1/auth/sessions/current/refresh", timeout=10, headers={
        "x-stack-access-type": "client", "x-stack-project-id": "internal",
        "x-stack-publishable-client-key": stackauth_emulator.publishable_key, "x-stack-refresh-token": refresh_token})
    return resp.status_code


def test_forgot_and_reset_password(client: StackAuthClient, emu: Any, stackauth_emulator: Any) -> None:
    _, other_device = _user(emu, "pw@example.com")
    api.send_password_reset(client, "nobody@example.com", RESET_URL)
    assert emu.emails == []  # same answer, no mail
    api.send_password_reset(client, "pw@example.com", RESET_URL)
    mail = emu.emails[-1]
    assert mail["type"] == "password_reset" and mail["link"] == f"{RESET_URL}?code={mail['code']}"
    api.check_password_reset_code(client, mail["code"])
    with pytest.raises(PasswordTooShort) as short:
        api.reset_password(client, mail["code"], "short")
    assert short.value.details == {"min_length": 8}
    with pytest.raises(VerificationCodeAlreadyUsed):  # the failed reset spent the code
        api.check_password_reset_code(client, mail["code"])
    api.send_password_reset(client, "pw@example.com", RESET_URL)
    api.reset_password(client, emu.emails[-1]["code"], PASSWORD + "-new")
    assert _refresh(stackauth_emulator, other_device["refresh_token"]) == 401  # every session ended
    with pytest.raises(VerificationCodeNotFound):
        api.check_password_reset_code(client, "0" * 45)
    with pytest.raises(VerificationCodeError):
        api.reset_password(client, "1" * 45, PASSWORD)


def test_update_and_set_password(client: StackAuthClient, emu: Any, stackauth_emulator: Any) -> None:
    user, here = _user(emu, "up@example.com")
    elsewhere = emu.create_session(user.id)
    with pytest.raises(PasswordConfirmationMismatch):
        api.update_password(client, here["access_token"], "wrong-password", PASSWORD + "2",
                            refresh_token=here["refresh_token"])
    api.update_password(client, here["access_token"], PASSWORD, PASSWORD + "2", refresh_token=here["refresh_token"])
    assert _refresh(stackauth_emulator, here["refresh_token"]) == 200
    assert _refresh(stackauth_emulator, elsewhere["refresh_token"]) == 401
    with pytest.raises(PasswordAlreadySet):
        api.set_password(client, here["access_token"], PASSWORD)
    oauth, tokens = _user(emu, "oauth@example.com", password=None)
    with pytest.raises(UserDoesNotHavePassword):
        api.update_password(client, tokens["access_token"], "x" * 8, PASSWORD, refresh_token=None)
    api.set_password(client, tokens["access_token"], PASSWORD)
    assert oauth.password_hash is not None


def test_contact_channels_and_verification(client: StackAuthClient, emu: Any) -> None:
    user, tokens = _user(emu, "cc@example.com")
    token = tokens["access_token"]
    [primary] = api.list_contact_channels(client, token)
    assert isinstance(primary, ContactChannel) and primary.is_primary and not primary.is_verified
    api.send_contact_channel_verification(client, token, primary.id, VERIFY_URL)
    code = emu.emails[-1]["code"]
    api.check_email_verification_code(client, code)
    api.verify_email(client, code)
    assert user.primary_email_verified
    with pytest.raises(EmailAlreadyVerified):
        api.send_contact_channel_verification(client, token, primary.id, VERIFY_URL)
    second = api.create_contact_channel(client, token, "cc2@example.com")
    assert (second.value, second.is_primary, second.used_for_auth) == ("cc2@example.com", False, False)
    with pytest.raises(ContactChannelAlreadyExists):
        api.create_contact_channel(client, token, "cc2@example.com")
    _user(emu, "taken@example.com")
    with pytest.raises(ContactChannelAlreadyUsedForAuthBySomeoneElse):
        api.create_contact_channel(client, token, "taken@example.com", used_for_auth=True)
    made = api.update_contact_channel(client, token, second.id, is_primary=True, used_for_auth=True)
    assert made.is_primary and user.primary_email == "cc2@example.com"
    assert [c.is_primary for c in api.list_contact_channels(client, token)] == [False, True]
    api.delete_contact_channel(client, token, second.id)
    with pytest.raises(ContactChannelNotFound):
        api.delete_contact_channel(client, token, second.id)
    with pytest.raises(ContactChannelNotFound):
        api.update_contact_channel(client, token, "../../users/me", is_primary=True)
    with pytest.raises(ContactChannelNotFound):
        api.send_contact_channel_verification(client, token, MISSING, VERIFY_URL)


def test_sessions(client: StackAuthClient, emu: Any, stackauth_emulator: Any) -> None:
    user, here = _user(emu, "s@example.com")
    other = emu.create_session(user.id)
    sessions = api.list_sessions(client, here["access_token"])
    assert all(isinstance(s, Session) for s in sessions) and len(sessions) == 2
    current = [s for s in sessions if s.is_current_session]
    assert len(current) == 1
    with pytest.raises(CannotDeleteCurrentSession):
        api.revoke_session(client, here["access_token"], current[0].id)
    [gone] = [s for s in sessions if not s.is_current_session]
    api.revoke_session(client, here["access_token"], gone.id)
    assert _refresh(stackauth_emulator, other["refresh_token"]) == 401
    with pytest.raises(SessionNotFound):
        api.revoke_session(client, here["access_token"], MISSING)


def test_sessions_not_supported_on_v2_7(client: StackAuthClient, emu: Any) -> None:
    _, here = _user(emu, "s7@example.com")
    emu.set_legacy_tokens(True)
    try:
        here = emu.create_session(emu.find_user_by_email("s7@example.com").id)
        with pytest.raises(NotSupportedByServer):
            api.list_sessions(client, here["access_token"])
        with pytest.raises(NotSupportedByServer):
            api.revoke_session(client, here["access_token"], MISSING)
    finally:
        emu.set_legacy_tokens(False)


def test_delete_me_needs_the_project_flag(client: StackAuthClient, emu: Any) -> None:
    user, tokens = _user(emu, "del@example.com")
    with pytest.raises(FeatureNotEnabled):
        api.delete_me(client, tokens["access_token"])
    configure_project(emu, client_user_deletion_enabled=True)
    api.delete_me(client, tokens["access_token"])
    assert user.id not in emu.data.users
    with pytest.raises(RefreshTokenNotFoundOrExpired):
        client.request("POST", "/api/v1/auth/sessions/current/refresh", refresh_token=tokens["refresh_token"])


def test_totp_and_team_selection(client: StackAuthClient, emu: Any) -> None:
    user, tokens = _user(emu, "t@example.com")
    api.set_totp_secret(client, tokens["access_token"], b"\x01" * 20)
    assert user.requires_totp_mfa and user.totp_secret_base64 == base64.b64encode(b"\x01" * 20).decode()
    api.set_totp_secret(client, tokens["access_token"], None)
    assert not user.requires_totp_mfa
    with pytest.raises(FeatureNotEnabled):
        api.create_team(client, tokens["access_token"], "Mine")
    configure_project(emu, client_team_creation_enabled=True)
    team = api.create_team(client, tokens["access_token"], "Mine")
    assert isinstance(team, Team) and user.selected_team_id == team.id
    api.select_team(client, tokens["access_token"], None)
    assert user.selected_team_id is None
    with pytest.raises(TeamMembershipNotFound):
        api.select_team(client, tokens["access_token"], MISSING)
    api.leave_team(client, tokens["access_token"], team.id)
    with pytest.raises(TeamMembershipNotFound):
        api.leave_team(client, tokens["access_token"], team.id)


def test_invitations_as_members(client: StackAuthClient, emu: Any, stackauth_emulator: Any) -> None:
    configure_project(emu, client_team_creation_enabled=True)
    owner, owner_tokens = _user(emu, "owner@example.com")
    team = api.create_team(client, owner_tokens["access_token"], "Crew")
    with pytest.raises(TeamPermissionRequired):
        api.send_invitation(client, owner_tokens["access_token"], team.id, "guest@example.com", INVITE_URL)
    requests.post(f"{stackauth_emulator.url}/api/v1/team-permissions/{team.id}/{owner.id}/$invite_members",
                  headers={"x-stack-access-type": "server", "x-stack-project-id": "internal",
                           "x-stack-secret-server-key": stackauth_emulator.secret_server_key}, timeout=10)
    inv_id = api.send_invitation(client, owner_tokens["access_token"], team.id, "guest@example.com", INVITE_URL)
    [listed] = api.list_invitations(client, owner_tokens["access_token"], team.id)
    assert isinstance(listed, TeamInvitation) and listed.id == inv_id
    code = emu.emails[-1]["code"]
    api.check_invitation_code(client, code)
    other, other_tokens = _user(emu, "someone-else@example.com")  # the code is not tied to the address
    details = api.invitation_details(client, other_tokens["access_token"], code)
    assert details == InvitationDetails(team.id, "Crew")
    api.accept_invitation(client, other_tokens["access_token"], code)
    assert other.id in emu.data.teams[team.id].member_ids
    with pytest.raises(VerificationCodeAlreadyUsed):
        api.accept_invitation(client, other_tokens["access_token"], code)
    with pytest.raises(ValueError):
        api.accept_invitation(client, "", code)
    with pytest.raises(TeamPermissionRequired):  # a plain member lacks $remove_members
        api.revoke_invitation(client, other_tokens["access_token"], team.id, inv_id)
    with pytest.raises(TeamInvitationNotFound):
        api.revoke_invitation(client, owner_tokens["access_token"], team.id, inv_id)


def test_accept_spends_the_code_without_a_session_and_seats(client: StackAuthClient, emu: Any) -> None:
    configure_project(emu, client_team_creation_enabled=True)
    _, owner_tokens = _user(emu, "o@example.com")
    team = api.create_team(client, owner_tokens["access_token"], "Seats")
    settings(emu).seat_limit = 1
    spent = _invite(emu, team.id)
    with pytest.raises(UserAuthenticationRequired):  # what accept_invitation refuses to send
        client.request("POST", "/api/v1/team-invitations/accept", json={"code": spent})
    with pytest.raises(VerificationCodeAlreadyUsed):
        api.check_invitation_code(client, spent)
    _, guest = _user(emu, "g@example.com")
    with pytest.raises(ItemQuantityInsufficientAmount):
        api.accept_invitation(client, guest["access_token"], _invite(emu, team.id))


def _invite(emu: Any, team_id: str) -> str:
    from flask_stackauth.emulator.invitations import invite

    invite(emu, emu.data.teams[team_id], "x@example.com", INVITE_URL)
    return str(emu.emails[-1]["code"])
