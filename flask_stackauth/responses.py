"""The one place that turns a :class:`~flask_stackauth.errors.StackAuthError` into the app's HTTP answer.

Content negotiation (a page for browsers, JSON for API requests), the sign-in redirect of a signed-out
``GET``, ``WWW-Authenticate`` on 401s, and the messages safe to show.
"""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, jsonify, redirect, render_template, request, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from .errors import (
    ApiKeyRequired,
    ApiKeysUnavailable,
    AuthenticationRequired,
    KnownError,
    NotSupportedByServer,
    PermissionRequired,
    ProjectAuthenticationError,
    RestrictedUserNotAllowed,
    SignInError,
    StackAuthConfigError,
    StackAuthError,
    StackAuthHTTPError,
    StackAuthUnavailable,
    TooManySignInAttempts,
)
from .state import get_state
from .urls import safe_next

#: ``Authorization`` schemes a proxy or browser uses for HTTP authentication in front of the app (a staging
#: site behind nginx's basic auth, say). They are not Stack Auth tokens: such requests keep using the session.
HTTP_AUTH_SCHEMES = frozenset({"basic", "digest", "negotiate", "ntlm"})


def token_authorization() -> str | None:
    """The request's ``Authorization`` header, unless it is absent or an HTTP-authentication scheme."""
    value = request.headers.get("Authorization")
    if value is None or value.strip().partition(" ")[0].lower() in HTTP_AUTH_SCHEMES:
        return None
    return value


def wants_json() -> bool:
    """Whether the current request is an API request that should get JSON rather than HTML.

    True when it carries an ``Authorization`` (other than HTTP authentication such as ``Basic``) or
    ``x-stack-access-token`` or ``x-stack-auth`` header (even an empty one),
    when ``Accept`` prefers JSON to HTML, or when it says ``X-Requested-With: XMLHttpRequest``.
    """
    headers = request.headers
    if token_authorization() is not None or "X-Stack-Access-Token" in headers or "X-Stack-Auth" in headers:
        return True
    if headers.get("X-Requested-With", "").lower() == "xmlhttprequest":
        return True
    accept = request.accept_mimetypes
    if not accept or not accept.provided:
        return False
    return accept.quality("application/json") > accept.quality("text/html")


def status_for(exc: StackAuthError) -> int:
    """The HTTP status the app answers with for ``exc``."""
    return exc.http_status


def public_message(exc: StackAuthError) -> str:
    """A message safe to show to the user: never a token, key or verifier."""
    if isinstance(exc, ProjectAuthenticationError):
        return ("Stack Auth refused this app's project credentials. "
                "Check STACK_PROJECT_ID and the keys in the app's configuration.")
    if isinstance(exc, StackAuthUnavailable):
        return "Stack Auth is unavailable right now. Please try again in a moment."
    if isinstance(exc, StackAuthConfigError):
        return "The sign-in service is not configured correctly."
    return _without_api_url(exc.message or exc.code)


def _without_api_url(message: str) -> str:
    """``message`` without ``STACK_API_URL`` (an internal address, say), unless the app is in debug mode."""
    if current_app.debug:
        return message
    api_url = get_state().settings.api_url
    parts = urlsplit(api_url)
    # The URL and the bare host[:port] a library's message may quote; the longest first.
    for spelling in (api_url, f"{parts.netloc}{parts.path}", parts.netloc):
        if spelling:
            message = message.replace(f" at {spelling}", "").replace(spelling, "Stack Auth")
    return message


#: Why a restricted user is restricted, by Stack's ``restricted_reason.type``, and what to do about it.
RESTRICTED_WHY = {
    "email_not_verified": "Your email address is not verified yet: check your inbox for the verification email "
                          "from this app and open its link, then reload this page.",
    "anonymous": "You are using the app as a guest: sign up or sign in with an account to continue.",
    "restricted_by_administrator": "An administrator of this app has restricted your account: contact them.",
    "unknown": "Your account is restricted: contact the app's administrator.",
}


def restricted_reason(exc: RestrictedUserNotAllowed) -> str:
    """Stack's ``restricted_reason.type`` carried by ``exc`` (``unknown`` when it names none we know)."""
    details = exc.details if isinstance(exc.details, dict) else {}
    reason = details.get("restricted_reason")
    kind = reason.get("type") if isinstance(reason, dict) else None
    return kind if isinstance(kind, str) and kind in RESTRICTED_WHY else "unknown"


