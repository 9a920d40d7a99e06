"""OAuth sign-in: ``GET /login[/<provider>]`` starts it (or shows the sign-in page), ``GET /callback`` ends it.

``GET /link/<provider>?scope=...&next=...`` starts Stack's "link" flow for the signed-in user (connect a
provider account, or grant it more scopes); its callback keeps the user signed in as themselves.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any

from flask import Blueprint, redirect, request, session
from werkzeug.wrappers import Response

from ..app_urls import CALLBACK_ENDPOINT, stack_url
from ..auth import authenticate, store_sign_in
from ..errors import (
    KnownError,
    MultiFactorAuthenticationRequired,
    SignInError,
    StackAuthError,
    StackAuthHTTPError,
    StackAuthUnavailable,
)
from ..oauth import new_code_verifier, new_state
from ..state import get_state
from ..tokens import PENDING_TTL, PendingSignIn, peek_claims, pop_pending, remember_pending
from ..urls import safe_next
from .login_page import login_page
from .mfa import begin_mfa

log = logging.getLogger("flask_stackauth")
_PROVIDER_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,49}$")


def _callback_url() -> str:
    return stack_url(CALLBACK_ENDPOINT)


def login(provider: str | None = None) -> Any:
    """Start an OAuth sign-in with ``provider`` (path or ``?provider=``), or show the sign-in page."""
    provider = provider or request.args.get("provider") or None
    next_url = safe_next(request.args.get("next"))
    state = get_state()
    if provider is None:
        return login_page(next_url)  # providers plus the project's other enabled methods
    if not _PROVIDER_ID.match(provider):
        raise SignInError("That is not a valid sign-in provider name.", code="INVALID_PROVIDER")
    try:
        enabled = state.enabled_providers()
    except StackAuthError:
        enabled = None  # let Stack Auth itself judge the provider
    if enabled is not None and provider not in enabled:
        raise SignInError(f"Sign-in with {provider!r} is not enabled for this project.",
                          code="OAUTH_PROVIDER_NOT_FOUND_OR_NOT_ENABLED")
    pending = PendingSignIn(state=new_state(), code_verifier=new_code_verifier(), redirect_uri=_callback_url(),
                            next_url=next_url, expires_at=time.time() + PENDING_TTL)
    remember_pending(session, pending)
    url = state.oauth.authorize_url(provider, redirect_uri=pending.redirect_uri, state=pending.state,
                                    code_verifier=pending.code_verifier)
    return redirect(url, 302)


_SCOPE = re.compile(r"^[\x21-\x7e]{1,200}$")
_MAX_SCOPES = 30


def link(provider: str) -> Response:
    """Connect ``provider`` to the signed-in user with the scopes of ``?scope=`` (space-separated or repeated)."""
    user = authenticate()  # signed out: the sign-in page first (HTML) or a 401 (API)
    next_url = safe_next(request.args.get("next"))
    if not _PROVIDER_ID.match(provider):
        raise SignInError("That is not a valid provider name.", code="INVALID_PROVIDER")
    scopes = [s for value in request.args.getlist("scope") for s in value.split()]
    if len(scopes) > _MAX_SCOPES or not all(_SCOPE.match(s) for s in scopes):
        raise SignInError("The scope parameter must be provider scope names separated by spaces.",
                          code="INVALID_SCOPE")
    state = get_state()
    try:
        enabled = state.enabled_providers()
    except StackAuthError:
        enabled = None
    if enabled is not None and provider not in enabled:
        raise SignInError(f"Connecting {provider!r} is not enabled for this project.",
                          code="OAUTH_PROVIDER_NOT_FOUND_OR_NOT_ENABLED")
    pending = PendingSignIn(state=new_state(), code_verifier=new_code_verifier(), redirect_uri=_callback_url(),
                            next_url=next_url, expires_at=time.time() + PENDING_TTL, link_user_id=user.id)
    remember_pending(session, pending)
    url = state.oauth.authorize_url(provider, redirect_uri=pending.redirect_uri, state=pending.state,
                                    code_verifier=pending.code_verifier, link_token=user.access_token,
                                    provider_scope=" ".join(dict.fromkeys(scopes)) or None)
    return redirect(url, 302)


def _finish_link(pending: PendingSignIn, access_token: str, refresh_token: str) -> Response:
    """The link flow's code exchange made a second session for the same user: keep ours, end that one."""
    state = get_state()
    same_user = peek_claims(access_token).get("sub") == pending.link_user_id
    try:
        state.client.request("DELETE", "/api/v1/auth/sessions/current", access_token=access_token,
                             refresh_token=refresh_token, json={})
    except StackAuthError as exc:
        log.warning("flask-stackauth: could not end the link flow's extra session (%s)", exc.code)
    if not same_user:
        raise SignInError("Stack Auth connected the account to another user than the one signed in here.",
                          code="LINKED_TO_ANOTHER_USER")
    state.profiles.forget_user(pending.link_user_id or "")
    target = pending.next_url or safe_next(state.settings.after_sign_in_url, host=request.host) or "/"
    return redirect(target, 302)


