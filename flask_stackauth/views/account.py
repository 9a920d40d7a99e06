"""Account settings: ``/account`` (profile), ``/account/password`` and ``/account/delete``.

Every page needs a signed-in user; every POST carries the signed form token and passes the Origin checks.
The section list (and so what shows for this project) is :data:`~flask_stackauth.views.account_nav.SECTIONS`.
"""

from __future__ import annotations

import base64
import logging

from flask import Blueprint, current_app, redirect, request
from werkzeug.wrappers import Response

from ..auth import authenticate, drop_auth_data
from ..errors import StackAuthError
from ..signals import user_signed_out
from ..state import get_state
from ..urls import safe_next
from ..user import StackUser
from .account_nav import account_page, section_visible
from .forms import MAX_PASSWORD_LENGTH, Form, explain, refuse_forged, text_field

log = logging.getLogger("flask_stackauth")

MAX_DISPLAY_NAME = 100
#: Largest profile image accepted (Stack keeps it as a data URL in the user object).
MAX_IMAGE_BYTES = 100_000
MIN_PASSWORD_LENGTH = 8
_IMAGE_TYPES = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"), (b"GIF87a", "image/gif"),
                (b"GIF89a", "image/gif"))


def _image_type(data: bytes) -> str | None:
    for magic, mime in _IMAGE_TYPES:
        if data.startswith(magic):
            return mime
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _profile_page(user: StackUser, form: Form, status: int = 200, notice: str | None = None) -> Response:
    return account_page("stackauth.account", "stackauth/account_profile.html", user, status, form=form,
                        notice=notice, section_title="Profile")


def profile() -> Response:
    """Display name and profile image (``PATCH /users/me``)."""
    user = authenticate()
    form = Form()
    if request.method == "GET":
        return _profile_page(user, form)
    if refuse_forged(form, "profile"):
        return _profile_page(user, form, form.status)
    name = request.form.get("display_name", "").strip()
    if len(name) > MAX_DISPLAY_NAME:
        form.fail(f"Use at most {MAX_DISPLAY_NAME} characters.", field_name="display_name")
    changes: dict[str, str | None] = {"display_name": name or None}
    upload = request.files.get("profile_image")
    if request.form.get("remove_image") == "1":
        changes["profile_image_url"] = None
    elif upload is not None and upload.filename:
        data = upload.stream.read(MAX_IMAGE_BYTES + 1)
        mime = _image_type(data)
        if len(data) > MAX_IMAGE_BYTES:
            form.fail(f"That image is too large: use one under {MAX_IMAGE_BYTES // 1000} KB.",
                      field_name="profile_image")
        elif mime is None:
            form.fail("That file is not a PNG, JPEG, GIF or WebP image.", field_name="profile_image")
        else:
            changes["profile_image_url"] = f"data:{mime};base64,{base64.b64encode(data).decode()}"
    if form.failed:
        form.values["display_name"] = name[:MAX_DISPLAY_NAME]
        return _profile_page(user, form, form.status)
    try:
        user.update(**changes)
    except StackAuthError as exc:
        explain(exc, form)
        return _profile_page(user, form, form.status)
    return _profile_page(user, form, notice="Your profile was saved.")


def _password_page(user: StackUser, form: Form, status: int = 200, notice: str | None = None) -> Response:
    return account_page("stackauth.account_password", "stackauth/account_password.html", user, status, form=form,
                        notice=notice, has_password=bool(user.profile().get("has_password")),
                        section_title="Password")


def password() -> Response:
    """Change the password (old and new) or, for users without one, set it; other sessions then end."""
    user = authenticate()
    form = Form()
    if request.method == "GET":
        return _password_page(user, form)
    if refuse_forged(form, "password") or not section_visible("stackauth.account_password", user):
        return _password_page(user, form, form.status)
    has_password = bool(user.profile().get("has_password"))
    old = text_field("old_password", MAX_PASSWORD_LENGTH, form, label="current password", strip=False) \
        if has_password else ""
    new = text_field("password", MAX_PASSWORD_LENGTH, form, label="new password", strip=False)
    if "password" not in form.errors and len(new) < MIN_PASSWORD_LENGTH:
        form.fail(f"Use at least {MIN_PASSWORD_LENGTH} characters.", field_name="password")
    if "password" not in form.errors and request.form.get("password_repeat", "") != new:
        form.fail("The two passwords do not match.", field_name="password_repeat")
    if form.failed:
        return _password_page(user, form, form.status)
    try:
        if has_password:
            user.update_password(old, new)
        else:
            user.set_password(new)
    except StackAuthError as exc:
        explain(exc, form, {"PASSWORD_CONFIRMATION_MISMATCH": "old_password", "PASSWORD_TOO_SHORT": "password",
                            "PASSWORD_TOO_LONG": "password"})
        if exc.code == "PASSWORD_CONFIRMATION_MISMATCH":
            form.fail("That is not your current password.", 400, "old_password")
        return _password_page(user, form, form.status)
    notice = ("Your password was changed. Your other devices are signed out." if has_password
              else "Your password is set: you can now sign in with your email and this password.")
    return _password_page(user, form, notice=notice)


CONFIRM_PHRASE = "delete my account"


def _delete_page(user: StackUser, form: Form, status: int = 200) -> Response:
    return account_page("stackauth.account_delete", "stackauth/account_delete.html", user, status, form=form,
                        phrase=CONFIRM_PHRASE, section_title="Delete account")


def delete() -> Response:
    """Delete the account after the visitor types the confirmation phrase; then signed out."""
    user = authenticate()
    form = Form()
    if request.method == "GET":
        return _delete_page(user, form)
    if refuse_forged(form, "account deletion"):
        return _delete_page(user, form, form.status)
    if " ".join(request.form.get("confirm", "").lower().split()) != CONFIRM_PHRASE:
        form.fail(f'Type "{CONFIRM_PHRASE}" to confirm.', field_name="confirm")
        return _delete_page(user, form, form.status)
    if not section_visible("stackauth.account_delete", user):
        return _delete_page(user, form)  # the hidden section's 404 page
    user_id = user.id
    try:
        user.delete()
    except StackAuthError as exc:
        explain(exc, form)
        return _delete_page(user, form, form.status)
    log.info("flask-stackauth: a user deleted their account")
    drop_auth_data()
    user_signed_out.send(current_app._get_current_object(),  # type: ignore[attr-defined]
                         user_id=user_id, revoked=True)
    state = get_state()
    return redirect(safe_next(state.settings.after_sign_out_url, host=request.host) or "/", 303)


def register(bp: Blueprint) -> None:
    """Add this flow's routes to ``bp``."""
    bp.add_url_rule("/account", "account", profile, methods=["GET", "POST"])
    bp.add_url_rule("/account/password", "account_password", password, methods=["GET", "POST"])
    bp.add_url_rule("/account/delete", "account_delete", delete, methods=["GET", "POST"])



