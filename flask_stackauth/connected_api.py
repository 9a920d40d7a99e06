"""Connected accounts and provider access tokens, as plain functions over a :class:`StackAuthClient`.

With the signed-in user's access token (client access, as Stack's JS SDK calls them)::

    accounts = list_connected_accounts(client, access_token)
    token = provider_access_token(client, access_token, "github", scopes=["repo"])

``provider_access_token`` raises :class:`~flask_stackauth.errors.OAuthConnectionNotConnectedToUser` when the
user never connected the provider, and :class:`~flask_stackauth.errors.OAuthConnectionDoesNotHaveRequiredScope`
when a scope is missing; both carry ``provider`` and ``scopes``, so the caller can start Stack's OAuth "link"
flow (``/auth/oauth/authorize/{provider}?type=link&token=...&provider_scope=...``) for exactly those.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import quote

from .client import StackAuthClient
from .errors import ConnectedAccountError, OAuthProviderNotFoundOrNotEnabled, StackAuthUnavailable
from .models import ConnectedAccount
from .server import call_stack

#: Provider ids as Stack writes them (``github``, ``google``, ``microsoft``, ...).
_MAX_PROVIDER = 64


def _provider(provider: object) -> str:
    if not isinstance(provider, str) or not provider or len(provider) > _MAX_PROVIDER or not all(
            c.isalnum() or c in "-_" for c in provider):
        raise OAuthProviderNotFoundOrNotEnabled("OAUTH_PROVIDER_NOT_FOUND_OR_NOT_ENABLED",
                                                "The OAuth provider is not found or not enabled.", None, 400)
    return provider


def _scope(scopes: Iterable[str]) -> tuple[str, ...]:
    if isinstance(scopes, str):
        scopes = scopes.split()
    out = tuple(scopes)
    if not all(isinstance(s, str) and s and " " not in s for s in out):
        raise ValueError("scopes must be a list of non-empty scope names without spaces")
    return out


def list_connected_accounts(client: StackAuthClient, access_token: str) -> list[ConnectedAccount]:
    """The OAuth accounts the signed-in user connected.

    :raises NotSupportedByServer: older servers (v2.7) cannot list them.
    """
    answer = call_stack(client, "GET", "/api/v1/connected-accounts/me", access_type="client",
                        access_token=access_token, feature="listing connected accounts")
    items = answer.get("items") if isinstance(answer, dict) else None
    return [ConnectedAccount.from_json(item) for item in items or [] if isinstance(item, dict)]


def provider_access_token(client: StackAuthClient, access_token: str, provider: str,
                          scopes: Iterable[str] = (), *, account_id: str | None = None) -> str:
    """An access token for the user's account at ``provider`` that has every scope in ``scopes``.

    :param account_id: one of several accounts at that provider (Stack v2.8), by its provider account id.
    :raises OAuthConnectionNotConnectedToUser: the user never connected the provider (or that account).
    :raises OAuthConnectionDoesNotHaveRequiredScope: connected, but a scope is missing.
    :raises OAuthAccessTokenNotAvailableWithSharedOAuthKeys: the provider uses Stack's shared keys.
    :raises OAuthProviderNotFoundOrNotEnabled: the project does not offer the provider.
    """
    name = _provider(provider)
    wanted = _scope(scopes)
    path = f"/api/v1/connected-accounts/me/{name}"
    if account_id is not None:
        path += f"/{quote(str(account_id), safe='')}"
    try:
        answer = call_stack(client, "POST", path + "/access-token", access_type="client",
                            access_token=access_token, json={"scope": " ".join(wanted)},
                            feature="provider access tokens")
    except ConnectedAccountError as exc:
        exc.provider, exc.scopes = name, wanted
        raise
    token = answer.get("access_token") if isinstance(answer, dict) else None
    if not isinstance(token, str) or not token:
        raise StackAuthUnavailable("Stack Auth answered without a provider access token.")
    return token
