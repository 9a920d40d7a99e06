"""The app under test for the two-factor and team pages: links built on STACK_APP_URL, plus Python API views."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask, request

from flask_stackauth import current_user, login_required
from flask_stackauth.errors import StackAuthError
from tests.conftest import make_app
from tests.teams_mfa.support import APP_URL


@pytest.fixture
def app(stackauth_config: dict[str, Any], stackauth_emulator: Any) -> Flask:
    """The test app with ``STACK_APP_URL`` set (trusted by the emulator) and views using the Python API."""
    stackauth_emulator.emulator.project.trusted_domains = [APP_URL]
    flask_app = make_app(stackauth_config, STACK_APP_URL=APP_URL)

    @flask_app.post("/py/<action>")
    @login_required
    def py_api(action: str) -> Any:
        form = request.form
        try:
            if action == "create_team":
                team = current_user.create_team(form["name"])
                return {"id": team.id, "selected": current_user.selected_team_id}
            if action == "select_team":
                current_user.select_team(form.get("team_id") or None)
                return {"selected": current_user.selected_team_id}
            if action == "leave_team":
                current_user.leave_team(form["team_id"])
                return {"teams": [t.id for t in current_user.teams], "selected": current_user.selected_team_id}
            if action == "enable_totp":
                current_user.enable_totp(bytes.fromhex(form["secret"]), form["code"])
                return {"mfa": current_user.get("requires_totp_mfa")}
            if action == "disable_totp":
                current_user.disable_totp()
                return {"mfa": current_user.get("requires_totp_mfa")}
        except StackAuthError as exc:
            return {"error": type(exc).__name__, "code": exc.code}, 400
        return {"error": "unknown action"}, 404

    return flask_app
