"""The exceptions raised by flask-stackauth (how they become HTTP answers: :mod:`flask_stackauth.responses`).

Every error a view can meet is a :class:`StackAuthError`. Stack Auth's known errors
(``x-stack-known-error`` header, body ``{code, error, details}``) become :class:`KnownError`
subclasses chosen by their code, so callers can ``except RefreshTokenError`` or
``except UserNotFound`` instead of comparing strings.
"""

from __future__ import annotations

from typing import Any, ClassVar


class StackAuthError(Exception):
    """Base class of every error raised by flask-stackauth.

    :attr:`http_status` is the status the app answers with when the error reaches a view
    unhandled; :attr:`code` is the machine-readable code put in JSON answers. Errors that carry
    Stack Auth's own answer keep its status apart, as :attr:`upstream_status`.
    """

    #: The status the app answers with (a class default; :class:`SignInError` sets its own).
    http_status: int = 500
    default_code: ClassVar[str] = "STACK_AUTH_ERROR"

    def __init__(self, message: str = "", *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code

    def __str__(self) -> str:
        return self.message


class StackAuthConfigError(StackAuthError):
    """The extension is misconfigured (missing project id, malformed URL, missing key, ...)."""

    default_code = "STACK_AUTH_CONFIG_ERROR"


class StackAuthUnavailable(StackAuthError):
    """Stack Auth could not be reached or answered garbage (timeout, connection error, 5xx, non-JSON)."""

    http_status = 503
    default_code = "STACK_AUTH_UNAVAILABLE"


class NotSupportedByServer(StackAuthError):
    """The Stack Auth server does not have this endpoint (older servers lack some)."""

    http_status = 501
    default_code = "NOT_SUPPORTED_BY_SERVER"


class StackAuthHTTPError(StackAuthError):
    """Stack Auth answered an error that is not a known error (plain text, OAuth JSON).

    :param status: the HTTP status Stack Auth answered with (:attr:`upstream_status`).
    """

    http_status = 502
    default_code = "STACK_AUTH_HTTP_ERROR"

    def __init__(self, message: str, *, status: int, body: str = "") -> None:
        super().__init__(message)
        #: The HTTP status Stack Auth answered with (not the app's answer: that is :attr:`http_status`).
        self.upstream_status = status
        self.body = body

    @property
    def status(self) -> int:
        """Same as :attr:`upstream_status` (the name of earlier releases)."""
        return self.upstream_status


class AuthenticationRequired(StackAuthError):
    """The view needs a signed-in user and the request has none."""

    http_status = 401
    default_code = "USER_AUTHENTICATION_REQUIRED"

    def __init__(self, message: str = "You must be signed in to do this.", *,
                 code: str | None = None, bearer_error: str | None = None) -> None:
        super().__init__(message, code=code)
        #: RFC 6750 ``error`` value for ``WWW-Authenticate`` (``invalid_token``), if any.
        self.bearer_error = bearer_error


class PermissionRequired(StackAuthError):
    """The signed-in user lacks a permission the view needs."""

    http_status = 403
    default_code = "PROJECT_PERMISSION_REQUIRED"

    def __init__(self, message: str, *, code: str | None = None, permission_id: str = "",
                 team_id: str | None = None) -> None:
        super().__init__(message, code=code)
        self.permission_id = permission_id
        self.team_id = team_id


class SignInError(StackAuthError):
    """A sign-in could not be completed (bad state, Stack Auth's error redirect, rejected code).

    :param http_status: the app's answer (default 400; 403 for a forged form, 502 for Stack Auth's fault).
    """

    http_status = 400
    default_code = "SIGN_IN_FAILED"

    def __init__(self, message: str, *, code: str | None = None, hints: list[str] | None = None,
                 http_status: int | None = None) -> None:
        super().__init__(message, code=code)
        self.hints = hints or []
        if http_status is not None:
            self.http_status = http_status


_REGISTRY: dict[str, type[KnownError]] = {}


class KnownError(StackAuthError):
    """A known error answered by Stack Auth.

    :param code: Stack's error code, e.g. ``REFRESH_TOKEN_NOT_FOUND_OR_EXPIRED``.
    :param message: Stack's human-readable message (the body's ``error`` key).
    :param details: Stack's ``details`` object, if any.
    :param status: the HTTP status Stack Auth answered with (:attr:`upstream_status`).
    """

    http_status = 502
    codes: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for code in cls.__dict__.get("codes", ()):
            # One class per code: a code listed twice would be decided by the order of this file.
            if code in _REGISTRY:
                raise TypeError(f"{code} is registered by both {_REGISTRY[code].__name__} and {cls.__name__}")
            _REGISTRY[code] = cls

    def __init__(self, code: str, message: str = "", details: Any = None, status: int = 400) -> None:
        super().__init__(message or code, code=code)
        self.details = details
        #: The HTTP status Stack Auth answered with (not the app's answer: that is :attr:`http_status`).
        self.upstream_status = status

    @property
    def status(self) -> int:
        """Same as :attr:`upstream_status` (the name design.md and earlier releases use)."""
        return self.upstream_status

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, upstream_status={self.upstream_status})"

    @staticmethod
    def from_response(code: str, message: str, details: Any, status: int) -> KnownError:
        """Build the subclass registered for ``code`` (plain :class:`KnownError` otherwise)."""
        return _REGISTRY.get(code, KnownError)(code, message, details, status)


