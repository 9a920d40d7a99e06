"""Form helpers shared by the prebuilt pages: signed form tokens bound to the session, the
``Origin`` check, form pages' security headers, field checks, and Stack's refusals in plain words.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, render_template, request, session
from itsdangerous import BadData, URLSafeTimedSerializer
from werkzeug.wrappers import Response

from ..errors import KnownError, ProjectAuthenticationError, SignInError, StackAuthError, StackAuthHTTPError
from ..responses import public_message, status_for
from ..state import get_state
from ..tokens import load_tokens
from ..urls import safe_next

log = logging.getLogger("flask_stackauth")

FORM_TOKEN_MAX_AGE = 3600
FORM_NONCE_KEY = "_stackauth_form_nonce"
MAX_EMAIL_LENGTH = 256
MAX_PASSWORD_LENGTH = 70
_EMAIL = re.compile(r"^[^\s@]+@[^\s@.]+(\.[^\s@.]+)*\.[^\s@.]{2,}$")

MESSAGES = {
    "EMAIL_PASSWORD_MISMATCH": "Wrong email or password.",
    "PASSWORD_AUTHENTICATION_NOT_ENABLED": "Signing in with a password is turned off for this app.",
    "SIGN_UP_NOT_ENABLED": "Creating new accounts is turned off for this app.",
    "USER_EMAIL_ALREADY_EXISTS": "An account with this email already exists. Sign in instead.",
    "PASSWORD_TOO_LONG": f"Use at most {MAX_PASSWORD_LENGTH} characters.",
    "INVALID_TOTP_CODE": "That code is not right. Enter the current 6-digit code from your authenticator app.",
    "VERIFICATION_CODE_NOT_FOUND": "That code is not right. Check the email and try again.",
    "VERIFICATION_CODE_EXPIRED": "That code has expired. Send yourself a new one.",
    "VERIFICATION_CODE_ALREADY_USED": "That code has already been used. Send yourself a new one.",
    "VERIFICATION_CODE_MAX_ATTEMPTS_REACHED": "Too many wrong tries for that code. Send yourself a new one.",
    "REDIRECT_URL_NOT_WHITELISTED": "This app's address is not a trusted domain of its Stack Auth project, "
                                    "so Stack Auth refused to email a sign-in link to it.",
}
#: Statuses other than 400: a spent code (410, 409, 429), a taken email (409), a misconfigured app (502).
_CODE_STATUS = {"VERIFICATION_CODE_EXPIRED": 410, "VERIFICATION_CODE_ALREADY_USED": 409,
                "VERIFICATION_CODE_MAX_ATTEMPTS_REACHED": 429, "USER_EMAIL_ALREADY_EXISTS": 409,
                "REDIRECT_URL_NOT_WHITELISTED": 502}


@dataclass
class Form:
    """What a form page shows again: the typed values (never passwords), errors by field, a form message."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    message: str | None = None
    status: int = 400

    @property
    def failed(self) -> bool:
        """Whether anything was wrong."""
        return bool(self.errors) or self.message is not None

    def fail(self, message: str, status: int = 400, field_name: str | None = None) -> Form:
        """Record an error (next to ``field_name``, else for the whole form) and its HTTP status."""
        if field_name:
            self.errors[field_name] = message
        else:
            self.message = message
        self.status = status
        return self



def form_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="flask-stackauth-form")  # type: ignore[arg-type]


def session_binding() -> str:
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
    return form_serializer().dumps(session_binding())


def _origin_host(origin: str) -> str:
    try:
        return urlsplit(origin).netloc.lower()
    except ValueError:
        return "?"


def check_form(action: str) -> None:
    """Refuse a cross-site or forged form POST with a 403 :class:`SignInError`."""
    # Every form, sign-out included: a browser that says the post came from another site is believed.
    if request.headers.get("Sec-Fetch-Site") in ("cross-site", "same-site"):
        raise SignInError(f"The {action} request came from another site and was refused.",
                          code="CROSS_SITE_REQUEST", http_status=403)
    origin = request.headers.get("Origin")
    # Hosts, not schemes, are compared: behind a TLS proxy without ProxyFix the app sees http while the
    # browser says https. A cross-site post names another host.
    if origin and origin != "null" and _origin_host(origin) != request.host.lower():
        raise SignInError(f"The {action} request came from another site and was refused.",
                          code="CROSS_SITE_REQUEST", http_status=403)
    token = request.form.get("csrf_token", "")
    try:
        value = form_serializer().loads(token, max_age=FORM_TOKEN_MAX_AGE)
    except BadData:
        value = None
    if value != session_binding():
        raise SignInError(f"The {action} form has expired or is not valid. Please try again.",
                          code="INVALID_FORM_TOKEN", http_status=403)


