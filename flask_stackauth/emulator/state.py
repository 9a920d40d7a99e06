"""In-memory records of the emulator: project config, users, teams, sessions, codes, flows, faults."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from typing import Any

DEV_PROJECT_ID = "internal"
DEV_PUBLISHABLE_CLIENT_KEY = "this-publishable-client-key-is-for-local-development-only"
DEV_SECRET_SERVER_KEY = "this-secret-server-key-is-for-local-development-only"
DEV_SUPER_SECRET_ADMIN_KEY = "this-super-secret-admin-key-is-for-local-development-only"

PUBLIC_CLIENT_SENTINEL = "__stack_public_client__"
DEFAULT_OAUTH_PROVIDERS = ("github", "google", "microsoft", "spotify")
REFRESH_TOKEN_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


def new_id() -> str:
    """A random UUID4 string, the id format Stack uses."""
    return str(uuid.uuid4())


def random_token(length: int = 45) -> str:
    """A random lowercase token of ``[0-9a-z]`` (refresh tokens are 45 chars)."""
    return "".join(secrets.choice(REFRESH_TOKEN_ALPHABET) for _ in range(length))


@dataclass
class ProjectConfig:
    """The emulated project's configuration; tests may change any field."""

    id: str = DEV_PROJECT_ID
    display_name: str = "Stack Dashboard"
    publishable_client_key: str = DEV_PUBLISHABLE_CLIENT_KEY
    secret_server_key: str = DEV_SECRET_SERVER_KEY
    super_secret_admin_key: str = DEV_SUPER_SECRET_ADMIN_KEY
    oauth_providers: list[str] = field(default_factory=lambda: list(DEFAULT_OAUTH_PROVIDERS))
    allow_localhost: bool = True
    trusted_domains: list[str] = field(default_factory=list)
    handler_path: str = "/handler"
    sign_up_enabled: bool = True
    credential_enabled: bool = True
    magic_link_enabled: bool = True
    passkey_enabled: bool = False
    anonymous_enabled: bool = True
    require_publishable_client_key: bool = False
    client_team_creation_enabled: bool = False
    client_user_deletion_enabled: bool = False
    allow_user_api_keys: bool = False
    allow_team_api_keys: bool = False
    create_team_on_sign_up: bool = True
    #: Whether the OAuth providers use Stack's shared development keys, which hand out no provider access
    #: tokens and no extra scopes. ``None``: as the recorded servers (v2.7 shared; current mode own keys).
    shared_oauth_keys: bool | None = None


@dataclass
class Team:
    """A team (only what users/me and personal teams need; other modules may extend ``extra``)."""

    id: str
    display_name: str
    created_at: float
    profile_image_url: str | None = None
    client_metadata: Any = None
    client_read_only_metadata: Any = None
    server_metadata: Any = None
    member_ids: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class User:
    """A project user."""

    id: str
    signed_up_at: float
    primary_email: str | None = None
    primary_email_verified: bool = False
    primary_email_auth_enabled: bool = False
    display_name: str | None = None
    profile_image_url: str | None = None
    client_metadata: Any = None
    client_read_only_metadata: Any = None
    server_metadata: Any = None
    password_hash: str | None = None
    oauth_providers: list[dict[str, Any]] = field(default_factory=list)
    selected_team_id: str | None = None
    is_anonymous: bool = False
    requires_totp_mfa: bool = False
    otp_auth_enabled: bool = False
    passkey_auth_enabled: bool = False
    totp_secret_base64: str | None = None
    restricted_by_admin: bool = False
    restricted_by_admin_reason: str | None = None
    restricted_by_admin_private_details: str | None = None
    country_code: str | None = None
    last_active_at: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def restricted_reason(self) -> dict[str, str] | None:
        """Why the user is restricted, or ``None``."""
        if self.is_anonymous:
            return {"type": "anonymous"}
        if self.restricted_by_admin:
            return {"type": "restricted_by_administrator"}
        return None

    @property
    def is_restricted(self) -> bool:
        """Whether the user is in restricted state."""
        return self.restricted_reason is not None


@dataclass
class Session:
    """A refresh token (Stack calls it a session)."""

    id: str
    user_id: str
    refresh_token: str
    created_at: float
    last_used_at: float
    expires_at: float | None
    is_impersonation: bool = False


@dataclass
class OAuthFlow:
    """What the authorize endpoint remembers for the callback (Stack's ``OAuthOuterInfo``)."""

    inner_state: str
    project_id: str
    provider_id: str
    publishable_client_key: str
    redirect_uri: str
    scope: str
    state: str
    grant_type: str
    code_challenge: str
    code_challenge_method: str
    response_type: str
    type: str
    project_user_id: str | None
    error_redirect_url: str | None
    after_callback_redirect_url: str | None
    response_mode: str
    expires_at: float
    provider_scope: str | None = None


@dataclass
class AuthorizationCode:
    """A code the callback hands to the app, exchanged at the token endpoint."""

    code: str
    project_id: str
    user_id: str
    redirect_uri: str
    code_challenge: str
    code_challenge_method: str
    expires_at: float
    new_user: bool
    after_callback_redirect_url: str | None


@dataclass
class ProviderInteraction:
    """A pending login at the mock OAuth provider."""

    uid: str
    client_id: str
    redirect_uri: str
    state: str
    created_at: float


@dataclass
class ProviderCode:
    """A code the mock provider hands back to the emulator's callback."""

    code: str
    client_id: str
    email: str
    used: bool = False


@dataclass
class Fault:
    """A pending injected failure."""

    remaining: int
    path: str | None
    mode: str
    delay: float


@dataclass
class EmulatorData:
    """Everything that :meth:`Emulator.reset` throws away."""

    users: dict[str, User] = field(default_factory=dict)
    teams: dict[str, Team] = field(default_factory=dict)
    sessions: dict[str, Session] = field(default_factory=dict)
    flows: dict[str, OAuthFlow] = field(default_factory=dict)
    codes: dict[str, AuthorizationCode] = field(default_factory=dict)
    interactions: dict[str, ProviderInteraction] = field(default_factory=dict)
    provider_codes: dict[str, ProviderCode] = field(default_factory=dict)
    legacy_token_sessions: dict[str, str] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    call_log: list[tuple[str, str]] = field(default_factory=list)
    emails: list[dict[str, Any]] = field(default_factory=list)
    ext: dict[str, Any] = field(default_factory=dict)
