"""Accepting a team invitation: ``GET /team-invitation?code=`` shows it, ``POST /team-invitation`` accepts it.

Real servers spend an invitation code on ``accept`` before they look at the session, so accepting without
one burns the code and fails. Hence: a visitor without a session sees the invitation (checked with
``check-code``, which spends nothing) and links to sign in or sign up that come back here (``next``); a
signed-in visitor sees the team's name (``accept/details``) and one button; the ``POST`` without a session
goes to sign-in and never reaches Stack. Mail scanners that follow the link spend nothing.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, redirect, request, url_for
from werkzeug.wrappers import Response

from .. import account_api
from ..auth import authenticate
from ..errors import AuthenticationRequired, StackAuthError
from ..models import InvitationDetails
from ..state import get_state
from ..user import StackUser
from .forms import Form, explain, page, refuse_forged

MAX_CODE_LENGTH = 256
TEMPLATE = "stackauth/team_invitation.html"
#: Stack's refusals, in words for someone holding an invitation link.
INVITATION_MESSAGES = {
    "VERIFICATION_CODE_NOT_FOUND": "This invitation link is not valid. Ask the team for a new invitation.",
    "VERIFICATION_CODE_EXPIRED": "This invitation has expired. Ask the team for a new invitation.",
    "VERIFICATION_CODE_ALREADY_USED": "This invitation has already been used. Ask the team for a new invitation.",
    "VERIFICATION_CODE_MAX_ATTEMPTS_REACHED": "This invitation link was tried too many times. Ask the team for a "
                                              "new invitation.",
    "TEAM_INVITATION_RESTRICTED_USER_NOT_ALLOWED": "Verify your email address before you join a team.",
}
_STATUS = {"VERIFICATION_CODE_NOT_FOUND": 404, "VERIFICATION_CODE_EXPIRED": 410,
           "VERIFICATION_CODE_ALREADY_USED": 409, "VERIFICATION_CODE_MAX_ATTEMPTS_REACHED": 429,
           "TEAM_INVITATION_RESTRICTED_USER_NOT_ALLOWED": 403}


def _code(raw: object) -> str | None:
    if not isinstance(raw, str):
        return None
    code = raw.strip()
    if not code or len(code) > MAX_CODE_LENGTH or not code.isascii() or not code.isprintable():
        return None
    return code


def _signed_in() -> StackUser | None:
    try:
        return authenticate()
    except AuthenticationRequired:
        return None


def _refuse(exc: StackAuthError, form: Form) -> Form:
    if exc.code in INVITATION_MESSAGES:
        return form.fail(INVITATION_MESSAGES[exc.code], _STATUS[exc.code])
    if exc.code == "ITEM_QUANTITY_INSUFFICIENT_AMOUNT":
        # v2.8's internal project: Stack's own message says which limit.
        return form.fail(f"This team has no free seat: {exc.message[:300]}", 409)
    return explain(exc, form)


def _render(form: Form, status: int, *, code: str | None = None, user: StackUser | None = None,
            details: InvitationDetails | None = None, member: bool = False) -> Response:
    here = url_for("stackauth.team_invitation") + ("?" + urlencode({"code": code}) if code else "")
    return page(TEMPLATE, status, form=form, code=code, user=user, details=details, member=member,
                login_url=url_for("stackauth.login", next=here), signup_url=url_for("stackauth.signup", next=here))


def team_invitation() -> Response:
    """Show the invitation: the sign-in links without a session, the team and the accept button with one."""
    form = Form()
    code = _code(request.args.get("code"))
    if code is None:
        form.fail("This invitation link is incomplete. Open the whole link from the invitation email.", 400)
        return _render(form, 400)
    client = get_state().client
    user = _signed_in()
    try:
        if user is None:
            account_api.check_invitation_code(client, code)
            return _render(form, 200, code=code)
        details = account_api.invitation_details(client, user.access_token, code)
    except StackAuthError as exc:
        _refuse(exc, form)
        return _render(form, form.status, user=user)
    member = any(t.id == details.team_id for t in user.teams)
    return _render(form, 200, code=code, user=user, details=details, member=member)


def team_invitation_accept() -> Response:
    """Accept the invitation as the signed-in user (only with a session: Stack would burn the code)."""
    form = Form()
    code = _code(request.form.get("code"))
    user = _signed_in()
    if user is None:
        back = url_for("stackauth.team_invitation", code=code) if code else url_for("stackauth.team_invitation")
        return redirect(url_for("stackauth.login", next=back), 303)
    if refuse_forged(form, "accept-invitation"):
        return _render(form, form.status, code=code, user=user)
    if code is None:
        form.fail("This invitation link is incomplete. Open the whole link from the invitation email.", 400)
        return _render(form, 400, user=user)
    client = get_state().client
    try:
        details = account_api.invitation_details(client, user.access_token, code)
        account_api.accept_invitation(client, user.access_token, code)
    except StackAuthError as exc:
        _refuse(exc, form)
        return _render(form, form.status, user=user)
    get_state().permissions.forget(user.id)
    if details.team_id:
        return redirect(url_for("stackauth.team", team_id=details.team_id, done="joined"), 303)
    return redirect(url_for("stackauth.teams"), 303)


def register(bp: Blueprint) -> None:
    """Add this flow's routes to ``bp``."""
    bp.add_url_rule("/team-invitation", "team_invitation", team_invitation, methods=["GET"])
    bp.add_url_rule("/team-invitation", "team_invitation_accept", team_invitation_accept, methods=["POST"])
