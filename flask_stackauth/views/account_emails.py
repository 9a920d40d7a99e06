"""Account settings: ``/account/emails``, the user's contact channels (email addresses).

List them; add one; send a verification link; make one primary; use one for sign-in or stop; remove one. Every
change is one POST with an ``action``; Stack's plain-text refusals become the typed errors of
:mod:`flask_stackauth.account_api`, shown in words.
"""

from __future__ import annotations

from flask import Blueprint, request
from werkzeug.wrappers import Response

from .. import account_api
from ..app_urls import stack_url
from ..auth import authenticate
from ..errors import StackAuthError
from ..models import ContactChannel
from ..state import get_state
from ..user import StackUser
from .account_nav import account_page
from .forms import Form, email_field, explain, refuse_forged

ACTIONS = ("add", "verify", "primary", "use_for_sign_in", "stop_sign_in", "remove")
MESSAGES = {
    "CONTACT_CHANNEL_NOT_FOUND": "That email address is no longer on your account. Reload the page.",
    "CONTACT_CHANNEL_ALREADY_EXISTS": "That email address is already on your account.",
    "CONTACT_CHANNEL_ALREADY_USED_FOR_AUTH_BY_SOMEONE_ELSE": "Another account already signs in with that email "
                                                             "address, so this one cannot.",
    "EMAIL_ALREADY_VERIFIED": "That email address is already verified.",
}
DONE = {
    "add": "The email address was added. We sent it a verification link.",
    "verify": "We sent a verification link to that address. Open it to verify the address.",
    "primary": "That address is now your primary email.",
    "use_for_sign_in": "You can now sign in with that address.",
    "stop_sign_in": "That address can no longer be used to sign in.",
    "remove": "The email address was removed.",
}


def _page(user: StackUser, form: Form, status: int = 200, notice: str | None = None) -> Response:
    channels: list[ContactChannel] = []
    try:
        channels = user.contact_channels()
    except StackAuthError as exc:
        if not form.failed:
            explain(exc, form)
            status = form.status
    return account_page("stackauth.account_emails", "stackauth/account_emails.html", user, status, form=form,
                        notice=notice, channels=channels, section_title="Emails")


def emails() -> Response:
    """GET lists the addresses; POST applies one ``action`` to one of them (or adds one)."""
    user = authenticate()
    form = Form()
    if request.method == "GET":
        return _page(user, form)
    if refuse_forged(form, "email settings"):
        return _page(user, form, form.status)
    action = request.form.get("action", "")
    if action not in ACTIONS:
        form.fail("Choose what to do with the address.")
        return _page(user, form, 400)
    client, token = get_state().client, user.access_token
    channel_id = request.form.get("channel_id", "")
    try:
        if action == "add":
            email = email_field(form)
            if form.failed:
                return _page(user, form, form.status)
            channel = account_api.create_contact_channel(client, token, email)
            account_api.send_contact_channel_verification(client, token, channel.id,
                                                          stack_url("stackauth.verify_email"))
        elif action == "verify":
            account_api.send_contact_channel_verification(client, token, channel_id,
                                                          stack_url("stackauth.verify_email"))
        elif action == "remove":
            account_api.delete_contact_channel(client, token, channel_id)
        else:
            changes = {"primary": {"is_primary": True}, "use_for_sign_in": {"used_for_auth": True},
                       "stop_sign_in": {"used_for_auth": False}}[action]
            account_api.update_contact_channel(client, token, channel_id, **changes)  # type: ignore[arg-type]
    except StackAuthError as exc:
        explain(exc, form)
        if exc.code in MESSAGES:
            form.message = MESSAGES[exc.code]
        return _page(user, form, form.status)
    get_state().profiles.forget_user(user.id)
    if action in ("primary", "remove"):
        user.refresh_claims()  # the token's email claims follow the primary address
    return _page(user, Form(), notice=DONE[action])


def register(bp: Blueprint) -> None:
    """Add this flow's routes to ``bp``."""
    bp.add_url_rule("/account/emails", "account_emails", emails, methods=["GET", "POST"])
