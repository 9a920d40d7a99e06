"""A per-session token for the app's own POST forms (the library's sign-in forms carry their own)."""

from __future__ import annotations

import hmac
import secrets

from flask import abort, request, session

_KEY = "example_csrf"


def csrf_token() -> str:
    """The session's form token (created on first use)."""
    token = session.get(_KEY)
    if not isinstance(token, str):
        token = session[_KEY] = secrets.token_urlsafe(32)
    return token


def check_csrf() -> None:
    """Abort with 400 unless the posted ``csrf_token`` is the session's."""
    sent = request.form.get("csrf_token", "")
    expected = session.get(_KEY)
    if not isinstance(expected, str) or not hmac.compare_digest(sent.encode(), expected.encode()):
        abort(400, "This form expired. Reload the page and try again.")
