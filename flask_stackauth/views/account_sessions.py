"""Account settings: ``/account/sessions`` (the user's signed-in devices) and ``POST /logout/everywhere``.

Stack lists sessions with the last-used time and address; this one is marked. Ending a session revokes its
refresh token at Stack, and this app refuses its still-valid access token from that device's next request
on. v2.7 servers cannot list or end single sessions: the section hides itself there.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from flask import Blueprint, current_app, request
from werkzeug.wrappers import Response

from ..auth import authenticate
from ..errors import NotSupportedByServer, StackAuthError
from ..models import Session
from ..user import StackUser
from .account_nav import account_page
from .forms import Form, explain, form_page, refuse_forged


def when(millis: int | None) -> str:
    """A session time as Stack reports it (milliseconds), in UTC words."""
    if not millis:
        return "unknown"
    return datetime.fromtimestamp(millis / 1000, tz=timezone.utc).strftime("%d %b %Y, %H:%M UTC")


def _page(user: StackUser, form: Form, status: int = 200, notice: str | None = None) -> Response:
    sessions: list[Session] = []
    try:
        sessions = user.sessions()
    except StackAuthError as exc:
        if not form.failed:
            explain(exc, form)
            status = form.status
    return account_page("stackauth.account_sessions", "stackauth/account_sessions.html", user, status, form=form,
                        notice=notice, sessions=sessions, when=when,
                        section_title="Sessions")


def _end_others(user: StackUser) -> int:
    ended = 0
    for other in user.sessions():
        if not other.is_current_session:
            user.revoke_session(other.id)
            ended += 1
    return ended


def sessions() -> Response:
    """GET lists the sessions; POST ends one (``session_id``) or every other one (``action=end_others``)."""
    user = authenticate()
    form = Form()
    if request.method == "GET":
        return _page(user, form)
    if refuse_forged(form, "session"):
        return _page(user, form, form.status)
    try:
        if request.form.get("action") == "end_others":
            ended = _end_others(user)
            notice = f"Signed out of {ended} other device{'s' if ended != 1 else ''}."
        else:
            user.revoke_session(request.form.get("session_id", ""))
            notice = "That device is signed out."
    except StackAuthError as exc:
        explain(exc, form)
        if exc.code == "CANNOT_DELETE_CURRENT_SESSION":
            form.message = "That is this device: use “Sign out” instead."
        elif exc.code == "SESSION_NOT_FOUND":
            form.message = "That session has already ended. Reload the page."
        return _page(user, form, form.status)
    return _page(user, Form(), notice=notice)


def sign_out_everywhere() -> Response:
    """End every other session, then sign this one out as ``POST /logout`` does."""
    form = Form()
    if refuse_forged(form, "sign-out"):
        return form_page("stackauth/logout.html", form.status, form=form)
    user = authenticate()
    try:
        _end_others(user)
    except NotSupportedByServer:
        form.fail("This Stack Auth server cannot sign other devices out one by one, so only this device can be "
                  "signed out here. Changing your password signs every other device out.", 400)
        return form_page("stackauth/logout.html", 400, form=form)
    except StackAuthError as exc:
        explain(exc, form)
        return form_page("stackauth/logout.html", form.status, form=form)
    # Then exactly what the sign-out button does, in this same request (same form token, same session); called
    # through the app's view table so this flow does not depend on the sign-out module.
    logout_view = current_app.view_functions["stackauth.logout"]
    result: Any = logout_view()
    return result if isinstance(result, Response) else current_app.make_response(result)


def register(bp: Blueprint) -> None:
    """Add this flow's routes to ``bp``."""
    bp.add_url_rule("/account/sessions", "account_sessions", sessions, methods=["GET", "POST"])
    bp.add_url_rule("/logout/everywhere", "logout_everywhere", sign_out_everywhere, methods=["POST"])
