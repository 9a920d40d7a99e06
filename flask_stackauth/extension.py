"""The :class:`StackAuth` extension: validates settings and wires one app (state, blueprint, handlers, CLI).

The per-app state it creates is :class:`~flask_stackauth.state.StackAuthState`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, has_app_context, url_for

from . import account_api
from .api_key_auth import guard_api_key_views
from .app_urls import stack_url, warn_about_landing_urls, warn_if_unconfigured
from .auth import current_user
from .cli import stackauth_cli
from .config import StackAuthSettings, guard_settings, load_settings
from .errors import StackAuthConfigError, StackAuthError
from .js_tokens import add_refreshed_header
from .permissions import forget_on_sign_out
from .redis_lock import refresh_lock_from_config
from .responses import handle_stackauth_error
from .server import ServerAPI
from .signals import user_signed_out
from .state import EXTENSION_KEY, StackAuthState, get_state
from .throttle import throttle_from_config
from .views import make_blueprint
from .views.forms import form_token
from .webhooks import H, Webhooks, install_receiver

__all__ = ["EXTENSION_KEY", "StackAuth", "StackAuthState", "get_state"]

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


def _template_globals() -> dict[str, Any]:
    # ``stackauth_form_token()`` signs a sign-out form rendered by the app's own templates.
    return {"current_user": current_user, "stackauth_form_token": form_token}


class StackAuth:
    """Flask extension that signs users in through Stack Auth.

    ``StackAuth(app)`` or ``stack = StackAuth(); stack.init_app(app)``. One instance may serve several
    apps: all per-app state lives in ``app.extensions["stackauth"]``.
    """

    def __init__(self, app: Flask | None = None) -> None:
        #: The webhook handlers (:class:`~flask_stackauth.webhooks.Webhooks`); the route exists only on apps
        #: with ``STACK_WEBHOOK_SECRET``.
        self.webhooks = Webhooks()
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
        warn_if_unconfigured(app, settings)
        warn_about_landing_urls(settings)
        state = app.extensions[EXTENSION_KEY] = StackAuthState(settings)
        state.refresher.cluster_lock = refresh_lock_from_config(app.config)
        state.throttle = throttle_from_config(app.config, settings)
        guard_settings(app, settings)
        guard_api_key_views(app, state)

        app.cli.add_command(stackauth_cli)
        app.register_blueprint(make_blueprint(), url_prefix=settings.url_prefix or None)
        app.register_error_handler(StackAuthError, handle_stackauth_error)
        install_receiver(app, settings, self.webhooks)
        # Per app (this app as the sender), so a second app's sign-outs never touch this app's cache.
        user_signed_out.connect(forget_on_sign_out, app, weak=False)
        app.context_processor(_template_globals)
        app.after_request(add_refreshed_header)

    def on(self, event_type: str) -> Callable[[H], H]:
        """Decorator: handle webhook events of ``event_type`` (``"user.created"``, ``"user.*"``, ``"*"``).

        The handler gets a :class:`~flask_stackauth.webhook_events.WebhookEvent` (typed: ``UserCreated`` has a
        :class:`~flask_stackauth.models.ServerUser` as ``data``). Deliveries repeat and arrive out of order:
        make handlers idempotent.
        """
        return self.webhooks.on(event_type)

    @staticmethod
    def link_provider_url(provider: str, scopes: Iterable[str] = (), next: str | None = None) -> str:
        """The URL that connects ``provider`` (with ``scopes``) to the signed-in user and comes back to ``next``.

        It is the blueprint's ``GET {STACK_URL_PREFIX}/link/<provider>``: PKCE and state as for sign-in, and
        the user stays signed in as themselves. Use it in a request context, e.g. after
        :class:`~flask_stackauth.errors.OAuthConnectionDoesNotHaveRequiredScope`::

            return redirect(stack.link_provider_url(exc.provider, exc.scopes, next=request.path))
        """
        values: dict[str, Any] = {"provider": provider}
        wanted = [scopes] if isinstance(scopes, str) else list(scopes)
        if wanted:
            values["scope"] = " ".join(wanted)
        if next:
            values["next"] = next
        return url_for("stackauth.link", **values)

    @property
    def server(self) -> ServerAPI:
        """The server API of the current app (:class:`~flask_stackauth.server.ServerAPI`).

        Use it inside an app or request context; it needs ``STACK_SECRET_SERVER_KEY``.

        :raises StackAuthConfigError: outside an app context, or without a secret server key.
        """
        if not has_app_context():
            raise StackAuthConfigError(
                "stack.server belongs to the current app: use it inside a request or `with app.app_context():`.")
        state = get_state()
        if not state.settings.secret_server_key:
            raise StackAuthConfigError(
                "stack.server needs STACK_SECRET_SERVER_KEY (the project's secret server key, from the Stack Auth "
                "dashboard under Project Keys); it is not set for this app.")
        return ServerAPI(state.client, on_permissions_changed=state.permissions.forget)

    # -- account recovery, for apps with their own pages (inside a request or app context) --------------------

    @staticmethod
    def send_password_reset(email: str) -> None:
        """Have Stack mail ``email`` a link to this app's ``/password-reset`` page.

        The answer is the same whether or not ``email`` has an account, so callers must not tell either.

        :raises PasswordAuthenticationNotEnabled: the project has no password sign-in.
        :raises RedirectUrlNotWhitelisted: the app's address is not a trusted domain of the project.
        """
        state = get_state()
        account_api.send_password_reset(state.client, email, stack_url("stackauth.password_reset"))

    @staticmethod
    def check_password_reset_code(code: str) -> None:
        """Raise unless ``code`` can still reset a password (spends nothing: call it on GET).

        :raises VerificationCodeError: not found (``VerificationCodeNotFound``), expired, already used ...
        """
        account_api.check_password_reset_code(get_state().client, code)

    @staticmethod
    def reset_password(code: str, new_password: str) -> None:
        """Spend a reset ``code`` and set ``new_password``; Stack ends every session of the user.

        Stack spends the code even when it then refuses the password, so check the password first (at
        least 8 and at most 70 characters on Stack's default rules).

        :raises VerificationCodeError: the code cannot be used.
        :raises PasswordRequirementsNotMet: Stack refused the password (``PasswordTooShort`` ...).
        """
        account_api.reset_password(get_state().client, code, new_password)

    @staticmethod
    def verify_email(code: str) -> None:
        """Spend an email verification ``code``: the address it was mailed to becomes verified.

        Access tokens issued before keep ``email_verified: false`` until refreshed
        (:meth:`StackUser.refresh_claims <flask_stackauth.user.StackUser.refresh_claims>`).

        :raises VerificationCodeError: the code cannot be used.
        :raises ContactChannelNotFound: the address was removed after the mail was sent.
        """
        account_api.verify_email(get_state().client, code)

    @staticmethod
    def settings(app: Flask | None = None) -> StackAuthSettings:
        """The settings of ``app`` (default: the current app)."""
        return get_state(app).settings
