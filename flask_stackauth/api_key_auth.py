"""Authenticating a request by a Stack Auth API key, ``current_api_key``, and the start-up checks for it.

A key is read from ``STACK_API_KEY_HEADER`` (default ``X-Api-Key``), else from ``Authorization: Bearer``, checked
with the secret server key (``POST /api/v1/{user,team}-api-keys/check``) and cached per key digest for
``STACK_API_KEY_CACHE_TTL`` seconds; refusals for :data:`NEGATIVE_TTL` seconds, so a flood of bad keys costs
one call per key per few seconds; concurrent checks of one key share one call. A string that cannot be a Stack
key is refused without a call. Outages are never cached and answer 503; a project with API keys turned off, or
a server without them (v2.7), answers 503 with a message for the developer, logged once per app.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection
from typing import Any

from flask import Flask, g, request
from werkzeug.local import LocalProxy

from .api_key_cache import digest
from .errors import (
    ApiKeyRequired,
    ApiKeysNotEnabled,
    ApiKeysUnavailable,
    InvalidApiKey,
    NotSupportedByServer,
    StackAuthConfigError,
    StackAuthError,
    StackAuthHTTPError,
    StackAuthUnavailable,
    UserNotFound,
)
from .models import ApiKey, ServerUser, Team
from .responses import token_authorization
from .server import ServerAPI, api_key_kind
from .state import StackAuthState, get_state
from .user import StackUser

log = logging.getLogger("flask_stackauth")

#: Seconds a refused key (unknown, revoked, expired, wrong kind) is answered from memory.
NEGATIVE_TTL = 5.0
#: The attribute marking a view that checks API keys (its value: the kinds of key it takes).
VIEW_FLAG = "_stackauth_api_key_kinds"
_G_KEY = "_stackauth_api_key"
_HOW = "send it as 'Authorization: Bearer <key>' or '{header}: <key>'"


def _required(message: str, code: str = "API_KEY_REQUIRED") -> ApiKeyRequired:
    return ApiKeyRequired(message, code=code, bearer_error="invalid_token" if code != "API_KEY_REQUIRED" else None)


def presented_key(state: StackAuthState) -> str | None:
    """The API key the request carries (``None`` when it carries none); never logged."""
    value = request.headers.get(state.settings.api_key_header)
    if value is not None:
        return value.strip()
    auth = token_authorization()
    if auth is None:
        return None
    scheme, _, token = auth.strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def carries_api_key(state: StackAuthState) -> bool:
    """Whether the request presents something shaped like a Stack API key (JWTs never are: they hold dots)."""
    if state.settings.api_key_header in request.headers:
        return True
    return api_key_kind(presented_key(state)) is not None


def _unavailable(state: StackAuthState, exc: StackAuthError, kind: str) -> ApiKeysUnavailable:
    if isinstance(exc, ApiKeysNotEnabled):
        message = (f"This app checks {kind} API keys, but {kind} API keys are turned off for its Stack Auth "
                   f"project. Turn them on in the Stack Auth dashboard (project settings: allow {kind} API keys).")
    else:
        message = ("This app checks API keys, but its Stack Auth server has no API keys (Stack Auth v2.8 or newer "
                   "is needed; STACK_API_URL may point at an older one).")
    if message not in state.api_keys.warned:
        state.api_keys.warned.add(message)
        log.error("flask-stackauth: %s Every request with an API key is answered 503 until then.", message)
    return ApiKeysUnavailable(message)


def _error_ttl(exc: BaseException) -> float:
    # Outages are never remembered: the next request tries again.
    return NEGATIVE_TTL if isinstance(exc, (InvalidApiKey, ApiKeysNotEnabled, NotSupportedByServer,
                                            UserNotFound)) else 0.0


def _server(state: StackAuthState) -> ServerAPI:
    if not state.settings.secret_server_key:
        raise StackAuthConfigError(
            "API keys are checked with the secret server key: set STACK_SECRET_SERVER_KEY (Stack Auth dashboard, "
            "Project Keys) for this app.")
    return ServerAPI(state.client)


def check_api_key(state: StackAuthState, key: str | None, kinds: Collection[str]) -> ApiKey:
    """The record of ``key`` when Stack accepts it and it is one of ``kinds`` (``"user"``, ``"team"``).

    :raises ApiKeyRequired: no key, or a key Stack refuses (401).
    :raises ApiKeysUnavailable: the project has the kind turned off, or the server has no API keys (503).
    :raises StackAuthUnavailable: Stack Auth cannot answer right now (503).
    """
    header = state.settings.api_key_header
    if not key:
        raise _required(f"This endpoint needs a Stack Auth API key: {_HOW.format(header=header)}.")
    kind = api_key_kind(key)
    if kind is None:
        raise _required("The API key is not valid.", "API_KEY_NOT_FOUND")
    if kind not in kinds:
        wanted = " or ".join(sorted(kinds))
        raise _required(f"This endpoint takes {wanted} API keys, not {kind} API keys.", "WRONG_API_KEY_TYPE")
    server = _server(state)
    ttl = state.settings.api_key_cache_ttl

    def load() -> tuple[ApiKey, float]:
        record = server.api_keys.check(key, team=kind == "team")
        keep = ttl
        if record.expires_at_millis is not None:
            keep = min(keep, record.expires_at_millis / 1000 - time.time())
        return record, keep

    try:
        record: ApiKey = state.api_keys.keys.get(digest(key), load, error_ttl=_error_ttl,
                                                 timeout=state.settings.http_timeout * 2)
    except InvalidApiKey as exc:
        raise _required(exc.message or "The API key is not valid.", exc.code) from None
    except (ApiKeysNotEnabled, NotSupportedByServer) as exc:
        raise _unavailable(state, exc, kind) from None
    except StackAuthHTTPError as exc:
        raise StackAuthUnavailable(f"Stack Auth could not check the API key (HTTP {exc.status}).") from None
    if record.is_revoked:
        raise _required("API key has been revoked.", "API_KEY_REVOKED")
    if record.expires_at_millis is not None and record.expires_at_millis <= time.time() * 1000:
        raise _required("API key has expired.", "API_KEY_EXPIRED")
    return record


# -- the user of a user key ----------------------------------------------------------------------------------

class ApiKeyUser(StackUser):
    """``current_user`` for a request authenticated by a user API key: the key's owner, read with the server key.

    There is no access token: :attr:`access_token` raises, and so do the permission decorators (which ask with
    the user's token); :meth:`has_permission` and :attr:`teams` ask with the server key instead.
    """

    def __init__(self, user: ServerUser, project_id: str) -> None:
        raw = dict(user.raw) or {"id": user.id}
        claims = {"sub": user.id, "aud": project_id, "email": user.primary_email, "name": user.display_name,
                  "email_verified": user.primary_email_verified, "selected_team_id": user.selected_team_id,
                  "is_anonymous": user.is_anonymous, "is_restricted": user.is_restricted}
        super().__init__(claims, "", lambda _user: raw)
        self.server_user = user

    @property
    def access_token(self) -> str:
        """Raises: a request authenticated by an API key has no access token."""
        raise StackAuthConfigError("current_user was authenticated by an API key: it has no access token to "
                                   "forward. Use stack.server (secret server key) for calls on the user's behalf.")

    @property
    def teams(self) -> list[Team]:
        """The user's teams (server API, once per request)."""
        if self._teams is None:
            self._teams = _server(get_state()).teams.list(user_id=self.id)
        return list(self._teams)

    def has_permission(self, permission_id: str, team_id: str | None = None) -> bool:
        """Whether the user holds ``permission_id`` (server API, cached like other permission answers)."""
        state = get_state()
        cached = state.permissions.get(self.id, team_id)
        if cached is None:
            cached = frozenset(_server(state).permissions.list(self.id, team_id=team_id))
            state.permissions.put(self.id, team_id, cached, state.settings.permission_cache_ttl)
        return permission_id in cached


def _key_user(state: StackAuthState, record: ApiKey) -> ApiKeyUser:
    user_id = record.user_id or ""
    server = _server(state)
    try:
        user: ServerUser = state.api_keys.users.get(
            "user:" + user_id, lambda: (server.users.get(user_id), state.settings.api_key_cache_ttl),
            error_ttl=_error_ttl, timeout=state.settings.http_timeout * 2)
    except UserNotFound:
        raise _required("The API key's user no longer exists.", "API_KEY_NOT_FOUND") from None
    return ApiKeyUser(user, state.settings.project_id)


# -- per request ---------------------------------------------------------------------------------------------

def authenticate_api_key(kinds: Collection[str]) -> ApiKey:
    """Check the request's API key, and make it ``current_api_key`` (and its owner ``current_user``).

    :raises ApiKeyRequired: / :raises ApiKeysUnavailable: / :raises StackAuthUnavailable: see :func:`check_api_key`.
    """
    this_request = request._get_current_object()  # type: ignore[attr-defined]
    cached = g.get(_G_KEY)
    if cached is not None and cached[0] is this_request:
        return cached[1]  # type: ignore[no-any-return]
    state = get_state()
    record = check_api_key(state, presented_key(state), kinds)
    if record.type == "user" and record.user_id:
        # The request-tagged slots auth.authenticate() fills (and request_user() reads): current_user is the
        # key's owner, and a permission decorator stacked on the view sees the same user.
        owner = _key_user(state, record)
        g._stackauth_user = g._stackauth_admitted = (this_request, owner)
    else:
        g._stackauth_nobody = this_request  # a team key has no user: current_user is anonymous, without a lookup
    setattr(g, _G_KEY, (this_request, record))
    return record


def _current_api_key() -> ApiKey | None:
    cached = g.get(_G_KEY)
    if cached is not None and cached[0] is request._get_current_object():  # type: ignore[attr-defined]
        return cached[1]  # type: ignore[no-any-return]
    return None


#: The API key that authenticated this request (:class:`~flask_stackauth.models.ApiKey`: ``id``,
#: ``description``, ``type``, ``user_id`` / ``team_id``, ``owner_id``, ``expires_at``), or ``None``.
current_api_key: ApiKey | None = LocalProxy(_current_api_key)  # type: ignore[assignment]


# -- start-up checks -----------------------------------------------------------------------------------------

def mark_view(func: Callable[..., Any], kinds: Collection[str]) -> None:
    """Record on a decorated view which kinds of API key it checks (read by the start-up checks)."""
    setattr(func, VIEW_FLAG, frozenset(kinds))


def api_key_views(app: Flask) -> dict[str, frozenset[str]]:
    """The app's endpoints that check API keys, with the kinds each takes."""
    return {name: getattr(view, VIEW_FLAG) for name, view in app.view_functions.items()
            if getattr(view, VIEW_FLAG, None)}


def missing_server_key(app: Flask, state: StackAuthState) -> str | None:
    """The start-up problem of an app with API-key views and no secret server key, else ``None``."""
    views = api_key_views(app)
    if not views or state.settings.secret_server_key:
        return None
    return (f"The views {', '.join(sorted(views))} check API keys, which needs the secret server key: set "
            "STACK_SECRET_SERVER_KEY (Stack Auth dashboard, Project Keys) for this app.")


def guard_api_key_views(app: Flask, state: StackAuthState) -> None:
    """At the app's first request, fail when a view checks API keys and no secret server key is set.

    Views are registered after ``init_app``, so the first request is the earliest moment they are all known.
    Every request fails (500, the message in the log) until the setting is there.
    """
    pending = [True]

    def check_api_key_views_once() -> None:
        if pending:
            problem = missing_server_key(app, state)
            if problem is not None:
                raise StackAuthConfigError(problem)
            pending.clear()

    app.before_request(check_api_key_views_once)


def api_key_report(app: Flask, state: StackAuthState) -> tuple[str, str] | None:
    """For ``flask stackauth check``: ``("ok" | "fail", message)`` about the app's API-key views, or ``None``."""
    views = api_key_views(app)
    if not views:
        return None
    problem = missing_server_key(app, state)
    if problem is not None:
        return "fail", problem
    kinds = sorted(set().union(*views.values()))
    config = state.project_config()
    flags = {kind: config.get(f"allow_{kind}_api_keys") for kind in kinds}
    if any(flag is None for flag in flags.values()):
        return "fail", ("the app checks API keys, but this Stack Auth server has none (they need Stack Auth v2.8 "
                        "or newer)")
    off = [kind for kind, flag in flags.items() if flag is not True]
    if off:
        return "fail", (f"the app checks {' and '.join(off)} API keys, but they are turned off for the project: turn "
                        f"them on in the Stack Auth dashboard (project settings, API keys)")
    return "ok", f"{' and '.join(kinds)} API keys are enabled for the {len(views)} view(s) that check them"
