"""Tokens that Stack's JS SDK sends to the app's backend: the ``x-stack-auth`` header and (opt-in) its cookies.

``user.getAuthHeaders()`` writes ``x-stack-auth: {"accessToken": ..., "refreshToken": ...}``; on a shared domain
the SDK's cookies (``stack-access``, ``stack-refresh-<project>--default``, ...) carry the same pair. Reading rules
follow the SDK's own server side (``../shared/stackauth-wire/js-sdk-tokens.md``): the header wins over cookies,
legacy plain refresh cookies win over structured ones, ``stack-access`` counts only when it names the chosen
refresh token.

An expired (or missing) access token with a refresh token is refreshed before the view, once per refresh token
per process (the state's :class:`~flask_stackauth.singleflight.RefreshCoordinator` remembers the answer until
it nears expiry, so a repeated header makes no further call), and the fresh access token is handed back in the
:data:`REFRESHED_HEADER` response header.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from flask import current_app, g, request
from werkzeug.wrappers import Response

from .errors import (
    AccessTokenExpired,
    AuthenticationRequired,
    InvalidAccessToken,
    RefreshTokenError,
    SignInError,
    StackAuthHTTPError,
    StackAuthUnavailable,
)
from .signals import token_refreshed
from .state import StackAuthState
from .tokens import TokenSet, peek_claims

log = logging.getLogger("flask_stackauth")

#: The request header Stack's JS SDK writes with ``getAuthHeaders()``.
HEADER = "X-Stack-Auth"
#: The response header carrying an access token the request had to refresh (expose it through CORS).
REFRESHED_HEADER = "X-Stack-Access-Token-Refreshed"
#: Longest ``x-stack-auth`` value read at all (a JWT is about 1 KB; the refresh token a few dozen characters).
MAX_HEADER_LENGTH = 16384
#: Longest token inside it.
MAX_TOKEN_LENGTH = 8192
#: A remembered refresh answer is reused while its access token has more than this many seconds left.
REUSE_MIN_VALID = 2.0
#: Methods a cookie-authenticated request may use without a same-origin proof (CSRF).
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
ACCESS_COOKIE = "stack-access"
_G_REFRESHED = "_stackauth_js_refreshed"


@dataclass(frozen=True)
class JsTokens:
    """The pair a JS frontend sent; either may be missing. ``source`` names where it came from (for messages)."""

    access_token: str | None
    refresh_token: str | None
    source: str


def _malformed(reason: str) -> AuthenticationRequired:
    return AuthenticationRequired(
        f"The x-stack-auth header is not usable: {reason}. Send it as Stack's getAuthHeaders() writes it: "
        '{"accessToken": "<JWT or null>", "refreshToken": "<token or null>"}.',
        code="INVALID_STACK_AUTH_HEADER", bearer_error="invalid_request")


def header_tokens() -> JsTokens | None:
    """The request's ``x-stack-auth`` pair; ``None`` when there is no such header.

    :raises AuthenticationRequired: the header is oversized, not JSON, not an object, or a value is not a
        string or null (401 ``invalid_request``).
    """
    raw = request.headers.get(HEADER)
    if raw is None:
        return None
    if len(raw) > MAX_HEADER_LENGTH:
        raise _malformed(f"it is longer than {MAX_HEADER_LENGTH} characters")
    try:
        parsed = json.loads(raw)
    except (ValueError, RecursionError):
        raise _malformed("it is not JSON") from None
    if not isinstance(parsed, dict):
        raise _malformed("it is not a JSON object")
    values: dict[str, str | None] = {}
    for name in ("accessToken", "refreshToken"):
        value = parsed.get(name)
        if value is not None and not isinstance(value, str):
            raise _malformed(f"{name} must be a string or null")
        if value is not None and len(value) > MAX_TOKEN_LENGTH:
            raise _malformed(f"{name} is longer than {MAX_TOKEN_LENGTH} characters")
        values[name] = (value.strip() or None) if value is not None else None
    return JsTokens(values["accessToken"], values["refreshToken"], "x-stack-auth header")


# -- cookies --------------------------------------------------------------------------------------------------

def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def _refresh_from_cookies(cookies: dict[str, str], project_id: str) -> str | None:
    base = f"stack-refresh-{project_id}"
    for name in (base, "stack-refresh"):  # the SDK's legacy plain cookies win, even next to structured ones
        value = cookies.get(name)
        if value:
            return unquote(value)
    best: tuple[float, str] | None = None
    for name, value in cookies.items():
        if not (name.startswith(base + "--") or name.startswith("__Host-" + base + "--")):
            continue
        obj = _json(unquote(value))
        if not isinstance(obj, dict) or not isinstance(obj.get("refresh_token"), str):
            continue
        stamp = obj.get("updated_at_millis")
        when = float(stamp) if isinstance(stamp, (int, float)) and not isinstance(stamp, bool) else float("-inf")
        if best is None or when > best[0]:
            best = (when, obj["refresh_token"])
    return best[1] if best is not None else None


def cookie_tokens(project_id: str) -> JsTokens | None:
    """The pair in Stack's JS SDK cookies (v2.7 and v2.8 names and formats); ``None`` when there is none."""
    cookies = {k: v for k, v in request.cookies.items() if len(v) <= MAX_TOKEN_LENGTH}
    refresh = _refresh_from_cookies(cookies, project_id)
    access = None
    raw = unquote(cookies.get(ACCESS_COOKIE, ""))
    if raw.startswith('["'):
        pair = _json(raw)
        if (isinstance(pair, list) and len(pair) == 2 and all(isinstance(x, str) for x in pair)
                and pair[0] == refresh):
            access = pair[1] or None
    if access is None and not refresh:
        return None
    return JsTokens(access, refresh or None, "Stack's JS SDK cookies")


