"""A mock OAuth provider (like Stack's ``apps/mock-oauth-server``): any email signs in, no password."""

from __future__ import annotations

import html
import secrets
from urllib.parse import quote

from flask import Blueprint, Response, request

from .context import get_emulator
from .redirects import add_query
from .state import ProviderCode, ProviderInteraction

bp = Blueprint("mock_oauth", __name__, url_prefix="/mock-oauth")

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Mock OAuth: sign in with {provider}</title></head>
<body>
<h1>Sign in with {provider}</h1>
<p>Mock provider of the Stack Auth emulator: any email signs in, no password.</p>
{error}
<form method="post" action="/mock-oauth/interaction/{uid}/login">
<label for="login">Email</label>
<input id="login" name="login" type="email" required autofocus>
<button type="submit">Sign in</button>
</form>
<form method="post" action="/mock-oauth/interaction/{uid}/abort">
<button type="submit">Cancel</button>
</form>
</body>
</html>
"""


def _page(interaction: ProviderInteraction, error: str = "", status: int = 200) -> Response:
    body = _PAGE.format(
        provider=html.escape(interaction.client_id),
        uid=html.escape(quote(interaction.uid, safe="")),
        error=f'<p role="alert">{html.escape(error)}</p>' if error else "",
    )
    return Response(body, status=status, content_type="text/html; charset=utf-8")


def _see_other(location: str) -> Response:
    resp = Response("", status=303)
    resp.headers["Location"] = location
    return resp


def _not_found() -> Response:
    return Response("Unknown or expired login interaction.", status=400, content_type="text/plain; charset=utf-8")


@bp.route("/auth", methods=["GET"])
def auth() -> Response:
    """Start a login: remember the request and send the browser to the login page."""
    emu = get_emulator()
    redirect_uri = request.args.get("redirect_uri")
    client_id = request.args.get("client_id")
    if not redirect_uri or not client_id:
        return Response("redirect_uri and client_id are required", status=400, content_type="text/plain; charset=utf-8")
    interaction = ProviderInteraction(
        uid=secrets.token_urlsafe(16),
        client_id=client_id,
        redirect_uri=redirect_uri,
        state=request.args.get("state", ""),
        created_at=emu.now(),
    )
    with emu.lock:
        emu.data.interactions[interaction.uid] = interaction
    return _see_other(f"/mock-oauth/interaction/{interaction.uid}")


@bp.route("/interaction/<uid>", methods=["GET"])
def interaction_page(uid: str) -> Response:
    """The login form."""
    emu = get_emulator()
    with emu.lock:
        interaction = emu.data.interactions.get(uid)
    if interaction is None:
        return _not_found()
    return _page(interaction)


@bp.route("/interaction/<uid>/login", methods=["POST"])
def interaction_login(uid: str) -> Response:
    """Sign in as the typed email and return to the emulator's callback with a code."""
    emu = get_emulator()
    with emu.lock:
        interaction = emu.data.interactions.get(uid)
    if interaction is None:
        return _not_found()
    login = (request.form.get("login") or "").strip()
    if not login:
        return _page(interaction, "Enter an email address.", status=400)
    code = ProviderCode(code=secrets.token_urlsafe(32), client_id=interaction.client_id, email=login)
    with emu.lock:
        emu.data.provider_codes[code.code] = code
        emu.data.interactions.pop(uid, None)
    location = add_query(interaction.redirect_uri, [("code", code.code), ("state", interaction.state)])
    return _see_other(location)


@bp.route("/interaction/<uid>/abort", methods=["POST"])
def interaction_abort(uid: str) -> Response:
    """Cancel: return to the callback with ``error=access_denied``."""
    emu = get_emulator()
    with emu.lock:
        interaction = emu.data.interactions.pop(uid, None)
    if interaction is None:
        return _not_found()
    location = add_query(
        interaction.redirect_uri,
        [
            ("error", "access_denied"),
            ("error_description", "End-User aborted interaction"),
            ("state", interaction.state),
        ],
    )
    return _see_other(location)
