"""The account settings' sections, in ONE list: each section is one entry (endpoint, label, when it shows).

A feature adds its section by appending to :data:`SECTIONS`; :func:`account_page` renders any section inside the
shared shell (``stackauth/account_base.html``) with the nav of the sections visible to this user and project.
A section that is hidden answers 404, so a turned-off feature cannot be reached by typing its URL.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import request, url_for
from werkzeug.wrappers import Response

from ..auth import request_user
from ..errors import NotSupportedByServer, StackAuthError
from ..state import StackAuthState, get_state
from ..user import StackUser
from .forms import Form, page

log = logging.getLogger("flask_stackauth")


@dataclass(frozen=True)
class NavContext:
    """What a section's visibility may look at: the project's client config and the signed-in user."""

    config: dict[str, Any]
    user: StackUser
    state: StackAuthState


@dataclass(frozen=True)
class Section:
    """One section of the account settings."""

    endpoint: str
    label: str
    visible: Callable[[NavContext], bool]


def always(ctx: NavContext) -> bool:
    """Shown for every project."""
    return True


def sessions_supported(ctx: NavContext) -> bool:
    """Whether the server can list sessions (v2.7 cannot); asked once per app, with this user's token."""
    if ctx.state.sessions_supported is not None:
        return ctx.state.sessions_supported
    try:
        ctx.user.sessions()
    except NotSupportedByServer:
        ctx.state.sessions_supported = False
        return False
    except StackAuthError:
        return True  # another problem: show the section, which then says what went wrong
    ctx.state.sessions_supported = True
    return True


#: The account settings' sections, in nav order. Append an entry to add a section.
SECTIONS: list[Section] = [
    Section("stackauth.account", "Profile", always),
    Section("stackauth.account_emails", "Emails", always),
    Section("stackauth.account_password", "Password", lambda ctx: bool(ctx.config.get("credential_enabled"))),
    Section("stackauth.account_sessions", "Sessions", sessions_supported),
    Section("stackauth.two_factor", "Two-factor sign-in", always),
    Section("stackauth.connections", "Connected accounts", always),
    Section("stackauth.teams", "Teams", always),
    Section("stackauth.api_keys", "API keys", lambda ctx: bool(ctx.config.get("allow_user_api_keys"))),
    Section("stackauth.account_delete", "Delete account",
            lambda ctx: bool(ctx.config.get("client_user_deletion_enabled"))),
]


def visible_sections(user: StackUser) -> list[Section]:
    """The sections this user sees now (only the always-shown ones while the project config cannot be read)."""
    state = get_state()
    try:
        config = state.project_config()
    except StackAuthError as exc:
        log.warning("flask-stackauth: could not load the project's config for the account page: %s", exc.code)
        config = {}
    ctx = NavContext(config=config, user=user, state=state)
    return [s for s in SECTIONS if s.visible(ctx)]


def section_visible(endpoint: str, user: StackUser) -> bool:
    """Whether section ``endpoint`` shows for this user now (a POST to a hidden one is refused)."""
    return endpoint in {s.endpoint for s in visible_sections(user)}


def account_page(endpoint: str, template: str, user: StackUser, status: int = 200, **context: Any) -> Response:
    """Render section ``endpoint`` with ``template`` in the account shell; 404 when the section is hidden."""
    sections = visible_sections(user)
    if endpoint not in {s.endpoint for s in sections}:
        form = Form()
        form.fail("This part of the account settings is turned off for this app.", 404)
        return page("stackauth/account_base.html", 404, sections=sections, current=endpoint, user=user, form=form,
                    section_title="Not available")
    context.setdefault("form", Form())
    return page(template, status, sections=sections, current=endpoint, user=user, **context)


def account_nav() -> list[dict[str, object]]:
    """The section nav for pages outside the account shell (two-factor, connections, teams, API keys).

    The same :data:`SECTIONS`, filtered for the request's user: ``url``, ``label`` and ``current`` per entry.
    """
    user = request_user()
    sections = visible_sections(user) if isinstance(user, StackUser) else SECTIONS
    urls = [url_for(section.endpoint) for section in sections]
    # A section's sub-pages (/teams/<id>) live below its URL; the longest match wins, so /account/connections
    # is "Connected accounts", not "Profile" (/account).
    matches = [u for u in urls if request.path == u or request.path.startswith(u.rstrip("/") + "/")]
    current = max(matches, key=len, default=None)
    return [{"url": url, "label": section.label, "current": url == current}
            for section, url in zip(sections, urls, strict=True)]
