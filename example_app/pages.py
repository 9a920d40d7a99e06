"""The HTML pages: home, dashboard, notes, team pages (with the team switcher) and the admin table."""

from __future__ import annotations

from typing import Any

from flask import Flask, abort, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from flask_stackauth import (
    KnownError,
    StackAuth,
    StackUser,
    current_user,
    login_required,
    permission_required,
    team_permission_required,
)

from .api import workspace_id
from .csrf import check_csrf
from .notes import NoteStore

MAX_TEAM_NAME = 100


def _has_server_key() -> bool:
    # Through the extension: keys set in the environment count, not only app.config.
    return bool(StackAuth.settings().secret_server_key)


def _signed_in() -> StackUser:
    """``current_user`` in a ``login_required`` view (typed: never the anonymous placeholder there)."""
    user = current_user
    if not isinstance(user, StackUser):  # the proxy's type: the object behind it is checked here
        abort(401)
    return user


def register_pages(app: Flask, stack: StackAuth, store: NoteStore) -> None:
    """Add the pages to ``app``."""

    @app.get("/")
    def home() -> str:
        return render_template("home.html")

    @app.get("/dashboard")
    @login_required
    def dashboard() -> str:
        team = current_user.selected_team
        return render_template("dashboard.html", user=current_user, team=team,
                               notes=store.list(workspace_id()), teams=current_user.teams)

    @app.get("/notes")
    @login_required
    def notes_page() -> str:
        return render_template("notes.html", team=current_user.selected_team)

    @app.get("/team")
    @login_required
    def my_team() -> Any:
        team_id = current_user.selected_team_id
        if team_id is not None:
            return redirect(url_for("team_page", team_id=team_id))
        # No selected team: a v2.7 server (no personal teams), or a user who left theirs.
        return render_template("team_none.html", teams=current_user.teams, can_create=_has_server_key())

    @app.get("/teams/<team_id>")
    @team_permission_required("$read_members", team="team_id")
    def team_page(team_id: str) -> str:
        team = next((t for t in current_user.teams if t.id == team_id), None)
        # Listing other users needs the server key; the check above used only the user's own token.
        members = list(stack.server.users.list(team_id=team_id)) if _has_server_key() else None
        return render_template("team.html", team=team, team_id=team_id, members=members,
                               can_create=_has_server_key())

    @app.post("/teams/select")
    @login_required
    def team_select() -> Response:
        check_csrf()
        team_id = request.form.get("team_id", "")
        if team_id not in {t.id for t in current_user.teams}:
            abort(400, "You are not a member of that team.")
        _signed_in().update(selected_team_id=team_id)
        return redirect(url_for("team_page", team_id=team_id), code=303)

    @app.post("/teams/new")
    @login_required
    def team_create() -> Any:
        check_csrf()
        name = (request.form.get("display_name") or "").strip()
        error = None
        if not name:
            error = "Give the team a name."
        elif len(name) > MAX_TEAM_NAME:
            error = f"A team name may have at most {MAX_TEAM_NAME} characters."
        elif not _has_server_key():
            error = "Creating teams here needs STACK_SECRET_SERVER_KEY."
        if error is None:
            user = _signed_in()
            try:
                team = stack.server.teams.create(display_name=name, creator_user_id=user.id)
                # v2.7 servers give a team's creator no permission by default; v2.8 ones do.
                if not stack.server.permissions.has(user.id, "$read_members", team_id=team.id):
                    stack.server.permissions.grant(user.id, "$read_members", team_id=team.id)
                user.update(selected_team_id=team.id)
            except KnownError as exc:
                error = exc.message
            else:
                return redirect(url_for("team_page", team_id=team.id), code=303)
        return render_template("team_none.html", teams=current_user.teams, can_create=_has_server_key(),
                               error=error, name=name), 400

    @app.get("/admin")
    @permission_required("admin")
    def admin() -> str:
        users = list(stack.server.users.list(page_size=100)) if _has_server_key() else None
        return render_template("admin.html", users=users)
