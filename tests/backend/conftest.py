"""Backend fixtures: an app with JS-frontend and API-key views and token helpers; apps served on a loopback port,
so the emulator can deliver real webhooks to them."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask, jsonify
from werkzeug.serving import make_server

from flask_stackauth import (
    StackAuth,
    WebhookEvent,
    api_key_required,
    current_api_key,
    current_user,
    login_required,
)
from flask_stackauth.models import ApiKey
from flask_stackauth.server import ServerAPI

TOKEN = "/api/v1/auth/oauth/token"
USER_CHECK = "/api/v1/user-api-keys/check"
TEAM_CHECK = "/api/v1/team-api-keys/check"


def make_backend_app(config: dict[str, Any], **extra: Any) -> Flask:
    """An API as a user of the library writes one: token views, API-key views, one view taking either."""
    app = Flask("backendapp")
    app.config.update({"SECRET_KEY": "test-secret-key-" + "x" * 32, "TESTING": True, **config, **extra})
    StackAuth(app)

    @app.get("/")
    def home() -> Any:
        return {"signed_in": current_user.is_authenticated, "id": current_user.id}

    @app.route("/me", methods=["GET", "POST", "DELETE"])
    @login_required
    def me() -> Any:
        return {"id": current_user.id, "email": current_user.primary_email}

    @app.get("/api/user-key")
    @api_key_required
    def user_key() -> Any:
        key = current_api_key
        return jsonify(key_id=key.id, type=key.type, description=key.description, user_id=key.user_id,
                       current_user=current_user.id, email=current_user.primary_email)

    @app.get("/api/team-key")
    @api_key_required(team=True)
    def team_key() -> Any:
        return jsonify(key_id=current_api_key.id, team_id=current_api_key.team_id,
                       signed_in=current_user.is_authenticated)

    @app.get("/api/any-key")
    @api_key_required(team=True, allow_user=True)
    def any_key() -> Any:
        return jsonify(type=current_api_key.type, owner=current_api_key.owner_id)

    @app.get("/api/either")
    @login_required(allow_api_key=True)
    def either() -> Any:
        return jsonify(id=current_user.id, by_key=current_api_key.id if current_api_key else None)

    return app


@pytest.fixture
def app(stackauth_config: dict[str, Any]) -> Flask:
    return make_backend_app(stackauth_config)


@pytest.fixture
def emu(stackauth_emulator: Any) -> Any:
    return stackauth_emulator.emulator


@pytest.fixture
def server(app: Flask) -> Any:
    with app.app_context():
        yield ServerAPI(app.extensions["stackauth"].client)


@pytest.fixture
def keys_on(emu: Any) -> Any:
    emu.project.allow_user_api_keys = True
    emu.project.allow_team_api_keys = True
    return emu


@pytest.fixture
def user_key(server: Any, keys_on: Any) -> Callable[..., tuple[dict[str, Any], ApiKey]]:
    """``user_key(email)``: a user and a fresh user API key of theirs (``.value`` is the secret)."""

    def make(email: str = "keys@example.com", **kwargs: Any) -> tuple[dict[str, Any], ApiKey]:
        user = keys_on.create_user(email)
        return user, server.api_keys.create(user_id=user["id"], description="test key", **kwargs)

    return make


class Pair:
    """A session minted by the emulator: its refresh token, a fresh and an already expired access token."""

    def __init__(self, emu: Any, email: str) -> None:
        self.user = emu.create_user(email)
        pair = emu.create_session(self.user["id"])
        self.access, self.refresh = pair["access_token"], pair["refresh_token"]
        session = next(s for s in emu.data.sessions.values() if s.refresh_token == self.refresh)
        self.expired = emu.mint_access_token(self.user["id"], refresh_token_id=session.id, iat=time.time() - 7200)

    def header(self, access: Any = "fresh", refresh: Any = "same") -> dict[str, str]:
        """``{"x-stack-auth": ...}`` as getAuthHeaders() writes it."""
        body = {"accessToken": self.access if access == "fresh" else self.expired if access == "expired" else access,
                "refreshToken": self.refresh if refresh == "same" else refresh}
        return {"x-stack-auth": json.dumps(body, separators=(",", ":"))}


@pytest.fixture
def pair(emu: Any) -> Callable[[str], Pair]:
    return lambda email="js@example.com": Pair(emu, email)


#: The secret the test apps and their emulator endpoints share (any ``whsec_`` + base64 of 16+ bytes).
SECRET = "whsec_dGVzdC13ZWJob29rLXNlY3JldC0xMjM0NTY3OA=="
OTHER_SECRET = "whsec_YW5vdGhlci13ZWJob29rLXNlY3JldC04NzY1NDM="


@contextmanager
def serve(app: Flask) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 in a thread (real HTTP); yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)


class Recorder:
    """Handlers that record every event they were called with (thread-safe: the server is threaded)."""

    def __init__(self) -> None:
        self.events: list[WebhookEvent[Any]] = []
        self._lock = threading.Lock()

    def __call__(self, event: WebhookEvent[Any]) -> None:
        with self._lock:
            self.events.append(event)

    def of(self, event_type: str) -> list[WebhookEvent[Any]]:
        with self._lock:
            return [e for e in self.events if e.type == event_type]




@pytest.fixture
def make_webhook_app(stackauth_config: dict[str, Any]) -> Callable[..., tuple[Flask, Recorder]]:
    """``make_webhook_app(**config)``: an app whose ``"*"`` handler records every event it handled."""

    def make(**extra: Any) -> tuple[Flask, Recorder]:
        app = Flask("webhookapp")
        app.config.update({"SECRET_KEY": "test-secret-key-" + "x" * 32, "TESTING": True, **stackauth_config,
                           "STACK_WEBHOOK_SECRET": SECRET, **extra})
        stack = StackAuth(app)
        recorder = Recorder()
        stack.on("*")(recorder)
        return app, recorder

    return make
