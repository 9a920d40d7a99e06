"""Known errors and plain status errors, answered the way Stack Auth does.

A :class:`KnownError` becomes a JSON body ``{"code", "details"?, "error"}`` with the
``x-stack-known-error`` header; a :class:`StatusError` becomes a ``text/plain`` body.
Messages are copied verbatim from Stack Auth's ``known-errors.tsx`` (v2.8.86), with the
v2.7.16 variants where the recordings show a difference (``legacy=True``).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from flask import Response

JSON_CONTENT_TYPE = "application/json; charset=utf-8"
TEXT_CONTENT_TYPE = "text/plain; charset=utf-8"


class KnownError(Exception):
    """A Stack Auth known error: HTTP status, error code, message and optional details."""

    def __init__(self, status: int, code: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details

    def body(self) -> dict[str, Any]:
        """Return the JSON body as the real server builds it (code, details, error)."""
        out: dict[str, Any] = {"code": self.code}
        if self.details is not None:
            out["details"] = self.details
        out["error"] = self.message
        return out

    def to_response(self) -> Response:
        """Return a Flask response carrying this error."""
        resp = Response(json.dumps(self.body()), status=self.status, content_type=JSON_CONTENT_TYPE)
        resp.headers["x-stack-known-error"] = self.code
        return resp


class StatusError(Exception):
    """A plain HTTP error with a ``text/plain`` body (Stack's ``StatusError``)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    def to_response(self) -> Response:
        """Return a Flask response carrying this error."""
        return Response(self.message, status=self.status, content_type=TEXT_CONTENT_TYPE)


class OAuthProtocolError(Exception):
    """An OAuth library error answered as ``{"error", "error_description"}`` JSON."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description

    def to_response(self) -> Response:
        """Return a Flask response carrying this error."""
        body = {"error": self.error, "error_description": self.description}
        return Response(json.dumps(body), status=self.status, content_type=JSON_CONTENT_TYPE)


def _iso(ts: float) -> str:
    dt = datetime.fromtimestamp(ts, tz=timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


# --- constructors, one per known error code -------------------------------------------------


def schema_error(method: str, path: str, problems: list[str]) -> KnownError:
    """``SCHEMA_ERROR`` listing each problem like yup does."""
    message = f"Request validation failed on {method} {path}:\n" + "\n".join(f"  - {p}" for p in problems)
    return KnownError(400, "SCHEMA_ERROR", message, {"message": message})


def body_parsing_error(message: str) -> KnownError:
    """``BODY_PARSING_ERROR``."""
    return KnownError(400, "BODY_PARSING_ERROR", message)


def project_key_without_access_type() -> KnownError:
    """``PROJECT_KEY_WITHOUT_ACCESS_TYPE``."""
    return KnownError(
        400,
        "PROJECT_KEY_WITHOUT_ACCESS_TYPE",
        "Either an API key or an admin access token was provided, but the x-stack-access-type header is missing."
        " Set it to 'client', 'server', or 'admin' as appropriate.",
    )


def invalid_access_type(access_type: str) -> KnownError:
    """``INVALID_ACCESS_TYPE``."""
    return KnownError(
        400,
        "INVALID_ACCESS_TYPE",
        f"The x-stack-access-type header must be 'client', 'server', or 'admin', but was '{access_type}'.",
    )


def access_type_without_project_id(access_type: str) -> KnownError:
    """``ACCESS_TYPE_WITHOUT_PROJECT_ID``."""
    return KnownError(
        400,
        "ACCESS_TYPE_WITHOUT_PROJECT_ID",
        f"The x-stack-access-type header was '{access_type}', but the x-stack-project-id header was not provided.\n\n"
        "For more information, see the docs on REST API authentication:"
        " https://docs.stack-auth.com/rest-api/overview#authentication",
        {"request_type": access_type},
    )


def access_type_required() -> KnownError:
    """``ACCESS_TYPE_REQUIRED``."""
    return KnownError(
        400,
        "ACCESS_TYPE_REQUIRED",
        "You must specify an access level for this Stack project. Make sure project API keys are provided"
        " (eg. x-stack-publishable-client-key) and you set the x-stack-access-type header to 'client', 'server',"
        " or 'admin'.\n\nFor more information, see the docs on REST API authentication:"
        " https://docs.stack-auth.com/rest-api/overview#authentication",
    )


def insufficient_access_type(actual: str, allowed: list[str]) -> KnownError:
    """``INSUFFICIENT_ACCESS_TYPE`` (401)."""
    allowed_txt = " or ".join(f"'{a}'" for a in allowed)
    return KnownError(
        401,
        "INSUFFICIENT_ACCESS_TYPE",
        f"The x-stack-access-type header must be {allowed_txt}, but was '{actual}'.",
        {"actual_access_type": actual, "allowed_access_types": allowed},
    )


def invalid_publishable_client_key(project_id: str) -> KnownError:
    """``INVALID_PUBLISHABLE_CLIENT_KEY`` (401)."""
    return KnownError(
        401,
        "INVALID_PUBLISHABLE_CLIENT_KEY",
        f"The publishable key is not valid for the project {json.dumps(project_id)}."
        " Does the project and/or the key exist?",
        {"project_id": project_id},
    )


def invalid_secret_server_key(project_id: str) -> KnownError:
    """``INVALID_SECRET_SERVER_KEY`` (401)."""
    return KnownError(
        401,
        "INVALID_SECRET_SERVER_KEY",
        f"The secret server key is not valid for the project {json.dumps(project_id)}."
        " Does the project and/or the key exist?",
        {"project_id": project_id},
    )


def invalid_super_secret_admin_key(project_id: str) -> KnownError:
    """``INVALID_SUPER_SECRET_ADMIN_KEY`` (401)."""
    return KnownError(
        401,
        "INVALID_SUPER_SECRET_ADMIN_KEY",
        f"The super secret admin key is not valid for the project {json.dumps(project_id)}."
        " Does the project and/or the key exist?",
        {"project_id": project_id},
    )


def client_authentication_required() -> KnownError:
    """``CLIENT_AUTHENTICATION_REQUIRED`` (v2.7: missing publishable key)."""
    return KnownError(401, "CLIENT_AUTHENTICATION_REQUIRED", "The publishable client key must be provided.")


def publishable_client_key_required_for_project(project_id: str | None) -> KnownError:
    """``PUBLISHABLE_CLIENT_KEY_REQUIRED_FOR_PROJECT`` (401)."""
    return KnownError(
        401,
        "PUBLISHABLE_CLIENT_KEY_REQUIRED_FOR_PROJECT",
        "Publishable client keys are required for this project. Create one in Project Keys, or disable this"
        " requirement there to allow keyless client access.",
        {"project_id": project_id},
    )


def server_authentication_required() -> KnownError:
    """``SERVER_AUTHENTICATION_REQUIRED`` (401)."""
    return KnownError(401, "SERVER_AUTHENTICATION_REQUIRED", "The secret server key must be provided.")


def admin_authentication_required() -> KnownError:
    """``ADMIN_AUTHENTICATION_REQUIRED`` (401)."""
    return KnownError(401, "ADMIN_AUTHENTICATION_REQUIRED", "The super secret admin key must be provided.")


def current_project_not_found(project_id: str) -> KnownError:
    """``CURRENT_PROJECT_NOT_FOUND`` (400)."""
    return KnownError(
        400,
        "CURRENT_PROJECT_NOT_FOUND",
        f"The current project with ID {project_id} was not found."
        " Please check the value of the x-stack-project-id header.",
        {"project_id": project_id},
    )


def branch_does_not_exist(branch_id: str) -> KnownError:
    """``BRANCH_DOES_NOT_EXIST`` (400)."""
    return KnownError(
        400, "BRANCH_DOES_NOT_EXIST", f"The branch with ID {branch_id} does not exist.", {"branch_id": branch_id}
    )


def unparsable_access_token() -> KnownError:
    """``UNPARSABLE_ACCESS_TOKEN`` (401)."""
    return KnownError(401, "UNPARSABLE_ACCESS_TOKEN", "Access token is not parsable.")


def access_token_expired(
    expired_at: float | None,
    project_id: str | None,
    user_id: str | None,
    refresh_token_id: str | None,
    *,
    legacy: bool = False,
) -> KnownError:
    """``ACCESS_TOKEN_EXPIRED`` (401), long form (v2.8) or short form (v2.7)."""
    at = f" (The access token expired at {_iso(expired_at)}.)" if expired_at is not None else ""
    millis = int(expired_at * 1000) if expired_at is not None else None
    if legacy:
        return KnownError(
            401,
            "ACCESS_TOKEN_EXPIRED",
            f"Access token has expired. Please refresh it and try again.{at}",
            {"expired_at_millis": millis},
        )
    extra = ""
    if project_id:
        extra += f" Project ID: {project_id}."
    if user_id:
        extra += f" User ID: {user_id}."
    if refresh_token_id:
        extra += f" Refresh token ID: {refresh_token_id}."
    message = (
        f"Access token has expired. Please refresh it and try again.{at}{extra}\n\n"
        "Debug info: Most likely, you fetched the access token before it expired (for example, in a server"
        " component, pre-rendered page, or on page load), but then didn't refresh it before it expired. If this is"
        " the case, and you're using the SDK, make sure you call getAccessToken() every time you need to use the"
        " access token. If you're not using the SDK, make sure you refresh the access token with the refresh endpoint."
    )
    return KnownError(
        401,
        "ACCESS_TOKEN_EXPIRED",
        message,
        {
            "expired_at_millis": millis,
            "project_id": project_id,
            "user_id": user_id,
            "refresh_token_id": refresh_token_id,
        },
    )


def invalid_project_for_access_token(expected: str, actual: str) -> KnownError:
    """``INVALID_PROJECT_FOR_ACCESS_TOKEN`` (401)."""
    return KnownError(
        401,
        "INVALID_PROJECT_FOR_ACCESS_TOKEN",
        f"Access token not valid for this project. Expected project ID {json.dumps(expected)},"
        f" but the token is for project ID {json.dumps(actual)}.",
        {"expected_project_id": expected, "actual_project_id": actual},
    )


def anonymous_authentication_not_allowed() -> KnownError:
    """``ANONYMOUS_AUTHENTICATION_NOT_ALLOWED`` (401)."""
    return KnownError(
        401,
        "ANONYMOUS_AUTHENTICATION_NOT_ALLOWED",
        "X-Stack-Access-Token is for an anonymous user, but anonymous users are not enabled. Set the"
        " X-Stack-Allow-Anonymous-User header of this request to 'true' to allow anonymous users.",
    )


def restricted_user_not_allowed(reason: dict[str, Any]) -> KnownError:
    """``RESTRICTED_USER_NOT_ALLOWED`` (403)."""
    return KnownError(
        403,
        "RESTRICTED_USER_NOT_ALLOWED",
        f"The user in the access token is in restricted state. Reason: {reason.get('type')}. Please pass the"
        " X-Stack-Allow-Restricted-User header if this is intended.",
        {"restricted_reason": reason},
    )


def refresh_token_not_found_or_expired() -> KnownError:
    """``REFRESH_TOKEN_NOT_FOUND_OR_EXPIRED`` (401)."""
    return KnownError(
        401,
        "REFRESH_TOKEN_NOT_FOUND_OR_EXPIRED",
        "Refresh token not found for this project, or the session has expired/been revoked.",
    )


def cannot_delete_current_session() -> KnownError:
    """``CANNOT_DELETE_CURRENT_SESSION`` (400)."""
    return KnownError(400, "CANNOT_DELETE_CURRENT_SESSION", "Cannot delete the current session.")


def user_email_already_exists(email: str, *, legacy: bool = False) -> KnownError:
    """``USER_EMAIL_ALREADY_EXISTS`` (409)."""
    if legacy:
        return KnownError(409, "USER_EMAIL_ALREADY_EXISTS", "User email already exists.")
    return KnownError(
        409,
        "USER_EMAIL_ALREADY_EXISTS",
        f"A user with email {json.dumps(email)} already exists.",
        {"email": email, "would_work_if_email_was_verified": False},
    )


def cannot_get_own_user_without_user() -> KnownError:
    """``CANNOT_GET_OWN_USER_WITHOUT_USER`` (400)."""
    return KnownError(
        400,
        "CANNOT_GET_OWN_USER_WITHOUT_USER",
        "You have specified 'me' as a userId, but did not provide authentication for a user.",
    )


def user_id_does_not_exist(user_id: str) -> KnownError:
    """``USER_ID_DOES_NOT_EXIST`` (400)."""
    return KnownError(
        400, "USER_ID_DOES_NOT_EXIST", f"The given user with the ID {user_id} does not exist.", {"user_id": user_id}
    )


def user_not_found() -> KnownError:
    """``USER_NOT_FOUND`` (404)."""
    return KnownError(404, "USER_NOT_FOUND", "User not found.")


def user_authentication_required() -> KnownError:
    """``USER_AUTHENTICATION_REQUIRED`` (401)."""
    return KnownError(401, "USER_AUTHENTICATION_REQUIRED", "User authentication required for this endpoint.")


def sign_up_not_enabled() -> KnownError:
    """``SIGN_UP_NOT_ENABLED`` (400)."""
    return KnownError(
        400,
        "SIGN_UP_NOT_ENABLED",
        "Creation of new accounts is not enabled for this project. Please ask the project owner to enable it.",
    )


def password_authentication_not_enabled() -> KnownError:
    """``PASSWORD_AUTHENTICATION_NOT_ENABLED`` (400)."""
    return KnownError(
        400, "PASSWORD_AUTHENTICATION_NOT_ENABLED", "Password authentication is not enabled for this project."
    )


def email_password_mismatch() -> KnownError:
    """``EMAIL_PASSWORD_MISMATCH`` (400)."""
    return KnownError(400, "EMAIL_PASSWORD_MISMATCH", "Wrong e-mail or password.")


def redirect_url_not_whitelisted() -> KnownError:
    """``REDIRECT_URL_NOT_WHITELISTED`` (400)."""
    return KnownError(
        400,
        "REDIRECT_URL_NOT_WHITELISTED",
        "Redirect URL not whitelisted. Did you forget to add this domain to the trusted domains list on the"
        " Stack Auth dashboard?",
    )


def password_too_short(min_length: int = 8) -> KnownError:
    """``PASSWORD_TOO_SHORT`` (400)."""
    return KnownError(
        400, "PASSWORD_TOO_SHORT", f"Password too short. Minimum length is {min_length}.", {"min_length": min_length}
    )


def password_too_long(max_length: int = 70) -> KnownError:
    """``PASSWORD_TOO_LONG`` (400)."""
    return KnownError(
        400, "PASSWORD_TOO_LONG", f"Password too long. Maximum length is {max_length}.", {"maxLength": max_length}
    )


def invalid_authorization_code() -> KnownError:
    """``INVALID_AUTHORIZATION_CODE`` (400)."""
    return KnownError(400, "INVALID_AUTHORIZATION_CODE", "The given authorization code is invalid.")


def invalid_oauth_client_id_or_secret(client_id: str | None = None, *, legacy: bool = False) -> KnownError:
    """``INVALID_OAUTH_CLIENT_ID_OR_SECRET`` (400)."""
    if legacy:
        msg = (
            "The OAuth client ID or secret is invalid. The client ID must be equal to the project ID, and the client"
            " secret must be a publishable client key."
        )
    else:
        msg = (
            "The OAuth client ID or secret is invalid. The client ID must be equal to the project ID (potentially"
            " with a hash and a branch ID), and the client secret must be a publishable client key."
        )
    return KnownError(400, "INVALID_OAUTH_CLIENT_ID_OR_SECRET", msg, {"client_id": client_id})


def invalid_scope(scope: str) -> KnownError:
    """``INVALID_SCOPE`` (400)."""
    return KnownError(400, "INVALID_SCOPE", f'The scope "{scope}" is not a valid OAuth scope for Stack.')


def outer_oauth_timeout() -> KnownError:
    """``OUTER_OAUTH_TIMEOUT`` (408)."""
    return KnownError(408, "OUTER_OAUTH_TIMEOUT", "The OAuth flow has timed out. Please sign in again.")


def oauth_provider_not_found_or_not_enabled() -> KnownError:
    """``OAUTH_PROVIDER_NOT_FOUND_OR_NOT_ENABLED`` (400)."""
    return KnownError(400, "OAUTH_PROVIDER_NOT_FOUND_OR_NOT_ENABLED", "The OAuth provider is not found or not enabled.")


def oauth_provider_access_denied() -> KnownError:
    """``OAUTH_PROVIDER_ACCESS_DENIED`` (400)."""
    return KnownError(400, "OAUTH_PROVIDER_ACCESS_DENIED", "The OAuth provider denied access to the user.")


def anonymous_accounts_not_enabled() -> KnownError:
    """``ANONYMOUS_ACCOUNTS_NOT_ENABLED`` (400)."""
    return KnownError(400, "ANONYMOUS_ACCOUNTS_NOT_ENABLED", "Anonymous accounts are not enabled for this project.")


NOT_FOUND_TEXT = (
    "404 \u2014 this page does not exist in Stack Auth's API.\n\n"
    "Please see the API documentation at https://docs.stack-auth.com, or visit the Stack Auth dashboard at"
    " https://app.stack-auth.com.\n\nURL: {url}"
)
