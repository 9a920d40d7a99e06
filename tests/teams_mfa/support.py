"""Helpers for the two-factor and team pages' tests: form posts, emails, server-side setup."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

from flask.testing import FlaskClient

APP_URL = "https://app.example.com"


def text(response: Any) -> str:
    """The response body as text."""
    return str(response.get_data(as_text=True))


def csrf(client: FlaskClient, page: str) -> str:
    """The form token of ``page``."""
    answer = client.get(page)
    match = re.search(r'name="csrf_token" value="([^"]+)"', text(answer))
    assert match, f"no form token on {page} ({answer.status_code}): {text(answer)[:300]}"
    return match.group(1)


def post(client: FlaskClient, path: str, data: dict[str, str] | None = None, *, page: str, **kw: Any) -> Any:
    """POST ``data`` to ``path`` with a valid form token taken from ``page``."""
    return client.post(path, data={"csrf_token": csrf(client, page), **(data or {})}, **kw)


def shown_secret(html: str) -> str:
    """The base32 secret the enrolment page shows as text."""
    match = re.search(r'<p class="secret" id="totp-secret">([A-Z2-7]+)</p>', html)
    assert match, "no secret on the page"
    return match.group(1)


def code_of(link: str) -> str:
    """The ``code`` query parameter of an emailed link."""
    return parse_qs(urlsplit(link).query)["code"][0]


def local(link: str) -> str:
    """The path and query of an absolute link, for the test client."""
    parts = urlsplit(link)
    return parts.path + ("?" + parts.query if parts.query else "")
