"""The view decorators: ``login_required``, ``permission_required`` and ``team_permission_required``.

Each runs :func:`~flask_stackauth.auth.authenticate` before the view (``OPTIONS`` passes through, as in
Flask-Login); what a refusal looks like is decided in :mod:`flask_stackauth.responses`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, overload

from flask import current_app, request

from .api_key_auth import authenticate_api_key, carries_api_key, mark_view
from .auth import authenticate
from .errors import PermissionRequired
from .permissions import user_permissions
from .state import get_state
from .user import StackUser

F = TypeVar("F", bound=Callable[..., Any])
#: Methods that never need authentication (CORS preflights), as in Flask-Login.
EXEMPT_METHODS = frozenset({"OPTIONS"})

TeamArg = str | Callable[[], "str | None"]
USER_KEYS = frozenset({"user"})


@overload
def login_required(view: F) -> F: ...
@overload
def login_required(*, allow_anonymous: bool = False, allow_restricted: bool = False,
                   allow_api_key: bool = False) -> Callable[[F], F]: ...


def login_required(view: F | None = None, *, allow_anonymous: bool = False,
                   allow_restricted: bool = False, allow_api_key: bool = False) -> F | Callable[[F], F]:
    """Require a signed-in Stack Auth user before the view runs.

    Use as ``@login_required`` or ``@login_required(allow_anonymous=True)``. HTML requests without a user
    are redirected to the sign-in page with ``next``; API requests get a JSON 401 with
    ``WWW-Authenticate: Bearer``. Works on sync and async views; ``OPTIONS`` requests pass through.

    :param allow_anonymous: also accept Stack's anonymous users (and restricted ones).
    :param allow_restricted: also accept restricted users (for example, with an unverified email).
    :param allow_api_key: also accept a user API key (``X-Api-Key``, or ``Authorization: Bearer`` with a
        value shaped like a Stack API key); ``current_user`` is then the key's owner. Needs the secret server key.
    """

    def decorator(func: F) -> F:
        @wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if request.method not in EXEMPT_METHODS:
                if allow_api_key and carries_api_key(get_state()):
                    authenticate_api_key(USER_KEYS)
                else:
                    authenticate(allow_anonymous=allow_anonymous, allow_restricted=allow_restricted)
            return current_app.ensure_sync(func)(*args, **kwargs)

        if allow_api_key:
            mark_view(wrapper, USER_KEYS)
        return wrapper  # type: ignore[return-value]

    if view is not None:
        return decorator(view)
    return decorator


# -- permissions ------------------------------------------------------------------------------------------

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


# -- API keys ---------------------------------------------------------------------------------------------

@overload
def api_key_required(view: F) -> F: ...
@overload
def api_key_required(*, team: bool = False, allow_user: bool | None = None) -> Callable[[F], F]: ...


def api_key_required(view: F | None = None, *, team: bool = False,
                     allow_user: bool | None = None) -> F | Callable[[F], F]:
    """Require a Stack Auth API key (``Authorization: Bearer <key>`` or ``X-Api-Key: <key>``) before the view.

    ``@api_key_required`` takes user keys (``current_user`` is the key's owner); ``@api_key_required(team=True)``
    takes team keys (``current_user`` is anonymous; ``current_api_key.team_id`` names the team), and also user
    keys with ``allow_user=True``. The view sees the key as ``current_api_key``. Answers are JSON: 401 for no key
    or a refused one, 503 when Stack Auth cannot check it (or the project has API keys off). Checks are cached
    per key for ``STACK_API_KEY_CACHE_TTL`` seconds. Needs ``STACK_SECRET_SERVER_KEY``: without it the app fails
    at its first request.

    :param team: take team keys instead of user keys.
    :param allow_user: with ``team=True``, also take user keys (default: no; without ``team``: yes).
    """
    kinds = {"team"} if team else set()
    if allow_user if allow_user is not None else not team:
        kinds.add("user")
    if not kinds:
        raise ValueError("api_key_required(team=False, allow_user=False) would take no key at all")
    accepted = frozenset(kinds)

    def decorator(func: F) -> F:
        @wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if request.method not in EXEMPT_METHODS:
                authenticate_api_key(accepted)
            return current_app.ensure_sync(func)(*args, **kwargs)

        mark_view(wrapper, accepted)
        return wrapper  # type: ignore[return-value]

    if view is not None:
        return decorator(view)
    return decorator
