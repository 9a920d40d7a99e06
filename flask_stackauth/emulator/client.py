"""Headless helper: drive an OAuth sign-in through the emulator's mock provider."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import requests


def _same_origin(a: str, b: str) -> bool:
    pa, pb = urlsplit(a), urlsplit(b)
    return (pa.scheme, pa.netloc) == (pb.scheme, pb.netloc)


def complete_oauth(
    authorize_url: str,
    email: str,
    *,
    session: requests.Session | None = None,
    cancel: bool = False,
    timeout: float = 10.0,
) -> str:
    """Sign in as ``email`` (or cancel) and return the final ``Location`` pointing at the app.

    GETs ``authorize_url`` (redirect or JSON mode), follows the emulator's redirects through the mock
    provider with their cookies, posts the login (or cancel) form and stops at the first redirect that
    leaves the emulator, i.e. the app's ``redirect_uri`` with ``code``/``state`` or the error params.
    """
    http = session or requests.Session()
    resp = http.get(authorize_url, allow_redirects=False, timeout=timeout)
    if resp.status_code == 200 and resp.headers.get("content-type", "").startswith("application/json"):
        url = urljoin(authorize_url, resp.json()["location"])
    elif resp.status_code in (302, 303, 307):
        url = urljoin(authorize_url, resp.headers["Location"])
    else:
        raise RuntimeError(f"authorize failed: {resp.status_code} {resp.text[:300]}")
    origin = authorize_url
    for _ in range(10):
        resp = http.get(url, allow_redirects=False, timeout=timeout)
        if resp.status_code in (302, 303, 307):
            url = urljoin(url, resp.headers["Location"])
            continue
        break
    if resp.status_code != 200 or "/mock-oauth/interaction/" not in url:
        raise RuntimeError(f"mock provider login page not reached: {resp.status_code} {url}")
    action = "abort" if cancel else "login"
    match = re.search(r'action="([^"]*/' + action + r')"', resp.text)
    if not match:
        raise RuntimeError("login form not found")
    post_url = urljoin(url, match.group(1))
    data = {} if cancel else {"login": email}
    resp = http.post(post_url, data=data, allow_redirects=False, timeout=timeout)
    for _ in range(10):
        if resp.status_code not in (302, 303, 307):
            raise RuntimeError(f"OAuth flow stopped: {resp.status_code} {resp.text[:300]}")
        location = urljoin(resp.url, resp.headers["Location"])
        if not _same_origin(location, origin):
            return location
        if "/api/v1/auth/oauth/callback/" not in location and "/mock-oauth/" not in location:
            return location
        resp = http.get(location, allow_redirects=False, timeout=timeout)
    raise RuntimeError("too many redirects")
