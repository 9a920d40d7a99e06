"""A mock OAuth provider (like Stack's ``apps/mock-oauth-server``): any email signs in, no password."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING
from urllib.parse import quote

from flask import Blueprint, Response, render_template, request

from .context import get_emulator
from .redirects import add_query
from .state import ProviderCode, ProviderInteraction

if TYPE_CHECKING:
    from .core import Emulator

bp = Blueprint("mock_oauth", __name__, url_prefix="/mock-oauth", template_folder="templates")

#: How providers name themselves on their sign-in pages (Stack's provider ids are lower case).
PROVIDER_NAMES = {
    "apple": "Apple", "bitbucket": "Bitbucket", "discord": "Discord", "facebook": "Facebook", "github": "GitHub",
    "gitlab": "GitLab", "google": "Google", "linkedin": "LinkedIn", "microsoft": "Microsoft", "spotify": "Spotify",
    "twitch": "Twitch", "x": "X",
}
#: Where :func:`preselect_login` keeps the console's pending "sign in as" (``emu.data.ext``: reset drops it).
LOGIN_HINT_KEY = "console_login_hint"
LOGIN_HINT_SECONDS = 120.0


def provider_name(provider_id: str) -> str:
    """The display name of a provider id (``github`` → ``GitHub``)."""
    return PROVIDER_NAMES.get(provider_id, provider_id.capitalize())


def _page(interaction: ProviderInteraction, error: str = "", status: int = 200) -> Response:
    body = render_template("emulator/provider.html", provider_name=provider_name(interaction.client_id),
                           uid=interaction.uid, error=error)
    return Response(body, status=status, content_type="text/html; charset=utf-8")


def preselect_login(emu: Emulator, provider_id: str, email: str) -> None:
    """Make the next login at ``provider_id`` (within two minutes) sign in as ``email`` without a form.

    The console's "sign in as" uses it: the browser then goes through the app's normal OAuth sign-in.
    """
    with emu.lock:
        emu.data.ext[LOGIN_HINT_KEY] = (provider_id, email, emu.now() + LOGIN_HINT_SECONDS)


def _take_login_hint(emu: Emulator, provider_id: str) -> str | None:
    with emu.lock:
        hint = emu.data.ext.pop(LOGIN_HINT_KEY, None)
    if hint is None:
        return None
    hinted_provider, email, expires_at = hint
    return email if hinted_provider == provider_id and expires_at >= emu.now() else None


def _finish_login(emu: Emulator, interaction: ProviderInteraction, login: str) -> Response:
    code = ProviderCode(code=secrets.token_urlsafe(32), client_id=interaction.client_id, email=login)
    with emu.lock:
        emu.data.provider_codes[code.code] = code
        emu.data.interactions.pop(interaction.uid, None)
    return _see_other(add_query(interaction.redirect_uri, [("code", code.code), ("state", interaction.state)]))


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
    hinted = _take_login_hint(emu, client_id)
    if hinted is not None:
        return _finish_login(emu, interaction, hinted)
    return _see_other(f"/mock-oauth/interaction/{quote(interaction.uid, safe='')}")


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
    return _finish_login(emu, interaction, login)


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
