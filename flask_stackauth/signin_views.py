"""The prebuilt sign-in pages beyond OAuth: password sign-in and sign-up, email codes, and the TOTP step.

Routes added to the ``stackauth`` blueprint (so they sit under ``STACK_URL_PREFIX``):

- ``POST /password`` and ``GET|POST /signup``: email and password.
- ``POST /otp/send``, ``GET|POST /otp/code``: an emailed code typed as six characters; ``GET|POST /otp/callback``:
  the emailed link, which shows a one-click confirmation that POSTs. A GET that signs in would let mail
  scanners that prefetch links burn the single-use code (or sign the scanner in), so the GET never signs in.
- ``GET|POST /mfa``: the TOTP code after ``MULTI_FACTOR_AUTHENTICATION_REQUIRED``.

Every form carries the signed form token of :func:`~flask_stackauth.views.form_token`; every bad input answers
the page again with a message next to the field and a 4xx status. Messages never say whether an account exists
(except sign-up, whose answer cannot hide it), and nothing is logged but Stack's error codes.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from flask import redirect, request, session, url_for
from werkzeug.wrappers import Response

from .errors import (
    KnownError,
    MultiFactorAuthenticationRequired,
    ProjectAuthenticationError,
    SignInError,
    StackAuthError,
    StackAuthHTTPError,
    public_message,
    status_for,
)
from .extension import get_state
from .urls import safe_next
from .views import blueprint, check_form, form_page, store_sign_in

log = logging.getLogger("flask_stackauth")

OTP_KEY = "stackauth_otp"
MFA_KEY = "stackauth_mfa"
#: How long a sent email code can be typed in this browser (Stack keeps the code itself for 7 days).
OTP_PENDING_TTL = 3600
#: Stack's MFA attempt code lives 5 minutes.
MFA_PENDING_TTL = 300
MAX_EMAIL_LENGTH = 256
MAX_PASSWORD_LENGTH = 70
OTP_LENGTH = 6
LINK_CODE_LENGTH = 45
# Stack's codes are Crockford base32; the typed code is shown in upper case.
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# Letters Crockford base32 never uses, read as the digits they look like.
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_EMAIL = re.compile(r"^[^\s@]+@[^\s@.]+(\.[^\s@.]+)*\.[^\s@.]{2,}$")
_LINK_CODE = re.compile(r"^[0-9a-zA-Z]{45}$")
_TOTP = re.compile(r"^[0-9]{6}$")

#: How the sign-in page names Stack's OAuth providers (others: the id, capitalised).
PROVIDER_NAMES = {"github": "GitHub", "gitlab": "GitLab", "linkedin": "LinkedIn", "x": "X", "bitbucket": "Bitbucket",
                  "google": "Google", "microsoft": "Microsoft", "spotify": "Spotify", "facebook": "Facebook",
                  "discord": "Discord", "apple": "Apple", "twitch": "Twitch"}

MESSAGES = {
    "EMAIL_PASSWORD_MISMATCH": "Wrong email or password.",
    "PASSWORD_AUTHENTICATION_NOT_ENABLED": "Signing in with a password is turned off for this app.",
    "SIGN_UP_NOT_ENABLED": "Creating new accounts is turned off for this app.",
    "USER_EMAIL_ALREADY_EXISTS": "An account with this email already exists. Sign in instead.",
    "PASSWORD_TOO_LONG": f"Use at most {MAX_PASSWORD_LENGTH} characters.",
    "INVALID_TOTP_CODE": "That code is not right. Enter the current 6-digit code from your authenticator app.",
    "VERIFICATION_CODE_NOT_FOUND": "That code is not right. Check the email and try again.",
    "VERIFICATION_CODE_EXPIRED": "That code has expired. Send yourself a new one.",
    "VERIFICATION_CODE_ALREADY_USED": "That code has already been used. Send yourself a new one.",
    "VERIFICATION_CODE_MAX_ATTEMPTS_REACHED": "Too many wrong tries for that code. Send yourself a new one.",
    "REDIRECT_URL_NOT_WHITELISTED": "This app's address is not a trusted domain of its Stack Auth project, "
                                    "so Stack Auth refused to email a sign-in link to it.",
}
#: Statuses other than 400: a spent code (410, 409, 429), a taken email (409), a misconfigured app (502).
_CODE_STATUS = {"VERIFICATION_CODE_EXPIRED": 410, "VERIFICATION_CODE_ALREADY_USED": 409,
                "VERIFICATION_CODE_MAX_ATTEMPTS_REACHED": 429, "USER_EMAIL_ALREADY_EXISTS": 409,
                "REDIRECT_URL_NOT_WHITELISTED": 502}


@dataclass
class Form:
    """What a form page shows again: the typed values (never passwords), errors by field, a form message."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    message: str | None = None
    status: int = 400

    @property
    def failed(self) -> bool:
        """Whether anything was wrong."""
        return bool(self.errors) or self.message is not None

    def fail(self, message: str, status: int = 400, field_name: str | None = None) -> Form:
        """Record an error (next to ``field_name``, else for the whole form) and its HTTP status."""
        if field_name:
            self.errors[field_name] = message
        else:
            self.message = message
        self.status = status
        return self