# --- token families -------------------------------------------------------------------------------------

class RefreshTokenError(KnownError):
    """The refresh token is unknown, expired or revoked: the user is signed out."""

    http_status = 401
    codes: ClassVar[tuple[str, ...]] = (
        "REFRESH_TOKEN_ERROR", "PROVIDER_REJECTED")


class RefreshTokenNotFoundOrExpired(RefreshTokenError):
    """Stack's ``REFRESH_TOKEN_NOT_FOUND_OR_EXPIRED``."""

    codes: ClassVar[tuple[str, ...]] = ("REFRESH_TOKEN_NOT_FOUND_OR_EXPIRED",)


class InvalidAccessToken(KnownError):
    """The access token was rejected (Stack's ``INVALID_ACCESS_TOKEN`` family)."""

    http_status = 401
    codes: ClassVar[tuple[str, ...]] = ("INVALID_ACCESS_TOKEN",)


class AccessTokenExpired(InvalidAccessToken):
    """Stack's ``ACCESS_TOKEN_EXPIRED``."""

    codes: ClassVar[tuple[str, ...]] = ("ACCESS_TOKEN_EXPIRED",)


class UnparsableAccessToken(InvalidAccessToken):
    """Stack's ``UNPARSABLE_ACCESS_TOKEN``: not a token this project's keys signed."""

    codes: ClassVar[tuple[str, ...]] = ("UNPARSABLE_ACCESS_TOKEN",)


class InvalidProjectForAccessToken(InvalidAccessToken):
    """Stack's ``INVALID_PROJECT_FOR_ACCESS_TOKEN``: a token of another project."""

    codes: ClassVar[tuple[str, ...]] = ("INVALID_PROJECT_FOR_ACCESS_TOKEN",)


class AnonymousAuthenticationNotAllowed(InvalidAccessToken):
    """An anonymous user's token where the view does not allow anonymous users."""

    codes: ClassVar[tuple[str, ...]] = ("ANONYMOUS_AUTHENTICATION_NOT_ALLOWED",)


class RestrictedUserNotAllowed(InvalidAccessToken):
    """A restricted user's token where the view does not allow restricted users."""

    http_status = 403
    codes: ClassVar[tuple[str, ...]] = ("RESTRICTED_USER_NOT_ALLOWED",)


# --- OAuth and sign-in ----------------------------------------------------------------------------------

class InvalidAuthorizationCode(KnownError):
    """The authorization code is bad, used, expired, or its PKCE verifier does not match."""

    http_status = 400
    codes: ClassVar[tuple[str, ...]] = ("INVALID_AUTHORIZATION_CODE",)


