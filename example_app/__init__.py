"""A small app that signs users in through Stack Auth (or the bundled emulator)."""

from __future__ import annotations

import os
import secrets
from typing import Any

from flask import Flask, abort, jsonify, redirect, render_template, url_for

from flask_stackauth import (
    StackAuth,
    api_key_required,
    current_api_key,
    current_user,
    login_required,
    permission_required,
    team_permission_required,
)

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

    @app.get("/team")
    @login_required
    def my_team() -> Any:
        team_id = current_user.selected_team_id
        if team_id is None:
            abort(404, "You have no selected team.")
        return redirect(url_for("team_page", team_id=team_id))

    @app.get("/teams/<team_id>")
    @team_permission_required("$read_members", team="team_id")
    def team_page(team_id: str) -> str:
        team = next((t for t in current_user.teams if t.id == team_id), None)
        members = None
        if app.config.get("STACK_SECRET_SERVER_KEY"):
            # Listing other users needs the server key; the check above used only the user's own token.
            members = list(stack.server.users.list(team_id=team_id))
        return render_template("team.html", team=team, team_id=team_id, members=members)

    @app.get("/admin")
    @permission_required("admin")
    def admin() -> str:
        users = list(stack.server.users.list(page_size=100)) if app.config.get("STACK_SECRET_SERVER_KEY") else None
        return render_template("admin.html", users=users)

    if app.config.get("STACK_SECRET_SERVER_KEY"):
        # Checking API keys needs the server key (an @api_key_required view without it fails at start-up).
        @app.get("/api/key-info")
        @api_key_required
        def api_key_info() -> Any:
            """Call with ``curl -H "X-Api-Key: <key from /auth/account/api-keys>" .../api/key-info``."""
            return jsonify(user_id=current_user.id, primary_email=current_user.primary_email,
                           key_id=current_api_key.id if current_api_key else None,
                           key_description=current_api_key.description if current_api_key else None)

    return app
