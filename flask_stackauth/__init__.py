"""flask-stackauth: sign users in to Flask apps through Stack Auth.

Public names::

    from flask_stackauth import StackAuth, login_required, current_user
"""

from __future__ import annotations

from ._version import __version__
from .auth import current_user
from .decorators import login_required, permission_required, team_permission_required
from .errors import (
    AuthenticationRequired,
    InvalidAccessToken,
    KnownError,
    NotSupportedByServer,
    PermissionNotFound,
    PermissionRequired,
    RefreshTokenError,
    SessionNotFound,
    StackAuthConfigError,
    StackAuthError,
    StackAuthUnavailable,
    TeamMembershipNotFound,
    TeamNotFound,
    TooManySignInAttempts,
    UserNotFound,
)
from .extension import StackAuth
from .models import ServerUser, Session, Team, TokenPair
from .signals import refresh_failed, sign_out_incomplete, token_refreshed, user_signed_in, user_signed_out
from .tokens import TokenSet
from .user import StackUser

__all__ = [
    "AuthenticationRequired",
    "InvalidAccessToken",
    "KnownError",
    "NotSupportedByServer",
    "PermissionNotFound",
    "PermissionRequired",
    "RefreshTokenError",
    "ServerUser",
    "Session",
    "SessionNotFound",
    "StackAuth",
    "StackAuthConfigError",
    "StackAuthError",
    "StackAuthUnavailable",
    "StackUser",
    "Team",
    "TeamMembershipNotFound",
    "TeamNotFound",
    "TokenPair",
    "TokenSet",
    "TooManySignInAttempts",
    "UserNotFound",
    "__version__",
    "current_user",
    "login_required",
    "permission_required",
    "refresh_failed",
    "sign_out_incomplete",
    "team_permission_required",
    "token_refreshed",
    "user_signed_in",
    "user_signed_out",
]
