"""A small app that signs users in through Stack Auth (or the bundled emulator)."""

from __future__ import annotations

import os
import secrets
from typing import Any

from flask import Flask, jsonify, render_template

from flask_stackauth import StackAuth, current_user, login_required

stack = StackAuth()


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the example app; ``STACK_*`` settings come from ``config`` or the environment."""
    app = Flask(__name__)
    app.config["SECRET_KEY"] = os.environ.get("SECRET_KEY") or secrets.token_hex(32)
    app.config.update(config or {})
    stack.init_app(app)

    @app.get("/")
    def home() -> str:
        return render_template("home.html")

    @app.get("/dashboard")
    @login_required
    def dashboard() -> str:
        return render_template("dashboard.html", user=current_user)

    @app.get("/api/me")
    @login_required
    def api_me() -> Any:
        return jsonify(id=current_user.id, primary_email=current_user.primary_email,
                       display_name=current_user.display_name)

    return app