# -- helpers ------------------------------------------------------------------------------------------------

def _page(template: str, status: int = 200, **context: Any) -> Response:
    return form_page(template, status, **context)


def _form_next() -> str | None:
    return safe_next(request.form.get("next") or request.args.get("next"))


def _after_sign_in(next_url: str | None) -> Response:
    target = next_url or safe_next(get_state().settings.after_sign_in_url, host=request.host) or "/"
    return redirect(target, 303)


def _refuse_forged(form: Form, action: str) -> bool:
    """Check the form token and origin; on failure record the message on ``form`` (403)."""
    if request.headers.get("Sec-Fetch-Site") in ("cross-site", "same-site"):
        form.fail(f"The {action} request came from another site and was refused.", 403)
        return True
    try:
        check_form(action)
    except SignInError as exc:
        form.fail(exc.message, exc.status)
        return True
    return False


def _field(name: str, max_length: int, form: Form, *, label: str, strip: bool = True) -> str:
    value = request.form.get(name, "")
    if strip:
        value = value.strip()
    if not value:
        form.fail(f"Enter your {label}.", field_name=name)
    elif len(value) > max_length:
        form.fail(f"That {label} is too long (at most {max_length} characters).", field_name=name)
    return value


def _email(form: Form, name: str = "email") -> str:
    email = _field(name, MAX_EMAIL_LENGTH, form, label="email address")
    if name not in form.errors:
        form.values[name] = email
        if not _EMAIL.match(email):
            form.fail("Enter a valid email address, like name@example.com.", field_name=name)
    return email


