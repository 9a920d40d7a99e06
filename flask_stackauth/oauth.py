"""Stack Auth's OAuth authorization-code flow with PKCE (S256) and the refresh grant, through Authlib.

A fresh Authlib ``OAuth2Session`` is made for every flow step, so PKCE verifiers, states and tokens
never live on an object shared between requests; it borrows the app's pooled HTTP adapter, so
connections are still reused.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import requests
from authlib.common.errors import AuthlibBaseError as OAuthError
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session

from .client import StackAuthClient, call_with_deadline, json_body, raise_for_stack_response
from .config import StackAuthSettings
from .errors import StackAuthUnavailable

AUTHORIZE_PATH = "/api/v1/auth/oauth/authorize/{provider}"
TOKEN_PATH = "/api/v1/auth/oauth/token"


@dataclass(frozen=True)
class TokenResponse:
    """What the token endpoint answered.

    For the refresh grant ``refresh_token`` is the one sent (Stack Auth does not rotate refresh tokens),
    or a new one should a server ever rotate them.
    """

    access_token: str
    refresh_token: str | None
    is_new_user: bool = False
    after_callback_redirect_url: str | None = None


def new_state() -> str:
    """A random, URL-safe OAuth ``state`` (128 bits)."""
    return secrets.token_urlsafe(16)


def new_code_verifier() -> str:
    """A random PKCE code verifier (48 characters of RFC 7636's alphabet)."""
    return str(generate_token(48))


def _check_token_response(response: requests.Response) -> requests.Response:
    # Runs before Authlib parses the answer, so Stack's known errors keep their code instead of
    # becoming Authlib's generic OAuthError, and a non-JSON 2xx is "unavailable", not a ValueError.
    raise_for_stack_response(response)
    body = json_body(response)
    if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
        raise StackAuthUnavailable("Stack Auth's token endpoint answered without an access token.")
    return response


class StackOAuth:
    """Builds authorize URLs and calls the token endpoint for one app."""

    def __init__(self, settings: StackAuthSettings, client: StackAuthClient) -> None:
        self.settings = settings
        self.client = client

    def _session(self, redirect_uri: str | None = None) -> OAuth2Session:
        session = OAuth2Session(
            client_id=self.settings.project_id,
            client_secret=self.settings.client_secret,
            token_endpoint_auth_method="client_secret_post",
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
        )
        session.mount("http://", self.client.adapter)
        session.mount("https://", self.client.adapter)
        session.register_compliance_hook("access_token_response", _check_token_response)
        session.register_compliance_hook("refresh_token_response", _check_token_response)
        return session

    def authorize_url(self, provider: str, *, redirect_uri: str, state: str, code_verifier: str,
                      after_callback_redirect_url: str | None = None, link_token: str | None = None,
                      provider_scope: str | None = None) -> str:
        """The URL of Stack's authorize endpoint for ``provider``, with PKCE S256 and Stack's parameters.

        :param link_token: the signed-in user's access token: a "link" flow, which connects the provider
            account to that user instead of signing someone in (Stack's protocol puts it in the query).
        :param provider_scope: extra provider scopes to ask for (space-separated).
        """
        extra: dict[str, Any] = {}
        if after_callback_redirect_url:
            extra["after_callback_redirect_url"] = after_callback_redirect_url
        if link_token:
            extra["token"] = link_token
        if provider_scope:
            extra["provider_scope"] = provider_scope
        url, _ = self._session(redirect_uri).create_authorization_url(
            self.settings.endpoint(AUTHORIZE_PATH.format(provider=quote(provider, safe=""))),
            state=state,
            code_verifier=code_verifier,
            scope="legacy",
            client_secret=self.settings.client_secret,
            grant_type="authorization_code",
            type="link" if link_token else "authenticate",
            **extra,
        )
        return str(url)

    def _call(self, step: str, call: Any) -> dict[str, Any]:
        try:
            # The same total deadline as every other call to Stack Auth (Authlib's session uses our adapter).
            token = call_with_deadline(f"the {step}", self.settings.http_timeout, self.settings.api_url, call)
        except (OAuthError, ValueError, TypeError, OverflowError) as exc:
            # Authlib could not read a 200 answer (an ``error`` key, an ``expires_in`` that is no number).
            raise StackAuthUnavailable(
                f"Stack Auth answered the {step} with a body this app cannot read ({type(exc).__name__}).") from None
        return dict(token)

    def exchange_code(self, code: str, *, code_verifier: str, redirect_uri: str) -> TokenResponse:
        """Exchange an authorization code (``grant_type=authorization_code``) for a token pair.

        :raises InvalidAuthorizationCode: bad, used or expired code, or a PKCE mismatch.
        """
        session = self._session(redirect_uri)
        token = self._call("code exchange", lambda: session.fetch_token(
            self.settings.endpoint(TOKEN_PATH), grant_type="authorization_code", code=code,
            code_verifier=code_verifier, timeout=self.settings.http_timeout))
        refresh = token.get("refresh_token")
        if not isinstance(refresh, str) or not refresh:
            raise StackAuthUnavailable("Stack Auth's token endpoint answered without a refresh token.")
        after = token.get("after_callback_redirect_url")
        return TokenResponse(
            access_token=token["access_token"],
            refresh_token=refresh,
            is_new_user=bool(token.get("is_new_user")),
            after_callback_redirect_url=after if isinstance(after, str) else None,
        )

    def refresh(self, refresh_token: str) -> TokenResponse:
        """Get a new access token with the refresh grant. Stack Auth does not rotate refresh tokens.

        :raises RefreshTokenError: the refresh token is unknown, expired or revoked.
        """
        session = self._session()
        token = self._call("token refresh", lambda: session.refresh_token(
            self.settings.endpoint(TOKEN_PATH), refresh_token=refresh_token,
            timeout=self.settings.http_timeout))
        new_refresh = token.get("refresh_token")
        return TokenResponse(access_token=token["access_token"],
                             refresh_token=new_refresh if isinstance(new_refresh, str) else None)
