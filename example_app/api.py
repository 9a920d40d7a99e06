"""The JSON API: ``/api/me`` and ``/api/notes`` (and ``/api/key/notes`` for programs with an API key).

``login_required`` accepts an ``Authorization: Bearer <access token>`` header (scripts, other services)
and the signed-in session (the notes page's ``fetch`` calls, same origin). Writes take JSON only: a
cross-site HTML form cannot send ``application/json``, and a cross-site script would need a CORS
preflight this app never answers, so a session cookie alone cannot be used to post notes.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify, request

from flask_stackauth import api_key_required, current_api_key, current_user, login_required

from .notes import MAX_TITLE_LENGTH, NoteStore


def workspace_id() -> str:
    """Notes belong to the selected team, or to the user when no team is selected (v2.7 servers)."""
    return current_user.selected_team_id or f"user:{current_user.id}"


def _problem(status: int, code: str, message: str) -> tuple[Response, int]:
    return jsonify(code=code, error=message), status


def _json_body() -> dict[str, Any] | tuple[Response, int]:
    if not request.is_json:
        return _problem(415, "JSON_REQUIRED", "Send the body as JSON (Content-Type: application/json).")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return _problem(400, "BODY_NOT_AN_OBJECT", "The body must be a JSON object such as {\"title\": \"...\"}.")
    return body


def register_api(app: Flask, store: NoteStore) -> None:
    """Add the API routes to ``app``."""

    @app.get("/api/me")
    @login_required
    def api_me() -> Any:
        return jsonify(id=current_user.id, primary_email=current_user.primary_email,
                       display_name=current_user.display_name, selected_team_id=current_user.selected_team_id)

    @app.get("/api/notes")
    @login_required
    def api_notes() -> Any:
        return jsonify(workspace=workspace_id(), items=[n.to_json() for n in store.list(workspace_id())])

    @app.post("/api/notes")
    @login_required
    def api_add_note() -> Any:
        body = _json_body()
        if not isinstance(body, dict):
            return body
        title = body.get("title")
        if not isinstance(title, str) or not title.strip():
            return _problem(400, "TITLE_REQUIRED", "title must be a non-empty string.")
        if len(title) > MAX_TITLE_LENGTH:
            return _problem(400, "TITLE_TOO_LONG", f"title may have at most {MAX_TITLE_LENGTH} characters.")
        author = str(current_user.display_name or current_user.primary_email or current_user.id)
        return jsonify(store.add(workspace_id(), title.strip(), author).to_json()), 201

    @app.patch("/api/notes/<note_id>")
    @login_required
    def api_update_note(note_id: str) -> Any:
        body = _json_body()
        if not isinstance(body, dict):
            return body
        done = body.get("done")
        if not isinstance(done, bool):
            return _problem(400, "DONE_REQUIRED", "done must be true or false.")
        note = store.set_done(workspace_id(), note_id, done)
        if note is None:
            return _problem(404, "NOTE_NOT_FOUND", "This workspace has no such note.")
        return jsonify(note.to_json())

    if app.config.get("STACK_SECRET_SERVER_KEY"):
        # Checking API keys needs the server key (an @api_key_required view without one fails at start-up).
        @app.get("/api/key/notes")
        @api_key_required
        def api_key_notes() -> Any:
            """For programs: ``curl -H "X-Api-Key: <a key from /auth/account/api-keys>" .../api/key/notes``."""
            key = current_api_key
            about = {"id": key.id, "description": key.description} if key else None
            return jsonify(workspace=workspace_id(), key=about, items=[n.to_json() for n in store.list(workspace_id())])
