"""The signed-in user (:class:`StackUser`) and the ``current_user`` proxy."""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from werkzeug.local import LocalProxy

#: User fields that access-token claims carry, by claim name (current servers; legacy tokens carry only ``sub``).
CLAIM_FIELDS = {
    "id": "sub",
    "primary_email": "email",
    "display_name": "name",
    "primary_email_verified": "email_verified",
    "selected_team_id": "selected_team_id",
    "is_anonymous": "is_anonymous",
    "is_restricted": "is_restricted",
    "restricted_reason": "restricted_reason",
    "requires_totp_mfa": "requires_totp_mfa",
}
_BOOLEAN_DEFAULTS = {"is_anonymous": False, "is_restricted": False, "requires_totp_mfa": False,
                     "primary_email_verified": False}


class ProfileCache:
    """``GET /users/me`` answers, per access token, bounded, dropped when the token expires."""

    def __init__(self, max_entries: int = 10_000) -> None:
        self._entries: OrderedDict[str, tuple[float, dict[str, Any]]] = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_entries

    @staticmethod
    def _key(access_token: str) -> str:
        return hashlib.sha256(access_token.encode()).hexdigest()

    def get(self, access_token: str) -> dict[str, Any] | None:
        """The cached profile for this token, or ``None``."""
        entry = self._entries.get(self._key(access_token))
        if entry is None or entry[0] <= time.time():
            return None
        return entry[1]

    def put(self, access_token: str, expires_at: float, profile: dict[str, Any]) -> None:
        """Remember ``profile`` until ``expires_at``."""
        with self._lock:
            key = self._key(access_token)
            self._entries[key] = (expires_at, profile)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        """Forget every profile (after a profile update)."""
        with self._lock:
            self._entries.clear()


class StackUser:
    """A user signed in through Stack Auth.

    Fields come from the access token's claims first; a field the token does not carry (older servers'
    tokens carry only the id) is read from ``GET /api/v1/users/me`` once per access token and cached.
    Every field of Stack's client user object is available as an attribute (``profile_image_url``,
    ``client_metadata``, ``oauth_providers``, ...).
    """

    is_authenticated = True

    def __init__(self, claims: dict[str, Any], access_token: str,
                 load_profile: Callable[[StackUser], dict[str, Any]]) -> None:
        self.claims = claims
        self._access_token = access_token
        self._load_profile = load_profile
        self._profile: dict[str, Any] | None = None

    @property
    def access_token(self) -> str:
        """The verified access token of this request (send it to your own backends, never log it)."""
        return self._access_token

    def profile(self) -> dict[str, Any]:
        """Stack's full client user object (``GET /api/v1/users/me``), cached per access token."""
        if self._profile is None:
            self._profile = self._load_profile(self)
        return self._profile

    def get(self, name: str, default: Any = None) -> Any:
        """A field by Stack's name, from the claims when present, else from the profile."""
        claim = CLAIM_FIELDS.get(name)
        if claim is not None and claim in self.claims:
            return self.claims[claim]
        if name == "signed_up_at_millis" and isinstance(self.claims.get("signed_up_at"), (int, float)):
            return int(self.claims["signed_up_at"] * 1000)
        value = self.profile().get(name, _BOOLEAN_DEFAULTS.get(name, default))
        return value

    @property
    def id(self) -> str:
        """The user's id (the token's ``sub``)."""
        return str(self.claims["sub"])

    @property
    def primary_email(self) -> str | None:
        """The primary email, or ``None``."""
        return self.get("primary_email")  # type: ignore[no-any-return]

    @property
    def display_name(self) -> str | None:
        """The display name, or ``None``."""
        return self.get("display_name")  # type: ignore[no-any-return]

    @property
    def primary_email_verified(self) -> bool:
        """Whether the primary email is verified."""
        return bool(self.get("primary_email_verified"))

    @property
    def selected_team_id(self) -> str | None:
        """The id of the user's selected team, or ``None``."""
        return self.get("selected_team_id")  # type: ignore[no-any-return]

    @property
    def is_anonymous(self) -> bool:
        """Whether this is an anonymous user."""
        return bool(self.get("is_anonymous"))

    @property
    def is_restricted(self) -> bool:
        """Whether this user is restricted (for example, an unverified email the project requires)."""
        return bool(self.get("is_restricted"))

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        profile = self.profile()
        if name in profile:
            return profile[name]
        raise AttributeError(f"Stack Auth's user object has no field {name!r}")

    def __repr__(self) -> str:
        return f"<StackUser {self.id}>"


class AnonymousUser:
    """``current_user`` when nobody is signed in: falsy fields, ``is_authenticated`` false."""

    is_authenticated = False
    id = None
    primary_email = None
    display_name = None
    primary_email_verified = False
    selected_team_id = None
    is_anonymous = False
    is_restricted = False
    claims: dict[str, Any] = {}

    def get(self, name: str, default: Any = None) -> Any:
        """Always ``default``."""
        return default

    def __repr__(self) -> str:
        return "<AnonymousUser>"


ANONYMOUS_USER = AnonymousUser()


def _current_user() -> StackUser | AnonymousUser:
    from .decorators import load_user, request_user

    return request_user() or load_user()


#: The signed-in user of this request (:class:`StackUser`), or an :class:`AnonymousUser`.
current_user: StackUser | AnonymousUser = LocalProxy(_current_user)  # type: ignore[assignment]
