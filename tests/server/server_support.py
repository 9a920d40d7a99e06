"""The app and raw-HTTP helpers shared by the server API and permission tests."""

from __future__ import annotations

from typing import Any

import requests
from flask import Flask, jsonify

from flask_stackauth import (
    StackAuth,
    current_user,
    login_required,
    permission_required,
    team_permission_required,
)

stack = StackAuth()


def make_server_app(config: dict[str, Any], **extra: Any) -> Flask:
    """An app using the server API and the permission decorators the way a user's app would."""
    app = Flask("serverapp")
    app.config.update({"SECRET_KEY": "test-secret-key-" + "y" * 32, "TESTING": True, **config, **extra})
    stack.init_app(app)

    @app.get("/admin")
    @permission_required("admin")
    def admin() -> Any:
        return {"admin": current_user.id}

    @app.get("/teams/<team_id>/members")
    @team_permission_required("$read_members", team="team_id")
    def members(team_id: str) -> Any:
        return {"team": team_id}

    @app.get("/selected-team")
    @team_permission_required("$update_team", team=lambda: current_user.selected_team_id)
    async def selected() -> Any:
        return {"team": current_user.selected_team_id}

    @app.get("/me")
    @login_required
    def me() -> Any:
        team = current_user.selected_team
        return jsonify(id=current_user.id, display_name=current_user.display_name,
                       teams=[t.display_name for t in current_user.teams],
                       selected_team=team.display_name if team else None,
                       can_read=current_user.has_permission("$read_members", team.id) if team else None,
                       client_metadata=current_user.client_metadata)

    @app.post("/me")
    @login_required
    def rename() -> Any:
        current_user.update(display_name="Renamed", client_metadata={"theme": "dark"})
        return jsonify(display_name=current_user.display_name, client_metadata=current_user.client_metadata)

    @app.get("/users/<user_id>")
    def show_user(user_id: str) -> Any:
        user = stack.server.users.get(user_id)
        return {"id": user.id, "email": user.primary_email}

    @app.get("/teams/<team_id>")
    def show_team(team_id: str) -> Any:
        return {"name": stack.server.teams.get(team_id).display_name}

    return app


class Raw:
    """Raw HTTP to the emulator with a given key, for checks on the wire."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self.http = requests.Session()

    def call(self, method: str, path: str, *, access: str = "server", token: str | None = None,
             **kwargs: Any) -> requests.Response:
        headers = {"x-stack-access-type": access, "x-stack-project-id": self.server.project_id}
        if access == "client":
            headers["x-stack-publishable-client-key"] = self.server.publishable_key
        elif access == "server":
            headers["x-stack-secret-server-key"] = self.server.secret_server_key
        elif access == "admin":
            headers["x-stack-super-secret-admin-key"] = self.server.super_secret_admin_key
        if token:
            headers["x-stack-access-token"] = token
        if method in ("POST", "PATCH") and "json" not in kwargs:
            kwargs["json"] = {}
        return self.http.request(method, self.server.url + path, headers=headers, timeout=10, **kwargs)

    def define(self, permission_id: str, *, scope: str = "project", contains: list[str] | None = None) -> None:
        """Define a permission with the admin key, as one does on the dashboard."""
        body: dict[str, Any] = {"id": permission_id}
        if contains:
            body["contained_permission_ids"] = contains
        answer = self.call("POST", f"/api/v1/{scope}-permission-definitions", access="admin", json=body)
        assert answer.status_code == 201, answer.text
