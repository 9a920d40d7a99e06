"""The signed-in user (:class:`StackUser`) and the signed-out stand-in (:class:`AnonymousUser`).

The ``current_user`` proxy that returns them is in :mod:`flask_stackauth.auth`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from flask import has_request_context, session

from . import account_api, totp, user_api_keys
from .app_urls import stack_url
from .connected_api import list_connected_accounts, provider_access_token
from .errors import ContactChannelNotFound, InvalidTotpCode, StackAuthError
from .models import UNSET, ApiKey, ConnectedAccount, ContactChannel, Session, Team, Unset
from .permissions import user_permissions
from .refresh import refresh_session
from .state import get_state
from .tokens import TokenSet, clear_tokens, load_tokens, peek_claims

log = logging.getLogger("flask_stackauth")

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
        #: Fields changed by :meth:`update` during this request; they win over the (older) token claims.
        self._updated: dict[str, Any] = {}
        self._teams: list[Team] | None = None

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
        if name in self._updated:
            return self._updated[name]
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

    @property
    def teams(self) -> list[Team]:
        """The teams this user is a member of, oldest first (asked with the user's own token, once per request)."""
        if self._teams is None:
            answer = get_state().client.request("GET", "/api/v1/teams", access_token=self.access_token,
                                                params={"user_id": "me"})
            items = answer.get("items") if isinstance(answer, dict) else None
            self._teams = [Team.from_json(item) for item in items or [] if isinstance(item, dict)]
        return list(self._teams)

    @property
    def selected_team(self) -> Team | None:
        """The user's selected team, or ``None``."""
        if self.selected_team_id is None:
            return None
        team = self.profile().get("selected_team")
        return Team.from_json(team) if isinstance(team, dict) else None

    def has_permission(self, permission_id: str, team_id: str | None = None) -> bool:
        """Whether the user holds ``permission_id`` in ``team_id`` (a project permission when ``None``).

        Recursive (a permission containing it counts); asked with the user's own token and cached for
        ``STACK_PERMISSION_CACHE_TTL`` seconds.
        """
        return permission_id in user_permissions(self, team_id)

    def connected_accounts(self) -> list[ConnectedAccount]:
        """The OAuth accounts this user connected (``GET /api/v1/connected-accounts/me``, with the user's token).

        :raises NotSupportedByServer: the server (v2.7) cannot list them.
        """
        return list_connected_accounts(get_state().client, self.access_token)

    def provider_access_token(self, provider: str, scopes: Iterable[str] = (), *,
                              account_id: str | None = None) -> str:
        """An access token for this user's account at ``provider`` holding every scope in ``scopes``.

        Call the provider's API with it; never log it. When the user has not connected the provider, or not
        with those scopes, send them to :meth:`StackAuth.link_provider_url` with the error's ``provider`` and
        ``scopes``: they come back to your page with the account connected.

        :raises OAuthConnectionNotConnectedToUser: the user never connected ``provider``.
        :raises OAuthConnectionDoesNotHaveRequiredScope: connected, but a scope is missing.
        :raises OAuthAccessTokenNotAvailableWithSharedOAuthKeys: the provider runs on Stack's shared keys.
        """
        return provider_access_token(get_state().client, self.access_token, provider, scopes,
                                     account_id=account_id)

    def update(self, *, display_name: str | Unset | None = UNSET, client_metadata: Any = UNSET,
               profile_image_url: str | Unset | None = UNSET, selected_team_id: str | Unset | None = UNSET) -> None:
        """Update the user's own profile (``PATCH /api/v1/users/me`` with the user's token).

        Only the given fields change (``None`` clears one). The new values show at once through this
        object; cached profiles of the user are dropped, and a session sign-in gets a fresh access token
        so that later requests see the new claims too.

        :raises KnownError: Stack refused the update (e.g. ``TEAM_NOT_FOUND`` for ``selected_team_id``).
        """
        body = {k: v for k, v in {"display_name": display_name, "client_metadata": client_metadata,
                                  "profile_image_url": profile_image_url,
                                  "selected_team_id": selected_team_id}.items() if v is not UNSET}
        state = get_state()
        answer = state.client.request("PATCH", "/api/v1/users/me", access_token=self.access_token, json=body)
        profile = answer if isinstance(answer, dict) else {}
        state.profiles.forget_user(self.id)
        self._profile = profile
        self._updated.update({k: profile.get(k, v) for k, v in body.items()})
        if "selected_team_id" in body:
            self._teams = None
        exp = self.claims.get("exp")
        if isinstance(exp, (int, float)):
            state.profiles.put(self.access_token, float(exp), profile)
        self._renew_session_token()

    def _changed(self, *, teams: bool = False) -> None:
        """After a change made with the user's token: drop cached profiles (and teams), renew the session token."""
        state = get_state()
        state.profiles.forget_user(self.id)
        self._profile = None
        if teams:
            self._teams = None
            state.permissions.forget(self.id)
        self._renew_session_token()

    def enable_totp(self, secret: bytes, code: str) -> None:
        """Turn two-factor sign-in on with ``secret`` once ``code`` proves the user's app has it.

        ``secret`` is the raw secret (:func:`flask_stackauth.totp.new_secret`), ``code`` the 6 digits the
        authenticator app shows for it now. Stack does not check a code when a secret is set: this does,
        so a user cannot lock themselves out with a secret their app never received.

        :raises InvalidTotpCode: ``code`` is not the current code of ``secret``.
        :raises TotpUnavailable: the ``totp`` extra (pyotp) is not installed.
        """
        if not isinstance(secret, bytes) or len(secret) < 10:
            raise ValueError("secret must be the raw TOTP secret (at least 10 bytes)")
        if not totp.verify(secret, totp.normalise_code(code)):
            raise InvalidTotpCode("That code is not right. Enter the current 6-digit code from your authenticator "
                                  "app (check that the device's clock is set automatically).")
        account_api.set_totp_secret(get_state().client, self.access_token, secret)
        self._updated["requires_totp_mfa"] = True
        self._changed()

    def disable_totp(self) -> None:
        """Turn two-factor sign-in off (``PATCH /users/me`` with ``totp_secret_base64: null``)."""
        account_api.set_totp_secret(get_state().client, self.access_token, None)
        self._updated["requires_totp_mfa"] = False
        self._changed()

    def create_team(self, name: str) -> Team:
        """Create a team with this user as its creator, and select it (as Stack's SDK does).

        :raises FeatureNotEnabled: the project does not let users create teams.
        """
        team = account_api.create_team(get_state().client, self.access_token, name)
        self._updated["selected_team_id"] = team.id
        self._changed(teams=True)
        return team

    def leave_team(self, team_id: str) -> None:
        """Leave a team (it stops being the selected team if it was).

        :raises TeamMembershipNotFound: the user is not a member.
        """
        account_api.leave_team(get_state().client, self.access_token, team_id)
        if self.get("selected_team_id") == team_id:
            self._updated["selected_team_id"] = None
        self._changed(teams=True)

    def select_team(self, team_id: str | None) -> None:
        """Make ``team_id`` the selected team (``None``: no team).

        :raises TeamMembershipNotFound: the user is not a member of it.
        """
        account_api.select_team(get_state().client, self.access_token, team_id)
        self._updated["selected_team_id"] = team_id
        self._changed()

    def _session_tokens(self) -> TokenSet | None:
        """The session's token pair when this user came from the session (not from a bearer header)."""
        if not has_request_context():
            return None
        tokens = load_tokens(session)
        if tokens is None or tokens.access_token != self.access_token:
            return None
        return tokens

    def _renew_session_token(self) -> TokenSet | None:
        """Refresh the session's access token now, so its claims (name, selected team) are current."""
        tokens = self._session_tokens()
        if tokens is None:
            return None  # a bearer token: its holder refreshes it
        state = get_state()
        state.refresher.forget(tokens.refresh_token)
        try:
            fresh = refresh_session(state, tokens)
        except StackAuthError as exc:
            log.warning("flask-stackauth: profile updated, but the access token could not be renewed (%s)", exc.code)
            return None
        return fresh if fresh is not tokens else None

    def refresh_claims(self) -> None:
        """Get a new access token for the session now, so claims that changed at Stack (``email_verified``
        after a verification) are seen from this request on. Does nothing for bearer tokens."""
        fresh = self._renew_session_token()
        if fresh is not None:
            state = get_state()
            state.profiles.forget_user(self.id)
            self._profile = None
            try:
                self.claims = state.verifier.verify(fresh.access_token, allow_anonymous=True, allow_restricted=True,
                                                    trusted=True)
                self._access_token = fresh.access_token
            except StackAuthError as exc:
                log.warning("flask-stackauth: the renewed access token could not be read (%s)", exc.code)

    # -- the account ---------------------------------------------------------------------------------------

    def update_password(self, old_password: str, new_password: str) -> None:
        """Change the password (``POST /auth/password/update``); every other session of the user ends.

        This session stays signed in and gets a fresh access token; the other sessions' tokens are refused
        by this app from their next request on (see :mod:`flask_stackauth.ended_sessions`).

        :raises PasswordConfirmationMismatch: ``old_password`` is wrong.
        :raises UserDoesNotHavePassword: the user has no password yet (use :meth:`set_password`).
        :raises PasswordRequirementsNotMet: Stack refused the new password (``PasswordTooShort`` ...).
        """
        state = get_state()
        tokens = self._session_tokens()
        account_api.update_password(state.client, self.access_token, old_password, new_password,
                                    refresh_token=tokens.refresh_token if tokens is not None else None)
        fresh = self._renew_session_token()
        if fresh is not None:
            self._note_others_ended(fresh)

    def _note_others_ended(self, fresh: TokenSet) -> None:
        # The fresh token was issued after Stack ended the other sessions: its iat is the cut-off on Stack's clock.
        claims = peek_claims(fresh.access_token)
        iat, keep = claims.get("iat"), claims.get("refresh_token_id")
        if isinstance(iat, int):
            get_state().ended_sessions.end_user_sessions(self.id, issued_up_to=iat,
                                                         keep_session_id=keep if isinstance(keep, str) else None)

    def set_password(self, password: str) -> None:
        """Give a password to a user who has none (signed up with OAuth or an email code).

        :raises PasswordAlreadySet: the user has one (use :meth:`update_password`).
        :raises PasswordRequirementsNotMet: Stack refused the password.
        """
        state = get_state()
        account_api.set_password(state.client, self.access_token, password)
        state.profiles.forget_user(self.id)
        self._profile = None

    def contact_channels(self) -> list[ContactChannel]:
        """The user's email addresses (:class:`~flask_stackauth.models.ContactChannel`), oldest first."""
        return account_api.list_contact_channels(get_state().client, self.access_token)

    def send_verification_email(self, channel_id: str | None = None) -> None:
        """Have Stack mail a verification link to the primary email (or to the channel ``channel_id``).

        The link leads to this app's ``/verify-email`` page (built from ``STACK_APP_URL`` /
        ``STACK_REDIRECT_URI``, never from the request's host).

        :raises EmailAlreadyVerified: the address is verified already.
        :raises ContactChannelNotFound: the user has no primary email (or no such channel).
        :raises RedirectUrlNotWhitelisted: the app's address is not a trusted domain of the project.
        """
        state = get_state()
        if channel_id is None:
            primary = next((c for c in self.contact_channels() if c.is_primary), None)
            if primary is None:
                raise ContactChannelNotFound("You have no primary email address to verify.")
            channel_id = primary.id
        account_api.send_contact_channel_verification(state.client, self.access_token, channel_id,
                                                      stack_url("stackauth.verify_email"))

    def sessions(self) -> list[Session]:
        """The user's live sessions, newest first; ``is_current_session`` marks this one.

        :raises NotSupportedByServer: the server (v2.7) cannot list sessions.
        """
        return account_api.list_sessions(get_state().client, self.access_token)

    def revoke_session(self, session_id: str) -> None:
        """End one of the user's other sessions; this app refuses its tokens from its next request on.

        :raises CannotDeleteCurrentSession: it is this session (sign out instead).
        :raises SessionNotFound: the user has no such session.
        :raises NotSupportedByServer: the server (v2.7) cannot revoke single sessions.
        """
        state = get_state()
        account_api.revoke_session(state.client, self.access_token, session_id)
        state.ended_sessions.end_session(session_id)

    def delete(self) -> None:
        """Delete this user at Stack Auth; every session ends (this one too: the session is cleared).

        :raises FeatureNotEnabled: the project does not let users delete their own account.
        """
        state = get_state()
        account_api.delete_me(state.client, self.access_token)
        state.ended_sessions.end_user_sessions(self.id, issued_up_to=2**62)
        state.profiles.forget_user(self.id)
        state.permissions.forget(self.id)
        if self._session_tokens() is not None:
            clear_tokens(session)

    # -- API keys (the user's own, with the user's token) ---------------------------------------------------

    def api_keys(self) -> list[ApiKey]:
        """The user's API keys (revoked and expired ones included); secrets are never shown again.

        :raises ApiKeysNotEnabled: the project has user API keys turned off.
        """
        return user_api_keys.list_keys(get_state().client, self.access_token)

    def create_api_key(self, description: str, expires_at: datetime | int | None = None) -> ApiKey:
        """Create an API key for the user; its ``value`` is the secret, shown only in this answer.

        :param expires_at: a timezone-aware datetime, or milliseconds since the epoch; ``None``: never.
        """
        return user_api_keys.create_key(get_state().client, self.access_token, description, expires_at)

    def revoke_api_key(self, key_id: str) -> ApiKey:
        """Revoke one of the user's API keys by id; answers the revoked key.

        :raises ApiKeyNotFound: no such key. Checks cached elsewhere stop within ``STACK_API_KEY_CACHE_TTL``.
        """
        return user_api_keys.revoke_key(get_state().client, self.access_token, key_id, self.id)

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

    selected_team = None

    @property
    def teams(self) -> list[Team]:
        """Always empty."""
        return []

    def has_permission(self, permission_id: str, team_id: str | None = None) -> bool:
        """Always false: nobody is signed in."""
        return False

    def get(self, name: str, default: Any = None) -> Any:
        """Always ``default``."""
        return default

    def __repr__(self) -> str:
        return "<AnonymousUser>"


ANONYMOUS_USER = AnonymousUser()
