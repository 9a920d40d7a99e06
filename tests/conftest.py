"""Shared fixtures: an app under test configured against the emulator (the plugin's fixtures)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, jsonify, request

from flask_stackauth import StackAuth, current_user, login_required


def make_app(config: dict[str, Any], **extra: Any) -> Flask:
    """A small app with public, protected, async and API views, as a user of the library writes one."""
    app = Flask("testapp")
    app.config.update({"SECRET_KEY": "test-secret-key-" + "x" * 32, "TESTING": True, **config, **extra})
    StackAuth(app)

    @app.get("/")
    def home() -> Any:
        return {"signed_in": current_user.is_authenticated, "id": current_user.id}

    @app.route("/protected", methods=["GET", "POST", "OPTIONS"])
    @login_required
    def protected() -> Any:
        if request.method == "OPTIONS":
            return "", 204
        token = current_user.access_token
        return jsonify(id=current_user.id, email=current_user.primary_email,
                       token_sha=hashlib.sha256(token.encode()).hexdigest())

    @app.get("/async-protected")
    @login_required
    async def async_protected() -> Any:
        return {"id": current_user.id}

    @app.get("/anon-ok")
    @login_required(allow_anonymous=True)
    def anon_ok() -> Any:
        # has_password is not a claim: reading it calls users/me with the user's own token.
        return {"id": current_user.id, "anonymous": current_user.is_anonymous,
                "has_password": current_user.get("has_password")}

    @app.get("/whoami-many")
    def whoami_many() -> Any:
        return {"ids": [current_user.id for _ in range(4)]}

    @app.get("/dashboard")
    @login_required
    def dashboard() -> str:
        return f"Hello {current_user.primary_email}"

    return app


@pytest.fixture
def app(stackauth_config: dict[str, Any]) -> Flask:
    """The app under test (pytest-flask builds ``client`` from it)."""
    return make_app(stackauth_config)


@pytest.fixture
def emu(stackauth_emulator: Any) -> Any:
    """The emulator's controls (the one ``emu`` of the suite)."""
    return stackauth_emulator.emulator


@pytest.fixture
def legacy(emu: Any) -> Iterator[Any]:
    """The emulator behaving like a v2.7.16 server for this test (its controls; the one ``legacy`` of the suite)."""
    emu.set_legacy_tokens(True)
    yield emu
    emu.set_legacy_tokens(False)
