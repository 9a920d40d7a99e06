"""Helpers for the account page tests: an app with a few probe views, forms posted with their page's token."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

from flask import Flask
from flask.testing import FlaskClient

from flask_stackauth import current_user, login_required
from flask_stackauth.errors import RestrictedUserNotAllowed
from tests.conftest import make_app

PASSWORD = "correct horse battery"


def account_app(config: dict[str, Any], **extra: Any) -> Flask:
    """The tests' app plus ``/me`` (the session's view of the user) and a restricted-user refusal."""
    app = make_app(config, **extra)

    @app.get("/me")
    @login_required(allow_restricted=True)
    def me() -> Any:
        return {"id": current_user.id, "email": current_user.primary_email,
                "verified": current_user.primary_email_verified}

    @app.get("/needs-verified-email")
    def needs_verified_email() -> Any:
        raise RestrictedUserNotAllowed("RESTRICTED_USER_NOT_ALLOWED", "Your account cannot use this page yet.",
                                       {"restricted_reason": {"type": "email_not_verified"}}, 403)

    return app


def token_of(client: FlaskClient, path: str) -> str:
    """The form token on the page at ``path``."""
    page = client.get(path)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert match, f"no form token on {path} ({page.status_code})"
    return match.group(1)


def post(client: FlaskClient, path: str, data: dict[str, str], *, page: str | None = None, **kwargs: Any) -> Any:
    """POST ``data`` to ``path`` with the form token of ``page`` (default: ``path`` itself, query dropped)."""
    source = page or path
    return client.post(path, data={"csrf_token": token_of(client, source), **data}, **kwargs)


def text(response: Any) -> str:
    """The body as text."""
    return str(response.get_data(as_text=True))


def mails(emu: Any, kind: str) -> list[dict[str, Any]]:
    """The emulator's sent emails of one type (``password_reset``, ``email_verification``)."""
    return [dict(m) for m in emu.emails if m.get("type") == kind]


def link_path(mail: dict[str, Any]) -> str:
    """The path and query of an emailed link."""
    parts = urlsplit(mail["link"])
    return parts.path + "?" + parts.query


def code_of(mail: dict[str, Any]) -> str:
    """The ``code`` of an emailed link."""
    return parse_qs(urlsplit(mail["link"]).query)["code"][0]
