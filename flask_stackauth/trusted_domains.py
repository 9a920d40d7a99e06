"""The client's reading of a project's trusted domains: would Stack Auth accept this redirect URL?

Stack Auth checks redirect (callback) URLs itself, at the OAuth callback and wherever an emailed link is
sent; this module applies the same rule to the ``domains`` of ``GET /api/v1/projects/current`` so that
``flask stackauth check`` can tell, before any sign-in, whether the app's callback URL will be refused
(``REDIRECT_URL_NOT_WHITELISTED``). The rule (protocol doc, section 2.3): a trusted domain's base URL matches
on scheme, host and port only (the path is ignored); in a host, ``*`` stands for one label and ``**`` for
several; a pattern without a port matches the scheme's default port only. Localhost URLs pass while the
project allows localhost callbacks, which the client view of the project does not say.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import SplitResult, urlsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}
_WILDCARD_PATTERN = re.compile(r"^([^:]+://)([^/]*)(.*)$")


def _parse(url: str) -> SplitResult | None:
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018  (raises ValueError on a malformed port)
    except ValueError:
        return None
    if not parts.scheme or not parts.hostname:
        return None
    return parts


def _port(parts: SplitResult) -> int | None:
    return parts.port if parts.port is not None else _DEFAULT_PORTS.get(parts.scheme.lower())


def _host_port(parts: SplitResult) -> str:
    port = _port(parts)
    return f"{parts.hostname}:{port}" if port is not None else str(parts.hostname)


def is_localhost(url: str) -> bool:
    """Whether ``url``'s host is ``localhost``, a ``*.localhost`` name, or an ``127.x.y.z`` address."""
    parts = _parse(url)
    if parts is None or parts.hostname is None:
        return False
    host = parts.hostname
    return host == "localhost" or host.endswith(".localhost") or re.fullmatch(r"127\.\d+\.\d+\.\d+", host) is not None


def _host_matches(pattern: str, host: str) -> bool:
    if "*" not in pattern:
        return pattern == host
    regex = "".join(".*" if part == "**" else "[^.]*" if part == "*" else re.escape(part)
                    for part in re.split(r"(\*\*|\*)", pattern))
    return re.fullmatch(regex, host) is not None


def matches_domain(url: str, pattern: str) -> bool:
    """Whether ``url`` falls under the trusted domain ``pattern`` (a base URL, maybe with wildcards)."""
    target = _parse(url)
    if target is None:
        return False
    if "*" in pattern or _parse(pattern) is None:
        match = _WILDCARD_PATTERN.match(pattern)
        if match is None:
            return False
        scheme, host_pattern = match.group(1), match.group(2).lower()
        if f"{target.scheme.lower()}://" != scheme.lower():
            return False
        if ":" in host_pattern:
            return _host_matches(host_pattern, _host_port(target))
        return _host_matches(host_pattern, str(target.hostname)) and _port(target) == _DEFAULT_PORTS.get(
            target.scheme.lower())
    base = _parse(pattern)
    assert base is not None
    return (base.scheme.lower() == target.scheme.lower() and base.hostname == target.hostname
            and _host_port(base) == _host_port(target))


def project_domains(project: dict[str, Any]) -> list[str]:
    """The trusted domains' base URLs in a ``projects/current`` answer (``config.domains[].domain``)."""
    config = project.get("config")
    entries = config.get("domains") if isinstance(config, dict) else None
    if not isinstance(entries, list):
        return []
    return [d["domain"] for d in entries if isinstance(d, dict) and isinstance(d.get("domain"), str)]


def is_trusted(url: str, domains: list[str], *, allow_localhost: bool = False) -> bool:
    """Whether Stack Auth accepts ``url`` as a redirect URL of a project trusting ``domains``."""
    if _parse(url) is None:
        return False
    if allow_localhost and is_localhost(url):
        return True
    return any(matches_domain(url, domain) for domain in domains)
