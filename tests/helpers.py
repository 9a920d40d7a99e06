"""Helpers shared by the tests: drive sign-in over real HTTP against the emulator, scrape form tokens, and
the one place tests touch the session's private fields or mint tokens with odd claims."""

from __future__ import annotations

import re
import time
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qs, urlsplit

from flask.testing import FlaskClient

from flask_stackauth.emulator.client import complete_oauth
from flask_stackauth.tokens import STATE_PREFIX, TokenSet, load_tokens, save_tokens


def start_login(client: FlaskClient, provider: str = "github", next_url: str | None = None) -> str:
    """GET the app's sign-in route; return the authorize URL it redirects to."""
    query = {"next": next_url} if next_url is not None else {}
    response = client.get(f"/auth/login/{provider}", query_string=query)
    assert response.status_code == 302, response.get_data(as_text=True)
    return str(response.headers["Location"])


def local_path(url: str) -> str:
    """The path and query of an absolute URL, for the Flask test client."""
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


def callback_for(authorize_url: str, email: str, **kwargs: Any) -> str:
    """Sign in at the emulator's mock provider; return the app callback path (with code and state)."""
    return local_path(complete_oauth(authorize_url, email, **kwargs))


def sign_in(client: FlaskClient, email: str = "ada@example.com", next_url: str | None = None,
            provider: str = "github") -> Any:
    """A complete OAuth sign-in through the app and the emulator; returns the callback response."""
    callback = callback_for(start_login(client, provider, next_url), email)
    return client.get(callback)


def query_of(url: str) -> dict[str, str]:
    """The query parameters of ``url`` (first value of each)."""
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


# -- form tokens: the one scraper ------------------------------------------------------------------------------

_FORM_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def form_token_in(html: str) -> str:
    """The form token (``csrf_token``) of a prebuilt page's HTML."""
    match = _FORM_TOKEN.search(html)
    assert match, "no form token on the page"
    return match.group(1)


def form_token(client: FlaskClient, path: str = "/auth/logout", **kwargs: Any) -> str:
    """GET the page at ``path`` and return its form token."""
    page = client.get(path, **kwargs)
    assert page.status_code == 200, f"{path} answered {page.status_code}"
    return form_token_in(page.get_data(as_text=True))


def sign_out(client: FlaskClient, **kwargs: Any) -> Any:
    """POST the sign-out form with a valid form token (``kwargs`` go to the POST, e.g. ``headers``)."""
    return client.post("/auth/logout", data={"csrf_token": form_token(client)}, **kwargs)


# -- the session's private fields: the one place tests read or write them ---------------------------------

def session_tokens(client: FlaskClient) -> TokenSet | None:
    """The token pair in the client's session (``None`` when signed out)."""
    with client.session_transaction() as session:
        return load_tokens(session)


def session_keys(client: FlaskClient) -> set[str]:
    """The keys of the client's Flask session."""
    with client.session_transaction() as session:
        return set(session)


def age_session(client: FlaskClient, seconds_left: float) -> None:
    """Make the session's access token count as expiring in ``seconds_left`` seconds (negative: expired).

    Only the session's record of the expiry changes (the token itself stays valid at Stack Auth), which is
    what decides when the app refreshes; the app's clock is never patched.
    """
    with client.session_transaction() as session:
        tokens = load_tokens(session)
        assert tokens is not None, "the client is not signed in"
        save_tokens(session, replace(tokens, expires_at=int(time.time() + seconds_left)))


def store_session(client: FlaskClient, access_token: str, refresh_token: str) -> None:
    """Put a token pair into the client's session (its expiry read from the access token, unverified)."""
    from flask_stackauth.verify import peek_claims

    with client.session_transaction() as session:
        save_tokens(session, TokenSet(access_token, refresh_token, int(peek_claims(access_token)["exp"])))


def pending_sign_ins(client: FlaskClient) -> list[str]:
    """The ``state`` values of the OAuth sign-ins this browser has started and not finished."""
    return [k[len(STATE_PREFIX):] for k in session_keys(client) if k.startswith(STATE_PREFIX)]


def expire_pending(client: FlaskClient, key: str | None = None) -> None:
    """Let pending sign-ins (every OAuth state, or the session entry ``key``) run out: the browser comes back
    after their 10 minutes. ``key`` is e.g. ``stackauth_mfa`` or ``stackauth_otp``."""
    with client.session_transaction() as session:
        keys = [key] if key is not None else [k for k in session if k.startswith(STATE_PREFIX)]
        for name in keys:
            session[name] = {**session[name], "x": 1}


def pending_verifier(client: FlaskClient, state: str) -> str:
    """The PKCE verifier the session keeps for the sign-in ``state`` (to prove it never reaches a log)."""
    with client.session_transaction() as session:
        return str(session[STATE_PREFIX + state]["v"])


# -- tokens with odd claims, signed with the emulator's keys ----------------------------------------------

#: A claim value for :func:`mint` that removes the claim.
DROP: Any = object()


def mint(emu: Any, token: str, **claims: Any) -> str:
    """Re-sign ``token``'s claims with ``claims`` changed (a value of :data:`DROP` removes the claim), with
    the emulator's signing key for the token's audience: what a Stack Auth server with odd claims would issue."""
    body = dict(emu.decode_token_claims(token))
    for name, value in claims.items():
        if value is DROP:
            body.pop(name, None)
        else:
            body[name] = value
    return str(emu.keys.sign(str(body["aud"]), body))

