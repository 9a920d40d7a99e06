"""The second step: a TOTP code completes a sign-in that met ``MULTI_FACTOR_AUTHENTICATION_REQUIRED``.
"""

from __future__ import annotations

import re
import time

from flask import Blueprint, redirect, request, session, url_for
from werkzeug.wrappers import Response

from ..errors import MultiFactorAuthenticationRequired, SignInError, StackAuthError
from ..throttle import FAILURES
from .completion import finish, stack_post
from .forms import Form, count_refusal, explain, guard, page, pending_value, refuse_forged

MFA_KEY = "stackauth_mfa"
#: Stack's MFA attempt code lives 5 minutes.
MFA_PENDING_TTL = 300
_TOTP = re.compile(r"^[0-9]{6}$")


def begin_mfa(exc: MultiFactorAuthenticationRequired, *, next_url: str | None, method: str,
              email: str | None = None) -> Response:
    """Keep the attempt code of ``exc`` in the session and send the browser to the TOTP page.

    Any sign-in that meets ``MULTI_FACTOR_AUTHENTICATION_REQUIRED`` (the OAuth callback included) can hand
    over here; the sign-in finishes at ``POST /mfa`` with ``user_signed_in`` sent with ``method``.

    :param email: the email typed for this sign-in, if any: wrong TOTP codes are throttled per email.
    """
    details = exc.details if isinstance(exc.details, dict) else {}
    attempt = details.get("attempt_code")
    if not isinstance(attempt, str) or not attempt:
        raise SignInError("Stack Auth asked for a second factor without an attempt code.",
                          code=exc.code, http_status=502)
    session[MFA_KEY] = {"c": attempt, "n": next_url, "m": method, "x": time.time() + MFA_PENDING_TTL}
    if email:
        session[MFA_KEY]["e"] = email
    return redirect(url_for("stackauth.mfa"), 303)


def mfa() -> Response:
    """The second step: a TOTP code completes the sign-in (``POST /api/v1/auth/mfa/sign-in``)."""
    pending = pending_value(MFA_KEY)
    form = Form()
    if pending is None:
        session.pop(MFA_KEY, None)
        form.fail("There is no sign-in waiting for a code, or it took longer than 5 minutes. Please sign in again.")
        return page("stackauth/mfa.html", 400, form=form, pending=False)
    if request.method == "GET":
        return page("stackauth/mfa.html", form=form, pending=True)
    if refuse_forged(form, "verification"):
        return page("stackauth/mfa.html", form.status, form=form, pending=True)
    totp = re.sub(r"\s", "", request.form.get("totp", ""))[:64]
    if not totp:
        form.fail("Enter the 6-digit code from your authenticator app.", field_name="totp")
    elif not _TOTP.match(totp):
        form.fail("The code is 6 digits. Enter the current one from your authenticator app.", field_name="totp")
    if form.failed:
        return page("stackauth/mfa.html", form.status, form=form, pending=True)
    # Per email when the sign-in typed one, else per attempt (an OAuth sign-in): a new attempt code needs
    # the first factor again.
    email = pending.get("e") if isinstance(pending.get("e"), str) else f"mfa-attempt:{pending['c']}"
    guard(FAILURES, email)
    try:
        answer = stack_post("/api/v1/auth/mfa/sign-in", {"type": "totp", "totp": totp, "code": pending["c"]})
    except StackAuthError as exc:
        count_refusal(exc, FAILURES, email)
        if exc.code == "INVALID_TOTP_CODE":
            explain(exc, form, {"INVALID_TOTP_CODE": "totp"})
            return page("stackauth/mfa.html", form.status, form=form, pending=True)
        session.pop(MFA_KEY, None)
        explain(exc, form)
        if exc.code.startswith("VERIFICATION_CODE_"):
            form.fail("This sign-in took too long or was already completed. Please sign in again.", form.status)
        return page("stackauth/mfa.html", form.status, form=form, pending=False)
    next_url = pending.get("n") if isinstance(pending.get("n"), str) else None
    method = pending.get("m")
    return finish(answer, method=method if isinstance(method, str) else "mfa", next_url=next_url)


def register(bp: Blueprint) -> None:
    """Add this flow's routes to ``bp``."""
    bp.add_url_rule("/mfa", "mfa", mfa, methods=["GET", "POST"])