class RedirectUrlNotWhitelisted(KnownError):
    """The callback URL's domain is not in the project's trusted domains."""

    http_status = 400
    codes: ClassVar[tuple[str, ...]] = ("REDIRECT_URL_NOT_WHITELISTED",)


class InvalidOAuthClientIdOrSecret(KnownError):
    """The project id or publishable key sent as OAuth client credentials is wrong."""

    codes: ClassVar[tuple[str, ...]] = ("INVALID_OAUTH_CLIENT_ID_OR_SECRET",)


class OAuthProviderError(KnownError):
    """Errors of the OAuth provider step (not enabled, access denied, unavailable)."""

    http_status = 400
    codes: ClassVar[tuple[str, ...]] = ("OAUTH_PROVIDER_TEMPORARILY_UNAVAILABLE", "INVALID_OAUTH_PROVIDER_ACCESS_TOKEN")


class OAuthProviderNotFoundOrNotEnabled(OAuthProviderError):
    """The provider is not enabled for this project."""

    codes: ClassVar[tuple[str, ...]] = ("OAUTH_PROVIDER_NOT_FOUND_OR_NOT_ENABLED",)


class OAuthProviderAccessDenied(OAuthProviderError):
    """The user cancelled at the provider."""

    codes: ClassVar[tuple[str, ...]] = ("OAUTH_PROVIDER_ACCESS_DENIED",)


class MultiFactorAuthenticationRequired(KnownError):
    """Sign-in needs a TOTP code; ``details['attempt_code']`` continues it."""

    http_status = 400
    codes: ClassVar[tuple[str, ...]] = ("MULTI_FACTOR_AUTHENTICATION_REQUIRED",)


# --- project credentials (a server misconfiguration, never the end user's fault) ---------------------------

class ProjectAuthenticationError(KnownError):
    """Stack Auth refused this app's own credentials (project id or keys)."""

    http_status = 502
    codes: ClassVar[tuple[str, ...]] = (
             "INVALID_PUBLISHABLE_CLIENT_KEY", "CURRENT_PROJECT_NOT_FOUND",
             "PUBLISHABLE_CLIENT_KEY_REQUIRED_FOR_PROJECT", "CLIENT_AUTHENTICATION_REQUIRED",
             "SERVER_AUTHENTICATION_REQUIRED", "ACCESS_TYPE_WITHOUT_PROJECT_ID",
             "PROJECT_KEY_WITHOUT_ACCESS_TYPE", "INVALID_SUPER_SECRET_ADMIN_KEY")


# --- users, teams, permissions ------------------------------------------------------------------------------

class UserNotFound(KnownError):
    """Stack's ``USER_NOT_FOUND`` (and ``USER_ID_DOES_NOT_EXIST``)."""

    http_status = 404
    codes: ClassVar[tuple[str, ...]] = ("USER_NOT_FOUND",)


class CannotGetOwnUserWithoutUser(KnownError):
    """``me`` was used without a signed-in user (or the user was deleted)."""

    http_status = 401
    codes: ClassVar[tuple[str, ...]] = ("CANNOT_GET_OWN_USER_WITHOUT_USER",)


class TeamNotFound(KnownError):
    """Stack's ``TEAM_NOT_FOUND``."""

    http_status = 404
    codes: ClassVar[tuple[str, ...]] = ("TEAM_NOT_FOUND",)


class TeamMembershipNotFound(KnownError):
    """Stack's ``TEAM_MEMBERSHIP_NOT_FOUND``."""

    http_status = 404
    codes: ClassVar[tuple[str, ...]] = ("TEAM_MEMBERSHIP_NOT_FOUND",)


class PermissionNotFound(KnownError):
    """Stack's ``PERMISSION_NOT_FOUND``, ``TEAM_PERMISSION_NOT_FOUND`` and ``WRONG_PERMISSION_SCOPE``."""

    http_status = 404
    codes: ClassVar[tuple[str, ...]] = ("PERMISSION_NOT_FOUND",)


class UserEmailAlreadyExists(KnownError):
    """Stack's ``USER_EMAIL_ALREADY_EXISTS``."""

    http_status = 409
    codes: ClassVar[tuple[str, ...]] = ("USER_EMAIL_ALREADY_EXISTS",)


