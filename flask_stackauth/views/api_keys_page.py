"""The "API keys" page, ``GET|POST /account/api-keys``: a signed-in user lists, creates and revokes their keys.

Shown only when the project allows user API keys (404 otherwise). A new key's secret is in the answer to the
POST that created it and nowhere else: never in the session, a redirect, or a log line.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from flask import Blueprint, abort, redirect, request, url_for
from werkzeug.wrappers import Response

from ..auth import authenticate
from ..errors import ApiKeyNotFound, ApiKeysNotEnabled, StackAuthError
from ..models import ApiKey
from ..state import get_state
from ..user import StackUser
from .account_nav import account_nav
from .forms import Form, explain, form_page, refuse_forged, text_field

TEMPLATE = "stackauth/api_keys.html"
#: What the expiry choice offers, in days ("" = never).
EXPIRY_DAYS = {"": None, "30": 30, "90": 90, "365": 365}


def _user() -> StackUser:
    user = authenticate()
    try:
        enabled = get_state().project_config().get("allow_user_api_keys") is True
    except StackAuthError:
        enabled = True  # cannot tell right now: let the page say what Stack answers
    if not enabled:
        abort(404)
    return user


def _render(user: StackUser, form: Form, created: ApiKey | None = None, status: int = 200) -> Response:
    try:
        keys = user.api_keys()
    except ApiKeysNotEnabled:
        abort(404)
    except StackAuthError as exc:
        explain(exc, form)
        keys = []
    return form_page(TEMPLATE, status if not form.failed else form.status, form=form, keys=keys, created=created,
                     nav=account_nav(),
                     now_millis=int(datetime.now(timezone.utc).timestamp() * 1000), expiry_days=EXPIRY_DAYS)


def api_keys_page() -> Response:
    """List the user's keys, with the form to create one."""
    return _render(_user(), Form())


def create_api_key() -> Response:
    """Create a key and show its secret this once."""
    user = _user()
    form = Form()
    if refuse_forged(form, "create API key"):
        return _render(user, form)
    description = form.values["description"] = text_field("description", 100, form, label="description")
    expiry = request.form.get("expires_in_days", "")
    if expiry not in EXPIRY_DAYS:
        form.fail("Choose when the key expires.", field_name="expires_in_days")
    if form.failed:
        return _render(user, form)
    days = EXPIRY_DAYS[expiry]
    expires_at = datetime.now(timezone.utc) + timedelta(days=days) if days else None
    try:
        created = user.create_api_key(description, expires_at)
    except StackAuthError as exc:
        return _render(user, explain(exc, form))
    return _render(user, Form(), created=created, status=201)


def revoke_api_key(key_id: str) -> Response:
    """Revoke one of the user's keys, then back to the list."""
    user = _user()
    form = Form()
    if refuse_forged(form, "revoke API key"):
        return _render(user, form)
    try:
        user.revoke_api_key(key_id)
    except ApiKeyNotFound:
        return _render(user, form.fail("That key does not exist (any more).", 404))
    except StackAuthError as exc:
        return _render(user, explain(exc, form))
    return redirect(url_for("stackauth.api_keys"), 303)


def register(bp: Blueprint) -> None:
    """Add this page's routes to ``bp``."""
    bp.add_url_rule("/account/api-keys", "api_keys", api_keys_page, methods=["GET"])
    bp.add_url_rule("/account/api-keys", "create_api_key", create_api_key, methods=["POST"])
    bp.add_url_rule("/account/api-keys/<key_id>/revoke", "revoke_api_key", revoke_api_key, methods=["POST"])
