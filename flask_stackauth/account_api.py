"""Stack Auth's client routes for account pages, as plain functions: HTTP in, typed results and errors out.

Each function takes the app's :class:`~flask_stackauth.client.StackAuthClient` and, where Stack needs a
user, that user's access token; nothing here reads Flask's request or session, so pages and apps with
their own pages wire them in. Calls are made as Stack's JS SDK (``client-interface.ts``) makes them.

Errors: Stack's known errors raise their :class:`~flask_stackauth.errors.KnownError` subclass
(``VerificationCodeAlreadyUsed``, ``PasswordTooShort`` ...); the plain-text answers Stack gives without a
code raise :class:`ContactChannelNotFound`, :class:`PasswordAlreadySet`, :class:`FeatureNotEnabled` ...;
a route an older server lacks raises :class:`NotSupportedByServer` (v2.7 has no session listing).

What the real servers do that callers must know (``../shared/stackauth-wire`` recordings):

- :func:`reset_password` and :func:`accept_invitation` spend the code even when they then fail (password
  too short, no session): check first with :func:`check_password_reset_code` / a session;
- :func:`reset_password` ends every session of the user; :func:`update_password` every one but the
  session of ``refresh_token`` (all of them without it);
- :func:`send_password_reset` answers the same whether or not the email has an account.
"""

from __future__ import annotations

import base64
from typing import Any

from .client import StackAuthClient
from .errors import (
    ContactChannelNotFound,
    NotSupportedByServer,
    SessionNotFound,
    StackAuthError,
    StackAuthHTTPError,
    TeamInvitationNotFound,
    TeamMembershipNotFound,
    TeamNotFound,
    typed_plain_error,
)
from .models import (
    UNSET,
    ContactChannel,
    InvitationDetails,
    Session,
    Team,
    TeamInvitation,
    TeamMemberProfile,
    Unset,
)
from .server import is_stack_id


def call(client: StackAuthClient, method: str, path: str, *, access_token: str | None = None,
         refresh_token: str | None = None, params: dict[str, Any] | None = None, json: Any = None,
         feature: str = "") -> Any:
    """One client-access call with Stack's plain-text answers and missing routes turned into typed errors."""
    try:
        return client.request(method, path, access_type="client", access_token=access_token,
                              refresh_token=refresh_token, params=params, json=json)
    except StackAuthHTTPError as exc:
        typed = typed_plain_error(exc)
        if typed is not None:
            raise typed from None
        if exc.status in (404, 405):
            raise NotSupportedByServer(
                f"This Stack Auth server does not support {feature or f'{method} {path}'} (it answered HTTP "
                f"{exc.status}); it needs a newer Stack Auth server.") from None
        raise


def _id(value: object, error: type[StackAuthError], what: str) -> str:
    # An id that cannot be Stack's is refused like an unknown one, and never reaches a URL path.
    if not is_stack_id(value):
        raise error(f"No {what} {str(value)[:100]!r}.")
    return str(value)


def _items(answer: Any) -> list[Any]:
    items = answer.get("items") if isinstance(answer, dict) else None
    return items if isinstance(items, list) else []


# --- passwords -----------------------------------------------------------------------------------------------


def send_password_reset(client: StackAuthClient, email: str, callback_url: str) -> None:
    """Have Stack mail a reset link (``callback_url`` plus ``?code=``); the same answer for unknown emails.

    :raises RedirectUrlNotWhitelisted: ``callback_url`` is not a trusted domain (known emails only).
    :raises PasswordAuthenticationNotEnabled: the project has no password sign-in.
    """
    call(client, "POST", "/api/v1/auth/password/send-reset-code", json={"email": email, "callback_url": callback_url})


def check_password_reset_code(client: StackAuthClient, code: str) -> None:
    """Raise unless ``code`` can still reset a password (spends nothing).

    :raises VerificationCodeError: not found, expired, already used, or too many attempts.
    """
    call(client, "POST", "/api/v1/auth/password/reset/check-code", json={"code": code})


def reset_password(client: StackAuthClient, code: str, password: str) -> None:
    """Spend a reset code and set ``password``; every session of the user ends.

    :raises VerificationCodeError: the code cannot be used.
    :raises PasswordRequirementsNotMet: Stack refused the password (the code is spent all the same).
    """
    call(client, "POST", "/api/v1/auth/password/reset", json={"code": code, "password": password})