class UserIdDoesNotExist(UserNotFound):
    """Stack's ``USER_ID_DOES_NOT_EXIST`` (creating a session for an unknown user)."""

    codes: ClassVar[tuple[str, ...]] = ("USER_ID_DOES_NOT_EXIST",)


class TeamMembershipAlreadyExists(KnownError):
    """Stack's ``TEAM_MEMBERSHIP_ALREADY_EXISTS``: the user is already in the team."""

    http_status = 409
    codes: ClassVar[tuple[str, ...]] = ("TEAM_MEMBERSHIP_ALREADY_EXISTS",)


class TeamPermissionNotFound(PermissionNotFound):
    """Stack's ``TEAM_PERMISSION_NOT_FOUND``: revoking a team permission the user does not hold."""

    codes: ClassVar[tuple[str, ...]] = ("TEAM_PERMISSION_NOT_FOUND",)


class WrongPermissionScope(PermissionNotFound):
    """Stack's ``WRONG_PERMISSION_SCOPE``: a team permission used as a project one, or the reverse."""

    codes: ClassVar[tuple[str, ...]] = ("WRONG_PERMISSION_SCOPE",)


class PermissionIdAlreadyExists(KnownError):
    """Stack's ``PERMISSION_ID_ALREADY_EXISTS`` (defining a permission twice)."""

    http_status = 409
    codes: ClassVar[tuple[str, ...]] = ("PERMISSION_ID_ALREADY_EXISTS",)


class ContainedPermissionNotFound(KnownError):
    """Stack's ``CONTAINED_PERMISSION_NOT_FOUND``."""

    http_status = 400
    codes: ClassVar[tuple[str, ...]] = ("CONTAINED_PERMISSION_NOT_FOUND",)


class TeamPermissionRequired(KnownError):
    """Stack's ``TEAM_PERMISSION_REQUIRED``: Stack refused a user's call for lack of a team permission."""

    http_status = 403
    codes: ClassVar[tuple[str, ...]] = ("TEAM_PERMISSION_REQUIRED",)


class ProjectPermissionRequired(KnownError):
    """Stack's ``PROJECT_PERMISSION_REQUIRED``."""

    http_status = 403
    codes: ClassVar[tuple[str, ...]] = ("PROJECT_PERMISSION_REQUIRED",)


class CannotDeleteCurrentSession(KnownError):
    """Stack's ``CANNOT_DELETE_CURRENT_SESSION``."""

    http_status = 400
    codes: ClassVar[tuple[str, ...]] = ("CANNOT_DELETE_CURRENT_SESSION",)


class InvalidSecretServerKey(ProjectAuthenticationError):
    """Stack's ``INVALID_SECRET_SERVER_KEY``: ``STACK_SECRET_SERVER_KEY`` is wrong for this project."""

    codes: ClassVar[tuple[str, ...]] = ("INVALID_SECRET_SERVER_KEY",)


class InsufficientAccessType(ProjectAuthenticationError):
    """Stack's ``INSUFFICIENT_ACCESS_TYPE``: the endpoint needs a stronger key (server or admin)."""

    codes: ClassVar[tuple[str, ...]] = ("INSUFFICIENT_ACCESS_TYPE",)


class SessionNotFound(StackAuthError):
    """A session id that is unknown or does not belong to the named user (Stack has no code for it)."""

    http_status = 404
    default_code = "SESSION_NOT_FOUND"


class SchemaError(KnownError):
    """Stack rejected the request's shape (``SCHEMA_ERROR``, ``BODY_PARSING_ERROR``)."""

    http_status = 400
    codes: ClassVar[tuple[str, ...]] = ("SCHEMA_ERROR", "BODY_PARSING_ERROR")


# --- account pages: password reset, email verification, contact channels, invitations ------------------------
# Named after Stack's codes (known-errors.tsx); the recordings in ../shared/stackauth-wire show when each comes.

class VerificationCodeError(KnownError):
    """A mailed code (password reset, email verification, team invitation) cannot be used.

    Stack's ``VERIFICATION_ERROR`` family; catch this to say "this link is no longer valid, send a new one".
    """

    http_status = 400


