"""Refreshing the session's access token: single-flight, signals, and what a refused refresh means.

A refresh token Stack Auth refuses signs the user out (``refresh_failed``); an outage or a garbage answer
never does: the current access token is used while it lasts, then the request answers 503. A 200 answer whose
access token does not verify (bad signature, wrong audience, not a JWT) is such a garbage answer: it is never
stored, and the session keeps the tokens it had.
"""

from __future__ import annotations

import logging

from flask import current_app, session

from .errors import (
    AuthenticationRequired,
    InvalidAccessToken,
    RefreshTokenError,
    StackAuthHTTPError,
    StackAuthUnavailable,
)
from .signals import refresh_failed, token_refreshed
from .state import StackAuthState
from .tokens import TokenSet, clear_tokens, peek_claims, save_tokens

log = logging.getLogger("flask_stackauth")


def token_subject(tokens: TokenSet) -> str | None:
    """The user id (``sub``) of the pair's access token, read without verifying it (for signals and logs)."""
    try:
        sub = peek_claims(tokens.access_token).get("sub")
    except InvalidAccessToken:
        return None
    return sub if isinstance(sub, str) else None


def refresh_session(state: StackAuthState, tokens: TokenSet) -> TokenSet:
    """Refresh the session's ``tokens`` (once per refresh token at a time) and store the new pair.

    :raises AuthenticationRequired: Stack Auth refused the refresh token; the session's tokens are cleared.
    :raises StackAuthUnavailable: the access token has expired and Stack Auth cannot refresh it right now.
    """
    settings = state.settings

    def run() -> TokenSet:
        answer = state.oauth.refresh(tokens.refresh_token)
        try:
            # Checked before it is stored: a token that fails here would sign the user out on their next request
            # while Stack still honours their refresh token.
            claims = state.verifier.verify(answer.access_token, allow_anonymous=True, allow_restricted=True,
                                           trusted=True)
        except InvalidAccessToken as exc:
            raise StackAuthUnavailable("Stack Auth answered the refresh with an access token this app cannot "
                                       f"verify ({exc.code}).") from None
        exp = claims.get("exp")
        if not isinstance(exp, int) or isinstance(exp, bool):
            raise StackAuthUnavailable("Stack Auth answered the refresh with an access token without an exp claim.")
        return TokenSet(answer.access_token, answer.refresh_token or tokens.refresh_token, exp)

    try:
        fresh = state.refresher.refresh(tokens.refresh_token, run,
                                        min_valid=tokens.refresh_leeway(settings.refresh_leeway),
                                        timeout=settings.http_timeout * 2)
    except RefreshTokenError as exc:
        clear_tokens(session)
        state.refresher.forget(tokens.refresh_token)
        log.info("flask-stackauth: refresh token rejected (%s); signed out", exc.code)
        refresh_failed.send(current_app._get_current_object(),  # type: ignore[attr-defined]
                            user_id=token_subject(tokens), error=exc)
        raise AuthenticationRequired("Your session has ended. Please sign in again.") from None
    except (StackAuthUnavailable, StackAuthHTTPError) as exc:
        # Unreachable, rate-limited (429) or answering garbage: a refresh problem, not a sign-out.
        if tokens.expires_in() > 0:
            log.warning("flask-stackauth: could not refresh the access token (%s); using it while it lasts", exc)
            return tokens
        if isinstance(exc, StackAuthHTTPError):
            raise StackAuthUnavailable(f"Stack Auth could not refresh the access token: {exc.message}") from None
        raise
    save_tokens(session, fresh)
    user_id = token_subject(fresh)
    # A trace that refresh works, for developers; the user id only, never a token.
    log.debug("flask-stackauth: refreshed the access token of user %s (valid %d s)", user_id,
              int(fresh.expires_in()))
    token_refreshed.send(current_app._get_current_object(), user_id=user_id)  # type: ignore[attr-defined]
    return fresh