def _stack_post(path: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = get_state().client.request("POST", path, json=body)
    if not isinstance(answer, dict) or not isinstance(answer.get("access_token"), str) \
            or not isinstance(answer.get("refresh_token"), str):
        raise SignInError("Stack Auth answered the sign-in without tokens.", code="STACK_AUTH_BAD_ANSWER",
                          status=502)
    return answer


def _explain(exc: StackAuthError, form: Form, field_for: dict[str, str] | None = None) -> Form:
    """Put Stack's refusal on ``form`` in plain words; other errors keep their safe public message."""
    log.info("flask-stackauth: sign-in form refused by Stack Auth (%s)", exc.code)
    where = (field_for or {}).get(exc.code)
    if exc.code in MESSAGES:
        return form.fail(MESSAGES[exc.code], _CODE_STATUS.get(exc.code, 400), where)
    if exc.code == "PASSWORD_TOO_SHORT":
        details = exc.details if isinstance(exc, KnownError) and isinstance(exc.details, dict) else {}
        return form.fail(f"Use at least {details.get('min_length', 8)} characters.", 400, where)
    if exc.code in ("SCHEMA_ERROR", "BODY_PARSING_ERROR"):
        return form.fail("Stack Auth did not accept what was typed. Check it and try again.", 400, where)
    if isinstance(exc, (KnownError, StackAuthHTTPError)) and 400 <= exc.status < 500 \
            and not isinstance(exc, ProjectAuthenticationError):
        return form.fail(public_message(exc), 400)
    status = status_for(exc)
    return form.fail(public_message(exc), status if status >= 500 else 502)


def _pending(key: str) -> dict[str, Any] | None:
    value = session.get(key)
    if not isinstance(value, dict) or not isinstance(value.get("x"), (int, float)) or value["x"] <= time.time():
        return None
    return value


def begin_mfa(exc: MultiFactorAuthenticationRequired, *, next_url: str | None, method: str) -> Response:
    """Keep the attempt code of ``exc`` in the session and send the browser to the TOTP page.

    Any sign-in that meets ``MULTI_FACTOR_AUTHENTICATION_REQUIRED`` (the OAuth callback included) can hand
    over here; the sign-in finishes at ``POST /mfa`` with ``user_signed_in`` sent with ``method``.
    """
    details = exc.details if isinstance(exc.details, dict) else {}
    attempt = details.get("attempt_code")
    if not isinstance(attempt, str) or not attempt:
        raise SignInError("Stack Auth asked for a second factor without an attempt code.",
                          code=exc.code, status=502)
    session[MFA_KEY] = {"c": attempt, "n": next_url, "m": method, "x": time.time() + MFA_PENDING_TTL}
    return redirect(url_for("stackauth.mfa"), 303)


def _finish(answer: dict[str, Any], *, method: str, next_url: str | None, is_new_user: bool | None = None) -> Response:
    new_user = bool(answer.get("is_new_user")) if is_new_user is None else is_new_user
    store_sign_in(answer["access_token"], answer["refresh_token"], is_new_user=new_user, method=method)
    return _after_sign_in(next_url)


# -- the sign-in page ---------------------------------------------------------------------------------------

def login_page(next_url: str | None, *, password: Form | None = None, otp: Form | None = None,
               status: int = 200) -> Response:
    """The sign-in page: the project's OAuth providers and forms for its other enabled methods."""
    state = get_state()
    try:
        config = state.project_config()
        providers = state.enabled_providers()
        unavailable = False
    except StackAuthError as exc:
        log.warning("flask-stackauth: could not load the project's sign-in methods: %s", exc.code)
        config, providers, unavailable = {}, [], True
    methods = {
        "password": bool(config.get("credential_enabled")),
        "otp": bool(config.get("magic_link_enabled")),
        "sign_up": bool(config.get("sign_up_enabled")) and bool(config.get("credential_enabled")),
    }
    return _page("stackauth/login.html", 503 if unavailable else status, providers=providers, methods=methods,
                 provider_names=PROVIDER_NAMES, next_url=next_url, unavailable=unavailable,
                 password_form=password or Form(),
                 otp_form=otp or Form())


# -- email and password -------------------------------------------------------------------------------------

@blueprint.route("/password", methods=["POST"])
def password_sign_in() -> Response:
    """Sign in with email and password (``POST /api/v1/auth/password/sign-in``)."""
    next_url = _form_next()
    form = Form()
    if _refuse_forged(form, "sign-in"):
        return login_page(next_url, password=form, status=form.status)
    email = _email(form)
    password = _field("password", MAX_PASSWORD_LENGTH, form, label="password", strip=False)
    if form.failed:
        return login_page(next_url, password=form, status=form.status)
    try:
        answer = _stack_post("/api/v1/auth/password/sign-in", {"email": email, "password": password})
    except MultiFactorAuthenticationRequired as exc:
        return begin_mfa(exc, next_url=next_url, method="password")
    except StackAuthError as exc:
        # One message for a wrong password and an unknown email: the page never tells which.
        return login_page(next_url, password=_explain(exc, form), status=form.status)
    return _finish(answer, method="password", next_url=next_url, is_new_user=False)


def _signup_allowed() -> bool | None:
    try:
        config = get_state().project_config()
    except StackAuthError:
        return None
    return bool(config.get("sign_up_enabled")) and bool(config.get("credential_enabled"))


@blueprint.route("/signup", methods=["GET", "POST"])
def signup() -> Response:
    """Create an account with email and password (``POST /api/v1/auth/password/sign-up``)."""
    next_url = _form_next()
    form = Form()
    allowed = _signup_allowed()
    if allowed is False:
        form.fail(MESSAGES["SIGN_UP_NOT_ENABLED"], 403)
        return _page("stackauth/signup.html", 403, form=form, next_url=next_url, closed=True)
    if request.method == "GET":
        return _page("stackauth/signup.html", 503 if allowed is None else 200, form=form, next_url=next_url,
                     closed=False, unavailable=allowed is None)
    if _refuse_forged(form, "sign-up"):
        return _page("stackauth/signup.html", form.status, form=form, next_url=next_url, closed=False)
    email = _email(form)
    password = _field("password", MAX_PASSWORD_LENGTH, form, label="password", strip=False)
    repeat = request.form.get("password_repeat", "")
    if "password" not in form.errors and repeat != password:
        form.fail("The two passwords do not match.", field_name="password_repeat")
    if form.failed:
        return _page("stackauth/signup.html", form.status, form=form, next_url=next_url, closed=False)
    try:
        answer = _stack_post("/api/v1/auth/password/sign-up", {"email": email, "password": password})
    except MultiFactorAuthenticationRequired as exc:
        return begin_mfa(exc, next_url=next_url, method="password")
    except StackAuthError as exc:
        _explain(exc, form, {"USER_EMAIL_ALREADY_EXISTS": "email", "PASSWORD_TOO_SHORT": "password",
                             "PASSWORD_TOO_LONG": "password"})
        return _page("stackauth/signup.html", form.status, form=form, next_url=next_url, closed=False)
    return _finish(answer, method="password", next_url=next_url, is_new_user=True)


# -- email codes --------------------------------------------------------------------------------------------

@blueprint.route("/otp/send", methods=["POST"])
def otp_send() -> Response:
    """Email a sign-in code and link (``POST /api/v1/auth/otp/send-sign-in-code``), then ask for the code."""
    next_url = _form_next()
    form = Form()
    if _refuse_forged(form, "email code"):
        return login_page(next_url, otp=form, status=form.status)
    email = _email(form, "otp_email")
    if form.failed:
        return login_page(next_url, otp=form, status=form.status)
    callback = url_for("stackauth.otp_callback", _external=True)
    try:
        answer = get_state().client.request("POST", "/api/v1/auth/otp/send-sign-in-code",
                                            json={"email": email, "callback_url": callback})
        nonce = answer.get("nonce") if isinstance(answer, dict) else None
        if not isinstance(nonce, str) or len(nonce) != LINK_CODE_LENGTH - OTP_LENGTH:
            raise SignInError("Stack Auth answered without a usable code nonce.", code="STACK_AUTH_BAD_ANSWER",
                              status=502)
    except KnownError as exc:
        if exc.code not in ("USER_EMAIL_ALREADY_EXISTS", "SIGN_UP_NOT_ENABLED"):
            return login_page(next_url, otp=_explain(exc, form), status=form.status)
        # Saying "no such account" or "this account cannot use codes" would tell anyone which emails have
        # accounts: carry on exactly as if a code was sent; no code will match.
        log.info("flask-stackauth: no email code sent (%s)", exc.code)
        nonce = "".join(secrets.choice(_CROCKFORD.lower()) for _ in range(LINK_CODE_LENGTH - OTP_LENGTH))
    except StackAuthError as exc:
        return login_page(next_url, otp=_explain(exc, form), status=form.status)
    # The nonce and next stay server-side in the session, never in the emailed URL.
    session[OTP_KEY] = {"nonce": nonce, "e": email, "n": next_url, "x": time.time() + OTP_PENDING_TTL}
    return redirect(url_for("stackauth.otp_code"), 303)


def _otp_code_page(form: Form, pending: dict[str, Any] | None, status: int = 200) -> Response:
    return _page("stackauth/otp_code.html", status, form=form, pending=pending,
                 email=pending.get("e") if pending else None,
                 next_url=pending.get("n") if pending else safe_next(request.args.get("next")))


@blueprint.route("/otp/code", methods=["GET", "POST"])
def otp_code() -> Response:
    """Ask for the 6-character code; the POST signs in with it followed by the nonce kept in the session."""
    pending = _pending(OTP_KEY)
    form = Form()
    if request.method == "GET":
        if pending is None:
            form.fail("There is no email code waiting for this browser, or it expired. Send yourself a new one.")
            return _otp_code_page(form, None, 400)
        return _otp_code_page(form, pending)
    if _refuse_forged(form, "email code"):
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
    try:
        answer = _stack_post("/api/v1/auth/otp/sign-in", {"code": typed.lower() + str(pending["nonce"])})
    except MultiFactorAuthenticationRequired as exc:
        session.pop(OTP_KEY, None)
        return begin_mfa(exc, next_url=next_url, method="otp")
    except StackAuthError as exc:
        _explain(exc, form, {"VERIFICATION_CODE_NOT_FOUND": "code"})
        if exc.code != "VERIFICATION_CODE_NOT_FOUND":
            session.pop(OTP_KEY, None)  # this code is spent: only a new one helps
            pending = None
        return _otp_code_page(form, pending, form.status)
    return _finish(answer, method="otp", next_url=next_url)


@blueprint.route("/otp/callback", methods=["GET", "POST"])
def otp_callback() -> Response:
    """The emailed link's landing page: GET asks for one click, the POST signs in with the link's code."""
    form = Form()
    code = request.values.get("code", "")
    if not _LINK_CODE.match(code):
        form.fail("This sign-in link is incomplete or broken. Copy the whole link from the email, or send "
                  "yourself a new one.")
        return _page("stackauth/otp_callback.html", 400, form=form, code=None)
    if request.method == "GET":
        return _page("stackauth/otp_callback.html", form=form, code=code)
    if _refuse_forged(form, "sign-in link"):
        return _page("stackauth/otp_callback.html", form.status, form=form, code=code)
    pending = _pending(OTP_KEY)  # present when the link is opened in the browser that asked for it
    next_url = pending.get("n") if pending and isinstance(pending.get("n"), str) else None
    try:
        answer = _stack_post("/api/v1/auth/otp/sign-in", {"code": code.lower()})
    except MultiFactorAuthenticationRequired as exc:
        return begin_mfa(exc, next_url=next_url, method="otp")
    except StackAuthError as exc:
        if exc.code == "VERIFICATION_CODE_NOT_FOUND":
            form.fail("This sign-in link is not valid. Send yourself a new one.")
        else:
            _explain(exc, form)
        return _page("stackauth/otp_callback.html", form.status, form=form, code=None)
    return _finish(answer, method="otp", next_url=next_url)


# -- TOTP ---------------------------------------------------------------------------------------------------

@blueprint.route("/mfa", methods=["GET", "POST"])
def mfa() -> Response:
    """The second step: a TOTP code completes the sign-in (``POST /api/v1/auth/mfa/sign-in``)."""
    pending = _pending(MFA_KEY)
    form = Form()
    if pending is None:
        session.pop(MFA_KEY, None)
        form.fail("There is no sign-in waiting for a code, or it took longer than 5 minutes. Please sign in again.")
        return _page("stackauth/mfa.html", 400, form=form, pending=False)
    if request.method == "GET":
        return _page("stackauth/mfa.html", form=form, pending=True)
    if _refuse_forged(form, "verification"):
        return _page("stackauth/mfa.html", form.status, form=form, pending=True)
    totp = re.sub(r"\s", "", request.form.get("totp", ""))[:64]
    if not totp:
        form.fail("Enter the 6-digit code from your authenticator app.", field_name="totp")
    elif not _TOTP.match(totp):
        form.fail("The code is 6 digits. Enter the current one from your authenticator app.", field_name="totp")
    if form.failed:
        return _page("stackauth/mfa.html", form.status, form=form, pending=True)
    try:
        answer = _stack_post("/api/v1/auth/mfa/sign-in", {"type": "totp", "totp": totp, "code": pending["c"]})
    except StackAuthError as exc:
        if exc.code == "INVALID_TOTP_CODE":
            _explain(exc, form, {"INVALID_TOTP_CODE": "totp"})
            return _page("stackauth/mfa.html", form.status, form=form, pending=True)
        session.pop(MFA_KEY, None)
        _explain(exc, form)
        if exc.code.startswith("VERIFICATION_CODE_"):
            form.fail("This sign-in took too long or was already completed. Please sign in again.", form.status)
        return _page("stackauth/mfa.html", form.status, form=form, pending=False)
    next_url = pending.get("n") if isinstance(pending.get("n"), str) else None
    method = pending.get("m")
    return _finish(answer, method=method if isinstance(method, str) else "mfa", next_url=next_url)
