"""``flask stackauth``: check an app's Stack Auth setup, and run the local emulator.

``flask stackauth check [--host HOST]`` reaches Stack Auth with the app's settings (the project, the keys,
the JWKS), prints the OAuth callback URL the app will use and whether Stack Auth accepts its host, and
exits with status 1 and a one-line diagnosis at the first problem. It never prints a key.

``flask stackauth emulator [--host HOST] [--port PORT]`` serves the bundled emulator, as
``python -m flask_stackauth.emulator`` does.
"""

from __future__ import annotations

from typing import Any, NoReturn
from urllib.parse import urlsplit

import click
from flask import Flask, current_app, url_for
from flask.cli import AppGroup
from werkzeug.exceptions import HTTPException

from .api_key_auth import api_key_report
from .app_urls import CALLBACK_ENDPOINT, stack_url
from .cli_emulator import emulator_command
from .errors import KnownError, StackAuthError, StackAuthHTTPError, StackAuthUnavailable
from .state import StackAuthState, get_state
from .trusted_domains import is_localhost, is_trusted, project_domains
from .verify import NORMAL

stackauth_cli = AppGroup("stackauth", help="Check the Stack Auth setup, or run the local Stack Auth emulator.")

#: Where the Flask development server listens when nothing else says where the app runs.
DEFAULT_HOST = "localhost:5000"
PROJECT_PATH = "/api/v1/projects/current"
_DASHBOARD_KEYS = "the Project Keys page of the Stack Auth dashboard"


class _Problem(Exception):
    """One check failed; the message is the one-line diagnosis."""


class _Report:
    """Prints check results, with every configured key masked should one ever reach a message."""

    def __init__(self, state: StackAuthState) -> None:
        settings = state.settings
        self._secrets = [s for s in (settings.publishable_client_key, settings.secret_server_key) if s]

    def _clean(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "<redacted>")
        return " ".join(text.split())  # one line, whatever a server message holds

    def ok(self, message: str) -> None:
        click.echo(f"ok    {self._clean(message)}")

    def warn(self, message: str) -> None:
        click.echo(f"warn  {self._clean(message)}")

    def fail(self, message: str) -> NoReturn:
        click.echo(f"error {self._clean(message)}", err=True)
        raise click.exceptions.Exit(1)


def _explain(exc: StackAuthError, state: StackAuthState, what: str) -> str:
    """A one-line diagnosis of a failed call to Stack Auth."""
    settings = state.settings
    api, pid = settings.api_url, settings.project_id
    if isinstance(exc, StackAuthUnavailable):
        if "not JSON" in exc.message:
            return (f"{api} answered {what} with something that is not Stack Auth's JSON: STACK_API_URL must be "
                    "the API's base URL (https://api.stack-auth.com for the hosted service), not the dashboard's.")
        return f"{exc.message.rstrip('.')}. Check STACK_API_URL and that the server is up."
    if isinstance(exc, StackAuthHTTPError):
        return (f"{api} answered HTTP {exc.upstream_status} to {what}: is STACK_API_URL the base URL of a "
                "Stack Auth API (for example https://api.stack-auth.com)?")
    if isinstance(exc, KnownError):
        code = exc.code
        if code == "CURRENT_PROJECT_NOT_FOUND":
            return (f"STACK_PROJECT_ID {pid!r} is not a project on {api} ({code}): copy the Project ID "
                    f"from {_DASHBOARD_KEYS}.")
        if code == "INVALID_PUBLISHABLE_CLIENT_KEY":
            return (f"STACK_PUBLISHABLE_CLIENT_KEY is not a publishable client key of project {pid!r} ({code}): "
                    f"copy it from {_DASHBOARD_KEYS}.")
        if code in ("PUBLISHABLE_CLIENT_KEY_REQUIRED_FOR_PROJECT", "CLIENT_AUTHENTICATION_REQUIRED"):
            return (f"project {pid!r} requires a publishable client key ({code}): set "
                    f"STACK_PUBLISHABLE_CLIENT_KEY from {_DASHBOARD_KEYS}.")
        if code in ("INVALID_SECRET_SERVER_KEY", "SERVER_AUTHENTICATION_REQUIRED"):
            return (f"STACK_SECRET_SERVER_KEY is not a secret server key of project {pid!r} ({code}): copy it "
                    f"from {_DASHBOARD_KEYS}, or unset it if the app does not use the server API.")
        return f"Stack Auth refused {what}: {code}: {exc.message}"
    return f"{what} failed: {exc.code}: {exc.message}"


def _base_url(app: Flask, host: str | None) -> tuple[str, bool]:
    """The app's public base URL, and whether it was only assumed."""
    scheme = str(app.config.get("PREFERRED_URL_SCHEME") or "http")
    value = host or app.config.get("SERVER_NAME")
    if not value:
        return f"{scheme}://{DEFAULT_HOST}", True
    value = str(value)
    if "://" not in value:
        value = f"{scheme}://{value}"
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _Problem(f"--host must be a host name such as app.example.com or a URL such as "
                       f"https://app.example.com, got {host!r}.")
    return f"{parts.scheme}://{parts.netloc}", False


def _callback_route(app: Flask, url: str) -> str | None:
    """The endpoint ``url``'s path routes to in this app, if any."""
    parts = urlsplit(url)
    try:
        endpoint, _ = app.url_map.bind(parts.netloc or "localhost").match(parts.path or "/", method="GET")
    except HTTPException:
        return None
    return str(endpoint)


