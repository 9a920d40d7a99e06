"""Typed settings, resolved once per app at ``init_app``: ``app.config``, then the environment, then defaults."""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from .errors import StackAuthConfigError

if TYPE_CHECKING:
    from flask import Flask

#: The ``client_secret`` Stack Auth accepts from public clients when a project does not require a key.
PUBLIC_CLIENT_SECRET = "__stack_public_client__"
#: The issuer of access tokens on Stack Auth servers released before mid-2025 (one constant for all projects).
LEGACY_ISSUER = "https://access-token.jwt-signature.stack-auth.com"
DEFAULT_API_URL = "https://api.stack-auth.com"

T = TypeVar("T")


@dataclass(frozen=True)
class StackAuthSettings:
    """The extension's settings for one app. Every field has a ``STACK_*`` key of the same name."""

    project_id: str
    publishable_client_key: str | None = None
    secret_server_key: str | None = None
    api_url: str = DEFAULT_API_URL
    url_prefix: str = "/auth"
    redirect_uri: str | None = None
    after_sign_in_url: str = "/"
    after_sign_out_url: str = "/"
    refresh_leeway: int = 20
    http_timeout: float = 10.0
    #: Extra accepted ``iss`` values, on top of the ones Stack Auth servers use.
    jwt_issuers: tuple[str, ...] = ()
    #: Seconds a JWKS is cached when the server sends no ``max-age``.
    jwks_cache_ttl: int = 3600
    #: Minimum seconds between two JWKS fetches caused by unknown ``kid`` values.
    jwks_refetch_cooldown: float = 10.0
    #: Seconds a permission answer is cached per user.
    permission_cache_ttl: float = 5.0
    #: Leeway, in seconds, for ``exp``/``iat``/``nbf`` checks.
    clock_leeway: int = 5
    #: The Svix signing secret of the webhook endpoint (``whsec_...``); ``None``: no webhook route.
    webhook_secret: str | None = None
    #: Where the webhook receiver is mounted (default ``{STACK_URL_PREFIX}/webhooks``).
    webhook_path: str = "/auth/webhooks"
    #: Read Stack's JS SDK cookies (``stack-access``, ``stack-refresh-<project>...``) as credentials.
    accept_js_sdk_cookies: bool = False
    #: Seconds an API key check is cached per key (a revoked key stops working within it).
    api_key_cache_ttl: float = 60.0
    #: The request header read for an API key (besides ``Authorization: Bearer``).
    api_key_header: str = "X-Api-Key"
    #: The app's public base URL (``https://app.example.com``): every URL handed to Stack Auth is built on it.
    app_url: str | None = None
    #: Whether ``current_user`` outside views that opt in is Stack's anonymous / restricted user (else anonymous).
    current_user_allow_anonymous: bool = False
    current_user_allow_restricted: bool = False
    #: Failed sign-in attempts allowed per email and per client address (``limits`` notation), ``None``: off.
    sign_in_throttle_per_email: str | None = "10 per 15 minutes"
    sign_in_throttle_per_address: str | None = "50 per 15 minutes"

    def __repr__(self) -> str:
        # Never show keys in a repr that may end up in a log line or a traceback.
        return (f"StackAuthSettings(project_id={self.project_id!r}, api_url={self.api_url!r}, "
                f"publishable_client_key={'<set>' if self.publishable_client_key else None}, "
                f"secret_server_key={'<set>' if self.secret_server_key else None})")

    @property
    def client_secret(self) -> str:
        """What to send as OAuth ``client_secret``: the publishable key, else the public-client sentinel."""
        return self.publishable_client_key or PUBLIC_CLIENT_SECRET

    def endpoint(self, path: str) -> str:
        """The absolute URL of an API path such as ``/api/v1/users/me``."""
        return self.api_url + path

    def public_base_url(self) -> str | None:
        """The app's public base URL: ``STACK_APP_URL``, else ``STACK_REDIRECT_URI`` without the callback's path.

        ``None`` when neither is set. Every URL handed to Stack Auth is built on it (:mod:`flask_stackauth.app_urls`).
        """
        if self.app_url:
            return self.app_url
        if self.redirect_uri:
            parts = urlsplit(self.redirect_uri)
            suffix = f"{self.url_prefix}/callback"
            # https://example.com/app/auth/callback is the prebuilt callback of an app mounted at /app.
            mount = parts.path[: -len(suffix)] if parts.path.endswith(suffix) else ""
            return f"{parts.scheme}://{parts.netloc}{mount}"
        return None

    def issuers(self, *, anonymous: bool = False, restricted: bool = False) -> frozenset[str]:
        """The ``iss`` values accepted for this project's access tokens."""
        pid = self.project_id
        accepted = {LEGACY_ISSUER, *self.jwt_issuers}
        for api_url in _loopback_aliases(self.api_url):
            base = f"{api_url}/api/v1"
            accepted.add(f"{base}/projects/{pid}")
            if restricted or anonymous:
                accepted.add(f"{base}/projects-restricted-users/{pid}")
            if anonymous:
                accepted.add(f"{base}/projects-anonymous-users/{pid}")
        return frozenset(accepted)


_LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")


def _loopback_aliases(api_url: str) -> list[str]:
    """``api_url``, plus its spellings with the other loopback names when it names this machine.

    A local server writes its own configured URL into ``iss`` (say ``http://localhost:8102``) while the app
    may reach it as ``http://127.0.0.1:8102``: the same server, so the same issuer.
    """
    parts = urlsplit(api_url)
    host = (parts.hostname or "").lower()
    if host not in ("localhost", "127.0.0.1", "::1"):
        return [api_url]
    port = f":{parts.port}" if parts.port else ""
    return [api_url, *(f"{parts.scheme}://{name}{port}{parts.path}" for name in _LOOPBACK_NAMES)]


def _lookup(config: Mapping[str, Any], key: str) -> Any:
    value = config.get(key)
    if value is None or value == "":
        value = os.environ.get(key)
    return None if value == "" else value


def _get(config: Mapping[str, Any], key: str, default: Any) -> Any:
    value = _lookup(config, key)
    return default if value is None else value


def _number(key: str, value: Any, cast: Callable[[Any], T], minimum: float) -> T:
    try:
        number = cast(value)
    except (TypeError, ValueError):
        raise StackAuthConfigError(f"{key} must be a number, got {value!r}.") from None
    if number < minimum:  # type: ignore[operator]
        raise StackAuthConfigError(f"{key} must be at least {minimum}, got {value!r}.")
    return number