class VerificationCodeNotFound(VerificationCodeError):
    """Stack's ``VERIFICATION_CODE_NOT_FOUND``: unknown code, a code of another kind, or a revoked invitation."""

    http_status = 404
    codes: ClassVar[tuple[str, ...]] = ("VERIFICATION_CODE_NOT_FOUND",)


class VerificationCodeExpired(VerificationCodeError):
    """Stack's ``VERIFICATION_CODE_EXPIRED``."""

    codes: ClassVar[tuple[str, ...]] = ("VERIFICATION_CODE_EXPIRED",)


class VerificationCodeAlreadyUsed(VerificationCodeError):
    """Stack's ``VERIFICATION_CODE_ALREADY_USED``; a failed reset or accept uses its code too."""

    http_status = 409
    codes: ClassVar[tuple[str, ...]] = ("VERIFICATION_CODE_ALREADY_USED",)


class VerificationCodeMaxAttemptsReached(VerificationCodeError):
    """Stack's ``VERIFICATION_CODE_MAX_ATTEMPTS_REACHED``: too many wrong guesses at this code."""

    codes: ClassVar[tuple[str, ...]] = ("VERIFICATION_CODE_MAX_ATTEMPTS_REACHED",)


class PasswordRequirementsNotMet(KnownError):
    """Stack refused a new password (``PASSWORD_TOO_SHORT``, ``PASSWORD_TOO_LONG``); :attr:`details` has the limit."""

    http_status = 400
    codes: ClassVar[tuple[str, ...]] = ("PASSWORD_REQUIREMENTS_NOT_MET",)


class PasswordTooShort(PasswordRequirementsNotMet):
    """Stack's ``PASSWORD_TOO_SHORT`` (``details["min_length"]``)."""

    codes: ClassVar[tuple[str, ...]] = ("PASSWORD_TOO_SHORT",)


class PasswordTooLong(PasswordRequirementsNotMet):
    """Stack's ``PASSWORD_TOO_LONG``."""

    codes: ClassVar[tuple[str, ...]] = ("PASSWORD_TOO_LONG",)


class PasswordConfirmationMismatch(KnownError):
    """Stack's ``PASSWORD_CONFIRMATION_MISMATCH``: the old password given to a change is wrong."""

    http_status = 400
    codes: ClassVar[tuple[str, ...]] = ("PASSWORD_CONFIRMATION_MISMATCH",)


class UserDoesNotHavePassword(KnownError):
    """Stack's ``USER_DOES_NOT_HAVE_PASSWORD``: change refused; the user should *set* a password instead."""

    http_status = 400
    codes: ClassVar[tuple[str, ...]] = ("USER_DOES_NOT_HAVE_PASSWORD",)


class PasswordAuthenticationNotEnabled(KnownError):
    """Stack's ``PASSWORD_AUTHENTICATION_NOT_ENABLED``: the project has password sign-in turned off."""

    http_status = 400
    codes: ClassVar[tuple[str, ...]] = ("PASSWORD_AUTHENTICATION_NOT_ENABLED",)


class EmailAlreadyVerified(KnownError):
    """Stack's ``EMAIL_ALREADY_VERIFIED``."""

    http_status = 409
    codes: ClassVar[tuple[str, ...]] = ("EMAIL_ALREADY_VERIFIED",)


class EmailIsNotPrimaryEmail(KnownError):
    """Stack's ``EMAIL_IS_NOT_PRIMARY_EMAIL``."""

    http_status = 400
    codes: ClassVar[tuple[str, ...]] = ("EMAIL_IS_NOT_PRIMARY_EMAIL",)


class ContactChannelAlreadyUsedForAuthBySomeoneElse(KnownError):
    """Stack's ``CONTACT_CHANNEL_ALREADY_USED_FOR_AUTH_BY_SOMEONE_ELSE``: another account signs in with it."""

    http_status = 409
    codes: ClassVar[tuple[str, ...]] = ("CONTACT_CHANNEL_ALREADY_USED_FOR_AUTH_BY_SOMEONE_ELSE",)


