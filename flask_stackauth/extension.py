"""The :class:`StackAuth` extension: settings, per-app state in ``app.extensions``, the blueprint."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app, has_app_context

from .client import StackAuthClient
from .config import StackAuthSettings, guard_settings, load_settings
from .errors import StackAuthConfigError, StackAuthError, handle_stackauth_error
from .oauth import StackOAuth
from .redis_lock import refresh_lock_from_config
from .tokens import RefreshCoordinator
from .user import ProfileCache
from .verify import TokenVerifier

if TYPE_CHECKING:
    from .server import ServerAPI

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
        self._project: tuple[float, dict[str, Any]] | None = None
        self._project_lock = threading.Lock()
        self._project_failure: tuple[float, StackAuthError] | None = None
        #: Whether the "https without SESSION_COOKIE_SECURE" warning was logged (once per app).
        self.warned_insecure_cookie = False

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
            except StackAuthError as exc:
                self._project_failure = (time.monotonic() + PROJECT_FAILURE_TTL, exc)
                raise
            if not isinstance(project, dict):
                project = {}
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


def get_state(app: Flask | None = None) -> StackAuthState:
    """The extension state of ``app`` (default: the current app)."""
    app = app or current_app
    try:
        return app.extensions[EXTENSION_KEY]  # type: ignore[no-any-return]
    except KeyError:
        raise StackAuthConfigError(
            "flask-stackauth is not initialised on this app: call StackAuth(app) or stack.init_app(app).") from None


def _check_cookie_settings(app: Flask) -> None:
    # OAuth's callback is a cross-site top-level navigation: Lax cookies come along, Strict ones do not.
    if not app.config.get("SESSION_COOKIE_SAMESITE"):
        app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    samesite = str(app.config["SESSION_COOKIE_SAMESITE"]).capitalize()
    if samesite not in ("Lax",):
        raise StackAuthConfigError(
            f"SESSION_COOKIE_SAMESITE={samesite!r} is not supported: 'None' lets other sites send the session "
            "cookie and 'Strict' drops it on the OAuth callback. Use 'Lax' (the default flask-stackauth sets).")
    if app.config.get("SESSION_COOKIE_HTTPONLY") is False:
        raise StackAuthConfigError(
            "SESSION_COOKIE_HTTPONLY is False; the session holds Stack Auth tokens, so it must stay HttpOnly.")


class StackAuth:
    """Flask extension that signs users in through Stack Auth.

    ``StackAuth(app)`` or ``stack = StackAuth(); stack.init_app(app)``. One instance may serve several
    apps: all per-app state lives in ``app.extensions["stackauth"]``.
    """

    def __init__(self, app: Flask | None = None) -> None:
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Resolve and validate settings, register the blueprint and the error handler.

        :raises StackAuthConfigError: a missing ``STACK_PROJECT_ID`` or ``SECRET_KEY``, a malformed URL, ...
        """
        if not app.config.get("SECRET_KEY"):
            raise StackAuthConfigError(
                "SECRET_KEY is not set: flask-stackauth keeps tokens in the signed Flask session, which needs "
                "app.config['SECRET_KEY'] (a long random string, kept secret).")
        settings = load_settings(app.config)
        _check_cookie_settings(app)
        app.extensions[EXTENSION_KEY] = StackAuthState(settings)
        app.extensions[EXTENSION_KEY].refresher.cluster_lock = refresh_lock_from_config(app.config)
        guard_settings(app, settings)

        from .cli import stackauth_cli
        from .views import blueprint

        app.cli.add_command(stackauth_cli)

        app.register_blueprint(blueprint, url_prefix=settings.url_prefix or None)
        app.register_error_handler(StackAuthError, handle_stackauth_error)

        @app.context_processor
        def _inject() -> dict[str, Any]:
            from .user import current_user
            from .views import form_token

            # ``stackauth_form_token()`` signs a sign-out form rendered by the app's own templates.
            return {"current_user": current_user, "stackauth_form_token": form_token}

    @property
    def server(self) -> ServerAPI:
        """The server API of the current app (:class:`~flask_stackauth.server.ServerAPI`).

        Use it inside an app or request context; it needs ``STACK_SECRET_SERVER_KEY``.

        :raises StackAuthConfigError: outside an app context, or without a secret server key.
        """
        from .permissions import permission_cache
        from .server import ServerAPI

        if not has_app_context():
            raise StackAuthConfigError(
                "stack.server belongs to the current app: use it inside a request or `with app.app_context():`.")
        state = get_state()
        if not state.settings.secret_server_key:
            raise StackAuthConfigError(
                "stack.server needs STACK_SECRET_SERVER_KEY (the project's secret server key, from the Stack Auth "
                "dashboard under Project Keys); it is not set for this app.")
        return ServerAPI(state.client, on_permissions_changed=permission_cache().forget)

    @staticmethod
    def settings(app: Flask | None = None) -> StackAuthSettings:
        """The settings of ``app`` (default: the current app)."""
        return get_state(app).settings
