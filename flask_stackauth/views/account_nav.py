"""The account settings' section nav, defined in one place: every account page renders this list.

Each entry is ``(endpoint, label)``; a page marks the entry of its own endpoint as current. Sections that
a project turns off still appear here and explain themselves on their page (the two-factor page without
the ``totp`` extra, for instance). Add a section by appending to :data:`ACCOUNT_NAV`.
"""

from __future__ import annotations

from flask import request, url_for

#: The account pages, in nav order.
ACCOUNT_NAV: list[tuple[str, str]] = [
    ("stackauth.two_factor", "Two-factor sign-in"),
    ("stackauth.connections", "Connected accounts"),
    ("stackauth.teams", "Teams"),
    ("stackauth.api_keys", "API keys"),
]


def account_nav() -> list[dict[str, object]]:
    """The nav entries for the current page: ``url``, ``label`` and ``current``."""
    entries = []
    for endpoint, label in ACCOUNT_NAV:
        url = url_for(endpoint)
        # A section's sub-pages (/teams/<id>) live below its URL.
        entries.append({"url": url, "label": label,
                        "current": request.path == url or request.path.startswith(url.rstrip("/") + "/")})
    return entries
