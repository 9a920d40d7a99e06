"""Email verification: ``GET|POST /verify-email`` (the emailed link) and ``POST /verify-email/send`` (resend).

The link's GET only checks the code; one click POSTs and spends it (mail scanners that prefetch links must not
use it up). After a verification the browser's session gets a new access token at once, so the new
``email_verified`` claim (and the end of an unverified user's restriction) is seen from the next page on.
"""

from __future__ import annotations

import re

from flask import Blueprint, request
from werkzeug.wrappers import Response

from .. import account_api
from ..auth import authenticate
from ..errors import EmailAlreadyVerified, StackAuthError, VerificationCodeError
from ..state import get_state
from ..urls import safe_next
from ..user import StackUser
from .forms import Form, explain, page, refuse_forged

_CODE = re.compile(r"^[0-9a-zA-Z]{20,64}$")
_CODE_MESSAGES = {
    "VERIFICATION_CODE_NOT_FOUND": "This verification link is not valid. Send yourself a new one.",
    "VERIFICATION_CODE_EXPIRED": "This verification link has expired. Send yourself a new one.",
    "VERIFICATION_CODE_ALREADY_USED": "This verification link has already been used: the address is verified.",
}


def _session_user() -> StackUser | None:
    """The signed-in user, restricted ones included (an unverified email is what this page is for)."""
    try:
        return authenticate(allow_restricted=True)
    except StackAuthError:
        return None


def _continue_url() -> str:
    return safe_next(get_state().settings.after_sign_in_url, host=request.host) or request.script_root + "/"


def _page(form: Form, code: str | None, status: int = 200, *, verified: bool = False, sent_to: str | None = None
          ) -> Response:
    user = _session_user()
    return page("stackauth/verify_email.html", status, form=form, code=code, verified=verified, sent_to=sent_to,
                signed_in=isinstance(user, StackUser), continue_url=_continue_url())


def _failed(exc: StackAuthError, form: Form) -> Response:
    explain(exc, form)
    if isinstance(exc, VerificationCodeError) and exc.code in _CODE_MESSAGES:
        form.message = _CODE_MESSAGES[exc.code]
    return _page(form, None, form.status)


def verify_email() -> Response:
    """GET checks the emailed code and asks for one click; POST spends it and renews the session's token."""
    form = Form()
    code = request.values.get("code", "")
    if not _CODE.match(code):
        form.fail("This verification link is incomplete or broken. Copy the whole link from the email, or send "
                  "yourself a new one.")
        return _page(form, None, 400)
    client = get_state().client
    if request.method == "GET":
        try:
            account_api.check_email_verification_code(client, code)
        except StackAuthError as exc:
            return _failed(exc, form)
        return _page(form, code)
    if refuse_forged(form, "email verification"):
        return _page(form, code, form.status)
    try:
        account_api.verify_email(client, code)
    except StackAuthError as exc:
        return _failed(exc, form)
    user = _session_user()
    if user is not None:
        user.refresh_claims()
    return _page(form, None, verified=True)


def send_verification() -> Response:
    """Mail the signed-in user (restricted users included) a new verification link for the primary email."""
    form = Form()
    if refuse_forged(form, "verification email"):
        return _page(form, None, form.status)
    user = authenticate(allow_restricted=True)
    try:
        user.send_verification_email()
    except EmailAlreadyVerified:
        user.refresh_claims()
        form.fail("Your email address is already verified.", 409)
        return _page(form, None, 409, verified=True)
    except StackAuthError as exc:
        explain(exc, form)
        return _page(form, None, form.status)
    return _page(form, None, sent_to=user.primary_email or "your email address")


def register(bp: Blueprint) -> None:
    """Add this flow's routes to ``bp``."""
    bp.add_url_rule("/verify-email", "verify_email", verify_email, methods=["GET", "POST"])
    bp.add_url_rule("/verify-email/send", "verify_email_send", send_verification, methods=["POST"])