def update_password(client: StackAuthClient, access_token: str, old_password: str, new_password: str, *,
                    refresh_token: str | None) -> None:
    """Change the user's password; every other session ends (pass this session's ``refresh_token`` to keep it).

    :raises PasswordConfirmationMismatch: ``old_password`` is wrong.
    :raises UserDoesNotHavePassword: the user has no password yet (use :func:`set_password`).
    :raises PasswordRequirementsNotMet: Stack refused the new password.
    """
    call(client, "POST", "/api/v1/auth/password/update", access_token=access_token, refresh_token=refresh_token,
         json={"old_password": old_password, "new_password": new_password})


def set_password(client: StackAuthClient, access_token: str, password: str) -> None:
    """Give a password to a user who has none (signed up with OAuth or an email code).

    :raises PasswordAlreadySet: the user has one.
    :raises PasswordRequirementsNotMet: Stack refused the password.
    """
    call(client, "POST", "/api/v1/auth/password/set", access_token=access_token, json={"password": password})


# --- contact channels and email verification ---------------------------------------------------------------


def list_contact_channels(client: StackAuthClient, access_token: str) -> list[ContactChannel]:
    """The user's contact channels (email addresses), oldest first."""
    answer = call(client, "GET", "/api/v1/contact-channels", access_token=access_token, params={"user_id": "me"})
    return [ContactChannel.from_json(item) for item in _items(answer)]


def create_contact_channel(client: StackAuthClient, access_token: str, email: str, *, used_for_auth: bool = False,
                           is_primary: bool = False) -> ContactChannel:
    """Add an email address to the user.

    :raises ContactChannelAlreadyExists: the user has it already.
    :raises ContactChannelAlreadyUsedForAuthBySomeoneElse: ``used_for_auth`` and another account signs in with it.
    """
    body: dict[str, Any] = {"value": email, "type": "email", "used_for_auth": used_for_auth, "user_id": "me"}
    if is_primary:
        body["is_primary"] = True
    return ContactChannel.from_json(call(client, "POST", "/api/v1/contact-channels", access_token=access_token,
                                         json=body))


def update_contact_channel(client: StackAuthClient, access_token: str, channel_id: str, *,
                           value: str | Unset = UNSET, used_for_auth: bool | Unset = UNSET,
                           is_primary: bool | Unset = UNSET) -> ContactChannel:
    """Change a channel: its address (which unverifies it), sign-in use, or make it primary.

    :raises ContactChannelNotFound: the user has no such channel.
    """
    cid = _id(channel_id, ContactChannelNotFound, "contact channel")
    body = {k: v for k, v in {"value": value, "used_for_auth": used_for_auth, "is_primary": is_primary}.items()
            if v is not UNSET}
    return ContactChannel.from_json(call(client, "PATCH", f"/api/v1/contact-channels/me/{cid}",
                                         access_token=access_token, json=body))


def delete_contact_channel(client: StackAuthClient, access_token: str, channel_id: str) -> None:
    """Remove a channel (removing the primary one leaves the user without a primary email).

    :raises ContactChannelNotFound: the user has no such channel.
    """
    cid = _id(channel_id, ContactChannelNotFound, "contact channel")
    call(client, "DELETE", f"/api/v1/contact-channels/me/{cid}", access_token=access_token)


def send_contact_channel_verification(client: StackAuthClient, access_token: str, channel_id: str,
                                      callback_url: str) -> None:
    """Have Stack mail a verification link (``callback_url`` plus ``?code=``) for one channel.

    :raises EmailAlreadyVerified: nothing to verify.
    :raises ContactChannelNotFound: the user has no such channel.
    """
    cid = _id(channel_id, ContactChannelNotFound, "contact channel")
    call(client, "POST", f"/api/v1/contact-channels/me/{cid}/send-verification-code", access_token=access_token,
         json={"callback_url": callback_url})


def check_email_verification_code(client: StackAuthClient, code: str) -> None:
    """Raise unless ``code`` can still verify an email (spends nothing).

    :raises VerificationCodeError: not found, expired, already used, or too many attempts.
    """
    call(client, "POST", "/api/v1/contact-channels/verify/check-code", json={"code": code})


