"""Which redirect URLs a project accepts (Stack's ``redirect-urls.tsx``)."""

from __future__ import annotations

import re
from urllib.parse import SplitResult, parse_qsl, urlencode, urlsplit, urlunsplit

from .state import ProjectConfig

_DEFAULT_PORTS = {"http": "80", "https": "443"}


def _parse(url: str) -> SplitResult | None:
    try:
        parts = urlsplit(url)
        _ = parts.port
    except ValueError:
        return None
    if not parts.scheme or not parts.netloc:
        return None
    return parts


def is_valid_url(url: str) -> bool:
    """Whether ``url`` is an absolute URL."""
    return _parse(url) is not None


def _host_port(parts: SplitResult) -> str:
    host = parts.hostname or ""
    port = str(parts.port) if parts.port is not None else _DEFAULT_PORTS.get(parts.scheme, "")
    return f"{host}:{port}" if port else host


def _is_default_port(parts: SplitResult) -> bool:
    return parts.port is None or str(parts.port) == _DEFAULT_PORTS.get(parts.scheme)


def match_hostname_pattern(pattern: str, hostname: str) -> bool:
    """``*`` matches one DNS label, ``**`` any number of them."""
    if "*" not in pattern:
        return pattern == hostname
    regex = re.escape(pattern).replace(r"\*\*", "\x00").replace(r"\*", "[^.]*").replace("\x00", ".*")
    return re.fullmatch(regex, hostname) is not None


def _matches_domain(test: SplitResult, pattern: str) -> bool:
    base = _parse(pattern)
    if base is None or "*" in pattern:
        m = re.match(r"^([^:]+://)([^/]*)(.*)$", pattern)
        if not m:
            return False
        protocol, host_pattern = m.group(1), m.group(2)
        if f"{test.scheme}://" != protocol.lower():
            return False
        if ":" in host_pattern:
            return match_hostname_pattern(host_pattern, _host_port(test))
        return match_hostname_pattern(host_pattern, test.hostname or "") and _is_default_port(test)
    return base.scheme == test.scheme and base.hostname == test.hostname and _host_port(base) == _host_port(test)


def is_localhost(parts: SplitResult) -> bool:
    """``localhost``, ``*.localhost`` or ``127.x.x.x``."""
    host = parts.hostname or ""
    return host == "localhost" or host.endswith(".localhost") or re.fullmatch(r"127\.\d+\.\d+\.\d+", host) is not None


def is_native_app_url(url: str) -> bool:
    """``stack-auth-mobile-oauth-url://`` URLs are always accepted."""
    parts = _parse(url) if "://" in url else None
    return parts is not None and parts.scheme == "stack-auth-mobile-oauth-url"


def validate_redirect_url(url: str, project: ProjectConfig) -> bool:
    """Whether ``url`` may receive codes/errors for ``project``."""
    if is_native_app_url(url):
        return True
    parts = _parse(url)
    if parts is None:
        return False
    if project.allow_localhost and is_localhost(parts):
        return True
    return any(_matches_domain(parts, d) for d in project.trusted_domains if d)


def add_query(url: str, params: list[tuple[str, str]]) -> str:
    """Set query parameters on ``url``, keeping the ones already there (replacing same names)."""
    parts = urlsplit(url)
    names = {k for k, _ in params}
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in names] + params
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", urlencode(query), parts.fragment))
