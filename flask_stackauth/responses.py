"""The one place that turns a :class:`~flask_stackauth.errors.StackAuthError` into the app's HTTP answer.

Content negotiation (a page for browsers, JSON for API requests), the sign-in redirect of a signed-out
``GET``, ``WWW-Authenticate`` on 401s, and the messages safe to show.
"""

from __future__ import annotations

import html
from typing import Any

from flask import current_app, jsonify, redirect, render_template, request, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from .errors import (
    AuthenticationRequired,
    KnownError,
    NotSupportedByServer,
    PermissionRequired,
    ProjectAuthenticationError,
    SignInError,
    StackAuthConfigError,
    StackAuthError,
    StackAuthHTTPError,
    StackAuthUnavailable,
)

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
    ``x-stack-access-token`` header (even an empty one),
    when ``Accept`` prefers JSON to HTML, or when it says ``X-Requested-With: XMLHttpRequest``.
    """
    headers = request.headers
    if token_authorization() is not None or "X-Stack-Access-Token" in headers:
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
    return exc.message or exc.code


def error_response(exc: StackAuthError) -> Response:
    """Turn ``exc`` into the app's answer: JSON for API requests, an HTML page otherwise."""
    status = status_for(exc)
    message = public_message(exc)
    json_wanted = wants_json()
    if isinstance(exc, AuthenticationRequired) and not json_wanted and request.method in ("GET", "HEAD"):
        # script_root keeps the path prefix of an app mounted below "/" (SCRIPT_NAME).
        target = request.script_root + request.path
        if request.query_string:
            target += f"?{request.query_string.decode('latin-1')}"
        return redirect(url_for("stackauth.login", next=target))
    if json_wanted:
        body: dict[str, Any] = {"code": exc.code, "error": message}
        if isinstance(exc, PermissionRequired):
            body["details"] = {"permission_id": exc.permission_id, "team_id": exc.team_id}
        response: Response = jsonify(body)
    else:
        hints = exc.hints if isinstance(exc, SignInError) and current_app.debug else []
        try:
            page = render_template("stackauth/error.html", status=status, code=exc.code,
                                   message=message, hints=hints)
        except Exception:  # pragma: no cover - a broken override template must not hide the error
            page = f"<h1>{status}</h1><p>{html.escape(message)}</p>"
        response = Response(page, mimetype="text/html")
    response.status_code = status
    if status == 401:
        if isinstance(exc, AuthenticationRequired) and exc.bearer_error:
            # Header values must be latin-1 and may not break the quoting: keep printable ASCII only.
            description = "".join(c if 32 <= ord(c) < 127 and c not in '\\"' else "?" for c in message)
            response.headers["WWW-Authenticate"] = (
                f'Bearer error="{exc.bearer_error}", error_description="{description}"')
        else:
            response.headers["WWW-Authenticate"] = "Bearer"
    response.headers["Cache-Control"] = "no-store"
    return response


def handle_stackauth_error(exc: StackAuthError) -> Response | HTTPException:
    """Flask error handler registered by :class:`~flask_stackauth.StackAuth` for every app."""
    if isinstance(exc, StackAuthConfigError) or (status_for(exc) >= 500 and not isinstance(
            exc, (StackAuthUnavailable, ProjectAuthenticationError, NotSupportedByServer, KnownError,
                  StackAuthHTTPError))):
        current_app.logger.error("flask-stackauth: %s: %s", type(exc).__name__, exc)
    elif status_for(exc) >= 500:
        current_app.logger.warning("flask-stackauth: %s (%s): %s", type(exc).__name__, exc.code, exc)
    return error_response(exc)
