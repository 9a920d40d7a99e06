"""Permission checks in views: ``@permission_required``, ``@team_permission_required`` and their cache.

Checks ask Stack Auth with the signed-in user's own token (``user_id=me``), so they work without the
secret server key. Answers are cached per user in this process for ``STACK_PERMISSION_CACHE_TTL``
seconds (default 5), so a hot view does not call Stack Auth on every request; a user's entries are
dropped when they sign out here, and when the server API changes their permissions or memberships.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, current_app, request

from .decorators import EXEMPT_METHODS, authenticate
from .errors import PermissionRequired
from .server import call_stack, is_stack_id
from .signals import user_signed_out
from .user import StackUser

F = TypeVar("F", bound=Callable[..., Any])
EXTENSION_KEY = "stackauth_permission_cache"
#: Cached answers kept per user (one per team, plus the project's).
MAX_ENTRIES_PER_USER = 64

TeamArg = str | Callable[[], "str | None"]


class PermissionCache:
    """Permission ids per (user, team or project), each with an expiry; bounded, thread-safe."""

    def __init__(self, max_users: int = 10_000) -> None:
        self._users: OrderedDict[str, dict[str | None, tuple[float, frozenset[str]]]] = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_users

    def get(self, user_id: str, team_id: str | None) -> frozenset[str] | None:
        """The cached ids, or ``None`` when absent or expired."""
        with self._lock:
            entry = self._users.get(user_id, {}).get(team_id)
        if entry is None or entry[0] <= time.monotonic():
            return None
        return entry[1]

    def put(self, user_id: str, team_id: str | None, ids: frozenset[str], ttl: float) -> None:
        """Remember ``ids`` for ``ttl`` seconds (nothing is kept when ``ttl`` is 0)."""
        if ttl <= 0:
            return
        with self._lock:
            entries = self._users.setdefault(user_id, {})
            now = time.monotonic()
            if len(entries) >= MAX_ENTRIES_PER_USER:
                # A user asking about many teams (or made-up team ids) must not grow one entry without bound.
                for key in [k for k, (expires, _) in entries.items() if expires <= now]:
                    del entries[key]
                while len(entries) >= MAX_ENTRIES_PER_USER:
                    del entries[min(entries, key=lambda k: entries[k][0])]
            entries[team_id] = (now + ttl, ids)
            self._users.move_to_end(user_id)
            while len(self._users) > self._max:
                self._users.popitem(last=False)

    def forget(self, user_id: str | None) -> None:
        """Drop everything cached for ``user_id``."""
        if user_id is None:
            return
        with self._lock:
            self._users.pop(user_id, None)

    def clear(self) -> None:
        """Drop everything."""
        with self._lock:
            self._users.clear()


def permission_cache(app: Flask | None = None) -> PermissionCache:
    """The permission cache of ``app`` (default: the current app)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    cache = app.extensions.get(EXTENSION_KEY)
    if cache is None:
        # ``setdefault`` is atomic, so two threads racing here end up sharing one cache.
        cache = app.extensions.setdefault(EXTENSION_KEY, PermissionCache())
    return cache  # type: ignore[no-any-return]


def _on_signed_out(sender: Any, user_id: str | None = None, **_: Any) -> None:
    if isinstance(sender, Flask):
        permission_cache(sender).forget(user_id)


user_signed_out.connect(_on_signed_out, weak=False)


def user_permissions(user: StackUser, team_id: str | None = None) -> frozenset[str]:
    """The permission ids ``user`` holds (recursively) in ``team_id``, or project-wide when ``None``.

    Asked with the user's own token and cached per user for ``STACK_PERMISSION_CACHE_TTL`` seconds.

    :raises NotSupportedByServer: project permissions on an older server (v2.7).
    """
    from .extension import get_state

    if team_id is not None and not is_stack_id(team_id):
        return frozenset()  # no one holds permissions in a team that cannot exist
    cache = permission_cache()
    cached = cache.get(user.id, team_id)
    if cached is not None:
        return cached
    state = get_state()
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


def _require(user: StackUser, permission_id: str, team_id: str | None) -> None:
    if team_id is None:
        if permission_id not in user_permissions(user):
            raise PermissionRequired(f"You need the permission {permission_id!r} to do this.",
                                     code="PROJECT_PERMISSION_REQUIRED", permission_id=permission_id)
        return
    if permission_id not in user_permissions(user, team_id):
        raise PermissionRequired(f"You need the permission {permission_id!r} in this team to do this.",
                                 code="TEAM_PERMISSION_REQUIRED", permission_id=permission_id, team_id=team_id)


def _protect(check: Callable[[StackUser, dict[str, Any]], None]) -> Callable[[F], F]:
    def decorator(func: F) -> F:
        @wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if request.method not in EXEMPT_METHODS:
                check(authenticate(), kwargs)
            return current_app.ensure_sync(func)(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


def permission_required(permission_id: str) -> Callable[[F], F]:
    """Require a signed-in user holding the project permission ``permission_id``.

    Implies ``login_required``. A user without it gets 403 (HTML page, or JSON with ``code``
    ``PROJECT_PERMISSION_REQUIRED`` for API requests).
    """

    def check(user: StackUser, view_args: dict[str, Any]) -> None:
        _require(user, permission_id, None)

    return _protect(check)


def team_permission_required(permission_id: str, team: TeamArg = "team_id") -> Callable[[F], F]:
    """Require a signed-in user holding the team permission ``permission_id`` in a team.

    :param team: the name of the view argument carrying the team id (default ``team_id``), or a
        callable taking no arguments that returns it (it may read ``request`` or ``current_user``,
        e.g. ``lambda: current_user.selected_team_id``).

    Implies ``login_required``. A user without the permission, or a request naming no team, gets 403
    (``code`` ``TEAM_PERMISSION_REQUIRED``).
    """
    if not callable(team) and not isinstance(team, str):
        raise TypeError("team must be a view argument name or a callable returning the team id")

    def check(user: StackUser, view_args: dict[str, Any]) -> None:
        team_id = team() if callable(team) else view_args.get(team)
        if not isinstance(team_id, str) or not team_id:
            raise PermissionRequired(f"You need the permission {permission_id!r} in a team, and no team "
                                     "was selected.", code="TEAM_PERMISSION_REQUIRED",
                                     permission_id=permission_id)
        _require(user, permission_id, team_id)

    return _protect(check)
