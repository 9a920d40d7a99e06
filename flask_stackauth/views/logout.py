"""Sign-out: ``GET /logout`` shows the form, ``POST /logout`` revokes the session and clears ours.
"""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, redirect, request, session
from werkzeug.wrappers import Response

from ..auth import drop_auth_data
from ..errors import AuthenticationRequired, RefreshTokenError, StackAuthError
from ..refresh import refresh_session, token_subject
from ..signals import user_signed_out
from ..state import get_state
from ..tokens import load_tokens
from ..urls import safe_next
from .forms import check_form, form_page

log = logging.getLogger("flask_stackauth")

def logout_confirm() -> Response:
    """A small page with the POST form that signs out."""
    return form_page("stackauth/logout.html")


def logout() -> Response:
    """Revoke the session at Stack Auth, clear ours, and redirect to ``STACK_AFTER_SIGN_OUT_URL``."""
    check_form("sign-out")
    state = get_state()
    tokens = load_tokens(session)
    revoked = False
    user_id = token_subject(tokens) if tokens is not None else None
    if tokens is not None:
        try:
            if tokens.needs_refresh(state.settings.refresh_leeway):
                # Stack Auth refuses the whole request when it carries an expired access token.
                tokens = refresh_session(state, tokens)
            state.client.request("DELETE", "/api/v1/auth/sessions/current", access_token=tokens.access_token,
                                 refresh_token=tokens.refresh_token, json={})
            revoked = True
        except (RefreshTokenError, AuthenticationRequired):
            revoked = True  # the session was already revoked at Stack Auth
        except StackAuthError as exc:
            log.warning("flask-stackauth: could not revoke the session at Stack Auth (%s); signed out locally",
                        exc.code)
        state.refresher.forget(tokens.refresh_token)
    drop_auth_data()
    user_signed_out.send(current_app._get_current_object(),  # type: ignore[attr-defined]
                         user_id=user_id, revoked=revoked)
    target = safe_next(state.settings.after_sign_out_url, host=request.host) or "/"
    return redirect(target, 303)


def register(bp: Blueprint) -> None:
    """Add this flow's routes to ``bp``."""
    bp.add_url_rule("/logout", "logout_confirm", logout_confirm, methods=["GET"])
    bp.add_url_rule("/logout", "logout", logout, methods=["POST"])