def check_same_origin() -> None:
    """Refuse a state-changing cookie-authenticated request that does not prove it comes from this site.

    The SDK's cookies are ``SameSite=Lax`` and not HttpOnly: another site's form can still make the browser
    send them with a top-level POST. ``Sec-Fetch-Site: same-origin``, or an ``Origin`` naming this host, passes.

    :raises SignInError: 403 ``CROSS_SITE_REQUEST``.
    """
    if request.method in SAFE_METHODS:
        return
    site = request.headers.get("Sec-Fetch-Site")
    origin = request.headers.get("Origin")
    if site == "same-origin":
        return
    if site is None and origin and origin != "null":
        try:
            host = urlsplit(origin).netloc.lower()
        except ValueError:
            host = ""
        if host == request.host.lower():
            return
    raise SignInError("This request is authenticated by Stack's JS SDK cookies but does not come from this "
                      "site (no same-origin Origin or Sec-Fetch-Site header), so it was refused. Send the "
                      "x-stack-auth header from getAuthHeaders() instead.",
                      code="CROSS_SITE_REQUEST", http_status=403)


def cookie_credentials(state: StackAuthState) -> JsTokens | None:
    """The SDK cookies' pair when ``STACK_ACCEPT_JS_SDK_COOKIES`` is on (CSRF-checked), else ``None``."""
    if not state.settings.accept_js_sdk_cookies:
        return None
    tokens = cookie_tokens(state.settings.project_id)
    if tokens is not None:
        check_same_origin()
    return tokens


# -- authenticating ------------------------------------------------------------------------------------------

def _refused(exc: InvalidAccessToken) -> AuthenticationRequired:
    return AuthenticationRequired(exc.message, code=exc.code, bearer_error="invalid_token")


