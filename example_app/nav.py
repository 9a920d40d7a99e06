"""The navigation bar, built in one place.

Each entry names a view endpoint. Entries whose endpoint the app does not (yet) serve are left out, so
a feature shows up in the bar as soon as its view is registered under the endpoint listed here.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, request, url_for


@dataclass(frozen=True)
class NavItem:
    """One link: ``endpoint`` is a view name; ``signed_in`` hides it from visitors."""

    endpoint: str
    label: str
    signed_in: bool = True


NAV: list[NavItem] = [
    NavItem("dashboard", "Dashboard"),
    NavItem("notes_page", "Notes"),
    NavItem("my_team", "Team"),
    NavItem("stackauth.teams", "Teams"),
    NavItem("stackauth.two_factor", "Two-factor"),
    NavItem("admin", "Admin"),
    # Slots for features that land later: they appear once a view with this endpoint exists.
    NavItem("stackauth.account", "Account"),
    NavItem("stackauth.api_keys", "API keys"),
    NavItem("webhook_log", "Webhooks"),
]

#: Pages that count as part of a nav entry (the team page belongs to "Team").
SECTION_OF = {"team_page": "my_team", "team_create": "my_team"}


def nav_links(signed_in: bool) -> list[tuple[str, str, bool]]:
    """``(url, label, current)`` for each entry the app serves and the visitor may see."""
    here = SECTION_OF.get(request.endpoint or "", request.endpoint)
    return [
        (url_for(item.endpoint), item.label, item.endpoint == here)
        for item in NAV
        if item.endpoint in current_app.view_functions and (signed_in or not item.signed_in)
    ]
