"""Connected accounts and provider access tokens (Stack's ``connected-accounts`` routes).

As recorded in ``connected-result.json`` and read from ``apps/backend/src/app/api/latest/connected-accounts``:

- ``GET /connected-accounts/{user_id}`` lists ``{user_id, provider, provider_account_id}`` (v2.8; v2.7: 404);
- ``POST /connected-accounts/{user_id}/{provider}/access-token {scope}`` answers 201 ``{access_token}``: the
  checks run in Stack's order (another user → 403 text, provider not enabled, shared OAuth keys, not connected,
  scope not granted). ``scope`` is a space-separated list that must all have been granted;
- the per-account form ``.../{provider}/{provider_account_id}/access-token`` (v2.8) and the old
  ``/auth/oauth/connected-accounts/{provider}/access-token`` route (client, signed in);
- the mock provider grants ``openid`` and ``offline_access``, plus the ``provider_scope`` of the OAuth flow that
  connected the account (``type=link`` adds an account or scopes to a signed-in user). Its access tokens are
  opaque 43-character strings, the same one until the granted scopes change.

The recorded servers use Stack's shared OAuth keys: v2.7 then never hands out tokens
(``OAUTH_ACCESS_TOKEN_NOT_AVAILABLE_WITH_SHARED_OAUTH_KEYS``), and v2.8 refuses extra scopes. The emulator does
the same in legacy mode; in current mode it behaves as a project with its own keys, so scopes can be
requested. ``ProjectConfig.shared_oauth_keys`` overrides either way.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from flask import Response, request

from . import errors as E
from .auth import resolve_user_id
from .context import AuthContext, api_blueprint, get_emulator, is_uuid, json_response, require_auth
from .core import Emulator
from .schema import Obj, Str, validate
from .state import User

bp = api_blueprint("stack_connected_accounts", __name__)

EXT_KEY = "connected_accounts"
BASE_SCOPES = ("openid", "offline_access")


@dataclass
class Grant:
    """What the mock provider granted for one connected account."""

    scopes: set[str] = field(default_factory=lambda: set(BASE_SCOPES))
    access_token: str | None = None


def _grants(emu: Emulator) -> dict[tuple[str, str, str], Grant]:
    grants = emu.data.ext.get(EXT_KEY)
    if not isinstance(grants, dict):
        grants = emu.data.ext[EXT_KEY] = {}
    return grants


def shared_keys(emu: Emulator) -> bool:
    """Whether the providers use shared development keys (see the module docstring)."""
    flag = emu.project.shared_oauth_keys
    return emu.legacy_tokens if flag is None else bool(flag)


def record_connection(emu: Emulator, user_id: str, provider: str, account_id: str, provider_scope: str | None) -> None:
    """Remember the scopes an OAuth flow granted (called by the OAuth callback)."""
    extra = set((provider_scope or "").split())
    with emu.lock:
        grant = _grants(emu).setdefault((user_id, provider, account_id), Grant())
        if not extra <= grant.scopes:
            grant.scopes |= extra
            grant.access_token = None  # a new consent gives a new token, as a real provider does


def extra_scope_not_available() -> E.KnownError:
    """``OAUTH_EXTRA_SCOPE_NOT_AVAILABLE_WITH_SHARED_OAUTH_KEYS`` (400)."""
    return E.KnownError(400, "OAUTH_EXTRA_SCOPE_NOT_AVAILABLE_WITH_SHARED_OAUTH_KEYS",
                        "Extra scopes are not available with shared OAuth keys. Please add your own OAuth keys on "
                        "the Stack dashboard to use extra scopes.")


def _shared_keys_error() -> E.KnownError:
    return E.KnownError(400, "OAUTH_ACCESS_TOKEN_NOT_AVAILABLE_WITH_SHARED_OAUTH_KEYS",
                       "Access tokens are not available with shared OAuth keys. Please add your own OAuth keys on "
                       "the Stack dashboard to use access tokens.")


def _not_connected() -> E.KnownError:
    return E.KnownError(400, "OAUTH_CONNECTION_NOT_CONNECTED_TO_USER",
                        "The OAuth connection is not connected to any user.")


def _legacy_not_found() -> Response:
    return Response(E.NOT_FOUND_TEXT.format(url=request.url), status=404, content_type=E.TEXT_CONTENT_TYPE)


def _user_param(auth: AuthContext, user_id: str) -> str:
    if user_id != "me" and not is_uuid(user_id):
        raise E.schema_error(request.method, request.path, ["params.user_id must be a valid UUID"])
    return resolve_user_id(auth, user_id)


@bp.route("/connected-accounts/<user_id>", methods=["GET"])
def list_accounts(user_id: str) -> Response:
    """The user's connected accounts (v2.8)."""
    emu = get_emulator()
    if emu.legacy_tokens:
        return _legacy_not_found()
    auth = require_auth()
    uid = _user_param(auth, user_id)
    if auth.type == "client" and (auth.user is None or auth.user.id != uid):
        raise E.StatusError(403, "Client can only list connected accounts for their own user.")
    with emu.lock:
        user = emu.data.users.get(uid)
        if user is None:
            raise E.user_not_found()
        items = [{"user_id": uid, "provider": p["id"], "provider_account_id": p["account_id"]}
                 for p in user.oauth_providers]
    return json_response({"items": items, "is_paginated": False})


