"""TOTP multi-factor sign-in (Stack's ``auth/mfa/sign-in``) and the MFA step of the first factors.

A user with a ``totp_secret_base64`` (set with ``PATCH /users/me`` or the server API) cannot finish a
password, email-code or OAuth code-exchange sign-in directly: those answer
``MULTI_FACTOR_AUTHENTICATION_REQUIRED`` with ``details.attempt_code`` (valid 5 minutes), and
``POST /auth/mfa/sign-in`` ``{type: "totp", totp, code: attempt_code}`` completes the sign-in.
TOTP is RFC 6238 with HMAC-SHA1, 30-second steps and 6 digits, checked on the current step only, as
Stack's ``verifyTOTP(secret, 30, 6, code)`` does.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import json
import struct
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from flask import Response, current_app
from flask.blueprints import BlueprintSetupState

from . import errors as E
from .auth import tokens_for
from .context import api_blueprint, get_emulator, json_response, require_auth
from .schema import Obj, Str, validate
from .verification import CODE_HANDLER_KEYS, CODE_LENGTH, create_code, find_code, mark_used

if TYPE_CHECKING:
    from .core import Emulator
    from .state import User

bp = api_blueprint("stack_mfa", __name__)

TOTP_STEP = 30
TOTP_DIGITS = 6
ATTEMPT_CODE_LIFETIME = 5 * 60.0
#: Views that issue a new refresh token after a first factor; the real server asks for the TOTP there.
FIRST_FACTOR_ENDPOINTS = ("stack_auth.password_sign_in", "stack_oauth.token")


def totp(secret_base64: str, at: float, *, step: int = TOTP_STEP, digits: int = TOTP_DIGITS) -> str:
    """The RFC 6238 code of ``secret_base64`` (the raw secret, base64) at Unix time ``at``."""
    key = base64.b64decode(secret_base64, validate=True)
    counter = struct.pack(">Q", int(at // step))
    digest = hmac.new(key, counter, hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)


def needs_totp(user: User) -> bool:
    """Whether ``user`` must pass the TOTP step (Stack: ``requiresTotpMfa``, set with a TOTP secret)."""
    return bool(user.requires_totp_mfa or user.totp_secret_base64)


def mfa_required(emu: Emulator, user_id: str, *, is_new_user: bool) -> E.KnownError:
    """Issue an attempt code and build ``MULTI_FACTOR_AUTHENTICATION_REQUIRED``."""
    vc = create_code(emu, "mfa", data={"user_id": user_id, "is_new_user": is_new_user},
                     lifetime=ATTEMPT_CODE_LIFETIME)
    return E.KnownError(
        400,
        "MULTI_FACTOR_AUTHENTICATION_REQUIRED",
        "Multi-factor authentication is required for this user.",
        {"attempt_code": vc.code},
    )


def invalid_totp_code() -> E.KnownError:
    """``INVALID_TOTP_CODE`` (400)."""
    return E.KnownError(400, "INVALID_TOTP_CODE", "The TOTP code is invalid. Please try again.")


def _totp_ok(emu: Emulator, user: User, submitted: str) -> bool:
    secret = user.totp_secret_base64
    if not secret:
        return False
    try:
        expected = totp(secret, emu.now())
    except (binascii.Error, ValueError):
        return False
    return hmac.compare_digest(expected.encode(), submitted.encode("utf-8", "replace"))


#: mfa/sign-in/verification-code-handler.tsx: the code handler's body with the handler's own requestBody.
_MFA_BODY = Obj({"code": Str().length(CODE_LENGTH).defined()}).concat(
    Obj({"type": Str().one_of("totp").defined(), "totp": Str().defined()}).defined()
)


@bp.route("/auth/mfa/sign-in", methods=["POST"])
def mfa_sign_in() -> Response:
    """Complete a sign-in with the attempt code and a current TOTP code."""
    emu = get_emulator()
    require_auth()
    body = validate(body=_MFA_BODY, request_keys=CODE_HANDLER_KEYS).body
    raw, code = str(body["code"]), str(body["totp"])
    vc = find_code(emu, "mfa", raw)
    user_id = str(vc.data["user_id"])
    with emu.lock:
        user = emu.data.users.get(user_id)
    if user is None:
        raise E.user_not_found()
    if not _totp_ok(emu, user, code):
        raise invalid_totp_code()  # the attempt code stays usable, as on the real server
    mark_used(emu, vc)
    pair = tokens_for(emu, user)
    return json_response(
        {
            "refresh_token": pair["refresh_token"],
            "access_token": pair["access_token"],
            "is_new_user": bool(vc.data.get("is_new_user")),
            "user_id": user.id,
        }
    )


def _second_factor_guard(view: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a first-factor view: a TOTP user's fresh session is withdrawn and MFA is required instead."""

    @functools.wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        resp = current_app.make_response(view(*args, **kwargs))
        if resp.status_code != 200:
            return resp
        try:
            body = json.loads(resp.get_data())
        except ValueError:
            return resp
        refresh_token = body.get("refresh_token") if isinstance(body, dict) else None
        if not isinstance(refresh_token, str):
            return resp  # e.g. the refresh grant: Stack asks for the TOTP only when a session is created
        emu = get_emulator()
        sess = emu.valid_session(refresh_token)
        with emu.lock:
            user = emu.data.users.get(sess.user_id) if sess is not None else None
        if user is None or not needs_totp(user):
            return resp
        emu.revoke_refresh_token(refresh_token)
        raise mfa_required(emu, user.id, is_new_user=False)  # as Stack: a first factor of an existing user

    return guarded


@bp.record_once
def _install_guard(state: BlueprintSetupState) -> None:
    # The password and OAuth modules are registered before this one (ROUTE_MODULES order); their views
    # learn the MFA step here so that those modules stay unaware of it.
    for endpoint in FIRST_FACTOR_ENDPOINTS:
        view = state.app.view_functions.get(endpoint)
        if view is not None:
            state.app.view_functions[endpoint] = _second_factor_guard(view)
