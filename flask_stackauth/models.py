"""Typed results of the server API and of ``current_user``: small frozen dataclasses with Stack's field names.

Each keeps the whole object Stack Auth sent in ``raw``, so fields a newer server adds are not lost.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any


class Unset(enum.Enum):
    """The type of :data:`UNSET`."""

    UNSET = 0


#: Default of optional update arguments: "leave unchanged" (``None`` clears a field).
UNSET = Unset.UNSET


def _str(data: dict[str, Any], name: str) -> str | None:
    value = data.get(name)
    return value if isinstance(value, str) else None


def _int(data: dict[str, Any], name: str) -> int | None:
    value = data.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return int(value)


def _bool(data: dict[str, Any], name: str) -> bool:
    return data.get(name) is True


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


@dataclass(frozen=True)
class Team:
    """A team. ``server_metadata`` and ``created_at_millis`` are ``None`` when read with a user's token."""

    id: str
    display_name: str
    profile_image_url: str | None = None
    client_metadata: Any = None
    client_read_only_metadata: Any = None
    server_metadata: Any = None
    created_at_millis: int | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Any) -> Team:
        """Build a team from Stack's JSON object."""
        data = _object(data)
        return cls(
            id=_str(data, "id") or "",
            display_name=_str(data, "display_name") or "",
            profile_image_url=_str(data, "profile_image_url"),
            client_metadata=data.get("client_metadata"),
            client_read_only_metadata=data.get("client_read_only_metadata"),
            server_metadata=data.get("server_metadata"),
            created_at_millis=_int(data, "created_at_millis"),
            raw=dict(data),
        )


@dataclass(frozen=True)
class OAuthProvider:
    """An OAuth account connected to a user."""

    id: str
    account_id: str
    email: str | None = None

    @classmethod
    def from_json(cls, data: Any) -> OAuthProvider:
        """Build from Stack's ``{id, account_id, email}``."""
        data = _object(data)
        return cls(id=_str(data, "id") or "", account_id=_str(data, "account_id") or "", email=_str(data, "email"))


@dataclass(frozen=True)
class ServerUser:
    """A user as the server API sees it (every field of Stack's server user object)."""

    id: str
    primary_email: str | None = None
    primary_email_verified: bool = False
    primary_email_auth_enabled: bool = False
    display_name: str | None = None
    profile_image_url: str | None = None
    signed_up_at_millis: int | None = None
    last_active_at_millis: int | None = None
    client_metadata: Any = None
    client_read_only_metadata: Any = None
    server_metadata: Any = None
    has_password: bool = False
    auth_with_email: bool = False
    oauth_providers: tuple[OAuthProvider, ...] = ()
    selected_team_id: str | None = None
    selected_team: Team | None = None
    requires_totp_mfa: bool = False
    otp_auth_enabled: bool = False
    passkey_auth_enabled: bool = False
    is_anonymous: bool = False
    is_restricted: bool = False
    restricted_reason: Any = None
    restricted_by_admin: bool = False
    restricted_by_admin_reason: str | None = None
    country_code: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Any) -> ServerUser:
        """Build a user from Stack's JSON object (fields older servers lack take their defaults)."""
        data = _object(data)
        providers = data.get("oauth_providers")
        team = data.get("selected_team")
        return cls(
            id=_str(data, "id") or "",
            primary_email=_str(data, "primary_email"),
            primary_email_verified=_bool(data, "primary_email_verified"),
            primary_email_auth_enabled=_bool(data, "primary_email_auth_enabled"),
            display_name=_str(data, "display_name"),
            profile_image_url=_str(data, "profile_image_url"),
            signed_up_at_millis=_int(data, "signed_up_at_millis"),
            last_active_at_millis=_int(data, "last_active_at_millis"),
            client_metadata=data.get("client_metadata"),
            client_read_only_metadata=data.get("client_read_only_metadata"),
            server_metadata=data.get("server_metadata"),
            has_password=_bool(data, "has_password"),
            auth_with_email=_bool(data, "auth_with_email"),
            oauth_providers=tuple(OAuthProvider.from_json(p) for p in providers)
            if isinstance(providers, list) else (),
            selected_team_id=_str(data, "selected_team_id"),
            selected_team=Team.from_json(team) if isinstance(team, dict) else None,
            requires_totp_mfa=_bool(data, "requires_totp_mfa"),
            otp_auth_enabled=_bool(data, "otp_auth_enabled"),
            passkey_auth_enabled=_bool(data, "passkey_auth_enabled"),
            is_anonymous=_bool(data, "is_anonymous"),
            is_restricted=_bool(data, "is_restricted"),
            restricted_reason=data.get("restricted_reason"),
            restricted_by_admin=_bool(data, "restricted_by_admin"),
            restricted_by_admin_reason=_str(data, "restricted_by_admin_reason"),
            country_code=_str(data, "country_code"),
            raw=dict(data),
        )


@dataclass(frozen=True)
class Session:
    """A user's session (a refresh token) as ``GET /auth/sessions`` lists it; times in milliseconds."""

    id: str
    user_id: str
    created_at: int | None = None
    last_used_at: int | None = None
    is_impersonation: bool = False
    is_current_session: bool = False
    last_used_at_end_user_ip_info: Any = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Any) -> Session:
        """Build a session from Stack's JSON object."""
        data = _object(data)
        return cls(
            id=_str(data, "id") or "",
            user_id=_str(data, "user_id") or "",
            created_at=_int(data, "created_at"),
            last_used_at=_int(data, "last_used_at"),
            is_impersonation=_bool(data, "is_impersonation"),
            is_current_session=_bool(data, "is_current_session"),
            last_used_at_end_user_ip_info=data.get("last_used_at_end_user_ip_info"),
            raw=dict(data),
        )


