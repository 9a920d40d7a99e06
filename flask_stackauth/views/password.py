"""Email and password: ``POST /password`` signs in, ``GET|POST /signup`` creates an account.
"""

from __future__ import annotations

from flask import Blueprint, request
from werkzeug.wrappers import Response

from ..app_urls import stack_url
from ..errors import MultiFactorAuthenticationRequired, StackAuthError
from ..state import get_state
from ..throttle import FAILURES
from .completion import finish, stack_post
from .forms import (
    MAX_PASSWORD_LENGTH,
    MESSAGES,
    Form,
    count_refusal,
    email_field,
    explain,
    form_next,
    guard,
    page,
    refuse_forged,
    text_field,
)
from .login_page import login_page
from .mfa import begin_mfa


def password_sign_in() -> Response:
    """Sign in with email and password (``POST /api/v1/auth/password/sign-in``)."""
    next_url = form_next()
    form = Form()
    if refuse_forged(form, "sign-in"):
        return login_page(next_url, password=form, status=form.status)
    email = email_field(form)
    password = text_field("password", MAX_PASSWORD_LENGTH, form, label="password", strip=False)
    if form.failed:
        return login_page(next_url, password=form, status=form.status)
    guard(FAILURES, email)
    try:
        answer = stack_post("/api/v1/auth/password/sign-in", {"email": email, "password": password})
    except MultiFactorAuthenticationRequired as exc:
        return begin_mfa(exc, next_url=next_url, method="password", email=email)
    except StackAuthError as exc:
        count_refusal(exc, FAILURES, email)
        # One message for a wrong password and an unknown email: the page never tells which.
        return login_page(next_url, password=explain(exc, form), status=form.status)
    return finish(answer, method="password", next_url=next_url, is_new_user=False)


def _signup_allowed() -> bool | None:
    try:
        config = get_state().project_config()
    except StackAuthError:
        return None
    return bool(config.get("sign_up_enabled")) and bool(config.get("credential_enabled"))


def signup() -> Response:
    """Create an account with email and password (``POST /api/v1/auth/password/sign-up``)."""
    next_url = form_next()
    form = Form()
    allowed = _signup_allowed()
    if allowed is False:
        form.fail(MESSAGES["SIGN_UP_NOT_ENABLED"], 403)
        return page("stackauth/signup.html", 403, form=form, next_url=next_url, closed=True)
    if request.method == "GET":
        return page("stackauth/signup.html", 503 if allowed is None else 200, form=form, next_url=next_url,
                     closed=False, unavailable=allowed is None)
    if refuse_forged(form, "sign-up"):
        return page("stackauth/signup.html", form.status, form=form, next_url=next_url, closed=False)
    email = email_field(form)
    password = text_field("password", MAX_PASSWORD_LENGTH, form, label="password", strip=False)
    repeat = request.form.get("password_repeat", "")
    if "password" not in form.errors and repeat != password:
        form.fail("The two passwords do not match.", field_name="password_repeat")
    if form.failed:
        return page("stackauth/signup.html", form.status, form=form, next_url=next_url, closed=False)
    try:
        # v2.7 refuses a sign-up without it; v2.8 then mails no verification link at all.
        answer = stack_post("/api/v1/auth/password/sign-up", {
            "email": email, "password": password, "verification_callback_url": stack_url("stackauth.verify_email")})
    except MultiFactorAuthenticationRequired as exc:
        return begin_mfa(exc, next_url=next_url, method="password")
    except StackAuthError as exc:
        explain(exc, form, {"USER_EMAIL_ALREADY_EXISTS": "email", "PASSWORD_TOO_SHORT": "password",
                             "PASSWORD_TOO_LONG": "password"})
        return page("stackauth/signup.html", form.status, form=form, next_url=next_url, closed=False)
    return finish(answer, method="password", next_url=next_url, is_new_user=True)


def register(bp: Blueprint) -> None:
    """Add this flow's routes to ``bp``."""
    bp.add_url_rule("/password", "password_sign_in", password_sign_in, methods=["POST"])
    bp.add_url_rule("/signup", "signup", signup, methods=["GET", "POST"])