class UserAuthenticationRequired(KnownError):
    """Stack's ``USER_AUTHENTICATION_REQUIRED``: the call needs a user's access token."""

    http_status = 401
    codes: ClassVar[tuple[str, ...]] = ("USER_AUTHENTICATION_REQUIRED",)


class TeamInvitationRestrictedUserNotAllowed(KnownError):
    """Stack's ``TEAM_INVITATION_RESTRICTED_USER_NOT_ALLOWED``: finish onboarding (verify the email) first."""

    http_status = 403
    codes: ClassVar[tuple[str, ...]] = ("TEAM_INVITATION_RESTRICTED_USER_NOT_ALLOWED",)


class ItemQuantityInsufficientAmount(KnownError):
    """Stack's ``ITEM_QUANTITY_INSUFFICIENT_AMOUNT``: on v2.8's ``internal`` project, the team has no free seat."""

    http_status = 400
    codes: ClassVar[tuple[str, ...]] = ("ITEM_QUANTITY_INSUFFICIENT_AMOUNT",)


class ContactChannelNotFound(StackAuthError):
    """No such contact channel for this user (Stack answers plain text, 400 or 404, without a code)."""

    http_status = 404
    default_code = "CONTACT_CHANNEL_NOT_FOUND"


class TeamInvitationNotFound(StackAuthError):
    """No such pending invitation in this team."""

    http_status = 404
    default_code = "TEAM_INVITATION_NOT_FOUND"


class PasswordAlreadySet(StackAuthError):
    """``password/set`` for a user who has a password (plain-text 400): change it with the old one instead."""

    http_status = 400
    default_code = "PASSWORD_ALREADY_SET"


class FeatureNotEnabled(StackAuthError):
    """The project's configuration turns this feature off (client user deletion, client team creation ...).

    Stack answers plain text (400 or 403) without a code; the config flag is in ``GET /projects/current``.
    """

    http_status = 403
    default_code = "FEATURE_NOT_ENABLED"


class ContactChannelAlreadyExists(StackAuthError):
    """The user already has a contact channel with this value (plain-text 400)."""

    http_status = 400
    default_code = "CONTACT_CHANNEL_ALREADY_EXISTS"


class TotpUnavailable(StackAuthError):
    """Two-factor enrolment needs the ``totp`` extra (``pip install 'flask-stackauth[totp]'``)."""

    http_status = 501
    default_code = "TOTP_NOT_INSTALLED"


class InvalidTotpCode(StackAuthError):
    """The code typed while turning two-factor sign-in on is not the current code of the new secret."""

    http_status = 400
    default_code = "INVALID_TOTP_CODE"
# --- API keys and connected accounts (appended) --------------------------------------------------------------

class ApiKeysNotEnabled(StackAuthConfigError):
    """The project has this kind of API key turned off (Stack answers a plain-text 400, no error code).

    :attr:`kind` is ``"user"`` or ``"team"``.
    """

    default_code = "API_KEYS_NOT_ENABLED"

    def __init__(self, kind: str) -> None:
        super().__init__(
            f"{kind.capitalize()} API keys are turned off for this Stack Auth project. Turn them on in the Stack "
            f"Auth dashboard (project settings, API keys: allow {kind} API keys), or stop using {kind} API keys.")
        self.kind = kind


class InvalidApiKey(KnownError):
    """An API key Stack Auth does not accept (unknown, revoked or expired)."""

    http_status = 401


class ApiKeyNotFound(InvalidApiKey):
    """``API_KEY_NOT_FOUND``: no such key (also for malformed keys, and for team keys a client may not see)."""

    codes: ClassVar[tuple[str, ...]] = ("API_KEY_NOT_FOUND",)


class ApiKeyRevoked(InvalidApiKey):
    """``API_KEY_REVOKED``: the key was revoked."""

    codes: ClassVar[tuple[str, ...]] = ("API_KEY_REVOKED",)


class ApiKeyExpired(InvalidApiKey):
    """``API_KEY_EXPIRED``: the key has expired."""

    codes: ClassVar[tuple[str, ...]] = ("API_KEY_EXPIRED",)