def _url(key: str, value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise StackAuthConfigError(
            f"{key} must be an absolute http(s) URL such as https://api.stack-auth.com, got {value!r}.")
    return value.rstrip("/")


_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def _flag(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise StackAuthConfigError(f"{key} must be true or false, got {value!r}.")


def _rate(key: str, value: Any) -> str | None:
    """A ``limits`` rate such as ``10 per 15 minutes``; ``off`` (or False) turns the throttle off."""
    if value is False or str(value).strip().lower() in _FALSE:
        return None
    from limits import parse

    try:
        parse(str(value))
    except ValueError:
        raise StackAuthConfigError(
            f"{key} must be a rate such as '10 per 15 minutes' (or 'off'), got {value!r}.") from None
    return str(value).strip()


def load_settings(config: Mapping[str, Any]) -> StackAuthSettings:
    """Resolve and validate the ``STACK_*`` settings from an app's config and the environment.

    :raises StackAuthConfigError: with a message naming the setting when one is missing or malformed.
    """
    project_id = _lookup(config, "STACK_PROJECT_ID")
    if not project_id or not isinstance(project_id, str) or not project_id.strip():
        raise StackAuthConfigError(
            "STACK_PROJECT_ID is not set. Set it in app.config or the environment; find it in the Stack Auth "
            "dashboard on the Project Keys page (for the bundled emulator it is 'internal').")
    api_url = _url("STACK_API_URL", str(_lookup(config, "STACK_API_URL") or DEFAULT_API_URL))
    prefix = str(_lookup(config, "STACK_URL_PREFIX") or "/auth")
    if not prefix.startswith("/") or (prefix.endswith("/") and prefix != "/"):
        raise StackAuthConfigError(f"STACK_URL_PREFIX must start with '/' and not end with it, got {prefix!r}.")
    redirect_uri = _lookup(config, "STACK_REDIRECT_URI")
    if redirect_uri is not None:
        redirect_uri = _url("STACK_REDIRECT_URI", str(redirect_uri))
    app_url = _lookup(config, "STACK_APP_URL")
    if app_url is not None:
        app_url = _url("STACK_APP_URL", str(app_url))
    issuers = _lookup(config, "STACK_JWT_ISSUERS") or ()
    if isinstance(issuers, str):
        issuers = tuple(i.strip() for i in issuers.split(",") if i.strip())
    return StackAuthSettings(
        project_id=project_id.strip(),
        publishable_client_key=_lookup(config, "STACK_PUBLISHABLE_CLIENT_KEY"),
        secret_server_key=_lookup(config, "STACK_SECRET_SERVER_KEY"),
        api_url=api_url,
        url_prefix="" if prefix == "/" else prefix,
        redirect_uri=redirect_uri,
        after_sign_in_url=str(_lookup(config, "STACK_AFTER_SIGN_IN_URL") or "/"),
        after_sign_out_url=str(_lookup(config, "STACK_AFTER_SIGN_OUT_URL") or "/"),
        refresh_leeway=_number("STACK_REFRESH_LEEWAY", _get(config, "STACK_REFRESH_LEEWAY", 20), int, 0),
        http_timeout=_number("STACK_HTTP_TIMEOUT", _get(config, "STACK_HTTP_TIMEOUT", 10), float, 0.001),
        jwt_issuers=tuple(str(i).rstrip("/") for i in issuers),
        jwks_cache_ttl=_number("STACK_JWKS_CACHE_TTL", _get(config, "STACK_JWKS_CACHE_TTL", 3600), int, 0),
        jwks_refetch_cooldown=_number("STACK_JWKS_REFETCH_COOLDOWN",
                                      _get(config, "STACK_JWKS_REFETCH_COOLDOWN", 10), float, 0),
        permission_cache_ttl=_number("STACK_PERMISSION_CACHE_TTL",
                                     _get(config, "STACK_PERMISSION_CACHE_TTL", 5), float, 0),
        clock_leeway=_number("STACK_CLOCK_LEEWAY", _get(config, "STACK_CLOCK_LEEWAY", 5), int, 0),
        webhook_secret=_webhook_secret(_lookup(config, "STACK_WEBHOOK_SECRET")),
        webhook_path=_webhook_path(_lookup(config, "STACK_WEBHOOK_PATH"), "" if prefix == "/" else prefix),
        app_url=app_url,
        current_user_allow_anonymous=_flag("STACK_CURRENT_USER_ALLOW_ANONYMOUS",
                                           _get(config, "STACK_CURRENT_USER_ALLOW_ANONYMOUS", False)),
        current_user_allow_restricted=_flag("STACK_CURRENT_USER_ALLOW_RESTRICTED",
                                            _get(config, "STACK_CURRENT_USER_ALLOW_RESTRICTED", False)),
        sign_in_throttle_per_email=_rate("STACK_SIGN_IN_THROTTLE_PER_EMAIL",
                                 _get(config, "STACK_SIGN_IN_THROTTLE_PER_EMAIL", "10 per 15 minutes")),
        sign_in_throttle_per_address=_rate("STACK_SIGN_IN_THROTTLE_PER_ADDRESS",
                                   _get(config, "STACK_SIGN_IN_THROTTLE_PER_ADDRESS", "50 per 15 minutes")),
        **_backend_settings(config),
    )


def _webhook_secret(value: Any) -> str | None:
    """``STACK_WEBHOOK_SECRET`` checked for shape only (its value never goes into a message)."""
    if value is None:
        return None
    text = str(value).strip()
    try:
        key = base64.b64decode(text.removeprefix("whsec_"), validate=True)
    except ValueError:
        key = b""
    if not text.startswith("whsec_") or len(key) < 16:
        raise StackAuthConfigError(
            "STACK_WEBHOOK_SECRET must be the endpoint's signing secret as the Stack Auth dashboard shows it "
            "(Webhooks > your endpoint > Signing secret): whsec_ followed by base64.")
    return text


def _webhook_path(value: Any, prefix: str) -> str:
    path = str(value) if value is not None else f"{prefix}/webhooks"
    if not path.startswith("/") or "<" in path or "?" in path or "#" in path:
        raise StackAuthConfigError(f"STACK_WEBHOOK_PATH must be a path starting with '/', got {path!r}.")
    return path


_HEADER_NAME = re.compile(r"^[A-Za-z0-9-]{1,64}$")


def _backend_settings(config: Mapping[str, Any]) -> dict[str, Any]:
    """The settings of the backend features (JS SDK tokens, API keys), kept apart so they merge cleanly."""
    header = str(_get(config, "STACK_API_KEY_HEADER", "X-Api-Key"))
    if not _HEADER_NAME.match(header) or header.lower() in ("authorization", "cookie", "x-stack-auth"):
        raise StackAuthConfigError(f"STACK_API_KEY_HEADER must be an HTTP header name such as X-Api-Key, got "
                                   f"{header!r}.")
    return {
        "accept_js_sdk_cookies": _flag("STACK_ACCEPT_JS_SDK_COOKIES", _get(config, "STACK_ACCEPT_JS_SDK_COOKIES",
                                                                           False)),
        "api_key_cache_ttl": _number("STACK_API_KEY_CACHE_TTL", _get(config, "STACK_API_KEY_CACHE_TTL", 60),
                                     float, 0),
        "api_key_header": header,
    }


def check_unchanged(settings: StackAuthSettings, config: Mapping[str, Any]) -> None:
    """Raise when ``config`` (and the environment) no longer resolve to ``settings``.

    Settings are resolved once, at ``init_app``: a ``STACK_*`` change after that never reaches the running
    extension, which would go on talking to the old server or project without a word.

    :raises StackAuthConfigError: naming the settings that changed (never their values: some are keys).
    """
    try:
        current = load_settings(config)
    except StackAuthConfigError as exc:
        raise StackAuthConfigError(f"STACK_* settings changed after StackAuth.init_app(app): {exc}") from None
    changed = [f"STACK_{field.name.upper()}" for field in fields(settings)
               if getattr(settings, field.name) != getattr(current, field.name)]
    if changed:
        raise StackAuthConfigError(
            f"{', '.join(changed)} changed after StackAuth.init_app(app) read the settings, so flask-stackauth "
            "cannot see the change. Set STACK_* settings before init_app: pass them to your app factory, e.g. "
            "create_app({**stackauth_config}) in tests, rather than app.config.update() afterwards.")


def guard_settings(app: Flask, settings: StackAuthSettings) -> None:
    """Run :func:`check_unchanged` at the app's first request (until it passes once), so a late change is loud."""
    pending = [True]

    def check_settings_once() -> None:
        if pending:
            check_unchanged(settings, app.config)
            pending.clear()

    app.before_request(check_settings_once)