def _back_into_app() -> str:
    return safe_next(get_state().settings.after_sign_in_url, host=request.host) or request.script_root + "/"


def _page(exc: StackAuthError, status: int, message: str, reason: str | None) -> str:
    """The HTML page for ``exc``; worded for a signed-in user when the problem is what they may do."""
    context: dict[str, Any] = {"status": status, "code": exc.code, "message": message,
                               "hints": exc.hints if isinstance(exc, SignInError) and current_app.debug else []}
    if isinstance(exc, PermissionRequired):
        context.update(title="You don't have access to this page", heading="You don't have access to this page",
                       back_url=_back_into_app(), back_label="Back to the app")
    elif isinstance(exc, TooManySignInAttempts):
        context.update(title="Too many attempts", heading="Too many attempts")
    elif reason is not None:
        context.update(title="Your account cannot use this page yet", heading="Your account cannot use this page yet",
                       why=RESTRICTED_WHY[reason], reason=reason, back_url=_back_into_app(),
                       back_label="Back to the app")
    try:
        return render_template("stackauth/error.html", **context)
    except Exception:  # pragma: no cover - a broken override template must not hide the error
        return f"<h1>{status}</h1><p>{html.escape(message)}</p>"


def error_response(exc: StackAuthError) -> Response:
    """Turn ``exc`` into the app's answer: JSON for API requests, an HTML page otherwise."""
    status = status_for(exc)
    message = public_message(exc)
    # An API-key endpoint is never a page: its callers are programs, not browsers.
    json_wanted = wants_json() or isinstance(exc, (ApiKeyRequired, ApiKeysUnavailable))
    if isinstance(exc, AuthenticationRequired) and not json_wanted and request.method in ("GET", "HEAD"):
        # script_root keeps the path prefix of an app mounted below "/" (SCRIPT_NAME).
        target = request.script_root + request.path
        if request.query_string:
            target += f"?{request.query_string.decode('latin-1')}"
        return redirect(url_for("stackauth.login", next=target))
    reason = restricted_reason(exc) if isinstance(exc, RestrictedUserNotAllowed) else None
    if json_wanted:
        body: dict[str, Any] = {"code": exc.code, "error": message}
        if isinstance(exc, PermissionRequired):
            body["details"] = {"permission_id": exc.permission_id, "team_id": exc.team_id}
        elif isinstance(exc, TooManySignInAttempts):
            body["details"] = {"retry_after": exc.retry_after}
        elif isinstance(exc, RestrictedUserNotAllowed) and reason is not None:
            body["error"] = f"{message} {RESTRICTED_WHY[reason]}"
            details = exc.details if isinstance(exc.details, dict) else {}
            body["details"] = {"restricted_reason": details.get("restricted_reason")}
        response: Response = jsonify(body)
    else:
        response = Response(_page(exc, status, message, reason), mimetype="text/html")
    response.status_code = status
    if status == 401:
        if isinstance(exc, AuthenticationRequired) and exc.bearer_error:
            # Header values must be latin-1 and may not break the quoting: keep printable ASCII only.
            description = "".join(c if 32 <= ord(c) < 127 and c not in '\\"' else "?" for c in message)
            response.headers["WWW-Authenticate"] = (
                f'Bearer error="{exc.bearer_error}", error_description="{description}"')
        else:
            response.headers["WWW-Authenticate"] = "Bearer"
    if isinstance(exc, TooManySignInAttempts):
        response.headers["Retry-After"] = str(exc.retry_after)
    response.headers["Cache-Control"] = "no-store"
    return response


def handle_stackauth_error(exc: StackAuthError) -> Response | HTTPException:
    """Flask error handler registered by :class:`~flask_stackauth.StackAuth` for every app."""
    if isinstance(exc, ApiKeysUnavailable):
        return error_response(exc)  # logged once per app where it is raised, not once per caller
    if isinstance(exc, StackAuthConfigError) or (status_for(exc) >= 500 and not isinstance(
            exc, (StackAuthUnavailable, ProjectAuthenticationError, NotSupportedByServer, KnownError,
                  StackAuthHTTPError))):
        current_app.logger.error("flask-stackauth: %s: %s", type(exc).__name__, exc)
    elif status_for(exc) >= 500:
        current_app.logger.warning("flask-stackauth: %s (%s): %s", type(exc).__name__, exc.code, exc)
    return error_response(exc)