def _scope() -> str:
    scope = validate(body=Obj({"scope": Str()})).body.get("scope")
    return scope if isinstance(scope, str) else ""


def _access_token(emu: Emulator, auth: AuthContext, uid: str, provider: str, account_id: str | None,
                  scope: str) -> dict[str, Any]:
    """Stack's checks in Stack's order, then the (kept) token of the matching account."""
    if auth.type == "client" and (auth.user is None or auth.user.id != uid):
        raise E.StatusError(403, "Client can only access its own connected accounts")
    if provider not in emu.project.oauth_providers:
        raise E.oauth_provider_not_found_or_not_enabled()
    if shared_keys(emu):
        raise _shared_keys_error()
    with emu.lock:
        user: User | None = emu.data.users.get(uid)
        if user is None:
            raise E.user_not_found()
        accounts = [p["account_id"] for p in user.oauth_providers
                    if p["id"] == provider and (account_id is None or p["account_id"] == account_id)]
        if not accounts:
            raise _not_connected()
        wanted = set(scope.split())
        grants = _grants(emu)
        for acc in accounts:
            grant = grants.setdefault((uid, provider, acc), Grant())
            if wanted <= grant.scopes:
                if grant.access_token is None:
                    grant.access_token = secrets.token_urlsafe(32)
                return {"access_token": grant.access_token}
    raise E.KnownError(400, "OAUTH_CONNECTION_DOES_NOT_HAVE_REQUIRED_SCOPE",
                       "The OAuth connection does not have the required scope.")


@bp.route("/connected-accounts/<user_id>/<provider_id>/access-token", methods=["POST"])
def access_token(user_id: str, provider_id: str) -> Response:
    """A provider access token for the user's account at ``provider_id`` with ``scope`` granted."""
    emu = get_emulator()
    auth = require_auth()
    scope = _scope()
    uid = _user_param(auth, user_id)
    return json_response(_access_token(emu, auth, uid, provider_id, None, scope), status=201)


@bp.route("/connected-accounts/<user_id>/<provider_id>/<path:provider_account_id>/access-token", methods=["POST"])
def account_access_token(user_id: str, provider_id: str, provider_account_id: str) -> Response:
    """The same for one account of that provider (v2.8)."""
    emu = get_emulator()
    if emu.legacy_tokens:
        return _legacy_not_found()
    auth = require_auth()
    scope = _scope()
    uid = _user_param(auth, user_id)
    return json_response(_access_token(emu, auth, uid, provider_id, unquote(provider_account_id), scope),
                         status=201)


@bp.route("/auth/oauth/connected-accounts/<provider_id>/access-token", methods=["POST"])
def old_access_token(provider_id: str) -> Response:
    """The old route (the v1 dashboard's): the signed-in user's token."""
    emu = get_emulator()
    auth = require_auth("client")
    scope = _scope()
    uid = resolve_user_id(auth, "me")
    try:
        return json_response(_access_token(emu, auth, uid, provider_id, None, scope), status=201)
    except E.KnownError as err:
        if not emu.legacy_tokens:
            raise
        # v2.7's old route answers the error body without the x-stack-known-error header (as recorded).
        return json_response({"code": err.code, "error": err.message}, status=err.status)