def verify_email(client: StackAuthClient, code: str) -> None:
    """Spend a verification code: the address it was mailed to becomes verified (no session needed).

    Access tokens issued before keep ``email_verified: false`` until refreshed.

    :raises VerificationCodeError: the code cannot be used.
    :raises ContactChannelNotFound: the channel was deleted after the mail was sent (the code is spent).
    """
    call(client, "POST", "/api/v1/contact-channels/verify", json={"code": code})


# --- the account -----------------------------------------------------------------------------------------


def list_sessions(client: StackAuthClient, access_token: str) -> list[Session]:
    """The user's live sessions, newest first; ``is_current_session`` marks this one.

    :raises NotSupportedByServer: v2.7 servers cannot list sessions.
    """
    answer = call(client, "GET", "/api/v1/auth/sessions", access_token=access_token, params={"user_id": "me"},
                  feature="listing sessions")
    return [Session.from_json(item) for item in _items(answer)]


def revoke_session(client: StackAuthClient, access_token: str, session_id: str) -> None:
    """End one of the user's other sessions (its access tokens stay valid until they expire).

    :raises CannotDeleteCurrentSession: it is this session (sign out instead).
    :raises SessionNotFound: the user has no such session.
    :raises NotSupportedByServer: v2.7 servers cannot revoke single sessions.
    """
    sid = _id(session_id, SessionNotFound, "session")
    call(client, "DELETE", f"/api/v1/auth/sessions/{sid}", access_token=access_token, params={"user_id": "me"},
         feature="revoking sessions")


def delete_me(client: StackAuthClient, access_token: str) -> None:
    """Delete the signed-in user (its sessions end; access tokens then name no user).

    :raises FeatureNotEnabled: the project does not let users delete themselves.
    """
    call(client, "DELETE", "/api/v1/users/me", access_token=access_token)


def set_totp_secret(client: StackAuthClient, access_token: str, secret: bytes | None) -> None:
    """Turn two-factor sign-in on with this TOTP secret (20 random bytes), or off with ``None``.

    Check one code computed from the secret before calling: Stack does not.
    """
    value = base64.b64encode(secret).decode() if secret is not None else None
    call(client, "PATCH", "/api/v1/users/me", access_token=access_token, json={"totp_secret_base64": value})


def select_team(client: StackAuthClient, access_token: str, team_id: str | None) -> None:
    """Make ``team_id`` the user's selected team (``None``: none).

    :raises TeamMembershipNotFound: the user is not a member (Stack's answer for unknown teams too).
    """
    tid = _id(team_id, TeamNotFound, "team") if team_id is not None else None
    call(client, "PATCH", "/api/v1/users/me", access_token=access_token, json={"selected_team_id": tid})


def create_team(client: StackAuthClient, access_token: str, display_name: str, *, select: bool = True) -> Team:
    """Create a team with the user as creator and (as Stack's SDK does) select it.

    :raises FeatureNotEnabled: the project does not let users create teams.
    """
    team = Team.from_json(call(client, "POST", "/api/v1/teams", access_token=access_token,
                               json={"display_name": display_name, "creator_user_id": "me"}))
    if select and team.id:
        select_team(client, access_token, team.id)
    return team


def leave_team(client: StackAuthClient, access_token: str, team_id: str) -> None:
    """Leave a team.

    :raises TeamMembershipNotFound: the user is not a member.
    """
    tid = _id(team_id, TeamNotFound, "team")
    # With the JSON body ``{}`` Stack's SDK sends (``leaveTeam`` in client-interface.ts; both recordings).
    call(client, "DELETE", f"/api/v1/team-memberships/{tid}/me", access_token=access_token, json={})


def list_team_members(client: StackAuthClient, access_token: str, team_id: str) -> list[TeamMemberProfile]:
    """A team's members, oldest first (``GET /team-member-profiles``; no emails: clients see profiles only).

    :raises TeamPermissionRequired: the member lacks ``$read_members``.
    :raises TeamMembershipNotFound: the user is not a member.
    """
    tid = _id(team_id, TeamNotFound, "team")
    answer = call(client, "GET", "/api/v1/team-member-profiles", access_token=access_token, params={"team_id": tid})
    return [TeamMemberProfile.from_json(item) for item in _items(answer)]


