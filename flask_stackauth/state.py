"""Everything the extension keeps for one app (``app.extensions["stackauth"]``), and its caches.

:class:`StackAuthState` owns every per-app cache: the project's public configuration, ``users/me``
profiles, permission answers, and the single-flight refresh registry. :func:`get_state` finds it.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import OrderedDict
from typing import Any

from flask import Flask, current_app

from .api_key_cache import ApiKeyCaches
from .client import StackAuthClient
from .config import StackAuthSettings
from .ended_sessions import EndedSessions
from .errors import StackAuthConfigError, StackAuthError, StackAuthUnavailable
from .oauth import StackOAuth
from .singleflight import RefreshCoordinator
from .throttle import SignInThrottle
from .verify import TokenVerifier

log = logging.getLogger("flask_stackauth")

#: Cached permission answers kept per user (one per team, plus the project's).
MAX_ENTRIES_PER_USER = 64


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

    def forget_user(self, user_id: str) -> None:
        """Forget the profiles of ``user_id`` under every token (after that user's profile changed)."""
        with self._lock:
            for key in [k for k, (_, p) in self._entries.items() if p.get("id") == user_id]:
                del self._entries[key]


class PermissionCache:
    """Permission ids per (user, team or project), each with an expiry; bounded, thread-safe."""

    def __init__(self, max_users: int = 10_000) -> None:
        self._users: OrderedDict[str, dict[str | None, tuple[float, frozenset[str]]]] = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_users

    def get(self, user_id: str, team_id: str | None) -> frozenset[str] | None:
        """The cached ids, or ``None`` when absent or expired."""
        with self._lock:
            entry = self._users.get(user_id, {}).get(team_id)
        if entry is None or entry[0] <= time.monotonic():
            return None
        return entry[1]

    def put(self, user_id: str, team_id: str | None, ids: frozenset[str], ttl: float) -> None:
        """Remember ``ids`` for ``ttl`` seconds (nothing is kept when ``ttl`` is 0)."""
        if ttl <= 0:
            return
        with self._lock:
            entries = self._users.setdefault(user_id, {})
            now = time.monotonic()
            if len(entries) >= MAX_ENTRIES_PER_USER:
                # A user asking about many teams (or made-up team ids) must not grow one entry without bound.
                for key in [k for k, (expires, _) in entries.items() if expires <= now]:
                    del entries[key]
                while len(entries) >= MAX_ENTRIES_PER_USER:
                    del entries[min(entries, key=lambda k: entries[k][0])]
            entries[team_id] = (now + ttl, ids)
            self._users.move_to_end(user_id)
            while len(self._users) > self._max:
                self._users.popitem(last=False)

    def forget(self, user_id: str | None) -> None:
        """Drop everything cached for ``user_id``."""
        if user_id is None:
            return
        with self._lock:
            self._users.pop(user_id, None)

    def clear(self) -> None:
        """Drop everything."""
        with self._lock:
            self._users.clear()


EXTENSION_KEY = "stackauth"
#: How long the project's public configuration (enabled providers, ...) is cached.
PROJECT_CACHE_TTL = 60.0
#: How long a failure to load it is remembered (and answered at once) before the next try.
PROJECT_FAILURE_TTL = 5.0


class StackAuthState:
    """Everything the extension keeps for one app: settings, HTTP client, verifier and caches."""

    def __init__(self, settings: StackAuthSettings) -> None:
        self.settings = settings
        self.client = StackAuthClient(settings)
        self.oauth = StackOAuth(settings, self.client)
        self.verifier = TokenVerifier(settings, self.client)
        self.refresher = RefreshCoordinator()
        self.profiles = ProfileCache()
        self.permissions = PermissionCache()
        #: Sessions this app ended, refused at once although their access tokens have not expired.
        self.ended_sessions = EndedSessions()
        #: Failed sign-in attempts per email and address (in memory; on Redis when ``init_app`` finds one).
        self.throttle = SignInThrottle(settings)
        self.api_keys = ApiKeyCaches()
        self._project: tuple[float, dict[str, Any]] | None = None
        self._project_lock = threading.Lock()
        self._project_failure: tuple[float, StackAuthError] | None = None
        #: Whether the "https without SESSION_COOKIE_SECURE" warning was logged (once per app).
        self.warned_insecure_cookie = False
        #: Whether the server can list a user's sessions (v2.7 cannot); ``None`` until the account page asks once.
        self.sessions_supported: bool | None = None

    def project(self) -> dict[str, Any]:
        """``GET /api/v1/projects/current`` (client access), cached for a minute."""
        cached = self._project
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        with self._project_lock:
            cached = self._project
            if cached is not None and cached[0] > time.monotonic():
                return cached[1]
            failure = self._project_failure
            if failure is not None and failure[0] > time.monotonic():
                # Fail fast for a few seconds: callers queue on this lock while a call hangs.
                raise failure[1]
            try:
                project = self.client.request("GET", "/api/v1/projects/current")
                if not isinstance(project, dict) or not isinstance(project.get("config"), dict):
                    # null, [], {} or an object without config: caching it would read as "no sign-in method
                    # enabled" for a minute. It is an outage, answered like one (and remembered as briefly).
                    log.warning("flask-stackauth: Stack Auth answered GET /api/v1/projects/current with %s, "
                                "not a project object", _shape(project))
                    raise StackAuthUnavailable("Stack Auth answered the project's configuration with something "
                                               "that is not a project object.")
            except StackAuthError as exc:
                self._project_failure = (time.monotonic() + PROJECT_FAILURE_TTL, exc)
                raise
            self._project = (time.monotonic() + PROJECT_CACHE_TTL, project)
            self._project_failure = None
            return project

    def project_config(self) -> dict[str, Any]:
        """The ``config`` object of the project (``{}`` when Stack Auth answers another shape)."""
        config = self.project().get("config")
        return config if isinstance(config, dict) else {}

    def enabled_providers(self) -> list[str]:
        """Ids of the OAuth providers the project has enabled."""
        providers = self.project_config().get("enabled_oauth_providers")
        if not isinstance(providers, list):
            return []
        return [p["id"] for p in providers if isinstance(p, dict) and isinstance(p.get("id"), str)]


def _shape(value: Any) -> str:
    # What the answer was, for the log line, without its content.
    if isinstance(value, dict):
        return "an object without a config object" if value else "an empty object"
    return "null" if value is None else f"a JSON {type(value).__name__}"


def get_state(app: Flask | None = None) -> StackAuthState:
    """The extension state of ``app`` (default: the current app)."""
    if app is None:
        # The app itself, not its proxy: every attribute read through a LocalProxy costs a failed lookup first.
        app = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        return app.extensions[EXTENSION_KEY]  # type: ignore[no-any-return]
    except KeyError:
        raise StackAuthConfigError(
            "flask-stackauth is not initialised on this app: call StackAuth(app) or stack.init_app(app).") from None
