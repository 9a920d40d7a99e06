"""Teams: the list and switcher (``/teams``, ``POST /teams/select``), creating one, and a team's page.

- ``GET /teams``: the user's teams, the selected one marked; ``POST /teams/create`` when the project allows
  client team creation (``client_team_creation_enabled``); ``POST /teams/select`` from any page (the
  ``stackauth/_team_switcher.html`` partial) goes back to its ``next``.
- ``GET /teams/<team_id>``: members (with ``$read_members``), invite by email and pending invitations (with
  ``$invite_members``), remove a member or revoke an invitation (with ``$remove_members``), leave.

Stack checks every permission itself; the page asks first only to decide what to show. Invitation mails
link to our ``/team-invitation`` page by an absolute URL from configuration, never from ``Host``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, request, url_for
from werkzeug.wrappers import Response

from .. import account_api
from ..app_urls import stack_url
from ..auth import authenticate
from ..decorators import login_required
from ..errors import StackAuthError
from ..models import Team
from ..server import is_stack_id
from ..state import get_state
from ..urls import safe_next
from ..user import StackUser
from .account_nav import account_nav
from .forms import Form, email_field, explain, page, refuse_forged, text_field

MAX_TEAM_NAME = 100
#: Stack's refusals on these pages, in words (Stack's own message is shown for the seat limit).
TEAM_MESSAGES = {
    "TEAM_PERMISSION_REQUIRED": "You do not have the permission to do that in this team. Ask one of its admins.",
    "TEAM_MEMBERSHIP_NOT_FOUND": "That person is not (or no longer) a member of this team.",
    "TEAM_NOT_FOUND": "That team does not exist, or you are not a member of it.",
    "TEAM_INVITATION_NOT_FOUND": "That invitation was already accepted or revoked.",
    "FEATURE_NOT_ENABLED": "Creating teams is turned off for this app.",
}
_STATUS = {"TEAM_PERMISSION_REQUIRED": 403, "TEAM_MEMBERSHIP_NOT_FOUND": 404, "TEAM_NOT_FOUND": 404,
           "TEAM_INVITATION_NOT_FOUND": 404, "FEATURE_NOT_ENABLED": 403}


def refuse(exc: StackAuthError, form: Form) -> Form:
    """Stack's refusal on ``form``, in words; a 4xx for what the visitor can fix, 502/503 for outages."""
    if exc.code in TEAM_MESSAGES:
        return form.fail(TEAM_MESSAGES[exc.code], _STATUS[exc.code])
    if exc.code == "ITEM_QUANTITY_INSUFFICIENT_AMOUNT":
        return form.fail(f"This team has no free seat: {exc.message[:300]}", 409)
    return explain(exc, form)


def _creation_allowed() -> bool:
    try:
        return bool(get_state().project_config().get("client_team_creation_enabled"))
    except StackAuthError:
        return False


def _teams_page(user: StackUser, form: Form | None = None, status: int = 200) -> Response:
    form = form or Form()
    return page("stackauth/teams.html", status, form=form, nav=account_nav(), teams=user.teams,
                selected_id=user.selected_team_id, can_create=_creation_allowed())


@login_required
def teams() -> Response:
    """The user's teams and, when the project allows it, the form that creates one."""
    return _teams_page(authenticate())


@login_required
def team_create() -> Response:
    """Create a team (``POST /api/v1/teams``) and select it; then its page."""
    user = authenticate()
    form = Form()
    if refuse_forged(form, "create-team"):
        return _teams_page(user, form, form.status)
    name = text_field("display_name", MAX_TEAM_NAME, form, label="team name")
    form.values["display_name"] = name[:MAX_TEAM_NAME]
    if form.failed:
        return _teams_page(user, form, form.status)
    if not _creation_allowed():
        form.fail(TEAM_MESSAGES["FEATURE_NOT_ENABLED"], 403)
        return _teams_page(user, form, 403)
    try:
        team = user.create_team(name)
    except StackAuthError as exc:
        return _teams_page(user, refuse(exc, form), form.status)
    return redirect(url_for("stackauth.team", team_id=team.id), 303)


@login_required
def team_select() -> Response:
    """Select a team (or none, with an empty ``team_id``), then go back to ``next``."""
    user = authenticate()
    form = Form()
    back = safe_next(request.form.get("next"), host=request.host) or url_for("stackauth.teams")
    if refuse_forged(form, "team switch"):
        return _teams_page(user, form, form.status)
    raw = request.form.get("team_id", "")
    team_id = raw or None
    if team_id is not None and not any(t.id == team_id for t in user.teams):
        form.fail(TEAM_MESSAGES["TEAM_NOT_FOUND"], 404)
        return _teams_page(user, form, 404)
    try:
        user.select_team(team_id)
    except StackAuthError as exc:
        return _teams_page(user, refuse(exc, form), form.status)
    return redirect(back, 303)


def _member_team(user: StackUser, team_id: str) -> Team | None:
    if not is_stack_id(team_id):
        return None
    return next((t for t in user.teams if t.id == team_id), None)


