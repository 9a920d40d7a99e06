"""Email codes: ``POST /otp/send``, ``GET|POST /otp/code`` (the typed 6 characters) and ``GET|POST /otp/callback``.

The emailed link's GET shows a one-click confirmation that POSTs: a GET that signs in would let mail scanners
that prefetch links burn the single-use code (or sign the scanner in).
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from typing import Any

from flask import Blueprint, redirect, request, session, url_for
from werkzeug.wrappers import Response

from ..app_urls import stack_url
from ..errors import KnownError, MultiFactorAuthenticationRequired, SignInError, StackAuthError
from ..state import get_state
from ..throttle import FAILURES, SENDS
from ..urls import safe_next
from .completion import finish, stack_post
from .forms import Form, count_refusal, email_field, explain, form_next, guard, page, pending_value, refuse_forged
from .login_page import login_page
from .mfa import begin_mfa

log = logging.getLogger("flask_stackauth")

OTP_KEY = "stackauth_otp"
#: How long a sent email code can be typed in this browser (Stack keeps the code itself for 7 days).
OTP_PENDING_TTL = 3600
OTP_LENGTH = 6
LINK_CODE_LENGTH = 45
# Stack's codes are Crockford base32; the typed code is shown in upper case.
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# Letters Crockford base32 never uses, read as the digits they look like.
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_LINK_CODE = re.compile(r"^[0-9a-zA-Z]{45}$")


def otp_send() -> Response:
    """Email a sign-in code and link (``POST /api/v1/auth/otp/send-sign-in-code``), then ask for the code."""
    next_url = form_next()
    form = Form()
    if refuse_forged(form, "email code"):
        return login_page(next_url, otp=form, status=form.status)
    email = email_field(form, "otp_email")
    if form.failed:
        return login_page(next_url, otp=form, status=form.status)
    callback = stack_url("stackauth.otp_callback")
    guard(SENDS, email)
    throttle = get_state().throttle
    try:
        answer = get_state().client.request("POST", "/api/v1/auth/otp/send-sign-in-code",
                                            json={"email": email, "callback_url": callback})
        # Every email sent counts: a flood of codes is a nuisance to the inbox's owner and more codes to guess.
        throttle.record(SENDS, email=email, address=request.remote_addr)
        nonce = answer.get("nonce") if isinstance(answer, dict) else None
        if not isinstance(nonce, str) or len(nonce) != LINK_CODE_LENGTH - OTP_LENGTH:
            raise SignInError("Stack Auth answered without a usable code nonce.", code="STACK_AUTH_BAD_ANSWER",
                              http_status=502)
    except KnownError as exc:
        if exc.code not in ("USER_EMAIL_ALREADY_EXISTS", "SIGN_UP_NOT_ENABLED"):
            return login_page(next_url, otp=explain(exc, form), status=form.status)
        # Saying "no such account" or "this account cannot use codes" would tell anyone which emails have
        # accounts: carry on exactly as if a code was sent; no code will match.
        log.info("flask-stackauth: no email code sent (%s)", exc.code)
        throttle.record(SENDS, email=email, address=request.remote_addr)  # counted as if sent: same answer
        nonce = "".join(secrets.choice(_CROCKFORD.lower()) for _ in range(LINK_CODE_LENGTH - OTP_LENGTH))
    except StackAuthError as exc:
        return login_page(next_url, otp=explain(exc, form), status=form.status)
    # The nonce and next stay server-side in the session, never in the emailed URL.
    session[OTP_KEY] = {"nonce": nonce, "e": email, "n": next_url, "x": time.time() + OTP_PENDING_TTL}
    return redirect(url_for("stackauth.otp_code"), 303)


def _otp_code_page(form: Form, pending: dict[str, Any] | None, status: int = 200) -> Response:
    return page("stackauth/otp_code.html", status, form=form, pending=pending,
                 email=pending.get("e") if pending else None,
                 next_url=pending.get("n") if pending else safe_next(request.args.get("next")))


def otp_code() -> Response:
    """Ask for the 6-character code; the POST signs in with it followed by the nonce kept in the session."""
    pending = pending_value(OTP_KEY)
    form = Form()
    if request.method == "GET":
        if pending is None:
            form.fail("There is no email code waiting for this browser, or it expired. Send yourself a new one.")
            return _otp_code_page(form, None, 400)
        return _otp_code_page(form, pending)
    if refuse_forged(form, "email code"):
        return _otp_code_page(form, pending, form.status)
    if pending is None:
        form.fail("There is no email code waiting for this browser, or it expired. Send yourself a new one.")
        return _otp_code_page(form, None, 400)
    typed = re.sub(r"[\s-]", "", request.form.get("code", ""))[:64].upper().translate(_LOOKALIKES)
    if not typed:
        form.fail("Enter the 6-character code from the email.", field_name="code")
    elif len(typed) != OTP_LENGTH or any(c not in _CROCKFORD for c in typed):
        form.fail("The code is 6 letters and digits, like 4KC7F2. Check the email and try again.",
                  field_name="code")
    if form.failed:
        return _otp_code_page(form, pending, form.status)
    next_url = pending.get("n") if isinstance(pending.get("n"), str) else None
    email = pending.get("e") if isinstance(pending.get("e"), str) else None
    guard(FAILURES, email)
    try:
        answer = stack_post("/api/v1/auth/otp/sign-in", {"code": typed.lower() + str(pending["nonce"])})
    except MultiFactorAuthenticationRequired as exc:
        session.pop(OTP_KEY, None)
        return begin_mfa(exc, next_url=next_url, method="otp", email=email)
    except StackAuthError as exc:
        count_refusal(exc, FAILURES, email)
        explain(exc, form, {"VERIFICATION_CODE_NOT_FOUND": "code"})
        if exc.code != "VERIFICATION_CODE_NOT_FOUND":
            session.pop(OTP_KEY, None)  # this code is spent: only a new one helps
            pending = None
        return _otp_code_page(form, pending, form.status)
    return finish(answer, method="otp", next_url=next_url)


def otp_callback() -> Response:
    """The emailed link's landing page: GET asks for one click, the POST signs in with the link's code."""
    form = Form()
    code = request.values.get("code", "")
    if not _LINK_CODE.match(code):
        form.fail("This sign-in link is incomplete or broken. Copy the whole link from the email, or send "
                  "yourself a new one.")
        return page("stackauth/otp_callback.html", 400, form=form, code=None)
    if request.method == "GET":
        return page("stackauth/otp_callback.html", form=form, code=code)
    if refuse_forged(form, "sign-in link"):
        return page("stackauth/otp_callback.html", form.status, form=form, code=code)
    pending = pending_value(OTP_KEY)  # present when the link is opened in the browser that asked for it
    next_url = pending.get("n") if pending and isinstance(pending.get("n"), str) else None
    try:
        answer = stack_post("/api/v1/auth/otp/sign-in", {"code": code.lower()})
    except MultiFactorAuthenticationRequired as exc:
        return begin_mfa(exc, next_url=next_url, method="otp")
    except StackAuthError as exc:
        if exc.code == "VERIFICATION_CODE_NOT_FOUND":
            form.fail("This sign-in link is not valid. Send yourself a new one.")
        else:
            explain(exc, form)
        return page("stackauth/otp_callback.html", form.status, form=form, code=None)
    return finish(answer, method="otp", next_url=next_url)


def register(bp: Blueprint) -> None:
    """Add this flow's routes to ``bp``."""
    bp.add_url_rule("/otp/send", "otp_send", otp_send, methods=["POST"])
    bp.add_url_rule("/otp/code", "otp_code", otp_code, methods=["GET", "POST"])
    bp.add_url_rule("/otp/callback", "otp_callback", otp_callback, methods=["GET", "POST"])
