"""Absolute URLs of this app's own pages that are handed to Stack Auth (emailed reset and verification links).

Stack Auth mails these URLs, so they come from configuration, never from the request's ``Host`` header: a
visitor who forges ``Host`` must not get Stack to mail someone a genuine link to the visitor's host. The base is
``STACK_APP_URL`` when the settings have it, else the base of ``STACK_REDIRECT_URI`` (the prebuilt callback's
path taken off); only when neither is set (development) is the request's own URL used.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app, url_for

from .config import StackAuthSettings
from .state import get_state


def configured_base_url(settings: StackAuthSettings) -> str | None:
    """The app's public base URL from configuration, or ``None`` when none is configured."""
    app_url = getattr(settings, "app_url", None)
    if isinstance(app_url, str) and app_url:
        return app_url.rstrip("/")
    if settings.redirect_uri:
        parts = urlsplit(settings.redirect_uri)
        suffix = f"{settings.url_prefix}/callback"
        mount = parts.path[: -len(suffix)] if parts.path.endswith(suffix) else ""
        return f"{parts.scheme}://{parts.netloc}{mount}"
    return None


def app_link(endpoint: str, **values: Any) -> str:
    """The absolute URL of ``endpoint`` (such as ``stackauth.verify_email``) to hand to Stack Auth.

    Works in a request or an app context (outside a request only when a base URL is configured).
    """
    base = configured_base_url(get_state().settings)
    if base is None:
        return url_for(endpoint, _external=True, **values)
    parts = urlsplit(base)
    adapter = current_app.url_map.bind(parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme)
    return adapter.build(endpoint, values, force_external=True)