@dataclass(frozen=True)
class TokenPair:
    """An access token and its refresh token, as ``POST /auth/sessions`` issues them. Never log either."""

    access_token: str
    refresh_token: str

    def __repr__(self) -> str:
        # Tokens are credentials: keep them out of reprs, tracebacks and log lines.
        return "TokenPair(access_token=<hidden>, refresh_token=<hidden>)"


@dataclass(frozen=True)
class ContactChannel:
    """One of a user's contact channels (an email address) as ``/contact-channels`` lists it."""

    id: str
    user_id: str
    value: str
    type: str = "email"
    is_primary: bool = False
    is_verified: bool = False
    used_for_auth: bool = False
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Any) -> ContactChannel:
        """Build a contact channel from Stack's JSON object."""
        data = _object(data)
        return cls(
            id=_str(data, "id") or "",
            user_id=_str(data, "user_id") or "",
            value=_str(data, "value") or "",
            type=_str(data, "type") or "email",
            is_primary=_bool(data, "is_primary"),
            is_verified=_bool(data, "is_verified"),
            used_for_auth=_bool(data, "used_for_auth"),
            raw=dict(data),
        )


@dataclass(frozen=True)
class TeamInvitation:
    """A pending team invitation. ``team_display_name`` is ``None`` on v2.7 servers, which do not send it."""

    id: str
    team_id: str
    recipient_email: str | None = None
    expires_at_millis: int | None = None
    team_display_name: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Any) -> TeamInvitation:
        """Build an invitation from Stack's JSON object."""
        data = _object(data)
        return cls(
            id=_str(data, "id") or "",
            team_id=_str(data, "team_id") or "",
            recipient_email=_str(data, "recipient_email"),
            expires_at_millis=_int(data, "expires_at_millis"),
            team_display_name=_str(data, "team_display_name"),
            raw=dict(data),
        )


@dataclass(frozen=True)
class InvitationDetails:
    """What an invitation code is for (``/team-invitations/accept/details``)."""

    team_id: str
    team_display_name: str

    @classmethod
    def from_json(cls, data: Any) -> InvitationDetails:
        """Build the details from Stack's JSON object."""
        data = _object(data)
        return cls(team_id=_str(data, "team_id") or "", team_display_name=_str(data, "team_display_name") or "")


def _when(millis: int | None) -> datetime | None:
    return None if millis is None else datetime.fromtimestamp(millis / 1000, tz=timezone.utc)


@dataclass(frozen=True)
class ApiKey:
    """A user or team API key. ``value`` (the secret) is set only in the answer that created the key.

    Exactly one of ``user_id`` / ``team_id`` is set, as ``type`` (``"user"`` / ``"team"``) says.
    """

    id: str
    type: str
    description: str
    is_public: bool
    created_at_millis: int | None
    user_id: str | None = None
    team_id: str | None = None
    expires_at_millis: int | None = None
    manually_revoked_at_millis: int | None = None
    last_four: str | None = None
    value: str | None = field(default=None, repr=False, compare=False)
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Any) -> ApiKey:
        """Build a key from Stack's JSON object (a creation answer, a list item or a check answer)."""
        data = _object(data)
        value = data.get("value")
        raw = {k: v for k, v in data.items() if k != "value"}  # the secret is kept in ``value`` only
        return cls(
            id=_str(data, "id") or "",
            type=_str(data, "type") or ("team" if "team_id" in data else "user"),
            description=_str(data, "description") or "",
            is_public=_bool(data, "is_public"),
            created_at_millis=_int(data, "created_at_millis"),
            user_id=_str(data, "user_id"),
            team_id=_str(data, "team_id"),
            expires_at_millis=_int(data, "expires_at_millis"),
            manually_revoked_at_millis=_int(data, "manually_revoked_at_millis"),
            last_four=value[-4:] if isinstance(value, str) else _str(_object(value), "last_four"),
            value=value if isinstance(value, str) else None,
            raw=raw,
        )

    @property
    def owner_id(self) -> str:
        """The id of the user or team that owns the key."""
        return self.user_id or self.team_id or ""

    @property
    def created_at(self) -> datetime | None:
        """When the key was created (UTC)."""
        return _when(self.created_at_millis)

    @property
    def expires_at(self) -> datetime | None:
        """When the key expires (UTC), or ``None`` if it never does."""
        return _when(self.expires_at_millis)

    @property
    def manually_revoked_at(self) -> datetime | None:
        """When the key was revoked (UTC), or ``None``."""
        return _when(self.manually_revoked_at_millis)

    @property
    def is_revoked(self) -> bool:
        """Whether the key has been revoked."""
        return self.manually_revoked_at_millis is not None


@dataclass(frozen=True)
class ConnectedAccount:
    """An OAuth account a user connected (``GET /connected-accounts/{user}``)."""

    user_id: str
    provider: str
    provider_account_id: str

    @classmethod
    def from_json(cls, data: Any) -> ConnectedAccount:
        """Build an account from Stack's JSON object."""
        data = _object(data)
        return cls(user_id=_str(data, "user_id") or "", provider=_str(data, "provider") or "",
                   provider_account_id=_str(data, "provider_account_id") or "")