def _refresh(state: StackAuthState, refresh_token: str) -> TokenSet:
    settings = state.settings

    def run() -> TokenSet:
        answer = state.oauth.refresh(refresh_token)
        try:
            exp = peek_claims(answer.access_token).get("exp")
        except InvalidAccessToken:
            exp = None
        if not isinstance(exp, int) or isinstance(exp, bool):
            raise StackAuthUnavailable("Stack Auth answered the refresh with an access token that is not a JWT "
                                       "with an exp claim.")
        return TokenSet(answer.access_token, answer.refresh_token or refresh_token, exp)

    try:
        return state.refresher.refresh(refresh_token, run, min_valid=REUSE_MIN_VALID,
                                       timeout=settings.http_timeout * 2)
    except RefreshTokenError as exc:
        state.refresher.forget(refresh_token)
        log.info("flask-stackauth: a JS frontend's refresh token was rejected (%s)", exc.code)
        raise AuthenticationRequired("The refresh token was refused: sign in again.", code=exc.code,
                                     bearer_error="invalid_token") from None
    except StackAuthHTTPError as exc:
        # Rate-limited or answering garbage: an outage, never "signed out".
        raise StackAuthUnavailable(f"Stack Auth could not refresh the access token: {exc.message}") from None


def _has_expired(state: StackAuthState, token: str) -> bool:
    try:
        exp = peek_claims(token).get("exp")
    except InvalidAccessToken:
        return False
    return (isinstance(exp, (int, float)) and not isinstance(exp, bool)
            and exp + state.settings.clock_leeway <= time.time())


def authenticate_js(state: StackAuthState, tokens: JsTokens, *, allow_anonymous: bool) -> tuple[dict[str, Any], str]:
    """Verify the frontend's access token, refreshing it first when it has expired or is missing.

    Restricted users pass here; the caller applies the view's policy to the claims.

    :returns: the claims and the access token they belong to.
    :raises AuthenticationRequired: no usable token, a refused token or refresh token (401).
    :raises StackAuthUnavailable: a refresh was needed and Stack Auth cannot answer it (503).
    """
    access = tokens.access_token
    if access is not None and tokens.refresh_token is not None and _has_expired(state, access):
        # Its claims are never used, so its signature need not be checked (that costs an ES256 verification
        # per request while the frontend keeps sending the stale token): the refresh token decides.
        access = None
    if access is not None:
        try:
            return state.verifier.verify(access, allow_anonymous=allow_anonymous, allow_restricted=True), access
        except AccessTokenExpired as exc:
            if tokens.refresh_token is None:
                raise _refused(exc) from None
        except InvalidAccessToken as exc:
            raise _refused(exc) from None
    if tokens.refresh_token is None:
        raise AuthenticationRequired(f"The {tokens.source} carry no token: the frontend's user is signed out.")
    fresh = _refresh(state, tokens.refresh_token)
    try:
        # trusted: the token came from Stack Auth to this app just now, not from the client.
        claims = state.verifier.verify(fresh.access_token, allow_anonymous=allow_anonymous, allow_restricted=True,
                                       trusted=True)
    except InvalidAccessToken as exc:
        raise _refused(exc) from None
    if fresh.access_token != access:
        # Tagged with the request: an app context (and so ``g``) can outlive one request in tests.
        setattr(g, _G_REFRESHED, (request._get_current_object(), fresh.access_token))  # type: ignore[attr-defined]
        token_refreshed.send(current_app._get_current_object(),  # type: ignore[attr-defined]
                             user_id=claims.get("sub"))
    return claims, fresh.access_token


def add_refreshed_header(response: Response) -> Response:
    """``after_request`` hook: hand a refreshed access token back to the frontend in :data:`REFRESHED_HEADER`."""
    refreshed = g.pop(_G_REFRESHED, None)
    if refreshed is not None and refreshed[0] is request._get_current_object():  # type: ignore[attr-defined]
        token = refreshed[1]
        response.headers[REFRESHED_HEADER] = token
        # A response carrying a token must never be stored by a shared cache.
        response.headers["Cache-Control"] = "no-store"
    return response
