"""The ``stackauth`` blueprint: sign-in, the prebuilt OAuth callback, and sign-out."""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import time
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from itsdangerous import BadData, URLSafeTimedSerializer
from werkzeug.wrappers import Response

from .decorators import _make_user, _refresh, _subject
from .errors import (
    AuthenticationRequired,
    InvalidAccessToken,
    KnownError,
    MultiFactorAuthenticationRequired,
    RefreshTokenError,
    SignInError,
    StackAuthError,
    StackAuthHTTPError,
    StackAuthUnavailable,
)
from .extension import get_state
from .oauth import new_code_verifier, new_state
from .signals import user_signed_in, user_signed_out
from .tokens import (
    PENDING_TTL,
    STATE_PREFIX,
    TOKENS_KEY,
    PendingSignIn,
    TokenSet,
    clear_tokens,
    load_tokens,
    pop_pending,
    remember_pending,
    save_tokens,
)
from .urls import safe_next

log = logging.getLogger("flask_stackauth")

blueprint = Blueprint("stackauth", __name__, template_folder="templates")

_PROVIDER_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,49}$")
#: Session cookies larger than this draw a warning; browsers drop cookies over 4096 bytes.
COOKIE_WARN_BYTES = 3500
FORM_TOKEN_MAX_AGE = 3600
FORM_NONCE_KEY = "_stackauth_form_nonce"


# -- helpers ------------------------------------------------------------------------------------------------

def _callback_url() -> str:
    configured = get_state().settings.redirect_uri
    return configured or url_for("stackauth.callback", _external=True)


def _form_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="flask-stackauth-form")  # type: ignore[arg-type]


def _session_binding() -> str:
    # Binds a form token to this browser's session, so a token from one session is useless in another:
    # the refresh token when signed in, else a random nonce kept in the session.
    tokens = load_tokens(session)
    if tokens is not None:
        source = tokens.refresh_token
    else:
        nonce = session.get(FORM_NONCE_KEY)
        if not isinstance(nonce, str):
            nonce = session[FORM_NONCE_KEY] = secrets.token_urlsafe(16)
        source = nonce
    return hashlib.sha256(source.encode()).hexdigest()[:32]


