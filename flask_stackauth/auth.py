"""Who the request's user is: authenticating a request, ``current_user``, and completing a sign-in.

Before a protected view runs: a bearer header is verified locally; otherwise the session's token pair
is read, refreshed first when it expires within ``STACK_REFRESH_LEEWAY`` seconds (one refresh per
refresh token per process), and verified. The view then sees a fresh token through ``current_user``.
Every sign-in method ends in :func:`store_sign_in`, so they all land in the same store with the same signals.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app, g, request, session
from werkzeug.local import LocalProxy

from .errors import (
    AuthenticationRequired,
    InvalidAccessToken,
    RestrictedUserNotAllowed,
    SignInError,
    StackAuthError,
    StackAuthUnavailable,
)
from .js_tokens import authenticate_js, cookie_credentials, header_tokens
from .refresh import refresh_session
from .responses import token_authorization
from .signals import user_signed_in
from .state import StackAuthState, get_state
from .tokens import STATE_PREFIX, TOKENS_KEY, TokenSet, clear_tokens, load_tokens, peek_claims, save_tokens
from .user import ANONYMOUS_USER, AnonymousUser, StackUser

log = logging.getLogger("flask_stackauth")

#: Longest ``Authorization`` / ``x-stack-access-token`` header value read at all.
MAX_HEADER_LENGTH = 8192
#: Session cookies larger than this draw a warning; browsers drop cookies over 4096 bytes.
COOKIE_WARN_BYTES = 3500


def _bearer_token() -> str | None:
    """The token of a bearer header; ``None`` when the request carries none; ``""`` when malformed."""
    auth = token_authorization()
    if auth is not None:
        if len(auth) > MAX_HEADER_LENGTH:
            return ""
        scheme, _, value = auth.strip().partition(" ")
        return value.strip() if scheme.lower() == "bearer" else ""
    token = request.headers.get("X-Stack-Access-Token")
    if token is not None:
        return token.strip() if len(token) <= MAX_HEADER_LENGTH else ""
    return None


def make_user(state: StackAuthState, claims: dict[str, Any], access_token: str) -> StackUser:
    def load_profile(user: StackUser) -> dict[str, Any]:
        cached = state.profiles.get(access_token)
        if cached is not None:
            return cached
        profile = state.client.request("GET", "/api/v1/users/me", access_token=access_token)
        profile = profile if isinstance(profile, dict) else {}
        state.profiles.put(access_token, float(claims.get("exp", 0)), profile)
        return profile

    return StackUser(claims, access_token, load_profile)


def _user_of(this_request: object, key: str = "_stackauth_user") -> StackUser | None:
    # Tagged with the request: an app context (and so ``g``) can outlive one request in tests.
    cached = g.get(key)
    if cached is not None and cached[0] is this_request:
        return cached[1]  # type: ignore[no-any-return]
    return None


def request_user() -> StackUser | None:
    """The user already admitted for the current request (by a decorator's policy or ``current_user``'s), if any.

    A user whose token verified but whom a policy refused (an anonymous or restricted user) is not returned.
    """
    return _user_of(request._get_current_object(), "_stackauth_admitted")  # type: ignore[attr-defined]


def authenticate(*, allow_anonymous: bool = False, allow_restricted: bool = False) -> StackUser:
    """Authenticate the current request and return its user, refreshing the session's token if needed.

    :raises AuthenticationRequired: nobody is signed in, or the bearer token is refused (401).
    :raises StackAuthUnavailable: the token expired and Stack Auth cannot refresh it right now (503).
    """
    state = get_state()
    this_request = request._get_current_object()  # type: ignore[attr-defined]
    user = _user_of(this_request)
    if user is None:
        user = _authenticate(state, allow_anonymous=allow_anonymous, allow_restricted=allow_restricted)
        g._stackauth_user = (this_request, user)
    try:
        state.verifier.check_policy(user.claims, allow_anonymous=allow_anonymous,
                                    allow_restricted=allow_restricted)
    except RestrictedUserNotAllowed:
        raise restricted_user(user.claims) from None
    except InvalidAccessToken as exc:
        raise AuthenticationRequired(exc.message, code=exc.code, bearer_error="invalid_token") from None
    g._stackauth_admitted = (this_request, user)
    return user


def restricted_user(claims: dict[str, Any]) -> RestrictedUserNotAllowed:
    """The 403 for a signed-in restricted user, carrying Stack's ``restricted_reason`` (``{"type": ...}``).

    Signing in again would lead back here, so the answer is "not allowed, and why", never a sign-in redirect.
    """
    reason = claims.get("restricted_reason")
    reason = reason if isinstance(reason, dict) else {"type": "unknown"}
    return RestrictedUserNotAllowed(
        "RESTRICTED_USER_NOT_ALLOWED", "Your account cannot use this page yet.", {"restricted_reason": reason}, 403)


def _authenticate(state: StackAuthState, *, allow_anonymous: bool, allow_restricted: bool) -> StackUser:
    bearer = _bearer_token()
    if bearer is not None:
        if not bearer:
            raise AuthenticationRequired(
                "The Authorization header must be 'Bearer <Stack Auth access token>'.",
                code="UNPARSABLE_ACCESS_TOKEN", bearer_error="invalid_token")
        try:
            # The view's own policy, so the anonymous users' keys are fetched only where a view opts in.
            claims = state.verifier.verify(bearer, allow_anonymous=allow_anonymous, allow_restricted=allow_restricted)
        except RestrictedUserNotAllowed:
            # Refused only after its signature checked out, so its claims may be read for the reason.
            raise restricted_user(peek_claims(bearer)) from None
        except InvalidAccessToken as exc:
            raise AuthenticationRequired(exc.message, code=exc.code, bearer_error="invalid_token") from None
        if state.ended_sessions.is_ended(claims):
            raise AuthenticationRequired("This session was ended. Please sign in again.", code="SESSION_ENDED",
                                         bearer_error="invalid_token")
        return make_user(state, claims, bearer)

    js = header_tokens()  # Stack's JS SDK header: after Authorization, before (and instead of) any cookie
    if js is not None:
        return make_user(state, *authenticate_js(state, js, allow_anonymous=allow_anonymous))
    tokens = load_tokens(session)
    if tokens is None:
        js = cookie_credentials(state)
        if js is not None:
            return make_user(state, *authenticate_js(state, js, allow_anonymous=allow_anonymous))
        raise AuthenticationRequired()
    if tokens.needs_refresh(state.settings.refresh_leeway):
        tokens = refresh_session(state, tokens)
    try:
        # trusted: the signed session holds tokens Stack Auth gave this app, not a client's claims.
        claims = state.verifier.verify(tokens.access_token, allow_anonymous=True, allow_restricted=True, trusted=True)
    except InvalidAccessToken as exc:
        log.warning("flask-stackauth: the session's access token was refused (%s: %s); signed out",
                    exc.code, exc.message)
        clear_tokens(session)
        raise AuthenticationRequired() from None
    if state.ended_sessions.is_ended(claims):
        # Ended on another device (or by a password reset): Stack has revoked the refresh token too.
        log.info("flask-stackauth: the session was ended through this app; signed out")
        state.refresher.forget(tokens.refresh_token)
        clear_tokens(session)
        raise AuthenticationRequired()
    return make_user(state, claims, tokens.access_token)


def load_user() -> StackUser | AnonymousUser:
    """The request's user for ``current_user``: like :func:`authenticate`, but never raises for "nobody".

    Stack's anonymous and restricted users count as "nobody" (an :class:`AnonymousUser`) unless
    ``STACK_CURRENT_USER_ALLOW_ANONYMOUS`` / ``STACK_CURRENT_USER_ALLOW_RESTRICTED`` is on, or the view's
    decorator admitted them (``allow_anonymous=True`` / ``allow_restricted=True``).

    A "nobody" outcome is remembered for the request, so a template reading ``current_user`` ten times
    does not retry a failing refresh ten times.
    """
    this_request = request._get_current_object()  # type: ignore[attr-defined]
    if g.get("_stackauth_nobody") is this_request:
        return ANONYMOUS_USER
    settings = get_state().settings
    try:
        # As Stack's own SDKs: anonymous and restricted users are "nobody" unless the app opts in, so that
        # ``current_user.is_authenticated`` never admits a guest anyone can create through Stack's public sign-up.
        return authenticate(allow_anonymous=settings.current_user_allow_anonymous,
                            allow_restricted=settings.current_user_allow_restricted)
    except (AuthenticationRequired, RestrictedUserNotAllowed):
        pass
    except StackAuthError as exc:
        log.warning("flask-stackauth: treating the request as signed out: %s", exc)
    g._stackauth_nobody = this_request
    return ANONYMOUS_USER


def _current_user() -> StackUser | AnonymousUser:
    return request_user() or load_user()


#: The signed-in user of this request (:class:`~flask_stackauth.user.StackUser`), or an
#: :class:`~flask_stackauth.user.AnonymousUser`; Stack's anonymous and restricted users are an
#: ``AnonymousUser`` here unless the app or the view's decorator opts in (see :func:`load_user`).
current_user: StackUser | AnonymousUser = LocalProxy(_current_user)  # type: ignore[assignment]


# -- completing a sign-in -------------------------------------------------------------------------------------

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


def drop_auth_data() -> None:
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
                          code=exc.code, http_status=502) from None
    except StackAuthUnavailable as exc:  # the JWKS could not be fetched to check the new token
        raise SignInError(f"Stack Auth could not be reached to complete the sign-in: {exc.message}",
                          code=exc.code, http_status=502) from None
    if request.is_secure and not current_app.config.get("SESSION_COOKIE_SECURE") and not state.warned_insecure_cookie:
        state.warned_insecure_cookie = True
        log.warning("flask-stackauth: the app is served over https but SESSION_COOKIE_SECURE is off, so the "
                    "session cookie (which holds a refresh token) may also be sent over plain http. "
                    "Set SESSION_COOKIE_SECURE = True.")
    drop_auth_data()
    save_tokens(session, TokenSet(access_token, refresh_token, int(claims["exp"])))
    regenerate = getattr(current_app.session_interface, "regenerate", None)
    if callable(regenerate):
        # Flask-Session: the signed-in session gets a new server-side id. After the tokens are in it, since
        # Flask-Session's regenerate() skips a session it counts as empty.
        regenerate(session)
    _warn_if_cookie_large()
    user = make_user(state, claims, access_token)
    user_signed_in.send(current_app._get_current_object(),  # type: ignore[attr-defined]
                        user=user, is_new_user=is_new_user, method=method)
