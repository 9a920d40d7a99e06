"""Team invitations (Stack's ``team-invitations`` routes and their code handler).

As measured on v2.7.16 and v2.8.86 (``teams-result.json``):

- sending needs ``$invite_members`` (a client), listing a team's invitations ``$invite_members`` on v2.8
  and ``$read_members`` on v2.7, revoking ``$remove_members``;
- the code is a 45-character verification code mailed as ``callback_url`` plus ``code``; it is not tied
  to the invited address: any signed-in user may accept it;
- ``accept`` spends the code before it looks at the session, so accepting without one fails *and*
  uses the code; ``details`` needs a session but spends nothing; ``check-code`` needs neither;
- v2.8 only: ``GET /team-invitations?user_id=me`` (invitations to the user's verified emails) and
  ``POST /team-invitations/{id}/accept``; v2.7 answers a schema error or a plain 404 there;
- v2.8's ``internal`` project limits members per team (``ITEM_QUANTITY_INSUFFICIENT_AMOUNT``, checked
  before the "already a member" shortcut); off unless :attr:`AccountSettings.seat_limit` is set.

Revoking an invitation twice is a 500 on both real servers (a server bug); here it is a plain 404.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flask import Response, request

from . import errors as E
from .account_settings import settings
from .contact_channels import check_email_field, check_url_field, verified_emails
from .context import (
    AuthContext,
    Fields,
    api_blueprint,
    body_dict,
    get_emulator,
    is_uuid,
    json_response,
    query_fields,
    require_auth,
    schema_error,
)
from .redirects import add_query, validate_redirect_url
from .state import Team, User, new_id
from .teams import add_member, team_membership_not_found, team_not_found, team_permission_ids
from .verification import (
    VerificationCode,
    check_code_field,
    create_code,
    find_code,
    forget_code,
    mark_used,
    verification_code_not_found,
)

if TYPE_CHECKING:
    from .core import Emulator

bp = api_blueprint("stack_team_invitations", __name__)

KIND = "team_invitation"
_EXT_KEY = "team_invitations"


@dataclass
class Invitations:
    """Invitation id → its code (the id is what lists show and revoke takes)."""

    codes: dict[str, VerificationCode] = field(default_factory=dict)


def _state(emu: Emulator) -> Invitations:
    s = emu.data.ext.get(_EXT_KEY)
    if not isinstance(s, Invitations):
        s = emu.data.ext[_EXT_KEY] = Invitations()
    return s


def _permission_required(team_id: str, user_id: str, permission_id: str) -> E.KnownError:
    return E.KnownError(401, "TEAM_PERMISSION_REQUIRED",
                        f"User {user_id} does not have permission {permission_id} in team {team_id}.",
                        {"team_id": team_id, "user_id": user_id, "permission_id": permission_id})


def _require_member_permission(emu: Emulator, auth: AuthContext, team_id: str, permission_id: str) -> None:
    """A client must be a member of ``team_id`` holding ``permission_id``."""
    if auth.type != "client":
        return
    if auth.user is None:
        raise E.user_authentication_required()
    with emu.lock:
        team = emu.data.teams.get(team_id)
        if team is None or auth.user.id not in team.member_ids:
            raise team_membership_not_found(team_id, auth.user.id)
    if permission_id not in team_permission_ids(emu, team_id, auth.user.id):
        raise _permission_required(team_id, auth.user.id, permission_id)


def _team(emu: Emulator, team_id: str) -> Team:
    with emu.lock:
        team = emu.data.teams.get(team_id)
    if team is None:
        raise team_not_found(team_id)
    return team


def _live(emu: Emulator, vc: VerificationCode) -> bool:
    return not vc.used and vc.expires_at >= emu.now()


def invitation_json(emu: Emulator, inv_id: str, vc: VerificationCode) -> dict[str, Any]:
    """A list item (v2.7 has no ``team_display_name``)."""
    team_id = str(vc.data["team_id"])
    out: dict[str, Any] = {"id": inv_id, "team_id": team_id}
    if not emu.legacy_tokens:
        team = emu.data.teams.get(team_id)
        out["team_display_name"] = team.display_name if team else ""
    out["expires_at_millis"] = int(vc.expires_at * 1000)
    out["recipient_email"] = vc.data["email"]
    return out


def invite(emu: Emulator, team: Team, email: str, callback_url: str) -> str:
    """Create an invitation to ``team`` for ``email`` and mail its link; return the invitation id."""
    inv_id = new_id()
    vc = create_code(emu, KIND, data={"team_id": team.id, "email": email, "invitation_id": inv_id},
                     callback_url=callback_url)
    link = add_query(callback_url, [("code", vc.code)])
    with emu.lock:
        _state(emu).codes[inv_id] = vc
        emu.data.emails.append({
            "to": email,
            "subject": f"You have been invited to join {team.display_name}",
            "body": f"You have been invited to join {team.display_name}: {link}",
            "code": vc.code,
            "link": link,
            "type": "team_invitation",
            "team_id": team.id,
            "invitation_id": inv_id,
        })
    return inv_id


@bp.route("/team-invitations/send-code", methods=["POST"])
def send_code() -> Response:
    """Invite an email address to a team."""
    emu = get_emulator()
    auth = require_auth()
    f = Fields("body", body_dict())
    email = check_email_field(f, "email")
    team_id = f.string("team_id", required=True)
    if team_id is not None and not is_uuid(team_id):
        f.problems.append("body.team_id must be a valid UUID")
    callback_url = check_url_field(f, "callback_url")
    f.check()
    assert email is not None and team_id is not None and callback_url is not None
    _require_member_permission(emu, auth, team_id, "$invite_members")
    team = _team(emu, team_id)
    if not validate_redirect_url(callback_url, auth.project):
        raise E.redirect_url_not_whitelisted()
    return json_response({"success": True, "id": invite(emu, team, email, callback_url)})


@bp.route("/team-invitations", methods=["GET"])
def list_invitations() -> Response:
    """A team's pending invitations, or (v2.8) those sent to the signed-in user's verified emails."""
    emu = get_emulator()
    auth = require_auth()
    q = query_fields()
    team_id = q.string("team_id")
    user_id = q.string("user_id")
    if emu.legacy_tokens:
        if team_id is None:
            q.problems.append("query.team_id must be defined")
        if "user_id" in request.args:
            q.problems.append("query contains unknown properties: user_id")
    for name, value in (("team_id", team_id), ("user_id", user_id if user_id != "me" else None)):
        if value is not None and not is_uuid(value):
            q.problems.append(f"query.{name} must be a valid UUID")
    q.check()
    with emu.lock:
        pending = [(i, vc) for i, vc in _state(emu).codes.items() if _live(emu, vc)]
    if team_id is not None:
        _require_member_permission(emu, auth, team_id, "$read_members" if emu.legacy_tokens else "$invite_members")
        _team(emu, team_id)
        items = [invitation_json(emu, i, vc) for i, vc in pending if vc.data["team_id"] == team_id]
    elif user_id is not None:
        user = _user_for_query(emu, auth, user_id)
        emails = verified_emails(emu, user)
        items = [invitation_json(emu, i, vc) for i, vc in pending if vc.data["email"] in emails]
    else:
        raise E.StatusError(400, "Must specify either team_id or user_id")
    return json_response({"items": items, "is_paginated": False})


def _user_for_query(emu: Emulator, auth: AuthContext, user_id: str) -> User:
    if auth.type == "client":
        # What v2.8.86 answers for "me" without a session and for any id but the caller's own.
        if auth.user is None or (user_id != "me" and user_id != auth.user.id):
            raise E.cannot_get_own_user_without_user()
        return auth.user
    if user_id == "me":
        if auth.user is None:
            raise E.cannot_get_own_user_without_user()
        return auth.user
    with emu.lock:
        user = emu.data.users.get(user_id)
    if user is None:
        raise E.user_not_found()
    return user


@bp.route("/team-invitations/<invitation_id>", methods=["DELETE"])
def revoke(invitation_id: str) -> Response:
    """Revoke a pending invitation (``?team_id=`` required)."""
    emu = get_emulator()
    if not is_uuid(invitation_id):
        raise schema_error(["params.id must be a valid UUID"])
    auth = require_auth()
    q = query_fields()
    team_id = q.string("team_id", required=emu.legacy_tokens)
    if team_id is not None and not is_uuid(team_id):
        q.problems.append("query.team_id must be a valid UUID")
    q.check()
    if team_id is None:
        raise E.StatusError(400, "team_id is required for deleting a team invitation")
    _require_member_permission(emu, auth, team_id, "$remove_members")
    with emu.lock:
        vc = _state(emu).codes.get(invitation_id)
        if vc is None or vc.data["team_id"] != team_id or vc.used:
            # Real servers answer 500 for a second revoke (a server bug); a 404 says what happened.
            raise E.StatusError(404, "Team invitation not found.")
        del _state(emu).codes[invitation_id]
        forget_code(emu, vc)
    return json_response({"success": True})


def _code_from_body() -> str:
    problems: list[str] = []
    raw = check_code_field(body_dict(), problems)
    if problems or raw is None:
        raise schema_error(problems)
    return raw


def _signed_in(auth: AuthContext) -> User:
    if auth.user is None:
        raise E.user_authentication_required()
    reason = auth.user.restricted_reason
    if reason is not None:
        raise E.KnownError(403, "TEAM_INVITATION_RESTRICTED_USER_NOT_ALLOWED",
                           f"Restricted users cannot accept team invitations. Reason: {reason['type']}. Please "
                           "complete the onboarding process before accepting team invitations.",
                           {"restricted_reason": reason})
    return auth.user


@bp.route("/team-invitations/accept/check-code", methods=["POST"])
def check_code() -> Response:
    """Whether an invitation code is usable, without using it (no session needed)."""
    emu = get_emulator()
    require_auth()
    find_code(emu, KIND, _code_from_body())
    return json_response({"is_code_valid": True})


@bp.route("/team-invitations/accept/details", methods=["POST"])
def details() -> Response:
    """The team an invitation code is for (needs a session; spends nothing)."""
    emu = get_emulator()
    auth = require_auth()
    vc = find_code(emu, KIND, _code_from_body())
    _signed_in(auth)
    team = _team(emu, str(vc.data["team_id"]))
    return json_response({"team_id": team.id, "team_display_name": team.display_name})


def _join(emu: Emulator, user: User, team_id: str) -> None:
    with emu.lock:
        team = emu.data.teams.get(team_id)
        if team is None:
            raise team_not_found(team_id)
        limit = None if emu.legacy_tokens else settings(emu).team_seat_limits.get(team_id, settings(emu).seat_limit)
        if limit is not None and len(team.member_ids) + 1 > limit:
            raise E.KnownError(
                400, "ITEM_QUANTITY_INSUFFICIENT_AMOUNT",
                f'The item with ID "dashboard_admins" has an insufficient quantity for the customer with ID '
                f'"{team_id}". An attempt was made to charge -1 credits.',
                {"item_id": "dashboard_admins", "customer_id": team_id, "quantity": -1})
        if user.id not in team.member_ids:
            add_member(emu, team, user.id, "member")


@bp.route("/team-invitations/accept", methods=["POST"])
def accept() -> Response:
    """Spend an invitation code and join its team as the signed-in user."""
    emu = get_emulator()
    auth = require_auth()
    vc = find_code(emu, KIND, _code_from_body())
    mark_used(emu, vc)
    _join(emu, _signed_in(auth), str(vc.data["team_id"]))
    return json_response({})


@bp.route("/team-invitations/<invitation_id>/accept", methods=["POST"])
def accept_by_id(invitation_id: str) -> Response:
    """v2.8: accept an invitation sent to one of the user's verified emails, by its id."""
    emu = get_emulator()
    if emu.legacy_tokens:
        return Response(E.NOT_FOUND_TEXT.format(url=request.url), status=404, content_type=E.TEXT_CONTENT_TYPE)
    if not is_uuid(invitation_id):
        raise schema_error(["params.id must be a valid UUID"])
    auth = require_auth()
    q = query_fields()
    user_id = q.string("user_id", required=True)
    q.check()
    user = _user_for_query(emu, auth, str(user_id))
    with emu.lock:
        vc = _state(emu).codes.get(invitation_id)
        if vc is None or not _live(emu, vc) or vc.data["email"] not in verified_emails(emu, user):
            raise verification_code_not_found()
        mark_used(emu, vc)
    # v2.8.86 answers 500 here on its `internal` project (a read-replica bug); the emulator joins.
    _join(emu, user, str(vc.data["team_id"]))
    return json_response({})
