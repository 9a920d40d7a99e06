"""Two-factor sign-in (TOTP): ``GET /account/two-factor`` and its POSTs ``start``, ``confirm``, ``cancel``, ``disable``.

Enrolment: ``start`` makes a secret and keeps it in our (signed) session for :data:`ENROL_TTL` seconds, tied
to the user; the page shows it as a QR code and as text; ``confirm`` checks one code with pyotp and only then
sets it at Stack (``PATCH /users/me`` ``totp_secret_base64``, as Stack's SDK does). The secret leaves the
session on success, on ``cancel``, on expiry and when another user's session finds it; it is never logged.
Without the ``totp`` extra the page says how to install it.
"""

from __future__ import annotations

import base64
import binascii
import time
from typing import Any

from flask import Blueprint, redirect, request, session, url_for
from werkzeug.wrappers import Response

from .. import totp
from ..auth import authenticate
from ..decorators import login_required
from ..errors import InvalidTotpCode, StackAuthError
from ..state import get_state
from ..user import StackUser
from .account_nav import account_nav
from .forms import Form, explain, page, refuse_forged

ENROL_KEY = "stackauth_totp_enrol"
#: How long a started enrolment waits for its first code.
ENROL_TTL = 600
TEMPLATE = "stackauth/two_factor.html"


def _user() -> StackUser:
    return authenticate()  # login_required ran: the request's user, cached for the request


def _pending_secret(user: StackUser) -> bytes | None:
    """The enrolment secret of this user, or ``None`` (a stale or foreign one is dropped)."""
    value = session.get(ENROL_KEY)
    if value is None:
        return None
    ok = isinstance(value, dict) and value.get("u") == user.id and isinstance(value.get("x"), (int, float)) \
        and value["x"] > time.time() and isinstance(value.get("s"), str)
    secret = None
    if ok:
        try:
            secret = base64.b64decode(value["s"], validate=True)
        except (binascii.Error, ValueError):
            secret = None
    if secret is None:
        session.pop(ENROL_KEY, None)
    return secret


def _issuer() -> str:
    try:
        name = get_state().project().get("display_name")
    except StackAuthError:
        name = None
    return name if isinstance(name, str) and name.strip() else "Stack Auth"


def _render(form: Form | None = None, status: int = 200, **extra: Any) -> Response:
    user = _user()
    form = form or Form()
    context: dict[str, Any] = {"form": form, "nav": account_nav(), "enabled": bool(user.get("requires_totp_mfa")),
                               "available": totp.available(), "install_hint": totp.INSTALL_HINT,
                               "pending": False, "notice": extra.pop("notice", None)}
    secret = _pending_secret(user) if context["available"] else None
    if secret is not None:
        uri = totp.provisioning_uri(secret, user.primary_email or user.id, _issuer())
        context.update(pending=True, uri=uri, qr_svg=totp.qr_svg(uri), secret_text=totp.base32(secret),
                       minutes=ENROL_TTL // 60)
    context.update(extra)
    return page(TEMPLATE, status, **context)


_NOTICES = {"on": "Two-factor sign-in is on. Next time you sign in, enter a code from your authenticator app.",
            "off": "Two-factor sign-in is off.", "cancelled": "Setup cancelled; nothing was changed."}


@login_required
def two_factor() -> Response:
    """The two-factor section: status, and the enrolment form while one is pending."""
    notice = _NOTICES.get(request.args.get("done", ""))
    return _render(notice=notice)


def _refused(action: str) -> Response | None:
    form = Form()
    if refuse_forged(form, action):
        return _render(form, form.status)
    if not totp.available():
        form.fail(f"Two-factor sign-in is not installed on this app. Its developer can add it with: "
                  f"{totp.INSTALL_HINT}", 501)
        return _render(form, 501)
    return None


@login_required
def two_factor_start() -> Response:
    """Make a new secret for this user's enrolment (replacing any pending one)."""
    refused = _refused("two-factor setup")
    if refused is not None:
        return refused
    session[ENROL_KEY] = {"s": base64.b64encode(totp.new_secret()).decode(), "u": _user().id,
                          "x": time.time() + ENROL_TTL}
    return redirect(url_for("stackauth.two_factor"), 303)


@login_required
def two_factor_confirm() -> Response:
    """Check one code of the pending secret; only then turn two-factor sign-in on at Stack."""
    refused = _refused("two-factor setup")
    if refused is not None:
        return refused
    user = _user()
    form = Form()
    secret = _pending_secret(user)
    if secret is None:
        form.fail(f"The setup took longer than {ENROL_TTL // 60} minutes or was cancelled. Start again.", 409)
        return _render(form, 409)
    code = totp.normalise_code(request.form.get("totp"))
    if not code:
        form.fail("Enter the 6-digit code your authenticator app shows.", field_name="totp")
    elif not totp.is_code_shape(code):
        form.fail("The code is 6 digits. Enter the current one from your authenticator app.", field_name="totp")
    if form.failed:
        return _render(form, form.status)
    try:
        user.enable_totp(secret, code)
    except InvalidTotpCode as exc:
        form.fail(exc.message, 400, "totp")
        return _render(form, 400)
    except StackAuthError as exc:
        explain(exc, form)
        return _render(form, form.status)
    session.pop(ENROL_KEY, None)
    return redirect(url_for("stackauth.two_factor", done="on"), 303)


@login_required
def two_factor_cancel() -> Response:
    """Abandon a pending enrolment (the secret leaves the session)."""
    form = Form()
    if refuse_forged(form, "two-factor setup"):
        return _render(form, form.status)
    session.pop(ENROL_KEY, None)
    return redirect(url_for("stackauth.two_factor", done="cancelled"), 303)


@login_required
def two_factor_disable() -> Response:
    """Turn two-factor sign-in off."""
    form = Form()
    if refuse_forged(form, "two-factor"):
        return _render(form, form.status)
    try:
        _user().disable_totp()
    except StackAuthError as exc:
        explain(exc, form)
        return _render(form, form.status)
    session.pop(ENROL_KEY, None)
    return redirect(url_for("stackauth.two_factor", done="off"), 303)


def register(bp: Blueprint) -> None:
    """Add this flow's routes to ``bp``."""
    bp.add_url_rule("/account/two-factor", "two_factor", two_factor, methods=["GET"])
    bp.add_url_rule("/account/two-factor/start", "two_factor_start", two_factor_start, methods=["POST"])
    bp.add_url_rule("/account/two-factor/confirm", "two_factor_confirm", two_factor_confirm, methods=["POST"])
    bp.add_url_rule("/account/two-factor/cancel", "two_factor_cancel", two_factor_cancel, methods=["POST"])
    bp.add_url_rule("/account/two-factor/disable", "two_factor_disable", two_factor_disable, methods=["POST"])

