"""The one place that builds the app's URLs handed to Stack Auth (OAuth ``redirect_uri``, emailed links).

Stack Auth puts these URLs in emails and redirects browsers to them, so they come from configuration
(``STACK_APP_URL``, else the base of ``STACK_REDIRECT_URI``), never from the request's ``Host`` header: a
visitor who forges ``Host`` must not get Stack to mail someone a genuine sign-in link to the visitor's host.
Only when neither is set (development) is the request's own URL used, and ``init_app`` warns about that
outside debug and testing.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app, url_for

from .config import StackAuthSettings
from .state import get_state
from .urls import safe_next

log = logging.getLogger("flask_stackauth")

#: The prebuilt OAuth callback's endpoint: ``STACK_REDIRECT_URI`` is its URL when set.
CALLBACK_ENDPOINT = "stackauth.callback"


def stack_url(endpoint: str, **values: Any) -> str:
    """The absolute URL of ``endpoint`` (such as ``stackauth.otp_callback``) to hand to Stack Auth.

    Built on ``settings.public_base_url()`` (``STACK_APP_URL``) when configured; ``STACK_REDIRECT_URI`` itself
    for the OAuth callback.
    Works in a request or an app context.

    :param values: the endpoint's URL values and query parameters, as for :func:`flask.url_for`.
    """
    settings = get_state().settings
    if endpoint == CALLBACK_ENDPOINT and settings.redirect_uri and not values:
        return settings.redirect_uri
    base = settings.public_base_url()
    if base is None:
        return url_for(endpoint, _external=True, **values)
    parts = urlsplit(base)
    adapter = current_app.url_map.bind(parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme)
    return adapter.build(endpoint, values, force_external=True)


def warn_if_unconfigured(app: Flask, settings: StackAuthSettings) -> None:
    """At ``init_app``: warn (once, outside debug and testing) that links fall back to the request's host."""
    if settings.app_url or settings.redirect_uri or app.debug or app.testing:
        return
    log.warning("flask-stackauth: neither STACK_APP_URL nor STACK_REDIRECT_URI is set, so the URLs handed to "
                "Stack Auth (the OAuth callback, emailed sign-in links) are built from each request's Host header. "
                "Set STACK_APP_URL to the app's public base URL (such as https://app.example.com) in production.")


def warn_about_landing_urls(settings: StackAuthSettings) -> None:
    """At ``init_app``: warn about a ``STACK_AFTER_SIGN_IN_URL`` / ``STACK_AFTER_SIGN_OUT_URL`` that is off-site.

    An off-site URL is never followed (it would be an open redirect): the user lands on ``/`` instead. Saying so
    at start-up beats a silent ``/``. A full URL on the host of ``STACK_APP_URL`` is fine.
    """
    base = settings.public_base_url()
    host = urlsplit(base).netloc if base else None
    for name, value in (("STACK_AFTER_SIGN_IN_URL", settings.after_sign_in_url),
                        ("STACK_AFTER_SIGN_OUT_URL", settings.after_sign_out_url)):
        if safe_next(value) is None and (host is None or safe_next(value, host=host) is None):
            log.warning("flask-stackauth: %s=%r is not a path on this site: it is followed only when it names "
                        "the host a request came to, otherwise users land on / (no open redirects). Use a path "
                        "such as /dashboard.", name, value[:200])
