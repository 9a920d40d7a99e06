"""Connected sign-in providers: ``GET /account/connections`` lists the user's ``oauth_providers``, with a
"Connect" link (the ``GET /link/<provider>`` flow) for each enabled provider not connected yet.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from werkzeug.wrappers import Response

from ..auth import authenticate
from ..decorators import login_required
from ..errors import StackAuthError
from ..state import get_state
from .account_nav import account_nav
from .forms import Form, page

#: Display names of Stack's provider ids (others are shown capitalised).
PROVIDER_NAMES = {"github": "GitHub", "gitlab": "GitLab", "linkedin": "LinkedIn", "x": "X", "twitch": "Twitch",
                  "bitbucket": "Bitbucket", "microsoft": "Microsoft", "google": "Google", "apple": "Apple",
                  "facebook": "Facebook", "discord": "Discord", "spotify": "Spotify"}


def connected_providers(raw: Any) -> list[dict[str, str]]:
    """Stack's ``oauth_providers`` as ``id``, ``name``, ``account`` (the email, else the account id) rows."""
    rows = []
    for item in raw if isinstance(raw, list) else []:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            continue
        pid = item["id"]
        account = item.get("email") or item.get("account_id") or ""
        rows.append({"id": pid, "name": PROVIDER_NAMES.get(pid, pid.capitalize()),
                     "account": account if isinstance(account, str) else ""})
    return rows


@login_required
def connections() -> Response:
    """The providers this user can sign in with."""
    providers = connected_providers(authenticate().get("oauth_providers"))
    try:
        enabled = get_state().enabled_providers()
    except StackAuthError:
        enabled = []  # the list still shows; only the Connect links wait for Stack Auth to answer
    connected = {p["id"] for p in providers}
    available = [{"id": pid, "name": PROVIDER_NAMES.get(pid, pid.capitalize())}
                 for pid in enabled if pid not in connected]
    return page("stackauth/connections.html", form=Form(), nav=account_nav(), providers=providers,
                available=available)


def register(bp: Blueprint) -> None:
    """Add this flow's routes to ``bp``."""
    bp.add_url_rule("/account/connections", "connections", connections, methods=["GET"])
