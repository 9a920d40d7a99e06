"""Helpers shared by the tests: drive sign-in over real HTTP against the emulator."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from flask.testing import FlaskClient

from flask_stackauth.emulator.client import complete_oauth


def start_login(client: FlaskClient, provider: str = "github", next_url: str | None = None) -> str:
    """GET the app's sign-in route; return the authorize URL it redirects to."""
    query = {"next": next_url} if next_url is not None else {}
    response = client.get(f"/auth/login/{provider}", query_string=query)
    assert response.status_code == 302, response.get_data(as_text=True)
    return str(response.headers["Location"])


def local_path(url: str) -> str:
    """The path and query of an absolute URL, for the Flask test client."""
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


def callback_for(authorize_url: str, email: str, **kwargs: Any) -> str:
    """Sign in at the emulator's mock provider; return the app callback path (with code and state)."""
    return local_path(complete_oauth(authorize_url, email, **kwargs))


def sign_in(client: FlaskClient, email: str = "ada@example.com", next_url: str | None = None,
            provider: str = "github") -> Any:
    """A complete OAuth sign-in through the app and the emulator; returns the callback response."""
    callback = callback_for(start_login(client, provider, next_url), email)
    return client.get(callback)


def query_of(url: str) -> dict[str, str]:
    """The query parameters of ``url`` (first value of each)."""
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
