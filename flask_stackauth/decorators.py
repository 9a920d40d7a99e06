"""The view decorators: ``login_required``, ``permission_required`` and ``team_permission_required``.

Each runs :func:`~flask_stackauth.auth.authenticate` before the view (``OPTIONS`` passes through, as in
Flask-Login); what a refusal looks like is decided in :mod:`flask_stackauth.responses`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, overload

from flask import current_app, request

from .auth import authenticate
from .errors import PermissionRequired
from .permissions import user_permissions
from .user import StackUser

F = TypeVar("F", bound=Callable[..., Any])
#: Methods that never need authentication (CORS preflights), as in Flask-Login.
EXEMPT_METHODS = frozenset({"OPTIONS"})

TeamArg = str | Callable[[], "str | None"]


@overload
def login_required(view: F) -> F: ...
@overload
def login_required(*, allow_anonymous: bool = False, allow_restricted: bool = False) -> Callable[[F], F]: ...


def login_required(view: F | None = None, *, allow_anonymous: bool = False,
                   allow_restricted: bool = False) -> F | Callable[[F], F]:
    """Require a signed-in Stack Auth user before the view runs.

    Use as ``@login_required`` or ``@login_required(allow_anonymous=True)``. HTML requests without a user
    are redirected to the sign-in page with ``next``; API requests get a JSON 401 with
    ``WWW-Authenticate: Bearer``. Works on sync and async views; ``OPTIONS`` requests pass through.

    :param allow_anonymous: also accept Stack's anonymous users (and restricted ones).
    :param allow_restricted: also accept restricted users (for example, with an unverified email).
    """

    def decorator(func: F) -> F:
        @wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if request.method not in EXEMPT_METHODS:
                authenticate(allow_anonymous=allow_anonymous, allow_restricted=allow_restricted)
            return current_app.ensure_sync(func)(*args, **kwargs)

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
