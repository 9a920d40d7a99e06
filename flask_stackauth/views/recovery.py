"""Forgotten passwords: ``GET|POST /forgot-password`` mails a reset link, ``GET|POST /password-reset`` uses it.

- The forgot-password answer is the same whether or not the email has an account (Stack's is too).
- The emailed link's GET only checks the code (``check-code``): mail scanners that prefetch links must not
  spend it. The POST (one click, with the new password twice) spends it.
- Stack spends the code before it checks the password, so the password rules are checked here first; a reset
  that still fails offers a new link.
- A reset ends every session of the user at Stack. The page then signs this browser in with the new password
  (the email is asked for that, and for password managers); other browsers' tokens are refused by this app
  from their next request on.
"""

from __future__ import annotations

import logging
import re

from flask import Blueprint, redirect, request, url_for
from werkzeug.wrappers import Response

from .. import account_api
from ..app_urls import stack_url
from ..errors import (
    KnownError,
    MultiFactorAuthenticationRequired,
    PasswordRequirementsNotMet,
    RedirectUrlNotWhitelisted,
    StackAuthError,
    VerificationCodeError,
)
from ..state import get_state
from ..throttle import SENDS
from ..tokens import peek_claims
from .completion import finish, stack_post
from .forms import MAX_PASSWORD_LENGTH, Form, email_field, explain, guard, page, refuse_forged, text_field
from .mfa import begin_mfa

log = logging.getLogger("flask_stackauth")

#: Stack's default password rule (``getPasswordError``): at least this many characters.
MIN_PASSWORD_LENGTH = 8
#: Stack's emailed codes: 45 letters and digits (a little slack either way).
_CODE = re.compile(r"^[0-9a-zA-Z]{20,64}$")
BROKEN_LINK = ("This reset link is incomplete or broken. Copy the whole link from the email, or send yourself a "
               "new one.")


def _password_enabled() -> bool | None:
    try:
        return bool(get_state().project_config().get("credential_enabled"))
    except StackAuthError:
        return None


def forgot_password() -> Response:
    """Ask for an email and have Stack mail it a reset link; the same answer for every address."""
    form = Form()
    enabled = _password_enabled()
    if enabled is False:
        form.fail("Signing in with a password is turned off for this app, so there is no password to reset.", 404)
        return page("stackauth/forgot_password.html", 404, form=form, sent_to=None, closed=True)
    if request.method == "GET":
        return page("stackauth/forgot_password.html", form=form, sent_to=None, closed=False)
    if refuse_forged(form, "password reset"):
        return page("stackauth/forgot_password.html", form.status, form=form, sent_to=None, closed=False)
    email = email_field(form)
    if form.failed:
        return page("stackauth/forgot_password.html", form.status, form=form, sent_to=None, closed=False)
    guard(SENDS, email)  # a flood of reset mails is a nuisance to the inbox's owner
    state = get_state()
    try:
        account_api.send_password_reset(state.client, email, stack_url("stackauth.password_reset"))
        state.throttle.record(SENDS, email=email, address=request.remote_addr)
    except RedirectUrlNotWhitelisted:
        state.throttle.record(SENDS, email=email, address=request.remote_addr)  # counted as sent: same answer
        # Stack says this only for addresses that have an account: showing it would tell which do.
        log.warning("flask-stackauth: Stack Auth refused to mail a reset link because this app's address is not a "
                    "trusted domain of the project (set STACK_APP_URL and add it in the dashboard)")
    except StackAuthError as exc:
        explain(exc, form)
        return page("stackauth/forgot_password.html", form.status, form=form, sent_to=None, closed=False)
    return page("stackauth/forgot_password.html", form=form, sent_to=email, closed=False)


def _reset_page(form: Form, code: str | None, status: int = 200) -> Response:
    # ``code`` is None once it cannot be used any more: the page then offers a new link instead of the form.
    return page("stackauth/password_reset.html", status, form=form, code=code)


def _code_failed(exc: StackAuthError, form: Form) -> Response:
    explain(exc, form)
    if isinstance(exc, VerificationCodeError):
        form.message = {
            "VERIFICATION_CODE_NOT_FOUND": "This reset link is not valid (or was already used). Send yourself a new "
                                           "one.",
            "VERIFICATION_CODE_EXPIRED": "This reset link has expired. Send yourself a new one.",
            "VERIFICATION_CODE_ALREADY_USED": "This reset link has already been used. If that was not you, send "
                                              "yourself a new one.",
        }.get(exc.code, form.message)
    return _reset_page(form, None, form.status)


def password_reset() -> Response:
    """GET checks the emailed code and shows the form; POST spends it with the new password."""
    form = Form()
    code = request.values.get("code", "")
    if not _CODE.match(code):
        form.fail(BROKEN_LINK)
        return _reset_page(form, None, 400)
    state = get_state()
    if request.method == "GET":
        try:
            account_api.check_password_reset_code(state.client, code)
        except StackAuthError as exc:
            return _code_failed(exc, form)
        return _reset_page(form, code)
    if refuse_forged(form, "password reset"):
        return _reset_page(form, code, form.status)
    email = email_field(form)
    password = text_field("password", MAX_PASSWORD_LENGTH, form, label="new password", strip=False)
    if "password" not in form.errors and len(password) < MIN_PASSWORD_LENGTH:
        form.fail(f"Use at least {MIN_PASSWORD_LENGTH} characters.", field_name="password")
    if "password" not in form.errors and request.form.get("password_repeat", "") != password:
        form.fail("The two passwords do not match.", field_name="password_repeat")
    if form.failed:
        return _reset_page(form, code, form.status)
    try:
        # Checked again: the form may have waited while the link was used elsewhere, and a failing reset spends it.
        account_api.check_password_reset_code(state.client, code)
        account_api.reset_password(state.client, code, password)
    except PasswordRequirementsNotMet as exc:
        explain(exc, form)
        form.message = f"Stack Auth refused the new password: {form.message} This link is now used up: send " \
                       "yourself a new one."
        return _reset_page(form, None, form.status)
    except StackAuthError as exc:
        return _code_failed(exc, form)
    log.info("flask-stackauth: password reset; every session of the user was ended")
    return _sign_in_after_reset(email, password)


def _sign_in_after_reset(email: str, password: str) -> Response:
    done = url_for("stackauth.login", notice="password-reset")
    try:
        answer = stack_post("/api/v1/auth/password/sign-in", {"email": email, "password": password})
    except MultiFactorAuthenticationRequired as exc:
        return begin_mfa(exc, next_url=None, method="password")
    except (KnownError, StackAuthError) as exc:
        # Another address than the account's, or an outage: the password is changed all the same.
        log.info("flask-stackauth: no sign-in after the password reset (%s)", exc.code)
        return redirect(done, 303)
    claims = peek_claims(answer["access_token"])
    iat, keep = claims.get("iat"), claims.get("refresh_token_id")
    if isinstance(iat, int) and isinstance(claims.get("sub"), str):
        get_state().ended_sessions.end_user_sessions(claims["sub"], issued_up_to=iat,
                                                     keep_session_id=keep if isinstance(keep, str) else None)
    return finish(answer, method="password", next_url=None, is_new_user=False)


def register(bp: Blueprint) -> None:
    """Add this flow's routes to ``bp``."""
    bp.add_url_rule("/forgot-password", "forgot_password", forgot_password, methods=["GET", "POST"])
    bp.add_url_rule("/password-reset", "password_reset", password_reset, methods=["GET", "POST"])
