"""flask-stackauth: sign users in to Flask apps through Stack Auth.

Public names::

    from flask_stackauth import StackAuth, login_required, current_user
"""

from __future__ import annotations

__version__ = "0.1.0"

from .decorators import login_required
from .errors import (
    AuthenticationRequired,
    InvalidAccessToken,
    KnownError,
    NotSupportedByServer,
    RefreshTokenError,
    StackAuthConfigError,
    StackAuthError,
    StackAuthUnavailable,
)
from .extension import StackAuth
from .signals import refresh_failed, token_refreshed, user_signed_in, user_signed_out
from .tokens import TokenSet
from .user import StackUser, current_user

__all__ = [
    "AuthenticationRequired",
    "InvalidAccessToken",
    "KnownError",
    "NotSupportedByServer",
    "RefreshTokenError",
    "StackAuth",
    "StackAuthConfigError",
    "StackAuthError",
    "StackAuthUnavailable",
    "StackUser",
    "TokenSet",
    "__version__",
    "current_user",
    "login_required",
    "refresh_failed",
    "token_refreshed",
    "user_signed_in",
    "user_signed_out",
]
