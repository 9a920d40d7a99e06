"""Helpers for the sign-in page tests: form tokens, emails, TOTP codes and Stack server calls."""

from __future__ import annotations

import base64
import secrets
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from flask.testing import FlaskClient

from flask_stackauth.emulator.mfa import totp
from flask_stackauth.tokens import TOKENS_KEY
from tests.helpers import form_token

PASSWORD = "correct horse battery"


def csrf(client: FlaskClient, path: str = "/auth/login", **kwargs: Any) -> str:
    """The form token of the page at ``path``."""
    return form_token(client, path, **kwargs)


def post_form(client: FlaskClient, path: str, data: dict[str, str], *, page: str = "/auth/login",
              **kwargs: Any) -> Any:
    """POST ``data`` to ``path`` with a valid form token taken from ``page``."""
    return client.post(path, data={"csrf_token": csrf(client, page), **data}, **kwargs)


def signed_in(client: FlaskClient) -> bool:
    """Whether the client's session holds tokens."""
    with client.session_transaction() as session:
        return TOKENS_KEY in session


def text(response: Any) -> str:
    """The response body as text."""
    return str(response.get_data(as_text=True))


def last_email(emu: Any) -> dict[str, Any]:
    """The most recent email the emulator sent."""
    assert emu.emails, "the emulator sent no email"
    return dict(emu.emails[-1])


def link_code(mail: dict[str, Any]) -> str:
    """The ``code`` of an emailed sign-in link."""
    return parse_qs(urlsplit(mail["link"]).query)["code"][0]


def server_headers(server: Any) -> dict[str, str]:
    """Headers for Stack's server API on the emulator."""
    return {"x-stack-access-type": "server", "x-stack-project-id": server.project_id,
            "x-stack-secret-server-key": server.secret_server_key}


def client_headers(server: Any) -> dict[str, str]:
    """Headers for Stack's client API on the emulator."""
    return {"x-stack-access-type": "client", "x-stack-project-id": server.project_id,
            "x-stack-publishable-client-key": server.publishable_key}


def password_user(server: Any, email: str, *, verified: bool = True) -> dict[str, Any]:
    """Create a password user through the server API (as the design's ``users.create`` does)."""
    answer = requests.post(f"{server.url}/api/v1/users", headers=server_headers(server), timeout=10, json={
        "primary_email": email, "password": PASSWORD, "primary_email_auth_enabled": True,
        "primary_email_verified": verified})
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def enable_totp(server: Any, user_id: str) -> str:
    """Give a user a TOTP secret through the server API; return the secret (base64)."""
    secret = base64.b64encode(secrets.token_bytes(20)).decode()
    answer = requests.patch(f"{server.url}/api/v1/users/{user_id}", headers=server_headers(server), timeout=10,
                            json={"totp_secret_base64": secret})
    assert answer.status_code == 200, answer.text
    return secret


def current_totp(emu: Any, secret: str) -> str:
    """The TOTP code the emulator accepts now, waiting out the last seconds of a 30-second step.

    Stack checks the current step only, so a code computed just before a step ends could be refused a
    moment later; waiting (at most 3 s) keeps the tests deterministic.
    """
    left = 30 - emu.now() % 30
    if left < 3:
        time.sleep(left + 0.05)
    return totp(secret, emu.now())


def wrong_totp(emu: Any, secret: str) -> str:
    """A well-formed TOTP code that is not the current one."""
    right = totp(secret, emu.now())
    return f"{(int(right) + 1) % 1_000_000:06d}"
