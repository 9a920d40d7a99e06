"""A signed-in user's own API keys, through Stack's client routes with the user's access token.

As Stack's JS SDK calls them (``apikeys-result.json``): ``GET /user-api-keys?user_id=me``,
``POST /user-api-keys {description, expires_at_millis, user_id: "me"}`` (the answer carries the secret, once),
``PATCH /user-api-keys/<id>?user_id=<owner> {revoked: true}``. A project with user keys turned off answers a
plain-text 400: :class:`~flask_stackauth.errors.ApiKeysNotEnabled`; a v2.7 server has no such routes:
:class:`~flask_stackauth.errors.NotSupportedByServer`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .account_api import call
from .client import StackAuthClient
from .errors import ApiKeyNotFound, ApiKeysNotEnabled, StackAuthHTTPError
from .models import ApiKey
from .server import is_stack_id

PATH = "/api/v1/user-api-keys"
FEATURE = "user API keys"
MAX_DESCRIPTION = 200


def _call(client: StackAuthClient, method: str, path: str, access_token: str, **kwargs: Any) -> Any:
    try:
        return call(client, method, path, access_token=access_token, feature=FEATURE, **kwargs)
    except StackAuthHTTPError as exc:
        if exc.status == 400 and "API keys are not enabled" in exc.body:
            raise ApiKeysNotEnabled("user") from None
        raise


def expires_at_millis(value: datetime | int | None) -> int | None:
    """``expires_at`` as Stack's milliseconds (``None``: never expires)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("expires_at must be timezone-aware (e.g. datetime.now(timezone.utc) + ...)")
        return int(value.timestamp() * 1000)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("expires_at must be a datetime, milliseconds since the epoch, or None")
    return value


def list_keys(client: StackAuthClient, access_token: str) -> list[ApiKey]:
    """The user's keys (revoked and expired ones included), as Stack orders them."""
    answer = _call(client, "GET", PATH, access_token, params={"user_id": "me"})
    items = answer.get("items") if isinstance(answer, dict) else None
    return [ApiKey.from_json(item) for item in items or [] if isinstance(item, dict)]


def create_key(client: StackAuthClient, access_token: str, description: str,
               expires_at: datetime | int | None = None) -> ApiKey:
    """Create a key for the user; the answer's ``value`` is the secret, shown this once."""
    if not isinstance(description, str) or not description.strip() or len(description) > MAX_DESCRIPTION:
        raise ValueError(f"description must be 1 to {MAX_DESCRIPTION} characters")
    body = {"description": description.strip(), "expires_at_millis": expires_at_millis(expires_at), "user_id": "me"}
    return ApiKey.from_json(_call(client, "POST", PATH, access_token, json=body))


def revoke_key(client: StackAuthClient, access_token: str, key_id: str, user_id: str) -> ApiKey:
    """Revoke one of the user's keys (``user_id`` is the owner, the signed-in user).

    :raises ApiKeyNotFound: no such key.
    """
    if not is_stack_id(key_id):
        raise ApiKeyNotFound("API_KEY_NOT_FOUND", "API key not found.", None, 404)
    return ApiKey.from_json(_call(client, "PATCH", f"{PATH}/{key_id}", access_token, params={"user_id": user_id},
                                  json={"revoked": True}))