def _host_allowed(url: str, project: dict[str, Any]) -> tuple[bool, str]:
    """Whether Stack Auth accepts ``url`` as a redirect URL of ``project``, and why."""
    # Stack's own matching rule, read client-side (scheme, host and port; * and ** wildcards).
    domains = project_domains(project)
    if is_trusted(url, domains):
        return True, "its host is one of the project's trusted domains"
    parts = urlsplit(url)
    listed = ", ".join(domains) if domains else "none"
    return False, (f"the callback URL {url} is not in the project's trusted domains ({listed}): add "
                   f"{parts.scheme}://{parts.netloc} under Domains in the Stack Auth dashboard, or fix "
                   "--host / SERVER_NAME / STACK_REDIRECT_URI")


def _check(report: _Report, state: StackAuthState, host: str | None) -> None:
    settings = state.settings
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    report.ok(f"settings: STACK_API_URL={settings.api_url} STACK_PROJECT_ID={settings.project_id} "
              f"publishable client key {'set' if settings.publishable_client_key else 'not set'}, "
              f"secret server key {'set' if settings.secret_server_key else 'not set'}")

    try:
        project = state.project()
    except StackAuthError as exc:
        raise _Problem(_explain(exc, state, f"GET {PROJECT_PATH}")) from None
    if project.get("id") != settings.project_id:
        raise _Problem(f"{settings.api_url} answered GET {PROJECT_PATH} with something that is not project "
                       f"{settings.project_id!r}: is STACK_API_URL a Stack Auth API?")
    providers = ", ".join(state.enabled_providers()) or "none"
    report.ok(f"project {settings.project_id!r} ({project.get('display_name')!s}) reached with the client "
              f"headers; OAuth providers: {providers}")

    if settings.secret_server_key:
        try:
            state.client.request("GET", PROJECT_PATH, access_type="server")
        except StackAuthError as exc:
            raise _Problem(_explain(exc, state, f"GET {PROJECT_PATH} with the secret server key")) from None
        report.ok("secret server key accepted")
    else:
        report.warn("STACK_SECRET_SERVER_KEY is not set: the server API (stack.server) will not work")
    api_keys = api_key_report(app, state)
    if api_keys is not None:
        if api_keys[0] == "fail":
            raise _Problem(api_keys[1])
        report.ok(api_keys[1])

    jwks_path = f"/api/v1/projects/{settings.project_id}/.well-known/jwks.json"
    try:
        # The verifier's own fetch, so this sees exactly the keys the app will verify tokens with.
        keys = state.verifier._fetch(NORMAL).keys
    except StackAuthError as exc:
        raise _Problem(_explain(exc, state, f"GET {jwks_path}")) from None
    if not keys:
        raise _Problem(f"the JWKS at {jwks_path} has no ES256 (P-256) key, so no access token can be verified.")
    report.ok(f"JWKS: {len(keys)} ES256 key(s)")

    if settings.redirect_uri:
        callback, source = settings.redirect_uri, "STACK_REDIRECT_URI"
        if _callback_route(app, callback) != "stackauth.callback":
            with app.test_request_context("/"):
                route = url_for("stackauth.callback")
            report.warn(f"STACK_REDIRECT_URI's path {urlsplit(callback).path!r} is not this app's callback route "
                        f"{route!r}: fine only if a proxy maps one onto the other")
    elif settings.app_url:
        with app.test_request_context("/"):
            callback, source = stack_url(CALLBACK_ENDPOINT), "STACK_APP_URL"
    else:
        base, assumed = _base_url(app, host)
        with app.test_request_context("/", base_url=base):
            callback = url_for("stackauth.callback", _external=True)
        source = f"assumed {DEFAULT_HOST}; pass --host or set SERVER_NAME" if assumed else "computed"
        if urlsplit(callback).netloc != urlsplit(base).netloc:
            # Flask builds external URLs on SERVER_NAME whatever host a request came in on.
            report.warn(f"SERVER_NAME={app.config.get('SERVER_NAME')} decides the callback URL's host; --host gave "
                        "its scheme only")
    if is_localhost(callback):
        report.ok(f"callback URL: {callback} ({source}); a localhost URL: Stack Auth accepts it while the "
                  "project's 'Allow all localhost callbacks' setting is on (the default for new projects; turn "
                  "it off in production)")
        return
    allowed, why = _host_allowed(callback, project)
    if not allowed:
        raise _Problem(why)
    report.ok(f"callback URL: {callback} ({source}); {why}")
    if urlsplit(callback).scheme != "https":
        report.warn("the callback URL is plain http: use https in production (behind a proxy: ProxyFix or "
                    "STACK_REDIRECT_URI)")


@stackauth_cli.command("check")
@click.option("--host", default=None, metavar="HOST",
              help="Public host of the app (app.example.com or https://app.example.com), to compute the "
                   "callback URL. Default: SERVER_NAME, else localhost:5000.")
def check_command(host: str | None) -> None:
    """Reach Stack Auth with this app's settings and print the OAuth callback URL it will use."""
    state = get_state()
    report = _Report(state)
    try:
        _check(report, state, host)
    except _Problem as problem:
        report.fail(str(problem))
    except Exception as exc:  # a CLI answers with one line, never a traceback
        report.fail(f"unexpected {type(exc).__name__}: {exc}")
    click.echo("Stack Auth setup looks right.")


stackauth_cli.add_command(emulator_command)
