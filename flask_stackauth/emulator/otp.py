"""Email code / magic-link sign-in (Stack's ``auth/otp/send-sign-in-code`` and ``auth/otp/sign-in``).

Sending "mails" a 45-character code: the link is ``callback_url`` plus ``code=<45 chars>``, the text shows
the first six characters in upper case, and the answer is ``{"nonce"}`` (the other 39). Mails land in
``emu.emails`` (``GET /_emulator/emails``) with ``type: "magic_link"``, ``otp`` (the 6 typed
characters), ``link_code`` (the 45 in the link) and ``link``.
"""

from __future__ import annotations

import json

from flask import Response

from . import errors as E
from .auth import BOT_CHALLENGE_FIELDS, STRICT_EMAIL, tokens_for
from .context import AuthContext, api_blueprint, get_emulator, json_response, require_auth
from .core import Emulator
from .mfa import mfa_required, needs_totp
from .redirects import add_query, validate_redirect_url
from .schema import Obj, Str, validate
from .state import User
from .verification import CODE_BODY, CODE_HANDLER_KEYS, create_code, find_code, mark_used

bp = api_blueprint("stack_otp", __name__)

#: send-sign-in-code's request keys (auth, body, clientVersion), for yup's problem order.
_SEND_KEYS = ("auth", "body", "clientVersion")
_SIGN_IN = CODE_BODY  # no requestBody of its own
#: signInEmailSchema and emailOtpSignInCallbackUrlSchema (schema-fields.ts), with the bot-challenge fields.
_SEND = Obj({"email": STRICT_EMAIL.defined(), "callback_url": Str().url().defined(), **BOT_CHALLENGE_FIELDS}).defined()
#: v2.7.16: strictEmailSchema had no length limit and a looser pattern; no bot challenge.
_LEGACY_SEND = Obj(
    {
        "email": Str().email().matches(r"/^[^.].*@.*\.[^.][^.]+$/").defined(),
        "callback_url": Str().url().defined(),
    }
).defined()


def _user_email_already_exists_unverified(email: str) -> E.KnownError:
    return E.KnownError(
        409,
        "USER_EMAIL_ALREADY_EXISTS",
        f"A user with email {json.dumps(email)} already exists but the email is not verified. Please login to your"
        " existing account with the method you used to sign up, and then verify your email to sign in with this"
        " login method.",
        {"email": email, "would_work_if_email_was_verified": True},
    )


def _otp_user(emu: Emulator, auth: AuthContext, email: str) -> User | None:
    """Stack's ``ensureUserForEmailAllowsOtp``: the user to sign in, or ``None`` when one will be created."""
    user = emu.find_user_by_email(email, auth_only=True)
    if user is not None:
        if not user.primary_email_verified:
            raise _user_email_already_exists_unverified(email)
        with emu.lock:
            user.otp_auth_enabled = True  # Stack merges the OTP method into the verified account
        return user
    if not auth.project.sign_up_enabled:
        raise E.sign_up_not_enabled()
    return None


@bp.route("/auth/otp/send-sign-in-code", methods=["POST"])
def send_sign_in_code() -> Response:
    """Mail a sign-in code; answer ``{"nonce"}``."""
    emu = get_emulator()
    auth = require_auth()
    body = validate(body=_LEGACY_SEND if emu.legacy_tokens else _SEND, request_keys=_SEND_KEYS).body
    email, callback_url = str(body["email"]), str(body["callback_url"])
    if not auth.project.magic_link_enabled:
        raise E.StatusError(403, "OTP sign-in is not enabled for this project")
    _otp_user(emu, auth, email)
    if not validate_redirect_url(callback_url, auth.project):
        raise E.redirect_url_not_whitelisted()
    vc = create_code(emu, "otp", data={"email": email}, callback_url=callback_url)
    link = add_query(callback_url, [("code", vc.code)])
    otp = vc.code[:6].upper()
    with emu.lock:
        emu.data.emails.append(
            {
                "to": email,
                "subject": f"Sign in to {emu.project.display_name}: Your code is {otp}",
                "body": f"Your sign-in code is {otp}. Or sign in with this link: {link}",
                "link_code": vc.code,
                "otp": otp,
                "link": link,
                "type": "magic_link",
            }
        )
    return json_response({"nonce": vc.code[6:]})


@bp.route("/auth/otp/sign-in", methods=["POST"])
def otp_sign_in() -> Response:
    """Sign in with the mailed link's code, or the typed six characters followed by the nonce."""
    emu = get_emulator()
    auth = require_auth()
    raw = str(validate(body=_SIGN_IN, request_keys=CODE_HANDLER_KEYS).body["code"])
    vc = find_code(emu, "otp", raw)
    mark_used(emu, vc)
    email = str(vc.data["email"])
    user = _otp_user(emu, auth, email)
    is_new_user = user is None
    if user is None:
        upgrade = auth.user if auth.user is not None and auth.user.is_anonymous else None
        with emu.lock:
            if upgrade is not None:
                upgrade.is_anonymous = False
                upgrade.primary_email = email
                upgrade.primary_email_verified = True
                upgrade.primary_email_auth_enabled = True
                user = upgrade
            else:
                user = emu.add_user(email=email, email_verified=True, email_auth_enabled=True)
            user.otp_auth_enabled = True
    if needs_totp(user):
        raise mfa_required(emu, user.id, is_new_user=is_new_user)
    pair = tokens_for(emu, user)
    return json_response(
        {
            "refresh_token": pair["refresh_token"],
            "access_token": pair["access_token"],
            "is_new_user": is_new_user,
            "user_id": user.id,
        }
    )