class WrongApiKeyType(InvalidApiKey):
    """``WRONG_API_KEY_TYPE``: a team key where a user key was expected, or the reverse.

    ``details`` holds ``expected_type`` and ``actual_type``.
    """

    codes: ClassVar[tuple[str, ...]] = ("WRONG_API_KEY_TYPE",)


class ConnectedAccountError(KnownError):
    """A provider access token could not be had; :attr:`provider` and :attr:`scopes` say for what."""

    http_status = 403
    provider: str | None = None
    scopes: tuple[str, ...] = ()


class OAuthConnectionNotConnectedToUser(ConnectedAccountError):
    """``OAUTH_CONNECTION_NOT_CONNECTED_TO_USER``: the user never connected this provider (or this account)."""

    codes: ClassVar[tuple[str, ...]] = ("OAUTH_CONNECTION_NOT_CONNECTED_TO_USER",)


class OAuthConnectionDoesNotHaveRequiredScope(ConnectedAccountError):
    """``OAUTH_CONNECTION_DOES_NOT_HAVE_REQUIRED_SCOPE``: connected, but not with every scope asked for."""

    codes: ClassVar[tuple[str, ...]] = ("OAUTH_CONNECTION_DOES_NOT_HAVE_REQUIRED_SCOPE",)


class OAuthAccessTokenNotAvailableWithSharedOAuthKeys(ConnectedAccountError):
    """``OAUTH_ACCESS_TOKEN_NOT_AVAILABLE_WITH_SHARED_OAUTH_KEYS``: the provider uses Stack's shared keys."""

    http_status = 501
    codes: ClassVar[tuple[str, ...]] = ("OAUTH_ACCESS_TOKEN_NOT_AVAILABLE_WITH_SHARED_OAUTH_KEYS",
                                        "OAUTH_EXTRA_SCOPE_NOT_AVAILABLE_WITH_SHARED_OAUTH_KEYS")


#: Plain-text answers (no known-error code) and the error each becomes.
_PLAIN: tuple[tuple[str, type[StackAuthError]], ...] = (
    ("Contact channel not found", ContactChannelNotFound),
    ("Contact channel already exists", ContactChannelAlreadyExists),
    ("User already has a password set", PasswordAlreadySet),
    ("Client user deletion is not enabled", FeatureNotEnabled),
    ("Client team creation is disabled", FeatureNotEnabled),
    ("Team invitation not found", TeamInvitationNotFound),
    ("Session not found", SessionNotFound),
)


def typed_plain_error(exc: StackAuthHTTPError) -> StackAuthError | None:
    """The typed error for one of Stack's plain-text answers, or ``None`` when it is not one of them."""
    for prefix, cls in _PLAIN:
        if exc.body.startswith(prefix):
            return cls(exc.body[:300])
    return None


class InvalidWebhook(StackAuthError):
    """A webhook delivery that does not verify: a missing header, a bad signature, a stale timestamp, a body
    that is not an event. The receiver answers 400 with :attr:`message` as the reason."""

    http_status = 400
    default_code = "INVALID_WEBHOOK"


class TooManySignInAttempts(StackAuthError):
    """Too many failed sign-in attempts (or emailed codes) for an email or a client address: try again later.

    :param retry_after: seconds until the next attempt is accepted (sent as ``Retry-After``).
    """

    http_status = 429
    default_code = "TOO_MANY_SIGN_IN_ATTEMPTS"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


# --- API key authentication (appended) ----------------------------------------------------------------------

class ApiKeyRequired(AuthenticationRequired):
    """A view for API keys got none, or one Stack refuses (401; always answered as JSON, never a redirect)."""

    default_code = "API_KEY_REQUIRED"


class ApiKeysUnavailable(StackAuthError):
    """API keys cannot be checked for this app at all: the project has them turned off, or the server is older
    than v2.8. A 503 whose message tells the developer what to change (logged once per app, not per request)."""

    http_status = 503
    default_code = "API_KEYS_UNAVAILABLE"
