"""Which permissions a signed-in user holds, asked with the user's own token and cached.

Checks ask Stack Auth with the signed-in user's own token (``user_id=me``), so they work without the
secret server key. Answers are cached per user in this process for ``STACK_PERMISSION_CACHE_TTL``
seconds (default 5), so a hot view does not call Stack Auth on every request; a user's entries are
dropped when they sign out here, and when the server API changes their permissions or memberships.
The decorators that use this are in :mod:`flask_stackauth.decorators`.
"""

from __future__ import annotations

from typing import Any, Protocol

from flask import Flask

from .server import call_stack, is_stack_id
from .state import get_state


class PermissionHolder(Protocol):
    """A signed-in user as far as permission checks go (a :class:`~flask_stackauth.user.StackUser`)."""

    @property
    def id(self) -> str:
        """The user's id."""

    @property
    def access_token(self) -> str:
        """The user's verified access token."""


def user_permissions(user: PermissionHolder, team_id: str | None = None) -> frozenset[str]:
    """The permission ids ``user`` holds (recursively) in ``team_id``, or project-wide when ``None``.

    Asked with the user's own token and cached per user for ``STACK_PERMISSION_CACHE_TTL`` seconds.

    :raises NotSupportedByServer: project permissions on an older server (v2.7).
    """
    if team_id is not None and not is_stack_id(team_id):
        return frozenset()  # no one holds permissions in a team that cannot exist
    state = get_state()
    cache = state.permissions
    cached = cache.get(user.id, team_id)
    if cached is not None:
        return cached
    params: dict[str, str] = {"user_id": "me", "recursive": "true"}
    if team_id is None:
        path, feature = "/api/v1/project-permissions", "project permissions"
    else:
        path, feature, params["team_id"] = "/api/v1/team-permissions", "team permissions", team_id
    answer = call_stack(state.client, "GET", path, access_type="client", access_token=user.access_token,
                        params=params, feature=feature)
    items = answer.get("items") if isinstance(answer, dict) else None
    ids = frozenset(item["id"] for item in items or []
                    if isinstance(item, dict) and isinstance(item.get("id"), str))
    cache.put(user.id, team_id, ids, state.settings.permission_cache_ttl)
    return ids


def forget_on_sign_out(sender: Any, user_id: str | None = None, **_: Any) -> None:
    """``user_signed_out`` receiver (connected per app by ``init_app``): drop the user's cached answers."""
    if isinstance(sender, Flask):
        get_state(sender).permissions.forget(user_id)