_STATE_HINTS = [
    "The sign-in was started on another host name than the one the callback reached (for example "
    "localhost vs 127.0.0.1): the browser keeps a separate session cookie per host. Open the app on "
    "the same host as STACK_REDIRECT_URI / the callback URL.",
    "The browser blocked or dropped the session cookie (third-party cookie settings, or a cookie over 4 KB).",
    "The sign-in took longer than 10 minutes and expired.",
    "This callback URL was opened twice (back button or reload): each sign-in can be completed once.",
    "SECRET_KEY changed (or differs between workers), so the session could not be read.",
]


def callback() -> Response:
    """The prebuilt OAuth callback: Stack's error redirect, then state, then the code exchange."""
    args = request.args
    if "errorCode" in args or "error" in args:
        code = args.get("errorCode") or "OAUTH_ERROR"
        message = args.get("message") or args.get("error_description") or "Sign-in failed."
        raise SignInError(f"Sign-in did not complete: {message[:500]}", code=code[:100])
    state_value, code_value = args.get("state", ""), args.get("code", "")
    if not state_value or not code_value:
        raise SignInError("The sign-in callback is missing its code or state.", code="MISSING_STATE",
                          hints=_STATE_HINTS)
    pending = pop_pending(session, state_value)
    if pending is False:
        raise SignInError("This sign-in expired. Please sign in again.", code="EXPIRED_STATE", hints=_STATE_HINTS)
    if pending is None:
        raise SignInError("This sign-in is unknown to this browser session (state mismatch). Please sign in again.",
                          code="INVALID_STATE", hints=_STATE_HINTS)
    state = get_state()
    try:
        answer = state.oauth.exchange_code(code_value, code_verifier=pending.code_verifier,
                                           redirect_uri=pending.redirect_uri)
    except MultiFactorAuthenticationRequired as exc:
        return begin_mfa(exc, next_url=pending.next_url, method="oauth")
    except KnownError as exc:
        if exc.http_status >= 500:
            raise
        raise SignInError(f"Stack Auth rejected the sign-in: {exc.message}", code=exc.code) from None
    except StackAuthHTTPError as exc:
        raise SignInError(f"Stack Auth rejected the sign-in: {exc.message}", code=exc.code) from None
    except StackAuthUnavailable as exc:
        raise SignInError(f"Stack Auth could not be reached to complete the sign-in: {exc.message}",
                          code=exc.code, http_status=502) from None
    assert answer.refresh_token is not None
    if pending.link_user_id is not None:
        return _finish_link(pending, answer.access_token, answer.refresh_token)
    store_sign_in(answer.access_token, answer.refresh_token, is_new_user=answer.is_new_user, method="oauth")
    target = (pending.next_url
              or safe_next(answer.after_callback_redirect_url, host=request.host)
              or safe_next(state.settings.after_sign_in_url, host=request.host)
              or "/")
    return redirect(target, 302)


def register(bp: Blueprint) -> None:
    """Add this flow's routes to ``bp``."""
    bp.add_url_rule("/login", "login", login, methods=["GET"])
    bp.add_url_rule("/login/<provider>", "login", login, methods=["GET"])
    bp.add_url_rule("/callback", "callback", callback, methods=["GET"])
    bp.add_url_rule("/link/<provider>", "link", link, methods=["GET"])
