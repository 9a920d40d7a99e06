"""flask-stackauth: sign users in to Flask apps through Stack Auth.

Public names::

    from flask_stackauth import StackAuth, login_required, current_user
"""

from __future__ import annotations

from ._version import __version__
from .api_key_auth import current_api_key
from .auth import current_user
from .decorators import api_key_required, login_required, permission_required, team_permission_required
from .errors import (
    AuthenticationRequired,
    InvalidAccessToken,
    InvalidWebhook,
    KnownError,
    NotSupportedByServer,
    OAuthAccessTokenNotAvailableWithSharedOAuthKeys,
    OAuthConnectionDoesNotHaveRequiredScope,
    OAuthConnectionNotConnectedToUser,
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
from .models import ConnectedAccount, ServerUser, Session, Team, TokenPair
from .signals import (
    refresh_failed,
    sign_out_incomplete,
    token_refreshed,
    user_signed_in,
    user_signed_out,
    webhook_received,
)
from .tokens import TokenSet
from .user import StackUser
from .webhook_events import (
    DeletedTeam,
    DeletedUser,
    PermissionGrant,
    ProjectPermissionCreated,
    ProjectPermissionDeleted,
    TeamCreated,
    TeamDeleted,
    TeamMembership,
    TeamMembershipCreated,
    TeamMembershipDeleted,
    TeamPermissionCreated,
    TeamPermissionDeleted,
    TeamUpdated,
    UserCreated,
    UserDeleted,
    UserUpdated,
    WebhookEvent,
)

__all__ = [
    "AuthenticationRequired",
    "ConnectedAccount",
    "DeletedTeam",
    "DeletedUser",
    "InvalidAccessToken",
    "InvalidWebhook",
    "KnownError",
    "NotSupportedByServer",
    "OAuthAccessTokenNotAvailableWithSharedOAuthKeys",
    "OAuthConnectionDoesNotHaveRequiredScope",
    "OAuthConnectionNotConnectedToUser",
    "PermissionGrant",
    "PermissionNotFound",
    "PermissionRequired",
    "ProjectPermissionCreated",
    "ProjectPermissionDeleted",
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
    "TeamCreated",
    "TeamDeleted",
    "TeamMembership",
    "TeamMembershipCreated",
    "TeamMembershipDeleted",
    "TeamMembershipNotFound",
    "TeamNotFound",
    "TeamPermissionCreated",
    "TeamPermissionDeleted",
    "TeamUpdated",
    "TokenPair",
    "TokenSet",
    "TooManySignInAttempts",
    "UserCreated",
    "UserDeleted",
    "UserNotFound",
    "UserUpdated",
    "WebhookEvent",
    "__version__",
    "api_key_required",
    "current_api_key",
    "current_user",
    "login_required",
    "permission_required",
    "refresh_failed",
    "sign_out_incomplete",
    "team_permission_required",
    "token_refreshed",
    "user_signed_in",
    "user_signed_out",
    "webhook_received",
]