def form_page(template: str, status: int = 200, **context: Any) -> Response:
    """Render a page that holds a form token: never cached, framed (clickjacking) or leaked as a Referer."""
    html = render_template(template, csrf_token=form_token(), **context)
    response = Response(html, status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = "frame-ancestors 'none'"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def form_token() -> str:
    """A signed token for the sign-out form (and other forms), tied to this session."""
    return _form_serializer().dumps(_session_binding())


def _origin_host(origin: str) -> str:
    try:
        return urlsplit(origin).netloc.lower()
    except ValueError:
        return "?"


def check_form(action: str) -> None:
    """Refuse a cross-site or forged form POST with a 403 :class:`SignInError`."""
    origin = request.headers.get("Origin")
    # Hosts, not schemes, are compared: behind a TLS proxy without ProxyFix the app sees http while the
    # browser says https. A cross-site post names another host.
    if origin and origin != "null" and _origin_host(origin) != request.host.lower():
        raise SignInError(f"The {action} request came from another site and was refused.",
                          code="CROSS_SITE_REQUEST", status=403)
    token = request.form.get("csrf_token", "")
    try:
        value = _form_serializer().loads(token, max_age=FORM_TOKEN_MAX_AGE)
    except BadData:
        value = None
    if value != _session_binding():
        raise SignInError(f"The {action} form has expired or is not valid. Please try again.",
                          code="INVALID_FORM_TOKEN", status=403)


def _warn_if_cookie_large() -> None:
    interface = current_app.session_interface
    serializer = getattr(interface, "get_signing_serializer", None)
    if serializer is None:
        return
    signer = serializer(current_app)
    if signer is None:
        return
    size = len(signer.dumps(dict(session)))
    if size > COOKIE_WARN_BYTES:
        log.warning("flask-stackauth: the session cookie is %d bytes; browsers drop cookies over 4096. "
                    "Keep other data out of the session or use server-side sessions.", size)


def _drop_auth_data() -> None:
    """Remove the tokens and every other ``stackauth`` key of the session, except pending sign-ins.

    At sign-in it is the session fixation defence (nothing from before survives); at sign-out, the clean-up.
    """
    for key in [k for k in session if k != TOKENS_KEY and not k.startswith(STATE_PREFIX)
                and (k.startswith("stackauth") or k.startswith("_stackauth"))]:
        session.pop(key, None)
    clear_tokens(session)


def store_sign_in(access_token: str, refresh_token: str, *, is_new_user: bool, method: str) -> None:
    """Verify a freshly issued token pair, store it in the session, and send ``user_signed_in``.

    Used by every sign-in method, so they all land in the same store with the same signals.
    """
    state = get_state()
    try:
        claims = state.verifier.verify(access_token, allow_anonymous=True, allow_restricted=True, trusted=True)
    except InvalidAccessToken as exc:
        raise SignInError(f"Stack Auth issued an access token this app cannot verify: {exc.message}",
                          code=exc.code, status=502) from None
    except StackAuthUnavailable as exc:  # the JWKS could not be fetched to check the new token
        raise SignInError(f"Stack Auth could not be reached to complete the sign-in: {exc.message}",
                          code=exc.code, status=502) from None
    if request.is_secure and not current_app.config.get("SESSION_COOKIE_SECURE") and not state.warned_insecure_cookie:
        state.warned_insecure_cookie = True
        log.warning("flask-stackauth: the app is served over https but SESSION_COOKIE_SECURE is off, so the "
                    "session cookie (which holds a refresh token) may also be sent over plain http. "
                    "Set SESSION_COOKIE_SECURE = True.")
    _drop_auth_data()
    save_tokens(session, TokenSet(access_token, refresh_token, int(claims["exp"])))
    regenerate = getattr(current_app.session_interface, "regenerate", None)
    if callable(regenerate):
        # Flask-Session: the signed-in session gets a new server-side id. After the tokens are in it, since
        # Flask-Session's regenerate() skips a session it counts as empty.
        regenerate(session)
    _warn_if_cookie_large()
    user = _make_user(state, claims, access_token)
    user_signed_in.send(current_app._get_current_object(),  # type: ignore[attr-defined]
                        user=user, is_new_user=is_new_user, method=method)


# -- sign-in --------------------------------------------------------------------------------------------------

@blueprint.route("/login", methods=["GET"])
@blueprint.route("/login/<provider>", methods=["GET"])
def login(provider: str | None = None) -> Any:
    """Start an OAuth sign-in with ``provider`` (path or ``?provider=``), or show the sign-in page."""
    provider = provider or request.args.get("provider") or None
    next_url = safe_next(request.args.get("next"))
    state = get_state()
    if provider is None:
        from .signin_views import login_page

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


_STATE_HINTS = [
    "The sign-in was started on another host name than the one the callback reached (for example "
    "localhost vs 127.0.0.1): the browser keeps a separate session cookie per host. Open the app on "
    "the same host as STACK_REDIRECT_URI / the callback URL.",
    "The browser blocked or dropped the session cookie (third-party cookie settings, or a cookie over 4 KB).",
    "The sign-in took longer than 10 minutes and expired.",
    "This callback URL was opened twice (back button or reload): each sign-in can be completed once.",
    "SECRET_KEY changed (or differs between workers), so the session could not be read.",
]


@blueprint.route("/callback", methods=["GET"])
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
        from .signin_views import begin_mfa

        return begin_mfa(exc, next_url=pending.next_url, method="oauth")
    except KnownError as exc:
        if exc.http_status >= 500:
            raise
        raise SignInError(f"Stack Auth rejected the sign-in: {exc.message}", code=exc.code) from None
    except StackAuthHTTPError as exc:
        raise SignInError(f"Stack Auth rejected the sign-in: {exc.message}", code=exc.code) from None
    except StackAuthUnavailable as exc:
        raise SignInError(f"Stack Auth could not be reached to complete the sign-in: {exc.message}",
                          code=exc.code, status=502) from None
    assert answer.refresh_token is not None
    store_sign_in(answer.access_token, answer.refresh_token, is_new_user=answer.is_new_user, method="oauth")
    target = (pending.next_url
              or safe_next(answer.after_callback_redirect_url, host=request.host)
              or safe_next(state.settings.after_sign_in_url, host=request.host)
              or "/")
    return redirect(target, 302)


# -- sign-out -------------------------------------------------------------------------------------------------

@blueprint.route("/logout", methods=["GET"])
def logout_confirm() -> Response:
    """A small page with the POST form that signs out."""
    return form_page("stackauth/logout.html")


@blueprint.route("/logout", methods=["POST"])
def logout() -> Response:
    """Revoke the session at Stack Auth, clear ours, and redirect to ``STACK_AFTER_SIGN_OUT_URL``."""
    check_form("sign-out")
    state = get_state()
    tokens = load_tokens(session)
    revoked = False
    user_id = _subject(tokens) if tokens is not None else None
    if tokens is not None:
        try:
            if tokens.expires_in() < state.settings.refresh_leeway:
                # Stack Auth refuses the whole request when it carries an expired access token.
                tokens = _refresh(state, tokens)
            state.client.request("DELETE", "/api/v1/auth/sessions/current", access_token=tokens.access_token,
                                 refresh_token=tokens.refresh_token, json={})
            revoked = True
        except (RefreshTokenError, AuthenticationRequired):
            revoked = True  # the session was already revoked at Stack Auth
        except StackAuthError as exc:
            log.warning("flask-stackauth: could not revoke the session at Stack Auth (%s); signed out locally",
                        exc.code)
        state.refresher.forget(tokens.refresh_token)
    _drop_auth_data()
    user_signed_out.send(current_app._get_current_object(),  # type: ignore[attr-defined]
                         user_id=user_id, revoked=revoked)
    target = safe_next(state.settings.after_sign_out_url, host=request.host) or "/"
    return redirect(target, 303)


from . import signin_views  # noqa: E402, F401  (adds the password, email-code and MFA routes)