def remove_team_member(client: StackAuthClient, access_token: str, team_id: str, user_id: str) -> None:
    """Remove another member from a team (to leave one yourself, use :func:`leave_team`).

    :raises TeamPermissionRequired: the member lacks ``$remove_members``.
    :raises TeamMembershipNotFound: no such member.
    """
    tid = _id(team_id, TeamNotFound, "team")
    uid = _id(user_id, TeamMembershipNotFound, "member")
    call(client, "DELETE", f"/api/v1/team-memberships/{tid}/{uid}", access_token=access_token, json={})


# --- team invitations ------------------------------------------------------------------------------------


def send_invitation(client: StackAuthClient, access_token: str, team_id: str, email: str,
                    callback_url: str) -> str:
    """Invite ``email`` to a team as the signed-in member; return the invitation id.

    :raises TeamPermissionRequired: the member lacks ``$invite_members``.
    :raises TeamMembershipNotFound: the user is not a member.
    """
    tid = _id(team_id, TeamNotFound, "team")
    answer = call(client, "POST", "/api/v1/team-invitations/send-code", access_token=access_token,
                  json={"email": email, "team_id": tid, "callback_url": callback_url})
    return str(answer.get("id") or "") if isinstance(answer, dict) else ""


def list_invitations(client: StackAuthClient, access_token: str, team_id: str) -> list[TeamInvitation]:
    """A team's pending invitations.

    :raises TeamPermissionRequired: the member lacks ``$invite_members`` (v2.7: ``$read_members``).
    """
    tid = _id(team_id, TeamNotFound, "team")
    answer = call(client, "GET", "/api/v1/team-invitations", access_token=access_token, params={"team_id": tid})
    return [TeamInvitation.from_json(item) for item in _items(answer)]


def revoke_invitation(client: StackAuthClient, access_token: str, team_id: str, invitation_id: str) -> None:
    """Revoke a pending invitation; its code stops working.

    :raises TeamPermissionRequired: the member lacks ``$remove_members`` (or the right to list the team's
        invitations, which is checked first).
    :raises TeamInvitationNotFound: no such pending invitation in this team.
    """
    tid = _id(team_id, TeamNotFound, "team")
    iid = _id(invitation_id, TeamInvitationNotFound, "invitation")
    # Real servers check the permission in ``team_id`` and then delete the code by id alone, so an admin of
    # one team could revoke another team's invitations; and they answer 500 for a used one. Listed first.
    if iid not in {i.id for i in list_invitations(client, access_token, tid)}:
        raise TeamInvitationNotFound(f"Team {tid} has no pending invitation {iid}.")
    call(client, "DELETE", f"/api/v1/team-invitations/{iid}", access_token=access_token, params={"team_id": tid})


def invitation_details(client: StackAuthClient, access_token: str, code: str) -> InvitationDetails:
    """The team an invitation code is for (needs a session; spends nothing).

    :raises VerificationCodeError: the code cannot be used.
    :raises UserAuthenticationRequired: no user (``access_token`` is required by Stack here).
    """
    return InvitationDetails.from_json(call(client, "POST", "/api/v1/team-invitations/accept/details",
                                            access_token=access_token, json={"code": code}))


def check_invitation_code(client: StackAuthClient, code: str) -> None:
    """Raise unless an invitation code can still be accepted (no session needed; spends nothing).

    :raises VerificationCodeError: the code cannot be used.
    """
    call(client, "POST", "/api/v1/team-invitations/accept/check-code", json={"code": code})


def accept_invitation(client: StackAuthClient, access_token: str, code: str) -> None:
    """Join the invitation's team as the signed-in user (any user: the code is not tied to the address).

    Stack spends the code before it looks at the user, so call this only with a session.

    :raises VerificationCodeError: the code cannot be used.
    :raises ItemQuantityInsufficientAmount: no free seat (v2.8's ``internal`` project).
    """
    if not access_token:
        raise ValueError("accept_invitation needs the user's access token: Stack would spend the code and fail")
    call(client, "POST", "/api/v1/team-invitations/accept", access_token=access_token, json={"code": code})
