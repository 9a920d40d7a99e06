"""Sign-out: ``GET /logout`` shows the form, ``POST /logout`` revokes the session and clears ours.
"""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, redirect, request, session
from werkzeug.wrappers import Response

from ..auth import drop_auth_data
from ..errors import AuthenticationRequired, RefreshTokenError, StackAuthError, StackAuthUnavailable
from ..refresh import refresh_session, token_subject
from ..signals import sign_out_incomplete, user_signed_out
from ..state import get_state
from ..tokens import TokenSet, load_tokens
from ..urls import safe_next
from .forms import check_form, form_page

log = logging.getLogger("flask_stackauth")

def logout_confirm() -> Response:
    """A small page with the POST form that signs out."""
    return form_page("stackauth/logout.html")


#: Tries of the revocation at Stack Auth before signing out here only.
REVOKE_ATTEMPTS = 2


def _revoke(tokens: TokenSet) -> None:
    """End the session at Stack Auth (``DELETE /api/v1/auth/sessions/current``)."""
    state = get_state()
    if tokens.needs_refresh(state.settings.refresh_leeway):
        # Stack Auth refuses the whole request when it carries an expired access token.
        tokens = refresh_session(state, tokens)
    try:
        state.client.request("DELETE", "/api/v1/auth/sessions/current", access_token=tokens.access_token,
                             refresh_token=tokens.refresh_token, json={})
    except StackAuthUnavailable:
        # v2.8.86 answers a session revoked earlier (elsewhere, or by a password change) with a 500, where v2.7.16
        # answers REFRESH_TOKEN_NOT_FOUND_OR_EXPIRED (recorded: account-result.json, err_sign_out_again). The token
        # endpoint tells the two apart: RefreshTokenError here means the session is already gone.
        state.oauth.refresh(tokens.refresh_token)
        raise


def logout() -> Response:
    """Revoke the session at Stack Auth, clear ours, and redirect to ``STACK_AFTER_SIGN_OUT_URL``.

    When Stack Auth cannot end the session (twice), ours is cleared anyway and the page says so: the refresh
    token stays valid at Stack Auth until it expires. ``sign_out_incomplete`` is sent, and a warning logged.
    """
    check_form("sign-out")
    state = get_state()
    tokens = load_tokens(session)
    revoked = False
    failure: StackAuthError | None = None
    user_id = token_subject(tokens) if tokens is not None else None
    if tokens is not None:
        for _ in range(REVOKE_ATTEMPTS):
            try:
                _revoke(tokens)
                revoked, failure = True, None
            except (RefreshTokenError, AuthenticationRequired):
                revoked, failure = True, None  # the session was already revoked at Stack Auth
            except StackAuthError as exc:
                failure = exc
                continue
            break
        if failure is not None:
            log.warning("flask-stackauth: could not revoke the session of user %s at Stack Auth (%s), twice; "
                        "signed out here only, the refresh token stays valid at Stack Auth until it expires",
                        user_id, failure.code)
        state.refresher.forget(tokens.refresh_token)
    drop_auth_data()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    user_signed_out.send(app, user_id=user_id, revoked=revoked)
    target = safe_next(state.settings.after_sign_out_url, host=request.host) or "/"
    if failure is not None:
        sign_out_incomplete.send(app, user_id=user_id, error=failure)
        return form_page("stackauth/logout_incomplete.html", continue_url=target)
    return redirect(target, 303)


def register(bp: Blueprint) -> None:
    """Add this flow's routes to ``bp``."""
    bp.add_url_rule("/logout", "logout_confirm", logout_confirm, methods=["GET"])
    bp.add_url_rule("/logout", "logout", logout, methods=["POST"])
