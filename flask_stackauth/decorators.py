"""``login_required`` and the request-time authentication it runs.

Before a protected view runs: a bearer header is verified locally; otherwise the session's token pair
is read, refreshed first when it expires within ``STACK_REFRESH_LEEWAY`` seconds (one refresh per
refresh token per process), and verified. The view then sees a fresh token through ``current_user``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, overload

from flask import current_app, g, request, session

from .errors import (
    AuthenticationRequired,
    InvalidAccessToken,
    RefreshTokenError,
    StackAuthError,
    StackAuthHTTPError,
    StackAuthUnavailable,
    token_authorization,
)
from .extension import StackAuthState, get_state
from .signals import refresh_failed, token_refreshed
from .tokens import TokenSet, clear_tokens, load_tokens, save_tokens
from .user import ANONYMOUS_USER, AnonymousUser, StackUser
from .verify import peek_claims

log = logging.getLogger("flask_stackauth")

F = TypeVar("F", bound=Callable[..., Any])
#: Methods that never need authentication (CORS preflights), as in Flask-Login.
EXEMPT_METHODS = frozenset({"OPTIONS"})
#: Longest ``Authorization`` / ``x-stack-access-token`` header value read at all.
MAX_HEADER_LENGTH = 8192


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


def _make_user(state: StackAuthState, claims: dict[str, Any], access_token: str) -> StackUser:
    def load_profile(user: StackUser) -> dict[str, Any]:
        cached = state.profiles.get(access_token)
        if cached is not None:
            return cached
        profile = state.client.request("GET", "/api/v1/users/me", access_token=access_token)
        profile = profile if isinstance(profile, dict) else {}
        state.profiles.put(access_token, float(claims.get("exp", 0)), profile)
        return profile

    return StackUser(claims, access_token, load_profile)


def _refresh(state: StackAuthState, tokens: TokenSet) -> TokenSet:
    settings = state.settings

    def run() -> TokenSet:
        answer = state.oauth.refresh(tokens.refresh_token)
        try:
            exp = peek_claims(answer.access_token).get("exp")
        except InvalidAccessToken:
            exp = None
        if not isinstance(exp, int) or isinstance(exp, bool):
            raise StackAuthUnavailable("Stack Auth answered the refresh with an access token that is not a JWT "
                                       "with an exp claim.")
        return TokenSet(answer.access_token, answer.refresh_token or tokens.refresh_token, exp)

    try:
        fresh = state.refresher.refresh(tokens.refresh_token, run, min_valid=settings.refresh_leeway,
                                        timeout=settings.http_timeout * 2)
    except RefreshTokenError as exc:
        clear_tokens(session)
        state.refresher.forget(tokens.refresh_token)
        log.info("flask-stackauth: refresh token rejected (%s); signed out", exc.code)
        refresh_failed.send(current_app._get_current_object(),  # type: ignore[attr-defined]
                            user_id=_subject(tokens), error=exc)
        raise AuthenticationRequired("Your session has ended. Please sign in again.") from None
    except (StackAuthUnavailable, StackAuthHTTPError) as exc:
        # Unreachable, rate-limited (429) or answering garbage: a refresh problem, not a sign-out.
        if tokens.expires_in() > 0:
            log.warning("flask-stackauth: could not refresh the access token (%s); using it while it lasts", exc)
            return tokens
        if isinstance(exc, StackAuthHTTPError):
            raise StackAuthUnavailable(f"Stack Auth could not refresh the access token: {exc.message}") from None
        raise
    save_tokens(session, fresh)
    token_refreshed.send(current_app._get_current_object(), user_id=_subject(fresh))  # type: ignore[attr-defined]
    return fresh


def _subject(tokens: TokenSet) -> str | None:
    try:
        sub = peek_claims(tokens.access_token).get("sub")
    except InvalidAccessToken:
        return None
    return sub if isinstance(sub, str) else None


def _user_of(this_request: object) -> StackUser | None:
    # Tagged with the request: an app context (and so ``g``) can outlive one request in tests.
    cached = g.get("_stackauth_user")
    if cached is not None and cached[0] is this_request:
        return cached[1]  # type: ignore[no-any-return]
    return None


def request_user() -> StackUser | None:
    """The user already authenticated for the current request, if any."""
    return _user_of(request._get_current_object())  # type: ignore[attr-defined]


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
    except InvalidAccessToken as exc:
        raise AuthenticationRequired(exc.message, code=exc.code, bearer_error="invalid_token") from None
    return user


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
        except InvalidAccessToken as exc:
            raise AuthenticationRequired(exc.message, code=exc.code, bearer_error="invalid_token") from None
        return _make_user(state, claims, bearer)

    tokens = load_tokens(session)
    if tokens is None:
        raise AuthenticationRequired()
    if tokens.expires_in() < state.settings.refresh_leeway:
        tokens = _refresh(state, tokens)
    try:
        # trusted: the signed session holds tokens Stack Auth gave this app, not a client's claims.
        claims = state.verifier.verify(tokens.access_token, allow_anonymous=True, allow_restricted=True, trusted=True)
    except InvalidAccessToken as exc:
        log.warning("flask-stackauth: the session's access token was refused (%s: %s); signed out",
                    exc.code, exc.message)
        clear_tokens(session)
        raise AuthenticationRequired() from None
    return _make_user(state, claims, tokens.access_token)


def load_user() -> StackUser | AnonymousUser:
    """The request's user for ``current_user``: like :func:`authenticate`, but never raises for "nobody".

    A "nobody" outcome is remembered for the request, so a template reading ``current_user`` ten times
    does not retry a failing refresh ten times.
    """
    this_request = request._get_current_object()  # type: ignore[attr-defined]
    if g.get("_stackauth_nobody") is this_request:
        return ANONYMOUS_USER
    try:
        return authenticate(allow_anonymous=True, allow_restricted=True)
    except AuthenticationRequired:
        pass
    except StackAuthError as exc:
        log.warning("flask-stackauth: treating the request as signed out: %s", exc)
    g._stackauth_nobody = this_request
    return ANONYMOUS_USER


@overload
def login_required(view: F) -> F: ...
@overload
def login_required(*, allow_anonymous: bool = False, allow_restricted: bool = False) -> Callable[[F], F]: ...


def login_required(view: F | None = None, *, allow_anonymous: bool = False,
                   allow_restricted: bool = False) -> F | Callable[[F], F]:
    """Require a signed-in Stack Auth user before the view runs.

    Use as ``@login_required`` or ``@login_required(allow_anonymous=True)``. HTML requests without a user
    are redirected to the sign-in page with ``next``; API requests get a JSON 401 with
    ``WWW-Authenticate: Bearer``. Works on sync and async views; ``OPTIONS`` requests pass through.

    :param allow_anonymous: also accept Stack's anonymous users (and restricted ones).
    :param allow_restricted: also accept restricted users (for example, with an unverified email).
    """

    def decorator(func: F) -> F:
        @wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if request.method not in EXEMPT_METHODS:
                authenticate(allow_anonymous=allow_anonymous, allow_restricted=allow_restricted)
            return current_app.ensure_sync(func)(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    if view is not None:
        return decorator(view)
    return decorator
