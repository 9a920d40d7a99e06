"""The emulator console at ``/_emulator/``: server-rendered pages to look at and steer a running emulator.

Users (create, edit, delete, sign in as), sessions (revoke), the inbox of every email "sent", teams and
permissions, webhook deliveries, and the test controls as buttons. Plain HTML forms, no JavaScript.
Only the emulator's own app registers this blueprint; an app using flask-stackauth never serves it.

"Sign in as" goes through the app's normal OAuth sign-in: the console tells the mock provider to
answer its next login with the user's email, then sends the browser to the app's sign-in URL (one
click, no form). It needs the app's address, which the process that runs both registers with
:func:`register_app` (``python -m example_app`` does). Users without an email, or without a
registered app, can still get a token pair ("Get tokens") for ``Authorization: Bearer`` calls.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from .context import get_emulator
from .core import FAULT_MODES
from .mailbox import outbox
from .provider import preselect_login, provider_name
from .redirects import add_query
from .same_origin import refuse_cross_site
from .teams import rbac, team_permission_ids

if TYPE_CHECKING:
    from .core import Emulator
    from .state import User

bp = Blueprint("emulator_console", __name__, url_prefix="/_emulator", template_folder="templates")
bp.before_request(refuse_cross_site)

_APPS_KEY = "EMULATOR_CONSOLE_APPS"
MAX_EMAIL_LENGTH = 256
MAX_NAME_LENGTH = 256

#: What a finished action says at the top of the next page (``?done=<key>``; nothing from the URL is echoed).
DONE = {
    "clock": "Clock advanced.",
    "lifetime": "Access-token lifetime changed.",
    "keys": "Signing key rotated. New access tokens use the new key; the JWKS still lists the old one.",
    "faults": "Fault queued: the next matching API requests fail.",
    "faults-cleared": "Pending faults cleared.",
    "legacy": "Server version switched.",
    "reset": "Emulator reset to its seeded state.",
    "user-created": "User created.",
    "user-saved": "User saved.",
    "user-deleted": "User deleted, with its sessions and memberships.",
    "session-revoked": "Session revoked: its refresh token no longer works.",
}

SECTIONS = [
    ("emulator_console.overview", "Overview"),
    ("emulator_console.users", "Users"),
    ("emulator_console.sessions", "Sessions"),
    ("emulator_console.inbox", "Inbox"),
    ("emulator_console.teams", "Teams"),
    ("emulator_console.webhooks", "Webhooks"),
]


@dataclass(frozen=True)
class ConsoleApp:
    """An app the console can sign a browser in to.

    :param name: shown on the button ("Example app").
    :param sign_in_url: the app's sign-in page, e.g. ``http://127.0.0.1:5000/auth/login?next=/dashboard``;
        the console adds ``provider=<id>``.
    :param api_url: an endpoint of the app that takes a bearer token, shown in the "Get tokens" example.
    """

    name: str
    sign_in_url: str
    api_url: str | None = None


def register_app(emu: Emulator, app: ConsoleApp) -> None:
    """Let the console of ``emu`` offer "sign in as" to ``app`` (kept across :meth:`Emulator.reset`)."""
    apps: list[ConsoleApp] = emu.wsgi_app.config.setdefault(_APPS_KEY, [])
    apps.append(app)


def _apps() -> list[ConsoleApp]:
    return list(current_app.config.get(_APPS_KEY, []))


class _Problem(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@bp.errorhandler(_Problem)
def _problem(err: _Problem) -> Response:
    return _render("emulator/console_problem.html", status=err.status, message=err.message)


@bp.app_template_filter("when")
def _when(seconds: float | None) -> str:
    """An emulator timestamp (seconds) as a date and time in UTC."""
    if seconds is None:
        return "never"
    return datetime.fromtimestamp(seconds, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _render(template: str, status: int = 200, **context: Any) -> Response:
    emu = get_emulator()
    body = render_template(template, sections=SECTIONS, done=DONE.get(request.args.get("done", "")),
                           legacy=emu.legacy_tokens, **context)
    return Response(body, status=status, content_type="text/html; charset=utf-8")


def _back(endpoint: str, done: str, **values: Any) -> BaseResponse:
    return redirect(url_for(endpoint, done=done, **values), code=303)


def _number(name: str, minimum: float, maximum: float) -> float:
    raw = (request.form.get(name) or "").strip()
    try:
        value = float(raw)
    except ValueError:
        raise _Problem(f"{name.replace('_', ' ').capitalize()} must be a number.") from None
    if not minimum <= value <= maximum:
        raise _Problem(f"{name.replace('_', ' ').capitalize()} must be between {minimum:g} and {maximum:g}.")
    return value


def _user(emu: Emulator, user_id: str) -> User:
    with emu.lock:
        user = emu.data.users.get(user_id)
    if user is None:
        raise _Problem("No such user: it may have been deleted, or the emulator was reset.", status=404)
    return user


def _email_field(emu: Emulator, *, owner: str | None = None) -> str | None:
    email = (request.form.get("email") or "").strip()
    if not email:
        return None
    if len(email) > MAX_EMAIL_LENGTH or "@" not in email.strip("@") or any(c.isspace() for c in email):
        raise _Problem("Enter a valid email address, such as ada@example.com.")
    other = emu.find_user_by_email(email)
    if other is not None and other.id != owner:
        raise _Problem(f"Another user already has the email {email}.", status=409)
    return email


def _name_field() -> str | None:
    name = (request.form.get("display_name") or "").strip()
    if len(name) > MAX_NAME_LENGTH:
        raise _Problem(f"The display name may have at most {MAX_NAME_LENGTH} characters.")
    return name or None


# --- pages ---------------------------------------------------------------------------------------


@bp.route("/", methods=["GET"])
def overview() -> Response:
    """Connection details, counts, and the controls (clock, token lifetime, keys, faults, reset)."""
    emu = get_emulator()
    with emu.lock:
        counts = {"Users": len(emu.data.users), "Sessions": len(emu.data.sessions),
                  "Emails": len(emu.data.emails), "Teams": len(emu.data.teams)}
        faults = [f for f in emu.data.faults if f.remaining > 0]
    return _render(
        "emulator/console_overview.html", emu=emu, counts=counts, faults=faults, fault_modes=FAULT_MODES,
        api_url=emu.current_base_url(), apps=_apps(),
    )


@bp.route("/console/users", methods=["GET"])
def users() -> Response:
    """Every user, newest first, and a form to create one."""
    emu = get_emulator()
    with emu.lock:
        people = sorted(emu.data.users.values(), key=lambda u: u.signed_up_at, reverse=True)
        session_counts = {u.id: sum(1 for s in emu.data.sessions.values() if s.user_id == u.id) for u in people}
    return _render("emulator/console_users.html", users=people, session_counts=session_counts)


@bp.route("/console/users/<user_id>", methods=["GET"])
def user(user_id: str) -> Response:
    """One user: edit, delete, sign in as, sessions, teams and permissions."""
    emu = get_emulator()
    person = _user(emu, user_id)
    with emu.lock:
        sessions = sorted((s for s in emu.data.sessions.values() if s.user_id == user_id),
                          key=lambda s: s.created_at, reverse=True)
        teams = [(t, sorted(team_permission_ids(emu, t.id, user_id))) for t in emu.data.teams.values()
                 if user_id in t.member_ids]
        project_permissions = sorted(p for u, p in rbac(emu).project_grants if u == user_id)
    return _render(
        "emulator/console_user.html", user=person, sessions=sessions, teams=teams,
        project_permissions=project_permissions, apps=_apps(),
        providers=[(p, provider_name(p)) for p in emu.project.oauth_providers],
    )


@bp.route("/console/sessions", methods=["GET"])
def sessions() -> Response:
    """Every session (refresh token), newest first."""
    emu = get_emulator()
    with emu.lock:
        rows = sorted(emu.data.sessions.values(), key=lambda s: s.created_at, reverse=True)
        owners = {s.id: emu.data.users.get(s.user_id) for s in rows}
    return _render("emulator/console_sessions.html", sessions=rows, owners=owners, now=emu.now())


@bp.route("/console/inbox", methods=["GET"])
def inbox() -> Response:
    """Every email the emulator "sent", newest first, with its link and codes."""
    return _render("emulator/console_inbox.html", mails=list(reversed(outbox(get_emulator()))))


@bp.route("/console/teams", methods=["GET"])
def teams() -> Response:
    """Teams with their members and team permissions; project permissions and who holds them."""
    emu = get_emulator()
    with emu.lock:
        state = rbac(emu)
        rows = []
        for team in sorted(emu.data.teams.values(), key=lambda t: t.created_at):
            members = [(emu.data.users.get(uid), uid, sorted(team_permission_ids(emu, team.id, uid)))
                       for uid in team.member_ids]
            rows.append((team, members))
        definitions = sorted(state.definitions.values(), key=lambda d: (d.scope, d.id))
        holders: dict[str, list[User]] = {}
        for uid, pid in sorted(state.project_grants):
            holder = emu.data.users.get(uid)
            if holder is not None:
                holders.setdefault(pid, []).append(holder)
    return _render("emulator/console_teams.html", teams=rows, definitions=definitions, holders=holders)


@bp.route("/console/webhooks", methods=["GET"])
def webhooks() -> Response:
    """The registered webhook endpoints, and every delivery attempt with the answer it got (newest first)."""
    hub = get_emulator().webhooks
    endpoints = [e.to_json() for e in hub.endpoints()]
    deliveries = list(reversed(hub.deliveries()))
    pretty = [json.dumps(d, indent=2, sort_keys=True, default=str) for d in deliveries]
    return _render("emulator/console_webhooks.html", endpoints=endpoints, deliveries=deliveries, pretty=pretty)


# --- actions (POST forms; each answers 303 to a page) ----------------------------------------------


@bp.route("/console/clock", methods=["POST"])
def advance_clock() -> BaseResponse:
    """Move the emulator clock forward."""
    get_emulator().advance_clock(_number("seconds", 1, 10 * 365 * 24 * 3600))
    return _back("emulator_console.overview", "clock")


@bp.route("/console/lifetime", methods=["POST"])
def set_lifetime() -> BaseResponse:
    """Set the lifetime of new access tokens."""
    get_emulator().set_access_token_lifetime(int(_number("seconds", 1, 365 * 24 * 3600)))
    return _back("emulator_console.overview", "lifetime")


@bp.route("/console/rotate-keys", methods=["POST"])
def rotate_keys() -> BaseResponse:
    """Sign with a new key from now on."""
    get_emulator().rotate_keys()
    return _back("emulator_console.overview", "keys")


@bp.route("/console/faults", methods=["POST"])
def add_fault() -> BaseResponse:
    """Make the next ``count`` API requests (under ``path``) fail in ``mode``."""
    mode = request.form.get("mode", "")
    if mode not in FAULT_MODES:
        raise _Problem(f"Mode must be one of {', '.join(FAULT_MODES)}.")
    path = (request.form.get("path") or "").strip() or None
    if path is not None and not path.startswith("/api/"):
        raise _Problem("Path must start with /api/ (only API requests can fail), or stay empty for all of them.")
    get_emulator().fail_next(int(_number("count", 1, 1000)), path=path, mode=mode)
    return _back("emulator_console.overview", "faults")


@bp.route("/console/faults/clear", methods=["POST"])
def clear_faults() -> BaseResponse:
    """Drop every pending fault."""
    emu = get_emulator()
    with emu.lock:
        emu.data.faults = []
    return _back("emulator_console.overview", "faults-cleared")


@bp.route("/console/legacy", methods=["POST"])
def toggle_legacy() -> BaseResponse:
    """Switch between current (v2.8) and legacy (v2.7) behaviour."""
    emu = get_emulator()
    emu.set_legacy_tokens(request.form.get("enabled") == "1")
    return _back("emulator_console.overview", "legacy")


@bp.route("/console/reset", methods=["POST"])
def reset() -> BaseResponse:
    """Back to the seeded state: no users, sessions or emails."""
    get_emulator().reset()
    return _back("emulator_console.overview", "reset")


@bp.route("/console/users", methods=["POST"])
def create_user() -> BaseResponse:
    """Create a user (email-auth enabled when it has an email)."""
    emu = get_emulator()
    email = _email_field(emu)
    password = request.form.get("password") or None
    if password is not None and len(password) < 8:
        raise _Problem("A password needs at least 8 characters (or leave it empty).")
    created = emu.create_user(email, password=password, display_name=_name_field(),
                              email_verified=request.form.get("email_verified") == "1")
    return _back("emulator_console.user", "user-created", user_id=created["id"])


@bp.route("/console/users/<user_id>", methods=["POST"])
def update_user(user_id: str) -> BaseResponse:
    """Save the display name, primary email and its verified flag."""
    emu = get_emulator()
    person = _user(emu, user_id)
    email = _email_field(emu, owner=user_id)
    name = _name_field()
    with emu.lock:
        # An email added to a user that had none becomes a sign-in email, as the server endpoint does.
        auth_enabled = person.primary_email_auth_enabled or person.primary_email is None
        person.display_name = name
        person.primary_email = email
        person.primary_email_verified = bool(email) and request.form.get("email_verified") == "1"
        person.primary_email_auth_enabled = bool(email) and auth_enabled
    return _back("emulator_console.user", "user-saved", user_id=user_id)


@bp.route("/console/users/<user_id>/delete", methods=["POST"])
def delete_user(user_id: str) -> BaseResponse:
    """Delete a user with its sessions and memberships."""
    emu = get_emulator()
    _user(emu, user_id)
    emu.delete_user(user_id)
    return _back("emulator_console.users", "user-deleted")


@bp.route("/console/users/<user_id>/sign-in-as", methods=["POST"])
def sign_in_as(user_id: str) -> BaseResponse:
    """Send the browser through a registered app's OAuth sign-in, answered at once as this user."""
    emu = get_emulator()
    person = _user(emu, user_id)
    if not person.primary_email:
        raise _Problem("This user has no email, so no provider login can name it. Use \u201cGet tokens\u201d.")
    apps = _apps()
    try:
        app = apps[int(request.form.get("app", ""))]
    except (ValueError, IndexError):
        raise _Problem("Pick one of the registered apps.") from None
    provider = request.form.get("provider", "")
    if provider not in emu.project.oauth_providers:
        raise _Problem("That provider is not enabled for the project.")
    preselect_login(emu, provider, person.primary_email)
    return redirect(add_query(app.sign_in_url, [("provider", provider)]), code=303)


@bp.route("/console/users/<user_id>/tokens", methods=["POST"])
def mint_tokens(user_id: str) -> Response:
    """Create an impersonation session and show its token pair once."""
    emu = get_emulator()
    person = _user(emu, user_id)
    sess = emu.new_session(user_id, is_impersonation=True)
    access_token = emu.access_token_for_session(sess)
    return _render("emulator/console_tokens.html", user=person, access_token=access_token,
                   refresh_token=sess.refresh_token, lifetime=emu.access_token_lifetime, apps=_apps())


@bp.route("/console/sessions/<session_id>/revoke", methods=["POST"])
def revoke_session(session_id: str) -> BaseResponse:
    """Revoke one session; go back to where the form was."""
    emu = get_emulator()
    with emu.lock:
        sess = emu.data.sessions.pop(session_id, None)
    if sess is None:
        raise _Problem("No such session: it was revoked already, or it expired.", status=404)
    if request.form.get("back") == "user":
        return _back("emulator_console.user", "session-revoked", user_id=sess.user_id)
    return _back("emulator_console.sessions", "session-revoked")
