"""Notebook: a small team-notes app that signs users in through Stack Auth (or the bundled emulator).

It uses what flask-stackauth offers: the sign-in pages, ``login_required``, team pages with a team
switcher, a project permission (``admin``), the server API, and a JSON API that takes bearer tokens.
"""

from __future__ import annotations

import os
import secrets
from datetime import datetime, timezone
from typing import Any

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from flask_stackauth import StackAuth, current_user

from .api import register_api
from .csrf import csrf_token
from .nav import nav_links
from .notes import NoteStore
from .pages import register_pages
from .webhook_log import register_webhook_log

stack = StackAuth()


def _date(value: float | int | None, *, millis: bool = False) -> str:
    """A timestamp as "12 Mar 2025, 14:03 UTC" (Stack Auth sends milliseconds since the epoch)."""
    if value is None:
        return ""
    moment = datetime.fromtimestamp(value / 1000 if millis else value, tz=timezone.utc)
    return moment.strftime("%d %b %Y, %H:%M UTC").lstrip("0")


def _iso(value: float | int | None, *, millis: bool = False) -> str:
    if value is None:
        return ""
    return datetime.fromtimestamp(value / 1000 if millis else value, tz=timezone.utc).isoformat()


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the example app; ``STACK_*`` settings come from ``config`` or the environment."""
    app = Flask(__name__)
    app.config["SECRET_KEY"] = os.environ.get("SECRET_KEY") or secrets.token_hex(32)
    app.config.update(config or {})
    stack.init_app(app)
    store = NoteStore()
    app.extensions["example_notes"] = store

    app.add_template_filter(lambda v: _date(v, millis=True), "date_ms")
    app.add_template_filter(_date, "date")
    app.add_template_filter(lambda v: _iso(v, millis=True), "iso_ms")
    app.add_template_filter(_iso, "iso")

    @app.context_processor
    def _globals() -> dict[str, Any]:
        return {"nav_links": lambda: nav_links(bool(current_user.is_authenticated)), "csrf_token": csrf_token}

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Any:
        # The app's own errors (a bad form, an unknown page) in the app's look, not Werkzeug's bare page.
        if exc.code is None:
            return exc
        if request.path.startswith("/api/"):
            return jsonify(code=exc.name.upper().replace(" ", "_"), error=exc.description), exc.code
        return render_template("problem.html", status=exc.code, title=exc.name, message=exc.description), exc.code

    register_pages(app, stack, store)
    register_api(app, store)
    register_webhook_log(app, stack)
    return app
