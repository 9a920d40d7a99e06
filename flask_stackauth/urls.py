"""Open-redirect-safe handling of ``next`` and other post-sign-in targets."""

from __future__ import annotations

from urllib.parse import urlsplit

#: ``next`` values longer than this are dropped rather than carried through the flow.
MAX_NEXT_LENGTH = 2048


def safe_next(value: object, *, host: str | None = None) -> str | None:
    """Return ``value`` if it is a same-site relative path, else ``None``.

    Accepted: ``/path``, ``/path?query#frag``. Refused: absolute URLs and scheme-relative ``//host``,
    backslashes (browsers read ``/\\host`` as ``//host``), control characters (CR/LF header injection),
    and anything over :data:`MAX_NEXT_LENGTH`. With ``host``, an absolute ``http(s)`` URL on exactly that
    host is reduced to its path.
    """
    if not isinstance(value, str) or not value or len(value) > MAX_NEXT_LENGTH:
        return None
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value) or "\\" in value:
        return None
    try:
        parts = urlsplit(value)
        if host is not None and parts.scheme in ("http", "https") and parts.netloc == host:
            value = parts.path or "/"
            if parts.query:
                value += "?" + parts.query
            parts = urlsplit(value)
    except ValueError:  # e.g. "//[" is an invalid IPv6 host to urlsplit
        return None
    if parts.scheme or parts.netloc or not value.startswith("/") or value.startswith("//"):
        return None
    return value
