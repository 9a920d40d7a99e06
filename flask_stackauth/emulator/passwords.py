"""Password reset, change and set (Stack's ``auth/password/{send-reset-code,reset,update,set}``).

As measured on v2.7.16 and v2.8.86 (``password-result.json``; both generations answer alike):

- ``send-reset-code`` answers the same for unknown emails (real servers wait 2-3 s first; here
  :data:`AccountSettings.unknown_email_delay`, 0 by default so tests stay fast) and then never looks at
  the callback URL;
- a reset code is spent before the password rules run, so a failed reset (too short, password sign-in
  off) still uses it; a reset ends every session of the user;
- ``update`` ends every session but the one named by ``x-stack-refresh-token`` (all of them without it).
"""

from __future__ import annotations

import time
from typing import Any

from flask import Response, request

from . import errors as E
from .account_settings import settings
from .contact_channels import check_email_field, check_url_field, find_auth_user
from .context import (
    AuthContext,
    Fields,
    api_blueprint,
    body_dict,
    get_emulator,
    json_response,
    require_auth,
    schema_error,
)
from .core import Emulator, check_password, hash_password
from .redirects import add_query, validate_redirect_url
from .state import User
from .verification import check_code_field, create_code, find_code, mark_used

bp = api_blueprint("stack_passwords", __name__)

KIND = "password_reset"
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 70
_MAYBE = {"success": "maybe, only if user with e-mail exists"}


def _password(f: Fields, name: str) -> str | None:
    """Stack's ``passwordSchema``: a string (numbers are cast, as yup does) of at most 70 characters."""
    value = f.data.get(name)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
        f.data = {**f.data, name: value}
    got = f.string(name, required=True)
    if got is not None and len(got) > MAX_PASSWORD_LENGTH:
        f.problems.append(f"body.{name} must be at most {MAX_PASSWORD_LENGTH} characters")
        return None
    return got


def _password_rules(password: str) -> None:
    """Stack's ``getPasswordError``."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise E.password_too_short(MIN_PASSWORD_LENGTH)
    if len(password) > MAX_PASSWORD_LENGTH:
        raise E.password_too_long(MAX_PASSWORD_LENGTH)


def _require_password_auth(auth: AuthContext) -> None:
    if not auth.project.credential_enabled:
        raise E.password_authentication_not_enabled()


def revoke_sessions(emu: Emulator, user_id: str, *, keep_refresh_token: str | None = None) -> int:
    """End every session of ``user_id`` except the one of ``keep_refresh_token``; return how many ended."""
    with emu.lock:
        doomed = [sid for sid, s in emu.data.sessions.items()
                  if s.user_id == user_id and (keep_refresh_token is None or s.refresh_token != keep_refresh_token)]
        for sid in doomed:
            del emu.data.sessions[sid]
    return len(doomed)


def _signed_in_user(auth: AuthContext, f: Fields) -> User | None:
    if auth.user is None:
        f.problems.insert(0, "auth.user must be defined")
    return auth.user


@bp.route("/auth/password/send-reset-code", methods=["POST"])
def send_reset_code() -> Response:
    """Mail a reset link if an account signs in with this email; answer the same either way."""
    emu = get_emulator()
    auth = require_auth()
    f = Fields("body", body_dict())
    email = check_email_field(f, "email")
    callback_url = check_url_field(f, "callback_url")
    f.check()
    assert email is not None and callback_url is not None
    _require_password_auth(auth)
    user = find_auth_user(emu, email)
    if user is None:
        delay = settings(emu).unknown_email_delay
        if delay > 0:
            time.sleep(delay)
        return json_response(_MAYBE)
    if not validate_redirect_url(callback_url, auth.project):
        raise E.redirect_url_not_whitelisted()
    vc = create_code(emu, KIND, data={"user_id": user.id, "email": email}, callback_url=callback_url)
    link = add_query(callback_url, [("code", vc.code)])
    with emu.lock:
        emu.data.emails.append({
            "to": email,
            "subject": f"Reset your password at {emu.project.display_name}",
            "body": f"Reset your password: {link}",
            "code": vc.code,
            "link": link,
            "type": "password_reset",
            "user_id": user.id,
        })
    return json_response(_MAYBE)


def _code(body: dict[str, Any], problems: list[str]) -> str | None:
    return check_code_field(body, problems)


@bp.route("/auth/password/reset/check-code", methods=["POST"])
def check_reset_code() -> Response:
    """Whether a reset code is usable, without using it (the password flag is not looked at)."""
    emu = get_emulator()
    require_auth()
    problems: list[str] = []
    raw = _code(body_dict(), problems)
    if problems or raw is None:
        raise schema_error(problems)
    find_code(emu, KIND, raw)
    return json_response({"is_code_valid": True})


@bp.route("/auth/password/reset", methods=["POST"])
def reset() -> Response:
    """Spend a reset code and set the password; every session of the user ends."""
    emu = get_emulator()
    auth = require_auth()
    f = Fields("body", body_dict())
    raw = _code(f.data, f.problems)
    password = _password(f, "password")
    f.check()
    assert raw is not None and password is not None
    vc = find_code(emu, KIND, raw)
    mark_used(emu, vc)
    _require_password_auth(auth)
    _password_rules(password)
    with emu.lock:
        user = emu.data.users.get(str(vc.data["user_id"]))
        if user is None:
            raise E.user_not_found()
        user.password_hash = hash_password(password)
    revoke_sessions(emu, user.id)
    return json_response({"success": True})


@bp.route("/auth/password/update", methods=["POST"])
def update() -> Response:
    """Change the signed-in user's password; the other sessions end."""
    emu = get_emulator()
    auth = require_auth()
    f = Fields("body", body_dict())
    old = _password(f, "old_password")
    new = _password(f, "new_password")
    user = _signed_in_user(auth, f)
    f.check()
    assert user is not None and old is not None and new is not None
    _require_password_auth(auth)
    _password_rules(new)
    if user.password_hash is None:
        raise E.KnownError(400, "USER_DOES_NOT_HAVE_PASSWORD",
                           "This user does not have password authentication enabled.")
    if not check_password(old, user.password_hash):
        raise E.KnownError(400, "PASSWORD_CONFIRMATION_MISMATCH", "Passwords do not match.")
    with emu.lock:
        user.password_hash = hash_password(new)
    # Without the header Stack deletes every refresh token of the user, the current one included.
    revoke_sessions(emu, user.id, keep_refresh_token=request.headers.get("x-stack-refresh-token") or None)
    return json_response({"success": True})


@bp.route("/auth/password/set", methods=["POST"])
def set_password() -> Response:
    """Give a password to a signed-in user without one (OAuth or OTP sign-up)."""
    emu = get_emulator()
    auth = require_auth()
    f = Fields("body", body_dict())
    password = _password(f, "password")
    user = _signed_in_user(auth, f)
    f.check()
    assert user is not None and password is not None
    _require_password_auth(auth)
    _password_rules(password)
    with emu.lock:
        if user.password_hash is not None:
            raise E.StatusError(400, "User already has a password set.")
        user.password_hash = hash_password(password)
        if user.primary_email:
            # The recordings show auth_with_email turning true: the primary email now signs in.
            user.primary_email_auth_enabled = True
    return json_response({"success": True})
