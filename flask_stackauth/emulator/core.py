"""The :class:`Emulator`: state, controls, token minting and the WSGI app."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from flask import has_request_context, request

from . import state as st
from .keys import KeyStore, decode_unverified
from .state import EmulatorData, Fault, ProjectConfig, Session, Team, User

if TYPE_CHECKING:
    from flask import Flask

LEGACY_ISSUER = "https://access-token.jwt-signature.stack-auth.com"
DEFAULT_BASE_URL = "http://localhost:8102"
REFRESH_TOKEN_LIFETIME = 365 * 24 * 3600
FAULT_MODES = ("500", "503", "429", "hang", "garbage")


def hash_password(password: str) -> str:
    """Hash a password with scrypt and a random salt."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**12, r=8, p=1, dklen=32)
    return f"scrypt${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str | None) -> bool:
    """Check ``password`` against a hash from :func:`hash_password` in constant time."""
    if not stored:
        return False
    try:
        _, salt_hex, digest_hex = stored.split("$")
        salt = bytes.fromhex(salt_hex)
        expected = bytes.fromhex(digest_hex)
    except ValueError:
        return False
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**12, r=8, p=1, dklen=32)
    return hmac.compare_digest(digest, expected)


class Emulator:
    """An in-memory Stack Auth backend with test controls.

    :param legacy_tokens: behave like a v2.7.16 server (pre-mid-2025 tokens and answers).
    :param access_token_lifetime: access-token lifetime in seconds.
    """

    def __init__(self, legacy_tokens: bool = False, access_token_lifetime: int = 600) -> None:
        self.lock = threading.RLock()
        self.legacy_tokens = legacy_tokens
        self._initial_legacy = legacy_tokens
        self._initial_lifetime = access_token_lifetime
        self.access_token_lifetime = access_token_lifetime
        self.base_url: str | None = None
        self.project = ProjectConfig()
        self.keys = KeyStore(legacy=legacy_tokens)
        self.clock_offset = 0.0
        self.data = EmulatorData()
        self._known_bases: set[str] = set()
        self.reset_hooks: list[Callable[[Emulator], None]] = []
        from . import events
        from .webhooks import WebhookHub

        #: The emulator's Svix: webhook endpoints, signed deliveries and their log (see :mod:`.webhooks`).
        self.webhooks = WebhookHub()
        events.observe(self)
        self.reset_hooks.append(events.on_reset)
        from .app import create_app

        self.wsgi_app: Flask = create_app(self)

    # --- controls ---------------------------------------------------------------------------

    def reset(self) -> None:
        """Go back to the seeded state (the legacy flag stays as constructed)."""
        with self.lock:
            self.data = EmulatorData()
            self.project = ProjectConfig()
            self.clock_offset = 0.0
            self.access_token_lifetime = self._initial_lifetime
            self.legacy_tokens = self._initial_legacy
            self.keys = KeyStore(legacy=self._initial_legacy)
            for hook in list(self.reset_hooks):
                hook(self)

    def now(self) -> float:
        """The emulator clock: ``time.time()`` plus the offset set by :meth:`advance_clock`."""
        return time.time() + self.clock_offset

    def advance_clock(self, seconds: float) -> None:
        """Move the emulator clock forward by ``seconds``."""
        with self.lock:
            self.clock_offset += float(seconds)

    def set_access_token_lifetime(self, seconds: int) -> None:
        """Set the lifetime of newly minted access tokens."""
        with self.lock:
            self.access_token_lifetime = int(seconds)

    def set_legacy_tokens(self, flag: bool) -> None:
        """Switch between current (v2.8) and legacy (v2.7, pre-mid-2025) behaviour."""
        with self.lock:
            self.legacy_tokens = bool(flag)
            self.keys.legacy = bool(flag)

    def revoke_refresh_token(self, refresh_token: str) -> bool:
        """Revoke a session by its refresh token; return whether it existed."""
        with self.lock:
            for sid, sess in list(self.data.sessions.items()):
                if sess.refresh_token == refresh_token:
                    del self.data.sessions[sid]
                    return True
        return False

    def rotate_keys(self) -> str:
        """Sign with a new key from now on (the JWKS keeps the previous one); return the new kid."""
        with self.lock:
            return self.keys.rotate()

    def fail_next(self, n: int, *, path: str | None = None, mode: str = "500", delay: float = 5.0) -> None:
        """Make the next ``n`` API requests (under ``path`` if given) fail in ``mode``."""
        if mode not in FAULT_MODES:
            raise ValueError(f"mode must be one of {FAULT_MODES}")
        with self.lock:
            self.data.faults.append(Fault(remaining=int(n), path=path, mode=mode, delay=float(delay)))

    def take_fault(self, path: str) -> Fault | None:
        """Consume and return the fault that applies to ``path``, if any."""
        with self.lock:
            for fault in self.data.faults:
                if fault.remaining > 0 and (fault.path is None or path.startswith(fault.path)):
                    fault.remaining -= 1
                    return Fault(remaining=0, path=fault.path, mode=fault.mode, delay=fault.delay)
            self.data.faults = [f for f in self.data.faults if f.remaining > 0]
        return None

    def record_call(self, method: str, path: str) -> None:
        """Count one API request."""
        with self.lock:
            self.data.call_log.append((method.upper(), path))

    @property
    def call_log(self) -> list[tuple[str, str]]:
        """A copy of every counted API request as ``(METHOD, path)``."""
        with self.lock:
            return list(self.data.call_log)

    def calls(self, method: str | None = None, path: str | None = None) -> int:
        """How many API requests matched ``method`` and the concrete ``path`` (``None`` matches all)."""
        with self.lock:
            return sum(
                1
                for m, p in self.data.call_log
                if (method is None or m == method.upper()) and (path is None or p == path)
            )

    @property
    def emails(self) -> list[dict[str, Any]]:
        """Emails the emulator "sent" (dicts with to, subject, body, link, link_code, and otp for sign-in codes)."""
        return self.data.emails

    # --- users, teams, sessions -------------------------------------------------------------

    def create_user(
        self,
        email: str | None = None,
        *,
        password: str | None = None,
        display_name: str | None = None,
        email_verified: bool = True,
        anonymous: bool = False,
        restricted_by_admin: bool = False,
    ) -> dict[str, Any]:
        """Create a user directly and return its server JSON (``restricted_by_admin``: a restricted user)."""
        from .serialize import user_json

        user = self.add_user(
            email=email,
            password=password,
            display_name=display_name,
            email_verified=email_verified,
            email_auth_enabled=email is not None,
            anonymous=anonymous,
        )
        if restricted_by_admin:
            with self.lock:
                user.restricted_by_admin = True
        return user_json(self, user, server=True)

    def add_user(
        self,
        *,
        email: str | None = None,
        password: str | None = None,
        display_name: str | None = None,
        email_verified: bool = False,
        email_auth_enabled: bool = False,
        anonymous: bool = False,
        personal_team: bool = True,
    ) -> User:
        """Create and store a :class:`User` (with a personal team in current mode)."""
        now = self.now()
        user = User(
            id=st.new_id(),
            signed_up_at=now,
            last_active_at=now,
            primary_email=email,
            primary_email_verified=bool(email_verified and email),
            primary_email_auth_enabled=bool(email_auth_enabled and email),
            display_name=display_name,
            password_hash=hash_password(password) if password else None,
            is_anonymous=anonymous,
        )
        with self.lock:
            self.data.users[user.id] = user
            if personal_team:
                self.ensure_personal_team(user)
        return user

    def ensure_personal_team(self, user: User) -> None:
        """Give ``user`` a personal team, selected, if the project creates one on sign-up (v2.8 only)."""
        if self.legacy_tokens or not self.project.create_team_on_sign_up:
            return
        with self.lock:
            name = user.display_name or user.primary_email
            team = Team(
                id=st.new_id(),
                display_name=f"{name}'s Team" if name else "Personal Team",
                created_at=self.now(),
                member_ids=[user.id],
            )
            self.data.teams[team.id] = team
            user.selected_team_id = team.id

    def find_user_by_email(self, email: str, *, auth_only: bool = False) -> User | None:
        """The first user whose primary email is ``email`` (only email-auth users if ``auth_only``)."""
        with self.lock:
            for user in self.data.users.values():
                if user.primary_email == email and (not auth_only or user.primary_email_auth_enabled):
                    return user
        return None

    def delete_user(self, user_id: str) -> bool:
        """Delete a user and its sessions and memberships."""
        with self.lock:
            if self.data.users.pop(user_id, None) is None:
                return False
            for sid, sess in list(self.data.sessions.items()):
                if sess.user_id == user_id:
                    del self.data.sessions[sid]
            for team in self.data.teams.values():
                if user_id in team.member_ids:
                    team.member_ids.remove(user_id)
            return True

    def new_session(self, user_id: str, *, expires_in: float | None = None, is_impersonation: bool = False) -> Session:
        """Create a session (refresh token) for a user."""
        now = self.now()
        sess = Session(
            id=st.new_id(),
            user_id=user_id,
            refresh_token=st.random_token(45),
            created_at=now,
            last_used_at=now,
            expires_at=now + (expires_in if expires_in is not None else REFRESH_TOKEN_LIFETIME),
            is_impersonation=is_impersonation,
        )
        with self.lock:
            self.data.sessions[sess.id] = sess
        return sess

    def valid_session(self, refresh_token: str) -> Session | None:
        """The live session for ``refresh_token`` (not revoked or expired, user still there)."""
        with self.lock:
            for sess in self.data.sessions.values():
                if hmac.compare_digest(sess.refresh_token, refresh_token):
                    if sess.expires_at is not None and sess.expires_at < self.now():
                        return None
                    if sess.user_id not in self.data.users:
                        return None
                    return sess
        return None

    def create_session(self, user_id: str, *, expires_in: float | None = None) -> dict[str, str]:
        """Create a session for ``user_id``; return ``{"access_token", "refresh_token"}``.

        :param expires_in: seconds the access token has left; it was issued earlier, so that its lifetime
            (``exp - iat``) stays the configured one. For tests of refresh: such a token is inside an app's
            refresh leeway, which is capped at half a token's lifetime.
        """
        if user_id not in self.data.users:
            raise KeyError(user_id)
        sess = self.new_session(user_id)
        return {"access_token": self.access_token_for_session(sess, expires_in=expires_in),
                "refresh_token": sess.refresh_token}

    # --- tokens -----------------------------------------------------------------------------

    def current_base_url(self) -> str:
        """The base URL used for ``iss``: ``base_url`` if set, else the request's host URL."""
        if self.base_url:
            return self.base_url.rstrip("/")
        if has_request_context():
            return request.host_url.rstrip("/")
        return DEFAULT_BASE_URL

    def issuer_for(self, project_id: str, kind: str, base: str | None = None) -> str:
        """The ``iss`` for a user kind (``normal``, ``anonymous``, ``restricted``)."""
        suffix = {"anonymous": "-anonymous-users", "restricted": "-restricted-users"}.get(kind, "")
        return f"{(base or self.current_base_url())}/api/v1/projects{suffix}/{project_id}"

    @staticmethod
    def audience_for(project_id: str, kind: str) -> str:
        """The ``aud`` for a user kind."""
        return {"anonymous": f"{project_id}:anon", "restricted": f"{project_id}:restricted"}.get(kind, project_id)

    def allowed_issuers(self, project_id: str) -> set[str]:
        """Issuers accepted on incoming tokens for ``project_id``."""
        if self.legacy_tokens:
            return {LEGACY_ISSUER}
        bases = set(self._known_bases) | {self.current_base_url()}
        return {
            self.issuer_for(project_id, kind, base) for base in bases for kind in ("normal", "anonymous", "restricted")
        }

    def access_token_for_session(self, sess: Session, *, expires_in: float | None = None) -> str:
        """Mint an access token for a session and remember it (legacy tokens carry no session id).

        :param expires_in: seconds the token has left (see :meth:`create_session`); default: its whole lifetime.
        """
        iat: float | None = None
        lifetime: float | None = None
        if expires_in is not None:
            life = self.access_token_lifetime
            if expires_in < life:
                iat = self.now() - (life - expires_in)
            else:
                lifetime = expires_in
        token = self.mint_access_token(sess.user_id, refresh_token_id=sess.id, iat=iat, lifetime=lifetime)
        if self.legacy_tokens:
            with self.lock:
                self.data.legacy_token_sessions[token] = sess.id
        with self.lock:
            sess.last_used_at = self.now()
            user = self.data.users.get(sess.user_id)
            if user is not None:
                user.last_active_at = self.now()
        return token

    def mint_access_token(
        self,
        user_id: str,
        *,
        refresh_token_id: str | None = None,
        lifetime: float | None = None,
        audience: str | None = None,
        issuer: str | None = None,
        iat: float | None = None,
    ) -> str:
        """Sign an access token for ``user_id`` (the user need not exist; odd values allowed for tests)."""
        with self.lock:
            user = self.data.users.get(user_id)
            pid = self.project.id
            kind = "normal"
            if user is not None and user.is_anonymous:
                kind = "anonymous"
            elif user is not None and user.is_restricted:
                kind = "restricted"
            aud = audience if audience is not None else self.audience_for(pid, kind)
            issued = int(iat if iat is not None else self.now())
            life = int(lifetime if lifetime is not None else self.access_token_lifetime)
            base = self.current_base_url()
            self._known_bases.add(base)
            claims: dict[str, Any]
            if self.legacy_tokens:
                claims = {
                    "sub": user_id,
                    "branchId": "main",
                    "iss": issuer if issuer is not None else LEGACY_ISSUER,
                    "iat": issued,
                    "aud": aud,
                    "exp": issued + life,
                }
            else:
                claims = {
                    "sub": user_id,
                    "project_id": aud.split(":")[0],
                    "branch_id": "main",
                    "refresh_token_id": refresh_token_id,
                    "role": "authenticated",
                    "name": user.display_name if user else None,
                    "email": user.primary_email if user else None,
                    "email_verified": bool(user.primary_email_verified) if user else False,
                    "selected_team_id": user.selected_team_id if user else None,
                    "signed_up_at": int(user.signed_up_at) if user else issued,
                    "is_anonymous": bool(user.is_anonymous) if user else False,
                    "is_restricted": bool(user.is_restricted) if user else False,
                    "restricted_reason": user.restricted_reason if user else None,
                    "requires_totp_mfa": bool(user.requires_totp_mfa) if user else False,
                    "iss": issuer if issuer is not None else self.issuer_for(aud.split(":")[0], kind, base),
                    "iat": issued,
                    "aud": aud,
                    "exp": issued + life,
                }
                if refresh_token_id is None:
                    del claims["refresh_token_id"]
            return self.keys.sign(aud, claims)

    def decode_token_claims(self, token: str) -> dict[str, Any] | None:
        """The claims of a token without any check (for tests and tools)."""
        parts = decode_unverified(token)
        return parts[1] if parts else None