def _team_page(user: StackUser, team: Team, form: Form | None = None, status: int = 200,
               notice: str | None = None) -> Response:
    form = form or Form()
    client = get_state().client
    can = {p: user.has_permission(p, team.id) for p in ("$read_members", "$invite_members", "$remove_members")}
    members: list[Any] = []
    invitations: list[Any] = []
    problems: list[str] = []
    if can["$read_members"]:
        try:
            members = account_api.list_team_members(client, user.access_token, team.id)
        except StackAuthError as exc:
            problems.append(refuse(exc, Form()).message or "")
    if can["$invite_members"]:
        try:
            invitations = account_api.list_invitations(client, user.access_token, team.id)
        except StackAuthError as exc:
            problems.append(refuse(exc, Form()).message or "")
    return page("stackauth/team.html", status, form=form, nav=account_nav(), team=team, can=can, members=members,
                invitations=invitations, problems=[p for p in problems if p], me=user.id,
                selected=user.selected_team_id == team.id, notice=notice)


_NOTICES = {"invited": "Invitation sent.", "revoked": "Invitation revoked.", "removed": "Member removed.",
            "joined": "Welcome to the team."}


def _not_a_member(user: StackUser) -> Response:
    form = Form().fail(TEAM_MESSAGES["TEAM_NOT_FOUND"], 404)
    return _teams_page(user, form, 404)


@login_required
def team(team_id: str) -> Response:
    """A team's page: what the user may see and do in it."""
    user = authenticate()
    found = _member_team(user, team_id)
    if found is None:
        return _not_a_member(user)
    return _team_page(user, found, notice=_NOTICES.get(request.args.get("done", "")))


def _team_post(team_id: str, action: str) -> tuple[StackUser, Team | None, Form, Response | None]:
    """The common start of a team page's POST: the user, the team, and a refusal to answer with (or ``None``)."""
    user = authenticate()
    form = Form()
    found = _member_team(user, team_id)
    if found is None:
        return user, None, form, _not_a_member(user)
    if refuse_forged(form, action):
        return user, found, form, _team_page(user, found, form, form.status)
    return user, found, form, None


@login_required
def team_invite(team_id: str) -> Response:
    """Invite an email address (``/team-invitations/send-code``); Stack mails a link to our accept page."""
    user, found, form, refused = _team_post(team_id, "invitation")
    if refused is not None or found is None:
        return refused or _not_a_member(user)
    email = email_field(form)
    if form.failed:
        return _team_page(user, found, form, form.status)
    try:
        account_api.send_invitation(get_state().client, user.access_token, found.id, email,
                                    stack_url("stackauth.team_invitation"))
    except StackAuthError as exc:
        return _team_page(user, found, refuse(exc, form), form.status)
    return redirect(url_for("stackauth.team", team_id=found.id, done="invited"), 303)


@login_required
def team_revoke_invitation(team_id: str, invitation_id: str) -> Response:
    """Revoke a pending invitation."""
    user, found, form, refused = _team_post(team_id, "revoke")
    if refused is not None or found is None:
        return refused or _not_a_member(user)
    try:
        account_api.revoke_invitation(get_state().client, user.access_token, found.id, invitation_id)
    except StackAuthError as exc:
        return _team_page(user, found, refuse(exc, form), form.status)
    return redirect(url_for("stackauth.team", team_id=found.id, done="revoked"), 303)


@login_required
def team_remove_member(team_id: str, user_id: str) -> Response:
    """Remove another member (leaving yourself is ``/leave``)."""
    user, found, form, refused = _team_post(team_id, "remove-member")
    if refused is not None or found is None:
        return refused or _not_a_member(user)
    if user_id == user.id:
        form.fail("To remove yourself, use “Leave this team”.", 400)
        return _team_page(user, found, form, 400)
    try:
        account_api.remove_team_member(get_state().client, user.access_token, found.id, user_id)
    except StackAuthError as exc:
        return _team_page(user, found, refuse(exc, form), form.status)
    get_state().permissions.forget(user_id)
    return redirect(url_for("stackauth.team", team_id=found.id, done="removed"), 303)


@login_required
def team_leave(team_id: str) -> Response:
    """Leave the team; back to the list of teams."""
    user, found, form, refused = _team_post(team_id, "leave-team")
    if refused is not None or found is None:
        return refused or _not_a_member(user)
    try:
        user.leave_team(found.id)
    except StackAuthError as exc:
        return _team_page(user, found, refuse(exc, form), form.status)
    return redirect(url_for("stackauth.teams"), 303)


def register(bp: Blueprint) -> None:
    """Add this flow's routes to ``bp``."""
    bp.add_url_rule("/teams", "teams", teams, methods=["GET"])
    bp.add_url_rule("/teams/create", "team_create", team_create, methods=["POST"])
    bp.add_url_rule("/teams/select", "team_select", team_select, methods=["POST"])
    bp.add_url_rule("/teams/<team_id>", "team", team, methods=["GET"])
    bp.add_url_rule("/teams/<team_id>/invite", "team_invite", team_invite, methods=["POST"])
    bp.add_url_rule("/teams/<team_id>/invitations/<invitation_id>/revoke", "team_revoke_invitation",
                    team_revoke_invitation, methods=["POST"])
    bp.add_url_rule("/teams/<team_id>/members/<user_id>/remove", "team_remove_member", team_remove_member,
                    methods=["POST"])
    bp.add_url_rule("/teams/<team_id>/leave", "team_leave", team_leave, methods=["POST"])