def page(template: str, status: int = 200, **context: Any) -> Response:
    return form_page(template, status, **context)


def form_next() -> str | None:
    return safe_next(request.form.get("next") or request.args.get("next"))


def refuse_forged(form: Form, action: str) -> bool:
    """Check the form token and origin; on failure record the message on ``form`` (403)."""
    try:
        check_form(action)
    except SignInError as exc:
        form.fail(exc.message, exc.http_status)
        return True
    return False


def text_field(name: str, max_length: int, form: Form, *, label: str, strip: bool = True) -> str:
    value = request.form.get(name, "")
    if strip:
        value = value.strip()
    if not value:
        form.fail(f"Enter your {label}.", field_name=name)
    elif len(value) > max_length:
        form.fail(f"That {label} is too long (at most {max_length} characters).", field_name=name)
    return value


def email_field(form: Form, name: str = "email") -> str:
    email = text_field(name, MAX_EMAIL_LENGTH, form, label="email address")
    if name not in form.errors:
        form.values[name] = email
        if not _EMAIL.match(email):
            form.fail("Enter a valid email address, like name@example.com.", field_name=name)
    return email


def explain(exc: StackAuthError, form: Form, field_for: dict[str, str] | None = None) -> Form:
    """Put Stack's refusal on ``form`` in plain words; other errors keep their safe public message."""
    log.info("flask-stackauth: sign-in form refused by Stack Auth (%s)", exc.code)
    where = (field_for or {}).get(exc.code)
    if exc.code in MESSAGES:
        return form.fail(MESSAGES[exc.code], _CODE_STATUS.get(exc.code, 400), where)
    if exc.code == "PASSWORD_TOO_SHORT":
        details = exc.details if isinstance(exc, KnownError) and isinstance(exc.details, dict) else {}
        return form.fail(f"Use at least {details.get('min_length', 8)} characters.", 400, where)
    if exc.code in ("SCHEMA_ERROR", "BODY_PARSING_ERROR"):
        # Almost always a request this library built wrong, not the visitor's typing: say so to the
        # developers (field names only: the message may quote what was typed) and do not blame the visitor.
        log.warning("flask-stackauth: Stack Auth refused the request this app sent (%s) on the fields: %s",
                    exc.code, ", ".join(schema_error_fields(exc.message)) or "(none named)")
        return form.fail(SCHEMA_MESSAGE, 400, where)
    if isinstance(exc, (KnownError, StackAuthHTTPError)) and 400 <= exc.upstream_status < 500 \
            and not isinstance(exc, ProjectAuthenticationError):
        return form.fail(public_message(exc), 400)
    status = status_for(exc)
    if not isinstance(exc, (KnownError, StackAuthHTTPError)) and 400 <= status < 500:
        # Our own typed errors (Stack's plain-text answers, a missing channel ...) carry their own 4xx.
        return form.fail(public_message(exc), status, where)
    return form.fail(public_message(exc), status if status >= 500 else 502)


SCHEMA_MESSAGE = ("This could not be done because of a problem on our side, not something you did. It has been "
                  "logged for the site's team; please try again later.")
_FIELD = re.compile(r"\b(?:body|query|headers|params)\.[A-Za-z0-9_.\[\]-]{1,100}")
_UNKNOWN = re.compile(r"unknown properties: ([A-Za-z0-9_, -]{1,300})")


def schema_error_fields(message: str) -> list[str]:
    """The field names a ``SCHEMA_ERROR`` message names (``body.verification_callback_url`` ...), no values."""
    names = [m.rstrip(".") for m in _FIELD.findall(message)]
    for group in _UNKNOWN.findall(message):
        names += [f"body.{n.strip()}" for n in group.split(",") if n.strip()]
    return list(dict.fromkeys(names))[:20]


def guard(kind: str, email: str | None) -> None:
    """Refuse the attempt with a 429 when this email or client address is throttled (see :mod:`..throttle`).

    :raises TooManySignInAttempts: rendered as a page (or JSON) saying when to retry, with ``Retry-After``.
    """
    get_state().throttle.check(kind, email=email, address=request.remote_addr)


def count_refusal(exc: StackAuthError, kind: str, email: str | None) -> None:
    """Count ``exc`` against the email and client address when it is Stack's refusal of what was typed.

    Outages are not the visitor's guesses and are not counted.
    """
    if isinstance(exc, KnownError) and 400 <= exc.upstream_status < 500 \
            and not isinstance(exc, ProjectAuthenticationError):
        get_state().throttle.record(kind, email=email, address=request.remote_addr)


def pending_value(key: str) -> dict[str, Any] | None:
    value = session.get(key)
    if not isinstance(value, dict) or not isinstance(value.get("x"), (int, float)) or value["x"] <= time.time():
        return None
    return value
