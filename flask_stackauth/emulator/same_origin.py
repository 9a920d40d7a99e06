"""Refuse state-changing requests that a browser sent on behalf of another site.

The emulator listens on loopback with no credentials, so any web page open in the developer's browser
could post a form to it. Browsers say where a request comes from (``Sec-Fetch-Site``, ``Origin``);
scripts and test clients send neither and pass.
"""

from __future__ import annotations

from flask import Response, request

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: ``none`` is a request the user started (typed URL, bookmark); ``same-origin`` one of our own pages.
ALLOWED_FETCH_SITES = frozenset({"same-origin", "none"})


def is_cross_site() -> bool:
    """Whether the current request is a browser request started by a page of another origin."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        # Set by the browser itself, and still there when a no-referrer page makes the Origin "null".
        return site.lower() not in ALLOWED_FETCH_SITES
    origin = request.headers.get("Origin")
    # Older browsers: "null" (sandboxed frames, no-referrer pages) cannot be tied to this emulator, so it is refused.
    return origin is not None and origin.rstrip("/") != request.host_url.rstrip("/")


def refuse_cross_site() -> Response | None:
    """``before_request`` hook: a 403 for cross-site ``POST``/``PUT``/``PATCH``/``DELETE``, else nothing."""
    if request.method in SAFE_METHODS or not is_cross_site():
        return None
    return Response(
        "Cross-site request refused: the emulator's controls only accept requests from its own pages or from "
        "scripts (no Origin header).",
        status=403,
        content_type="text/plain; charset=utf-8",
    )
