"""The token pair in the Flask session, and pending sign-ins.

The session holds only ``{access_token, refresh_token, expires_at}`` under one key, never the
profile, so the cookie stays small. Pending OAuth sign-ins are kept one key per ``state`` (as
Authlib does), with an expiry and a cap, so sign-ins in several tabs work and the cookie cannot grow
without bound.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any, Literal

from joserfc import jws
from joserfc.errors import JoseError

from .errors import InvalidAccessToken, UnparsableAccessToken

TOKENS_KEY = "stackauth_tokens"
STATE_PREFIX = "_stackauth_state_"
#: Pending sign-ins expire after this many seconds (Stack's own OAuth flow lives 10 minutes).
PENDING_TTL = 600
#: At most this many pending sign-ins are kept; starting another drops the oldest.
MAX_PENDING = 5
#: The refresh leeway is at most this fraction of an access token's lifetime (see TokenSet.refresh_leeway).
REFRESH_LEEWAY_FRACTION = 0.5


def _seconds(value: Any) -> float | None:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
        return None
    return float(value)



def unparsable(reason: str) -> UnparsableAccessToken:
    """The error for an access token that is not a JWT we can read."""
    return UnparsableAccessToken("UNPARSABLE_ACCESS_TOKEN", f"Access token is not parsable: {reason}.", None, 401)


def peek_claims(token: str) -> dict[str, Any]:
    """The claims of a compact JWS, **without** verifying it; for tokens this app just got from Stack Auth."""
    try:
        obj = jws.extract_compact(token.encode("ascii"))
        claims = json.loads(obj.payload)
    except (JoseError, ValueError, UnicodeError) as exc:
        raise unparsable("it is not a JWT") from exc
    if not isinstance(claims, dict):
        raise unparsable("its payload is not a JSON object")
    return claims


@dataclass(frozen=True)
class TokenSet:
    """An access token, its refresh token, and the access token's ``exp`` (Unix seconds)."""

    access_token: str
    refresh_token: str
    expires_at: int

    def expires_in(self, now: float | None = None) -> float:
        """Seconds left before the access token expires (negative once it has)."""
        return self.expires_at - (time.time() if now is None else now)

    def lifetime(self) -> float | None:
        """The access token's lifetime as issued (its ``exp - iat``), or ``None`` without usable claims for it."""
        try:
            claims = peek_claims(self.access_token)
        except InvalidAccessToken:
            return None
        exp, iat = _seconds(claims.get("exp")), _seconds(claims.get("iat"))
        return None if exp is None or iat is None else exp - iat

    def refresh_leeway(self, leeway: float) -> float:
        """``leeway`` (``STACK_REFRESH_LEEWAY``) clamped to a fraction of this token's lifetime.

        With tokens that live no longer than the leeway, an unclamped leeway would call every token "about
        to expire" the moment it is issued, and every request would refresh. Pass the result, too, as the
        ``min_valid`` of a refresh, so tokens another request just got count as fresh.
        """
        lifetime = self.lifetime()
        if lifetime is None:
            return float(leeway)
        return max(0.0, min(float(leeway), lifetime * REFRESH_LEEWAY_FRACTION))

    def needs_refresh(self, leeway: float, now: float | None = None) -> bool:
        """Whether the access token should be refreshed before use: expired, or within the clamped leeway."""
        left = self.expires_in(now)
        if left >= leeway:
            return False  # the usual case, decided without decoding the token
        return left <= 0 or left < self.refresh_leeway(leeway)

    def to_session(self) -> dict[str, Any]:
        """The value stored in the session."""
        return {"access_token": self.access_token, "refresh_token": self.refresh_token,
                "expires_at": self.expires_at}

    @classmethod
    def from_session(cls, value: Any) -> TokenSet | None:
        """Read a stored value back; anything malformed reads as "no tokens"."""
        if not isinstance(value, dict):
            return None
        access, refresh, exp = value.get("access_token"), value.get("refresh_token"), value.get("expires_at")
        if not (isinstance(access, str) and access and isinstance(refresh, str) and refresh):
            return None
        if not isinstance(exp, int) or isinstance(exp, bool):
            return None
        return cls(access, refresh, exp)

    def __repr__(self) -> str:
        return f"TokenSet(expires_at={self.expires_at})"


def load_tokens(session: MutableMapping[str, Any]) -> TokenSet | None:
    """The token pair in ``session``, or ``None``."""
    return TokenSet.from_session(session.get(TOKENS_KEY))


def save_tokens(session: MutableMapping[str, Any], tokens: TokenSet) -> None:
    """Store ``tokens`` in ``session``."""
    session[TOKENS_KEY] = tokens.to_session()


def clear_tokens(session: MutableMapping[str, Any]) -> None:
    """Remove the token pair from ``session``."""
    session.pop(TOKENS_KEY, None)


# -- pending sign-ins -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PendingSignIn:
    """A sign-in started by this browser: its PKCE verifier, callback URL and where to go after."""

    state: str
    code_verifier: str
    redirect_uri: str
    next_url: str | None
    expires_at: float
    #: Set for a "link" flow (connecting a provider to this signed-in user): the user it was started for.
    link_user_id: str | None = None


def remember_pending(session: MutableMapping[str, Any], pending: PendingSignIn) -> None:
    """Store a pending sign-in under its own key, dropping expired ones and the oldest past the cap."""
    now = time.time()
    entries = []
    for key in [k for k in session if k.startswith(STATE_PREFIX)]:
        value = session.get(key)
        exp = value.get("x") if isinstance(value, dict) else None
        if not isinstance(exp, (int, float)) or exp <= now:
            session.pop(key, None)
        else:
            entries.append((exp, key))
    entries.sort()
    while len(entries) >= MAX_PENDING:
        session.pop(entries.pop(0)[1], None)
    session[STATE_PREFIX + pending.state] = {
        "v": pending.code_verifier, "u": pending.redirect_uri, "n": pending.next_url, "x": pending.expires_at}
    if pending.link_user_id is not None:
        session[STATE_PREFIX + pending.state]["l"] = pending.link_user_id


def pop_pending(session: MutableMapping[str, Any], state: str) -> PendingSignIn | Literal[False] | None:
    """Take the pending sign-in for ``state`` out of the session (a state is good for one callback).

    :returns: the sign-in; ``False`` when it existed but expired; ``None`` when unknown.
    """
    if not state or len(state) > 200:
        return None
    value = session.pop(STATE_PREFIX + state, None)
    if not isinstance(value, dict):
        return None
    verifier, uri, nxt, exp = value.get("v"), value.get("u"), value.get("n"), value.get("x")
    if not (isinstance(verifier, str) and isinstance(uri, str) and isinstance(exp, (int, float))):
        return None
    if exp <= time.time():
        return False
    link = value.get("l")
    return PendingSignIn(state, verifier, uri, nxt if isinstance(nxt, str) else None, float(exp),
                         link if isinstance(link, str) else None)
